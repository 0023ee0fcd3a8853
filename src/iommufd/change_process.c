// SPDX-License-Identifier: MIT
/*
 * IOMMU_IOAS_CHANGE_PROCESS: the pinned pages of every mapping of the
 * context are charged to the caller from now on, as when a VMM hands its
 * mappings over to the process that replaces it. Only file mappings may
 * move (EINVAL otherwise, nothing changed): memory named by a user address
 * belongs to the address space that mapped it.
 *
 * Every IOAS's iova_rwsem is held for writing at once, taken in ID order
 * under ioas_creation_lock held for writing, as the kernel does, so that
 * no MAP slips in between the check and the move. lockdep follows the
 * first; the others nest under the creation lock, which lets one thread
 * at a time nest them.
 *
 * With one process, the caller's address space is the only one, and the
 * charges are found where they already are; the shared-context mode
 * (docs/shared-contexts.md) is what will give a move something to move.
 */
#include <errno.h>
#include <stdlib.h>

#include <iommusim/uapi/iommufd.h>

#include "base/alloc.h"
#include "iommufd/ioas.h"

static struct io_pagetable *iopt_of(struct iommufd_object *obj)
{
	return &to_ioas(obj)->iopt;
}

static void lock_all_iovas(struct iommufd_object **ioases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i == 0)
			down_write(&iopt_of(ioases[i])->iova_rwsem);
		else
			__down_write(&iopt_of(ioases[i])->iova_rwsem);
	}
}

static void unlock_all_iovas(struct iommufd_object **ioases, size_t n)
{
	for (size_t i = n; i-- > 0;) {
		if (i == 0)
			up_write(&iopt_of(ioases[i])->iova_rwsem);
		else
			__up_write(&iopt_of(ioases[i])->iova_rwsem);
	}
}

/* How many areas there are, or -EINVAL when one is not a file's. */
static int count_file_areas(struct iommufd_object **ioases, size_t n,
			    size_t *count)
{
	struct rindex_cursor cursor;
	struct iopt_area *area;

	*count = 0;
	for (size_t i = 0; i < n; i++) {
		iopt_for_each_area(area, iopt_of(ioases[i]), &cursor) {
			if (area->pages->type != IOPT_PAGES_FILE)
				return -EINVAL;
			(*count)++;
		}
	}
	return 0;
}

static int change_process_locked(struct iommufd_object **ioases, size_t n,
				 const struct usermem *mm)
{
	struct rindex_cursor cursor;
	struct iopt_pages **pages;
	struct iopt_area *area;
	size_t count, at = 0;
	int rc;

	rc = count_file_areas(ioases, n, &count);
	if (rc || !count)
		return rc;
	pages = lib_calloc(count, sizeof(*pages));
	if (!pages)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		iopt_for_each_area(area, iopt_of(ioases[i]), &cursor)
			pages[at++] = area->pages;
	rc = iopt_pages_change_mm(pages, count, mm);
	free(pages);
	return rc;
}

int iommufd_ioas_change_process(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_change_process *cmd = ucmd->cmd;
	struct iommufd_ctx *ictx = ucmd->ictx;
	struct iommufd_object **ioases;
	size_t n;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;

	down_write(&ictx->ioas_creation_lock);
	ioases = object_get_all_of(ictx, IOMMUFD_OBJ_IOAS, &n);
	if (!ioases) {
		rc = -ENOMEM;
		goto out_unlock;
	}
	lock_all_iovas(ioases, n);
	rc = change_process_locked(ioases, n, ucmd->mm);
	unlock_all_iovas(ioases, n);
	for (size_t i = 0; i < n; i++)
		object_put(ictx, ioases[i]);
	free(ioases);
out_unlock:
	up_write(&ictx->ioas_creation_lock);
	return rc;
}
