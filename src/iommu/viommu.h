/* SPDX-License-Identifier: MIT */
/*
 * A vIOMMU as its driver sees it: the slice of one physical IOMMU instance
 * a VMM hands to a guest, over a nesting parent (the guest's stage 2),
 * with the guest's device IDs, its event queues and its hardware queues.
 * The kernel's struct iommufd_viommu and struct iommufd_viommu_ops, split
 * at our layering: the object with its ID and references lives in
 * iommufd/viommu.h; what a driver reads, fills and calls lives here.
 *
 * Like the kernel's, a driver's vIOMMU embeds struct iommu_viommu first,
 * and the core allocates the whole of it (get_viommu_size()), zeroed,
 * fills the fields above the line and calls viommu_init(). So does a HW
 * queue, with struct iommu_hw_queue.
 *
 * The virtual device table maps the guest's IDs (virt_id) to devices: the
 * core adds and removes entries as vDEVICEs come and go, a driver looks
 * them up both ways. vdevs_lock guards it; it is a leaf lock (nothing is
 * taken under it), so a driver may call the lookups from anywhere.
 *
 * The services a driver may call back (report an event, give the user an
 * mmap() region) are function pointers the core sets before viommu_init(),
 * as a domain's iopf_handler: calls go down only.
 */
#ifndef IOMMUSIM_VIOMMU_H
#define IOMMUSIM_VIOMMU_H

#include <stddef.h>
#include <stdint.h>

#include "base/spinlock.h"
#include "iommu/iommu.h"

struct iommu_user_data;
struct iommu_user_data_array;
struct iommu_viommu;
struct iommu_hw_queue;

/* One guest ID -> device entry; the core owns the memory. */
struct iommu_vdev_entry {
	uint64_t virt_id;
	struct device *dev;
	struct iommu_vdev_entry *next;
};

struct iommu_viommu_ops {
	/* Undoes what viommu_init() built; the core frees the memory. */
	void (*destroy)(struct iommu_viommu *viommu);
	/* A nested domain whose stage 1 the guest owns, on the vIOMMU's
	 * parent (flags: IOMMU_HWPT_ALLOC_PASID at most); NULL with *err. */
	struct iommu_domain *(*alloc_domain_nested)(
		struct iommu_viommu *viommu, uint32_t flags,
		const struct iommu_user_data *user_data, int *err);
	/* The guest's invalidation requests, IOMMU_HWPT_INVALIDATE on the
	 * vIOMMU: array->entry_num comes back as how many were handled. */
	int (*cache_invalidate)(struct iommu_viommu *viommu,
				struct iommu_user_data_array *array);
	/* HW queues: the size of the driver's queue struct for type (0: the
	 * type is not the driver's), and the queue's setup at base_pa, the
	 * host address of the guest memory the core pinned for it. */
	size_t (*get_hw_queue_size)(struct iommu_viommu *viommu,
				    uint32_t type);
	int (*hw_queue_init_phys)(struct iommu_hw_queue *hw_queue,
				  uint32_t index, uint64_t base_pa);
};

struct iommu_viommu {
	/* ---- the core's, before viommu_init() and constant after ---- */
	uint32_t type;
	struct iommu_device *iommu;    /* the instance it is a slice of */
	struct iommu_domain *parent;   /* the nesting parent's domain */
	/* Queues an event of the given vEVENTQ type: 0, -EOPNOTSUPP when
	 * the vIOMMU has no vEVENTQ of that type, -EINVAL without data. An
	 * event that finds its queue full is counted lost. */
	int (*report_event)(struct iommu_viommu *viommu, uint32_t type,
			    const void *data, size_t len);
	/* Memory of length bytes (a multiple of the CPU page), zeroed, that
	 * the user can mmap() on the iommufd at *offset (never 0), sharing
	 * its pages, as the kernel's iommufd_viommu_alloc_mmap() offers a
	 * driver's MMIO page; NULL with *err. free_mmap() takes the offset
	 * away (a mapping the user made keeps its pages) and the memory. */
	void *(*alloc_mmap)(struct iommu_viommu *viommu, size_t length,
			    uint64_t *offset, int *err);
	void (*free_mmap)(struct iommu_viommu *viommu, uint64_t offset);
	void *core_data; /* the core's, for the callbacks above */
	/* ---- the driver's, set by viommu_init() ---- */
	const struct iommu_viommu_ops *ops;
	/* ---- the virtual device table ---- */
	struct spinlock vdevs_lock;
	struct iommu_vdev_entry *vdevs;
	/* The driver's own state follows (container_of). */
};

/*
 * A HW queue: guest memory the hardware reads commands from directly,
 * through host addresses. The core allocates the driver's struct (first
 * member this one) and fills the fields above the line.
 */
struct iommu_hw_queue {
	struct iommu_viommu *viommu;
	uint32_t type;
	uint64_t base_addr; /* the guest's (nesting parent) IOVA */
	uint64_t length;
	void *core_data; /* the core's */
	/* ---- the driver's, set by hw_queue_init_phys() ---- */
	/* A queue this one needs: the core keeps it from being destroyed
	 * while this one lives. */
	struct iommu_hw_queue *depends_on;
	void (*destroy)(struct iommu_hw_queue *hw_queue);
};

/* Sets the table up; the driver need not. */
void iommu_viommu_init_vdevs(struct iommu_viommu *viommu);

/*
 * The core's side of the table: add refuses a virt_id already there
 * (-EEXIST); remove takes the entry away (it need not be there).
 */
int iommu_viommu_add_vdev(struct iommu_viommu *viommu,
			  struct iommu_vdev_entry *entry);
void iommu_viommu_remove_vdev(struct iommu_viommu *viommu,
			      struct iommu_vdev_entry *entry);

/* The driver's side: the device the guest calls virt_id, with a reference
 * the caller puts (NULL: none), and the guest's ID for dev (-ENOENT:
 * none). */
struct device *iommu_viommu_find_dev(struct iommu_viommu *viommu,
				     uint64_t virt_id);
int iommu_viommu_get_vdev_id(struct iommu_viommu *viommu, struct device *dev,
			     uint64_t *virt_id);

#endif /* IOMMUSIM_VIOMMU_H */
