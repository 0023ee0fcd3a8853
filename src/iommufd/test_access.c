// SPDX-License-Identifier: MIT
/*
 * The selftest's accesses: IOMMU_TEST_OP_CREATE_ACCESS makes an access
 * (access.h) driven by a descriptor, as the kernel's selftest.c does with
 * an anonymous file; ACCESS_PAGES, DESTROY_ACCESS_PAGES, ACCESS_RW and
 * ACCESS_REPLACE_IOAS name that descriptor in 'id'. Closing the last
 * descriptor unpins what is left and destroys the access.
 *
 * The driver half is the kernel's: each ACCESS_PAGES is an item with an
 * ID until DESTROY_ACCESS_PAGES or an UNMAP over it drops it, and one lock
 * is held across a pin, so that an UNMAP's callback can never miss an item
 * whose pages are pinned.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include <iommusim/uapi/iommufd_test.h>

#include "base/file.h"
#include "base/fork_gate.h"
#include "base/zalloc.h"
#include "iommufd/access.h"

/* What ACCESS_PAGES and ACCESS_RW refuse to allocate for (the kernel
 * keeps syzkaller from warnings in its allocator with it). */
#define TEST_ACCESS_MAX_LENGTH (16ull * 1024 * 1024)

struct selftest_access_item {
	struct selftest_access_item *next;
	uint64_t iova;
	uint64_t length;
	uint32_t id;
};

struct selftest_access {
	/* __atomic: NULL until CREATE_ACCESS has built it; the descriptor
	 * is not usable before. */
	struct iommufd_access *access;
	/* Guards what follows; held across a pin and by the unmap
	 * callback. */
	struct mutex lock;
	struct selftest_access_item *items;
	uint32_t next_id;
};

static void staccess_release(struct file *file);

static const struct file_operations staccess_fops = {
	.name = "[iommufd_test_staccess]",
	.release = staccess_release,
};

/* The access behind descriptor fd, with a reference to its file; NULL
 * (the kernel's EBADFD) when fd is not one. */
static struct selftest_access *staccess_get(uint32_t fd, struct file **filep)
{
	struct file *file = fget((int)fd);
	struct selftest_access *staccess;

	if (!file)
		return NULL;
	staccess = file->private_data;
	if (file->f_op != &staccess_fops ||
	    !__atomic_load_n(&staccess->access, __ATOMIC_ACQUIRE)) {
		fput(file);
		return NULL;
	}
	*filep = file;
	return staccess;
}

/* The access's unmap callback: every item meeting the range goes. */
static void staccess_unmap(void *data, uint64_t iova, uint64_t length)
{
	struct selftest_access *staccess = data;
	uint64_t last = iova + length - 1;
	struct selftest_access_item **pprev, *item;

	mutex_lock(&staccess->lock);
	for (pprev = &staccess->items; (item = *pprev);) {
		if (iova > item->iova + item->length - 1 || last < item->iova) {
			pprev = &item->next;
			continue;
		}
		*pprev = item->next;
		iommufd_access_unpin_pages(staccess->access, item->iova,
					   item->length);
		free(item);
	}
	mutex_unlock(&staccess->lock);
}

static const struct iommufd_access_ops staccess_ops_pin = {
	.needs_pin_pages = true,
	.unmap = staccess_unmap,
};

static const struct iommufd_access_ops staccess_ops = {
	.unmap = staccess_unmap,
};

static void staccess_free(struct selftest_access *staccess)
{
	mutex_destroy(&staccess->lock);
	free(staccess);
}

static void staccess_release(struct file *file)
{
	struct selftest_access *staccess = file->private_data;

	if (staccess->access) {
		fork_gate_enter();
		staccess_unmap(staccess, 0, UINT64_MAX);
		iommufd_access_destroy(staccess->access);
		fork_gate_leave();
	}
	staccess_free(staccess);
}

/*
 * IOMMU_TEST_OP_CREATE_ACCESS: a descriptor first, then the access, then
 * its IOAS, as the kernel orders them (a full descriptor table is
 * ENOMEM). The descriptor is the last thing undone.
 */
static int test_create_access(struct iommufd_ucmd *ucmd, uint32_t ioas_id,
			      uint32_t flags)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;
	struct selftest_access *staccess;
	struct iommufd_access *access;
	struct file *file;
	uint32_t id;
	int fd, rc;

	if (flags & ~MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES)
		return -EOPNOTSUPP;

	staccess = zalloc(sizeof(*staccess));
	if (!staccess)
		return -ENOMEM;
	mutex_init(&staccess->lock, LOCK_RANK_TEST_ACCESS);
	fd = file_install_new_get(&staccess_fops, staccess,
				  O_RDWR | O_CLOEXEC, FILE_PLACEHOLDER_NODE,
				  &file);
	if (fd < 0) {
		staccess_free(staccess);
		return -ENOMEM;
	}

	access = iommufd_access_create(
		ucmd->ictx,
		(flags & MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES) ?
			&staccess_ops_pin :
			&staccess_ops,
		staccess, &id, &rc);
	if (!access)
		goto out_uninstall;
	rc = iommufd_access_attach(access, ioas_id);
	if (rc)
		goto out_destroy;
	cmd->create_access.out_access_fd = (uint32_t)fd;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto out_destroy;

	__atomic_store_n(&staccess->access, access, __ATOMIC_RELEASE);
	fput(file);
	return 0;

