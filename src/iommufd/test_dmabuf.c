// SPDX-License-Identifier: MIT
/*
 * The selftest's dma-buf (dmabuf.h): IOMMU_TEST_OP_DMABUF_GET makes one,
 * IOMMU_TEST_OP_DMABUF_REVOKE revokes it or lets it be used again, with
 * the kernel's limits and errno.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <iommusim/uapi/iommufd_test.h>

#include "base/alloc.h"
#include "base/file.h"
#include "base/mutex.h"
#include "base/zalloc.h"
#include "iommufd/dmabuf.h"
#include "iommufd/iommufd_private.h"
#include "iommufd/pages.h"

/* The kernel's selftest exports at most this many pages. */
#define TEST_DMABUF_MAX_PAGES 512

struct test_dmabuf {
	void *memory;
	uint64_t size;
	struct mutex lock; /* see dmabuf.h */
	bool revoked;
	struct list_head importers;
};

static void test_dmabuf_release(struct file *file);

static const struct file_operations test_dmabuf_fops = {
	.name = "dmabuf",
	.release = test_dmabuf_release,
};

static struct test_dmabuf *to_dmabuf(const struct file *file)
{
	return file->private_data;
}

bool file_is_dmabuf(const struct file *file)
{
	return file->f_op == &test_dmabuf_fops;
}

uint64_t dmabuf_size(const struct file *file)
{
	return to_dmabuf(file)->size;
}

int dmabuf_attach(struct file *file, struct dmabuf_importer *importer,
		  uint64_t *addr, uint64_t *size)
{
	struct test_dmabuf *dmabuf = to_dmabuf(file);
	int rc = 0;

	mutex_lock(&dmabuf->lock);
	if (dmabuf->revoked) {
		rc = -ENODEV;
	} else {
		list_add_tail(&importer->node, &dmabuf->importers);
		*addr = (uint64_t)(uintptr_t)dmabuf->memory;
		*size = dmabuf->size;
	}
	mutex_unlock(&dmabuf->lock);
	return rc;
}

void dmabuf_detach(struct file *file, struct dmabuf_importer *importer)
{
	struct test_dmabuf *dmabuf = to_dmabuf(file);

	mutex_lock(&dmabuf->lock);
	list_del_init(&importer->node);
	mutex_unlock(&dmabuf->lock);
}

static void test_dmabuf_free(struct test_dmabuf *dmabuf)
{
	mutex_destroy(&dmabuf->lock);
	free(dmabuf->memory);
	free(dmabuf);
}

/* Every importer detached before its reference to the file went. */
static void test_dmabuf_release(struct file *file)
{
	test_dmabuf_free(to_dmabuf(file));
}

/* IOMMU_TEST_OP_DMABUF_GET: a new dma-buf of length bytes (rounded up to
 * pages, at most 512 of them); the ioctl returns its descriptor. */
static int test_dmabuf_get(uint32_t length, uint32_t open_flags)
{
	uint64_t page = cpu_page_size();
	uint64_t size = ((uint64_t)length + page - 1) / page * page;
	struct test_dmabuf *dmabuf;
	int fd;

	if (size == 0 || size > page * TEST_DMABUF_MAX_PAGES)
		return -EINVAL;
	dmabuf = zalloc(sizeof(*dmabuf));
	if (!dmabuf)
		return -ENOMEM;
	mutex_init(&dmabuf->lock, LOCK_RANK_DMABUF);
	INIT_LIST_HEAD(&dmabuf->importers);
	dmabuf->size = size;
	dmabuf->memory = lib_alloc_pages(page, size);
	if (!dmabuf->memory) {
		fd = -ENOMEM;
		goto out_free;
	}
	fd = file_install_new(&test_dmabuf_fops, dmabuf, (int)open_flags,
			      FILE_PLACEHOLDER_NODE);
	if (fd < 0)
		goto out_free;
	return fd;

out_free:
	test_dmabuf_free(dmabuf);
	return fd;
}

/* The kernel's dma_buf_get(): EBADF for no file, EINVAL for a file that
 * is not a dma-buf. */
static struct file *dmabuf_get(int fd, int *err)
{
	struct file *file = fget(fd);

	if (file && file_is_dmabuf(file))
		return file;
	if (file)
		fput(file);
	*err = file || syscall(SYS_fcntl, fd, F_GETFD) != -1 ? -EINVAL :
							       -EBADF;
	return NULL;
}

/* IOMMU_TEST_OP_DMABUF_REVOKE: sets the revoked state and tells every
 * importer, whichever way it went. */
static int test_dmabuf_revoke(int fd, bool revoked)
{
	struct test_dmabuf *dmabuf;
	struct dmabuf_importer *importer;
	struct file *file;
	int rc;

	file = dmabuf_get(fd, &rc);
	if (!file)
		return rc;
	dmabuf = to_dmabuf(file);
	mutex_lock(&dmabuf->lock);
	dmabuf->revoked = revoked;
	list_for_each_entry(importer, &dmabuf->importers, node)
		importer->move_notify(importer);
	mutex_unlock(&dmabuf->lock);
	fput(file);
	return 0;
}

int iommufd_test_dmabuf(struct iommufd_ucmd *ucmd)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;

	if (cmd->op == IOMMU_TEST_OP_DMABUF_GET)
		return test_dmabuf_get(cmd->dmabuf_get.length,
				       cmd->dmabuf_get.open_flags);
	return test_dmabuf_revoke(cmd->dmabuf_revoke.dmabuf_fd,
				  cmd->dmabuf_revoke.revoked);
}
