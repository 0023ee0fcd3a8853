// SPDX-License-Identifier: MIT
/*
 * Accesses (access.h): attaching to an IOAS and moving between IOASes,
 * pinning and copying through it, and how an UNMAP reaches them. The
 * rules, their order and their errno are the kernel's (the
 * iommufd_access_* functions of drivers/iommu/iommufd/device.c and
 * iopt_area_add_access() of pages.c).
 */
#include <errno.h>
#include <stdlib.h>

#include "iommufd/access.h"
#include "base/zalloc.h"

/*
 * One pin of a slice of one area: the kernel keeps these per pages object
 * and page range; we keep them per access and IOVA range, which pins the
 * same pages (a page held by several holders is pinned once).
 */
struct iopt_access_pin {
	struct itree_node iova;	  /* in access->pins */
	struct itree_node holder; /* page indexes, in pages->pin_holders */
	unsigned int users;	  /* identical pins sharing it */
};

/* ---- attaching ----------------------------------------------------------- */

/*
 * Moves the access from its IOAS to new_ioas (either may be NULL). While
 * the unmap callback runs, pins are refused (access->ioas is NULL) but
 * unpins still reach the old IOAS (access->ioas_unpin). On success the
 * access holds new_ioas and no longer the old one.
 */
static int iommufd_access_change_ioas(struct iommufd_access *access,
				      struct iommufd_ioas *new_ioas)
{
	uint32_t old_list_id = access->iopt_access_list_id;
	struct iommufd_ioas *cur_ioas = access->ioas;
	int rc;

	lockdep_assert_held(&access->ioas_lock);
	/* another change has dropped the lock for its callback */
	if (cur_ioas != access->ioas_unpin)
		return -EBUSY;
	if (cur_ioas == new_ioas)
		return 0;

	access->ioas = NULL;
	if (new_ioas) {
		rc = iopt_add_access(&new_ioas->iopt, access);
		if (rc) {
			access->ioas = cur_ioas;
			return rc;
		}
		object_hold(&new_ioas->obj);
	}
	if (cur_ioas) {
		if (access->ops->unmap) {
			mutex_unlock(&access->ioas_lock);
			access->ops->unmap(access->data, 0, UINT64_MAX);
			mutex_lock(&access->ioas_lock);
		}
		iopt_remove_access(&cur_ioas->iopt, access, old_list_id);
		object_release(&cur_ioas->obj);
	}
	access->ioas = new_ioas;
	access->ioas_unpin = new_ioas;
	return 0;
}

static int iommufd_access_change_ioas_id(struct iommufd_access *access,
					 uint32_t id)
{
	struct iommufd_ioas *ioas = iommufd_get_ioas(access->ictx, id);
	int rc;

	if (!ioas)
		return -ENOENT;
	rc = iommufd_access_change_ioas(access, ioas);
	iommufd_put_ioas(access->ictx, ioas);
	return rc;
}

void iommufd_access_destroy_object(struct iommufd_object *obj)
{
	struct iommufd_access *access =
		container_of(obj, struct iommufd_access, obj);
	struct iommufd_ctx *ictx = access->ictx;

	mutex_lock(&access->ioas_lock);
	if (access->ioas)
		iommufd_access_change_ioas(access, NULL);
	mutex_unlock(&access->ioas_lock);
	mutex_destroy(&access->ioas_lock);
	/* may be the context's last reference: nothing of it is used after */
	iommufd_ctx_put(ictx);
}

struct iommufd_access *
iommufd_access_create(struct iommufd_ctx *ictx,
		      const struct iommufd_access_ops *ops, void *data,
		      uint32_t *id, int *err)
{
	struct iommufd_access *access;

	access = iommufd_object_alloc(ictx, access, IOMMUFD_OBJ_ACCESS, err);
	if (!access)
		return NULL;
	access->data = data;
	access->ops = ops;
	access->iova_alignment = ops->needs_pin_pages ? cpu_page_size() : 1;
	mutex_init(&access->ioas_lock, LOCK_RANK_ACCESS_IOAS);
	itree_init(&access->pins);
	/* the driver is a user until iommufd_access_destroy() */
	object_hold(&access->obj);
	access->ictx = ictx;
	iommufd_ctx_get(ictx);
	object_finalize(ictx, &access->obj);
	*id = access->obj.id;
	return access;
}

/* Pins and nothing else: what it pinned stays until it unpins. */
static const struct iommufd_access_ops internal_access_ops = {
	.needs_pin_pages = true,
};