out_destroy:
	iommufd_access_destroy(access);
out_uninstall:
	file_uninstall(fd);
	fput(file);
	return rc;
}

/* IOMMU_TEST_OP_ACCESS_REPLACE_IOAS */
static int test_access_replace_ioas(uint32_t fd, uint32_t ioas_id)
{
	struct selftest_access *staccess;
	struct file *file;
	int rc;

	staccess = staccess_get(fd, &file);
	if (!staccess)
		return -EBADFD;
	rc = iommufd_access_replace(staccess->access, ioas_id);
	fput(file);
	return rc;
}

/* In fuzzer mode an IOVA names the nth area and an offset into it: the
 * fuzzer cannot know the IOVAs MAP chose. 0 when there is no such area. */
static uint64_t syz_conv_iova(struct iommufd_access *access, uint64_t iova)
{
	struct {
		uint32_t nth_area;
		uint32_t offset;
	} syz;
	uint64_t area_iova;

	memcpy(&syz, &iova, sizeof(syz));
	if (!iommufd_access_nth_area_iova(access, syz.nth_area, &area_iova))
		return 0;
	return area_iova + syz.offset;
}

/* Each pinned page is the page of the caller's memory at uptr (page
 * aligned) onwards, or -EBADE. */
static int check_pages(const struct usermem *mm, uint64_t uptr,
		       const uint64_t *pages, uint64_t npages)
{
	uint64_t page = cpu_page_size();
	int rc;

	for (; npages; npages--, pages++, uptr += page) {
		/* as the kernel's lookup, a page that is not there faults */
		rc = usermem_fault_in(mm, uptr, 1, false);
		if (rc)
			return rc;
		if (!iopt_same_memory(*pages, mm, uptr))
			return -EBADE;
	}
	return 0;
}

static int staccess_add_item(struct selftest_access *staccess, uint64_t iova,
			     uint64_t length, uint32_t *id)
{
	struct selftest_access_item *item, **tail;

	lockdep_assert_held(&staccess->lock);
	item = zalloc(sizeof(*item));
	if (!item)
		return -ENOMEM;
	item->iova = iova;
	item->length = length;
	item->id = staccess->next_id++;
	for (tail = &staccess->items; *tail; tail = &(*tail)->next)
		;
	*tail = item;
	*id = item->id;
	return 0;
}

/* Takes item 'id' off the list; NULL when there is none. */
static struct selftest_access_item *
staccess_take_item(struct selftest_access *staccess, uint32_t id)
{
	struct selftest_access_item **pprev, *item;

	lockdep_assert_held(&staccess->lock);
	for (pprev = &staccess->items; (item = *pprev); pprev = &item->next) {
		if (item->id == id) {
			*pprev = item->next;
			return item;
		}
	}
	return NULL;
}

/*
 * IOMMU_TEST_OP_ACCESS_PAGES: pins [iova, iova + length) through the
 * access, checks the pages against uptr (0: no check) and keeps them
 * pinned as an item whose ID is the answer.
 */
static int test_access_pages(struct iommufd_ucmd *ucmd, uint32_t fd,
			     uint64_t iova, uint64_t length, uint64_t uptr,
			     uint32_t flags)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;
	uint64_t page = cpu_page_size(), npages;
	struct selftest_access *staccess;
	struct file *file;
	uint64_t *pages;
	uint32_t item_id;
	int rc;

	if (length > TEST_ACCESS_MAX_LENGTH)
		return -ENOMEM;
	if (flags & ~(MOCK_FLAGS_ACCESS_WRITE | MOCK_FLAGS_ACCESS_SYZ))
		return -EOPNOTSUPP;
	staccess = staccess_get(fd, &file);
	if (!staccess)
		return -EBADFD;
	if (staccess->access->ops != &staccess_ops_pin) {
		rc = -EOPNOTSUPP;
		goto out_put;
	}
	if (flags & MOCK_FLAGS_ACCESS_SYZ)
		iova = syz_conv_iova(staccess->access, iova);

	/* the pages the range touches, counted as the kernel counts them
	 * (modulo 2^64, so a wrapping range is still a small array) */
	npages = ((iova + length + page - 1) / page * page - iova / page * page) /
		 page;
	pages = lib_calloc(npages ? npages : 1, sizeof(*pages));
	if (!pages) {
		rc = -ENOMEM;
		goto out_put;
	}

	mutex_lock(&staccess->lock);
	rc = iommufd_access_pin_pages(staccess->access, iova, length, pages,
				      npages, flags & MOCK_FLAGS_ACCESS_WRITE);
	if (rc)
		goto out_unlock;
	if (uptr) {
		rc = check_pages(ucmd->mm, uptr - iova % page, pages, npages);
		if (rc)
			goto out_unpin;
	}
	rc = staccess_add_item(staccess, iova, length, &item_id);
	if (rc)
		goto out_unpin;
	cmd->access_pages.out_access_pages_id = item_id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto out_free_item;
	goto out_unlock;

