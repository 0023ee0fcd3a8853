/* SPDX-License-Identifier: MIT */
/*
 * The platform: the machine's IOMMU instances and the devices behind them,
 * process-wide, below every context. The kernel's names hold: a struct
 * iommu_device is an IOMMU instance (its driver, its limits), a struct
 * device a device that issues DMA through exactly one of them (and
 * iommufd's struct iommufd_device a device bound to a context). The core
 * reaches a device only through here, and its driver only as
 * dev_iommu_ops(dev).
 *
 * Devices are numbered from 0 in the order they are added, and a number is
 * never given twice in a process: configured devices, added before any
 * context exists, are 0, 1, ... and become /dev/vfio/devices/vfioN under
 * their own number; a selftest's mock device takes the next one.
 *
 * Lifetimes: an instance is its registrant's memory, registered until
 * unregistered (which waits for nothing: it refuses while a device of the
 * instance is still alive). A device is reference counted: adding it gives
 * the platform one reference, platform_remove_device() takes it away (so
 * lookups no longer find the device), and the last put_device() calls the
 * release function given at add. A device removed while bound stays whole
 * until its binding puts it.
 *
 * One mutex guards the registry: lookups, adds and removes are rare (a
 * bind, a selftest device), never on the MAP path. It is taken only inside
 * the core's entry points, which fork() waits out (base/fork_gate.h), or
 * before any context exists, so a child never inherits it held.
 */
#ifndef IOMMUSIM_PLATFORM_H
#define IOMMUSIM_PLATFORM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct iommu_attach_handle;
struct iommu_fault_param;
struct iommu_ops;

#define PLATFORM_NAME_MAX 32

/* One IOMMU instance. The registrant fills the fields above the line. */
struct iommu_device {
	const struct iommu_ops *ops; /* its driver */
	char name[PLATFORM_NAME_MAX]; /* unique among the registered */
	/* PASIDs the instance can tell apart (0 .. max_pasids - 1): a bound
	 * on each device's own, as the kernel's iommu_device::max_pasids. */
	uint32_t max_pasids;
	/* The enum iommu_cap capabilities it offers, as 1 << cap; its
	 * driver's capable() may deny one per device, never add one. */
	uint64_t caps;
	/* ---- the registry's, under its mutex ---- */
	struct iommu_device *next;
	struct device *devices; /* present devices, by next_on_iommu */
	/* devices added and not yet released, removed ones included
	 * (__atomic: the last put_device() drops it without the mutex) */
	unsigned int live_devices;
	bool registered;
};

/*
 * A device that issues DMA; drivers embed it in their own. Set by
 * platform_add_device() and constant until release: iommu, index,
 * max_pasids; name too, unless the driver named the device first.
 */
struct device {
	struct iommu_device *iommu;
	uint32_t index; /* the order of adding, from 0 */
	/* PASIDs the device can use: its driver's max_pasids(), capped by
	 * the instance's; 0 when it tags no request with a PASID. */
	uint32_t max_pasids;
	/* A PCI device's PASID control register (<linux/pci_regs.h>'s
	 * PCI_PASID_CTRL_* bits), set by its driver before it is added and
	 * read where it has PASIDs; 0 for any other device. */
	uint16_t pci_pasid_ctrl;
	char name[PLATFORM_NAME_MAX];
	unsigned int refs; /* __atomic */
	void (*release)(struct device *dev);
	/* under the registry's mutex; present is cleared by removal */
	struct device *next_on_iommu;
	bool present;
	/* I/O page faults (iommu/iopf.h): what each PASID is attached to,
	 * and the page requests while the driver takes them; under
	 * iopf_lock, which platform_add_device() initialises. */
	pthread_mutex_t iopf_lock;
	struct iommu_attach_handle *attach_handles;
	struct iommu_fault_param *fault_param;
};

/* -EINVAL without ops or a name, -EEXIST when the name (or the instance)
 * is registered already. */
int iommu_device_register(struct iommu_device *iommu);
/* -EBUSY while a device of the instance lives; -ENOENT when it is not
 * registered. */
int iommu_device_unregister(struct iommu_device *iommu);

/*
 * Puts dev on the platform behind iommu with one reference, the
 * platform's; release(dev) runs when the last reference goes. The device
 * gets its number, its PASID width and, when dev->name is empty, the name
 * "<instance>.<number>". release may be NULL for a device whose memory
 * outlives every reference. -ENOENT when iommu is not registered, -EEXIST when
 * the name is taken, -ENAMETOOLONG when the one made up does not fit,
 * -ENOSPC when the numbers have run out.
 */
int platform_add_device(struct iommu_device *iommu, struct device *dev,
			void (*release)(struct device *dev));
/* Takes dev off the platform (once) and puts the platform's reference:
 * the caller must hold its own to go on using dev. */
void platform_remove_device(struct device *dev);

/* The present device with that number or name, with a reference the caller
 * puts; NULL when there is none. */
struct device *platform_get_device(uint32_t index);
struct device *platform_find_device(const char *name);

void get_device(struct device *dev);
void put_device(struct device *dev);

#endif /* IOMMUSIM_PLATFORM_H */