struct iommufd_access *iommufd_access_create_internal(struct iommufd_ctx *ictx,
						      int *err)
{
	struct iommufd_access *access = lib_calloc(1, sizeof(*access));

	if (!access) {
		*err = -ENOMEM;
		return NULL;
	}
	access->obj.type = IOMMUFD_OBJ_ACCESS;
	/* as a published object held by its driver, so that the lookups of
	 * notify_unmap() find it alive */
	atomic_init(&access->obj.refs, 2 * OBJECT_USER + OBJECT_SHORTTERM);
	access->ops = &internal_access_ops;
	access->iova_alignment = cpu_page_size();
	mutex_init(&access->ioas_lock, LOCK_RANK_ACCESS_IOAS);
	itree_init(&access->pins);
	access->ictx = ictx;
	return access;
}

int iommufd_access_attach_internal(struct iommufd_access *access,
				   struct iommufd_ioas *ioas)
{
	int rc;

	mutex_lock(&access->ioas_lock);
	rc = iommufd_access_change_ioas(access, ioas);
	mutex_unlock(&access->ioas_lock);
	return rc;
}

void iommufd_access_destroy_internal(struct iommufd_access *access)
{
	mutex_lock(&access->ioas_lock);
	if (access->ioas)
		iommufd_access_change_ioas(access, NULL);
	mutex_unlock(&access->ioas_lock);
	mutex_destroy(&access->ioas_lock);
	free(access);
}

void iommufd_access_destroy(struct iommufd_access *access)
{
	object_destroy_user_wait(access->ictx, &access->obj);
}

int iommufd_access_attach(struct iommufd_access *access, uint32_t ioas_id)
{
	int rc;

	mutex_lock(&access->ioas_lock);
	if (access->ioas) {
		mutex_unlock(&access->ioas_lock);
		return -EINVAL;
	}
	rc = iommufd_access_change_ioas_id(access, ioas_id);
	mutex_unlock(&access->ioas_lock);
	return rc;
}

int iommufd_access_replace(struct iommufd_access *access, uint32_t ioas_id)
{
	int rc;

	mutex_lock(&access->ioas_lock);
	if (!access->ioas) {
		mutex_unlock(&access->ioas_lock);
		return -ENOENT;
	}
	rc = iommufd_access_change_ioas_id(access, ioas_id);
	mutex_unlock(&access->ioas_lock);
	return rc;
}

bool iommufd_access_nth_area_iova(struct iommufd_access *access, uint32_t nth,
				  uint64_t *iova)
{
	bool found = false;

	mutex_lock(&access->ioas_lock);
	if (access->ioas)
		found = iopt_nth_area_iova(&access->ioas->iopt, nth, iova);
	mutex_unlock(&access->ioas_lock);
	return found;
}

/*
 * An access is found through the IOAS's list, not the object table, so
 * its references are taken with object_tryget(): one that is being
 * destroyed is skipped (its driver has unpinned everything before), and
 * one being called back is not destroyed until the callback returns.
 */
void iommufd_access_notify_unmap(struct io_pagetable *iopt, uint64_t iova,
				 uint64_t length)
{
	spin_lock(&iopt->access_list_lock);
	for (unsigned int i = 0; i < iopt->accesses_capacity; i++) {
		struct iommufd_access *access = iopt->accesses[i];

		/* an internal access is never asked: UNMAP refuses instead */
		if (!access || !access->ops->unmap ||
		    !object_tryget(&access->obj))
			continue;
		spin_unlock(&iopt->access_list_lock);
		access->ops->unmap(access->data, iova, length);
		object_put(access->ictx, &access->obj);
		spin_lock(&iopt->access_list_lock);
	}
	spin_unlock(&iopt->access_list_lock);
}

/* ---- pinning ------------------------------------------------------------- */

/* The access's pin of exactly [first, last], if it has one. ioas_lock. */
static struct iopt_access_pin *find_pin(struct iommufd_access *access,
					uint64_t first, uint64_t last)
{
	struct itree_node *node;

	lockdep_assert_held(&access->ioas_lock);
	itree_for_each_overlap(node, &access->pins, first, last)
		if (node->start == first && node->last == last)
			return container_of(node, struct iopt_access_pin, iova);
	return NULL;
}