out_free_item:
	free(staccess_take_item(staccess, item_id));
out_unpin:
	iommufd_access_unpin_pages(staccess->access, iova, length);
out_unlock:
	mutex_unlock(&staccess->lock);
	free(pages);
out_put:
	fput(file);
	return rc;
}

/* IOMMU_TEST_OP_DESTROY_ACCESS_PAGES */
static int test_access_item_destroy(uint32_t fd, uint32_t item_id)
{
	struct selftest_access_item *item;
	struct selftest_access *staccess;
	struct file *file;

	staccess = staccess_get(fd, &file);
	if (!staccess)
		return -EBADFD;
	mutex_lock(&staccess->lock);
	item = staccess_take_item(staccess, item_id);
	if (item)
		iommufd_access_unpin_pages(staccess->access, item->iova,
					   item->length);
	mutex_unlock(&staccess->lock);
	free(item);
	fput(file);
	return item ? 0 : -ENOENT;
}

/*
 * IOMMU_TEST_OP_ACCESS_RW: copies between the caller's buffer at uptr and
 * [iova, iova + length) of the access's IOAS (into the IOAS with
 * MOCK_ACCESS_RW_WRITE), page by page with MOCK_ACCESS_RW_SLOW_PATH.
 */
static int test_access_rw(struct iommufd_ucmd *ucmd, uint32_t fd,
			  uint64_t iova, uint64_t length, uint64_t uptr,
			  uint32_t flags)
{
	struct selftest_access *staccess;
	struct file *file;
	void *tmp;
	int rc;

	if (length > TEST_ACCESS_MAX_LENGTH)
		return -ENOMEM;
	if (flags & ~(MOCK_ACCESS_RW_WRITE | MOCK_ACCESS_RW_SLOW_PATH |
		      MOCK_FLAGS_ACCESS_SYZ))
		return -EOPNOTSUPP;
	staccess = staccess_get(fd, &file);
	if (!staccess)
		return -EBADFD;
	tmp = lib_calloc(1, length ? length : 1);
	if (!tmp) {
		rc = -ENOMEM;
		goto out_put;
	}
	if (flags & MOCK_ACCESS_RW_WRITE) {
		rc = usermem_copy_from(ucmd->mm, tmp, uptr, length);
		if (rc)
			goto out_free;
	}
	if (flags & MOCK_FLAGS_ACCESS_SYZ)
		iova = syz_conv_iova(staccess->access, iova);
	rc = iommufd_access_rw(staccess->access, iova, tmp, length, flags);
	if (rc)
		goto out_free;
	if (!(flags & MOCK_ACCESS_RW_WRITE))
		rc = usermem_copy_to(ucmd->mm, uptr, tmp, length);
out_free:
	free(tmp);
out_put:
	fput(file);
	return rc;
}

/* The access flags are the kernel's IOMMUFD_ACCESS_RW_* bits. */
_Static_assert((unsigned int)MOCK_ACCESS_RW_WRITE == IOMMUFD_ACCESS_RW_WRITE,
	       "MOCK_ACCESS_RW_WRITE");
_Static_assert((unsigned int)MOCK_ACCESS_RW_SLOW_PATH ==
		       IOMMUFD_ACCESS_RW_SLOW_PATH,
	       "MOCK_ACCESS_RW_SLOW_PATH");

int iommufd_test_access(struct iommufd_ucmd *ucmd)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;

	switch (cmd->op) {
	case IOMMU_TEST_OP_CREATE_ACCESS:
		return test_create_access(ucmd, cmd->id,
					  cmd->create_access.flags);
	case IOMMU_TEST_OP_ACCESS_REPLACE_IOAS:
		return test_access_replace_ioas(
			cmd->id, cmd->access_replace_ioas.ioas_id);
	case IOMMU_TEST_OP_ACCESS_PAGES:
		return test_access_pages(ucmd, cmd->id, cmd->access_pages.iova,
					 cmd->access_pages.length,
					 cmd->access_pages.uptr,
					 cmd->access_pages.flags);
	case IOMMU_TEST_OP_ACCESS_RW:
		return test_access_rw(ucmd, cmd->id, cmd->access_rw.iova,
				      cmd->access_rw.length,
				      cmd->access_rw.uptr,
				      cmd->access_rw.flags);
	case IOMMU_TEST_OP_DESTROY_ACCESS_PAGES:
		return test_access_item_destroy(
			cmd->id, cmd->destroy_access_pages.access_pages_id);
	default:
		return -EOPNOTSUPP;
	}
}
