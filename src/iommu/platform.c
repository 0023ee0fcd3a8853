// SPDX-License-Identifier: MIT
/*
 * The registry of IOMMU instances and devices. A handful of each at most,
 * so plain lists under one mutex: a lookup walks them all.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "iommu/iommu.h"
#include "iommu/platform.h"

static pthread_mutex_t platform_lock = PTHREAD_MUTEX_INITIALIZER;
static struct iommu_device *instances; /* under platform_lock */
static uint32_t next_index;	       /* under platform_lock */

/* The registered instance called name, platform_lock held. */
static struct iommu_device *find_instance(const char *name)
{
	for (struct iommu_device *iommu = instances; iommu; iommu = iommu->next)
		if (!strcmp(iommu->name, name))
			return iommu;
	return NULL;
}

/* The device matching index (when name is NULL) or name, present on the
 * platform, platform_lock held. */
static struct device *find_device_locked(uint32_t index, const char *name)
{
	for (struct iommu_device *iommu = instances; iommu; iommu = iommu->next)
		for (struct device *dev = iommu->devices; dev;
		     dev = dev->next_on_iommu)
			if (name ? !strcmp(dev->name, name) :
				   dev->index == index)
				return dev;
	return NULL;
}

int iommu_device_register(struct iommu_device *iommu)
{
	int rc = 0;

	if (!iommu->ops || !iommu->name[0] ||
	    !memchr(iommu->name, 0, sizeof(iommu->name)))
		return -EINVAL;
	pthread_mutex_lock(&platform_lock);
	if (iommu->registered || find_instance(iommu->name)) {
		rc = -EEXIST;
		goto out_unlock;
	}
	iommu->devices = NULL;
	iommu->live_devices = 0;
	iommu->registered = true;
	iommu->next = instances;
	instances = iommu;
out_unlock:
	pthread_mutex_unlock(&platform_lock);
	return rc;
}

int iommu_device_unregister(struct iommu_device *iommu)
{
	struct iommu_device **link;
	int rc = 0;

	pthread_mutex_lock(&platform_lock);
	if (!iommu->registered) {
		rc = -ENOENT;
		goto out_unlock;
	}
	/* removed devices still held point at the instance */
	if (__atomic_load_n(&iommu->live_devices, __ATOMIC_ACQUIRE)) {
		rc = -EBUSY;
		goto out_unlock;
	}
	for (link = &instances; *link != iommu; link = &(*link)->next)
		;
	*link = iommu->next;
	iommu->registered = false;
out_unlock:
	pthread_mutex_unlock(&platform_lock);
	return rc;
}

static uint32_t device_max_pasids(struct iommu_device *iommu,
				  struct device *dev)
{
	uint32_t own = iommu->ops->max_pasids ? iommu->ops->max_pasids(dev) :
						0;

	return own < iommu->max_pasids ? own : iommu->max_pasids;
}

int platform_add_device(struct iommu_device *iommu, struct device *dev,
			void (*release)(struct device *dev))
{
	/* asked once, as the kernel's probe does: the driver's answer may
	 * depend on the device's own fields, set before it is added */
	uint32_t max_pasids = device_max_pasids(iommu, dev);
	int rc = 0;

	pthread_mutex_lock(&platform_lock);
	if (!iommu->registered) {
		rc = -ENOENT;
		goto out_unlock;
	}
	if (next_index == UINT32_MAX) {
		rc = -ENOSPC;
		goto out_unlock;
	}
	if (!dev->name[0] &&
	    snprintf(dev->name, sizeof(dev->name), "%s.%u", iommu->name,
		     next_index) >= (int)sizeof(dev->name)) {
		dev->name[0] = 0;
		rc = -ENAMETOOLONG;
		goto out_unlock;
	}
	if (find_device_locked(0, dev->name)) {
		rc = -EEXIST;
		goto out_unlock;
	}
	dev->iommu = iommu;
	pthread_mutex_init(&dev->iopf_lock, NULL);
	dev->attach_handles = NULL;
	dev->fault_param = NULL;
	dev->index = next_index++;
	dev->max_pasids = max_pasids;
	dev->release = release;
	dev->refs = 1;
	dev->present = true;
	dev->next_on_iommu = iommu->devices;
	iommu->devices = dev;
	__atomic_add_fetch(&iommu->live_devices, 1, __ATOMIC_RELAXED);
out_unlock:
	pthread_mutex_unlock(&platform_lock);
	return rc;
}

void platform_remove_device(struct device *dev)
{
	struct device **link;

	pthread_mutex_lock(&platform_lock);
	for (link = &dev->iommu->devices; *link != dev;
	     link = &(*link)->next_on_iommu)
		;
	*link = dev->next_on_iommu;
	dev->present = false;
	pthread_mutex_unlock(&platform_lock);
	put_device(dev);
}

static struct device *get_present_device(uint32_t index, const char *name)
{
	struct device *dev;

	pthread_mutex_lock(&platform_lock);
	dev = find_device_locked(index, name);
	if (dev)
		get_device(dev);
	pthread_mutex_unlock(&platform_lock);
	return dev;
}

struct device *platform_get_device(uint32_t index)
{
	return get_present_device(index, NULL);
}

struct device *platform_find_device(const char *name)
{
	return get_present_device(0, name);
}

void get_device(struct device *dev)
{
	__atomic_add_fetch(&dev->refs, 1, __ATOMIC_RELAXED);
}

void put_device(struct device *dev)
{
	struct iommu_device *iommu = dev->iommu;

	if (__atomic_sub_fetch(&dev->refs, 1, __ATOMIC_ACQ_REL))
		return;
	pthread_mutex_destroy(&dev->iopf_lock);
	if (dev->release)
		dev->release(dev);
	/* after release: unregister may then free what the device used */
	__atomic_sub_fetch(&iommu->live_devices, 1, __ATOMIC_RELEASE);
}