/* Pins [first, last] of one area (the kernel's iopt_area_add_access()). */
static int area_add_access(struct iommufd_access *access,
			   struct iopt_area *area, uint64_t first,
			   uint64_t last, unsigned int flags)
{
	struct iopt_pages *pages = area->pages;
	struct iopt_access_pin *pin;
	int rc;

	if ((flags & IOMMUFD_ACCESS_RW_WRITE) && !pages->writable)
		return -EPERM;
	if (!access->ops->unmap &&
	    __atomic_load_n(&area->num_locks, __ATOMIC_RELAXED) == UINT8_MAX)
		return -EBUSY;
	pin = find_pin(access, first, last);
	if (!pin) {
		pin = zalloc(sizeof(*pin));
		if (!pin)
			return -ENOMEM;
		pin->holder.start = iopt_area_iova_to_index(area, first);
		pin->holder.last = iopt_area_iova_to_index(area, last);
		rc = iopt_pages_pin(pages, &pin->holder);
		if (rc) {
			free(pin);
			return rc;
		}
		pin->iova.start = first;
		pin->iova.last = last;
		itree_insert(&access->pins, &pin->iova);
	}
	pin->users++;
	__atomic_add_fetch(&area->num_accesses, 1, __ATOMIC_RELAXED);
	if (!access->ops->unmap)
		__atomic_add_fetch(&area->num_locks, 1, __ATOMIC_RELAXED);
	return 0;
}

static void area_remove_access(struct iommufd_access *access,
			       struct iopt_area *area, uint64_t first,
			       uint64_t last)
{
	struct iopt_access_pin *pin = find_pin(access, first, last);

	/* an unpin that matches no pin is the driver's mistake: ignored */
	if (!pin)
		return;
	__atomic_sub_fetch(&area->num_accesses, 1, __ATOMIC_RELAXED);
	if (!access->ops->unmap)
		__atomic_sub_fetch(&area->num_locks, 1, __ATOMIC_RELAXED);
	if (--pin->users)
		return;
	itree_remove(&access->pins, &pin->iova);
	iopt_pages_unpin(area->pages, &pin->holder);
	free(pin);
}

/* Unpins what pin_pages pinned of [iova, last_iova]. */
static void remove_access_range(struct iommufd_access *access,
				struct io_pagetable *iopt, uint64_t iova,
				uint64_t last_iova)
{
	struct iopt_area_contig_iter iter;
	struct iopt_area *area;

	lockdep_assert_held(&iopt->iova_rwsem);
	iopt_for_each_contig_area(&iter, area, iopt, iova, last_iova)
		area_remove_access(access, area, iter.cur_iova,
				   iopt_area_contig_last(&iter));
}

void iommufd_access_unpin_pages(struct iommufd_access *access, uint64_t iova,
				uint64_t length)
{
	struct io_pagetable *iopt;
	uint64_t last_iova;

	if (!length || __builtin_add_overflow(iova, length - 1, &last_iova))
		return;
	mutex_lock(&access->ioas_lock);
	/* not attached: nothing can be pinned */
	if (!access->ioas_unpin) {
		mutex_unlock(&access->ioas_lock);
		return;
	}
	iopt = &access->ioas_unpin->iopt;
	down_read(&iopt->iova_rwsem);
	remove_access_range(access, iopt, iova, last_iova);
	up_read(&iopt->iova_rwsem);
	mutex_unlock(&access->ioas_lock);
}

/* A slice starts on a page, and ends on one unless it is the last. */
static bool
iopt_area_contig_is_aligned(const struct iopt_area_contig_iter *iter)
{
	uint64_t page = cpu_page_size();

	if (iopt_area_start_byte(iter->area, iter->cur_iova) % page)
		return false;
	if (!iopt_area_contig_done(iter) &&
	    iopt_area_start_byte(iter->area,
				 iopt_area_last_iova(iter->area)) % page !=
		    page - 1)
		return false;
	return true;
}

static bool check_area_prot(const struct iopt_area *area, unsigned int flags)
{
	if (flags & IOMMUFD_ACCESS_RW_WRITE)
		return area->iommu_prot & IOPT_PROT_WRITE;
	return area->iommu_prot & IOPT_PROT_READ;
}

/* The host address of every page of [first, last] of the area, from
 * out[*count] on, at most max_out in all. */
static void report_pages(const struct iopt_area *area, uint64_t first,
			 uint64_t last, uint64_t *out, uint64_t max_out,
			 uint64_t *count)
{
	uint64_t index = iopt_area_iova_to_index(area, first);
	uint64_t last_index = iopt_area_iova_to_index(area, last);

	for (; index <= last_index && *count < max_out; index++)
		out[(*count)++] = area->pages->uptr + index * cpu_page_size();
}

