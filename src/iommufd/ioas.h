/* SPDX-License-Identifier: MIT */
/*
 * An IO address space (IOAS): the object user space maps memory into and
 * from which hardware page tables are built.
 */
#ifndef IOMMUSIM_IOAS_H
#define IOMMUSIM_IOAS_H

#include "base/mutex.h"
#include "iommufd/io_pagetable.h"
#include "iommufd/iommufd_private.h"

struct iommufd_hwpt_paging;

struct iommufd_ioas {
	struct iommufd_object obj;
	struct io_pagetable iopt;
	struct mutex mutex; /* guards hwpt_list */
	struct iommufd_hwpt_paging *hwpt_list;
};

static inline struct iommufd_ioas *to_ioas(struct iommufd_object *obj)
{
	return container_of(obj, struct iommufd_ioas, obj);
}

/* A short-term reference to the IOAS 'id', or NULL (the kernel's ENOENT). */
static inline struct iommufd_ioas *iommufd_get_ioas(struct iommufd_ctx *ictx,
						    uint32_t id)
{
	return object_get_typed(ictx, id, IOMMUFD_OBJ_IOAS,
				struct iommufd_ioas, obj);
}

static inline void iommufd_put_ioas(struct iommufd_ctx *ictx,
				    struct iommufd_ioas *ioas)
{
	object_put(ictx, &ioas->obj);
}

/* The same for MAP and UNMAP, through object_get_in_call(). */
static inline struct iommufd_ioas *
iommufd_get_ioas_in_call(struct iommufd_ctx *ictx, uint32_t id, bool *held)
{
	struct iommufd_object *obj =
		object_get_in_call(ictx, id, IOMMUFD_OBJ_IOAS, held);

	return obj ? to_ioas(obj) : NULL;
}

static inline void iommufd_put_ioas_in_call(struct iommufd_ctx *ictx,
					    struct iommufd_ioas *ioas,
					    bool held)
{
	object_put_held(ictx, &ioas->obj, held);
}

void iommufd_ioas_destroy(struct iommufd_object *obj);

#endif /* IOMMUSIM_IOAS_H */