/*
 * What pin_pages and rw check first (EINVAL, EOVERFLOW, ENOENT), then the
 * access's IOAS held still for a walk of [iova, *last_iova]: its
 * io_pagetable, or NULL with *err. access_walk_end() lets go.
 */
static struct io_pagetable *access_walk_begin(struct iommufd_access *access,
					      uint64_t iova, uint64_t length,
					      uint64_t *last_iova, int *err)
{
	struct io_pagetable *iopt;

	*err = -EINVAL;
	if (!length)
		return NULL;
	*err = -EOVERFLOW;
	if (__builtin_add_overflow(iova, length - 1, last_iova))
		return NULL;
	mutex_lock(&access->ioas_lock);
	if (!access->ioas) {
		mutex_unlock(&access->ioas_lock);
		*err = -ENOENT;
		return NULL;
	}
	iopt = &access->ioas->iopt;
	down_read(&iopt->iova_rwsem);
	return iopt;
}

static void access_walk_end(struct iommufd_access *access,
			    struct io_pagetable *iopt)
{
	up_read(&iopt->iova_rwsem);
	mutex_unlock(&access->ioas_lock);
}

int iommufd_access_pin_pages(struct iommufd_access *access, uint64_t iova,
			     uint64_t length, uint64_t *out, uint64_t max_out,
			     unsigned int flags)
{
	struct iopt_area_contig_iter iter;
	struct io_pagetable *iopt;
	uint64_t last_iova, count = 0;
	struct iopt_area *area;
	int rc;

	/* a driver that did not ask for pins (the kernel's test build
	 * refuses it too) */
	if (!access->ops->needs_pin_pages)
		return -EINVAL;
	iopt = access_walk_begin(access, iova, length, &last_iova, &rc);
	if (!iopt)
		return rc;
	iopt_for_each_contig_area(&iter, area, iopt, iova, last_iova) {
		uint64_t last = iopt_area_contig_last(&iter);

		if (area->prevent_access ||
		    area->pages->type == IOPT_PAGES_DMABUF ||
		    !iopt_area_contig_is_aligned(&iter)) {
			rc = -EINVAL;
			goto out_remove;
		}
		if (!check_area_prot(area, flags)) {
			rc = -EPERM;
			goto out_remove;
		}
		rc = area_add_access(access, area, iter.cur_iova, last, flags);
		if (rc)
			goto out_remove;
		report_pages(area, iter.cur_iova, last, out, max_out, &count);
	}
	if (!iopt_area_contig_done(&iter)) {
		rc = -ENOENT;
		goto out_remove;
	}
	access_walk_end(access, iopt);
	return 0;

out_remove:
	/* the slices before the one that failed */
	if (iova < iter.cur_iova)
		remove_access_range(access, iopt, iova, iter.cur_iova - 1);
	access_walk_end(access, iopt);
	return rc;
}

/* ---- copying ------------------------------------------------------------- */

int iommufd_access_rw(struct iommufd_access *access, uint64_t iova,
		      void *data, uint64_t length, unsigned int flags)
{
	struct iopt_area_contig_iter iter;
	struct io_pagetable *iopt;
	struct iopt_area *area;
	uint64_t last_iova;
	int rc;

	iopt = access_walk_begin(access, iova, length, &last_iova, &rc);
	if (!iopt)
		return rc;
	iopt_for_each_contig_area(&iter, area, iopt, iova, last_iova) {
		uint64_t bytes =
			iopt_area_contig_last(&iter) - iter.cur_iova + 1;

		if (area->prevent_access) {
			rc = -EINVAL;
			goto out_unlock;
		}
		if (!check_area_prot(area, flags)) {
			rc = -EPERM;
			goto out_unlock;
		}
		rc = iopt_pages_rw_access(
			area->pages, iopt_area_start_byte(area, iter.cur_iova),
			data, bytes, flags & IOMMUFD_ACCESS_RW_WRITE,
			flags & IOMMUFD_ACCESS_RW_SLOW_PATH);
		if (rc)
			goto out_unlock;
		data = (uint8_t *)data + bytes;
	}
	if (!iopt_area_contig_done(&iter))
		rc = -ENOENT;
out_unlock:
	access_walk_end(access, iopt);
	return rc;
}
