// SPDX-License-Identifier: MIT
/*
 * IOMMU_TEST_CMD: the kernel's selftest interface (CONFIG_IOMMUFD_TEST),
 * which iommusim always provides. Each operation lands with the issue that
 * builds what it tests; until then it answers as an unknown operation does.
 */
#include <errno.h>
#include <stdlib.h>

#include <iommusim/uapi/iommufd_test.h>

#include "base/alloc.h"
#include "iommufd/device.h"
#include "iommu/drivers/mock.h"
#include "iommu/drivers/mock_device.h"
#include "iommu/drivers/mock_nested.h"
#include "iommufd/ioas.h"
#include "iommufd/pages.h"
#include "iommufd/veventq.h"
#include "iommufd/viommu.h"

/* A mock device the selftest made: destroying it unbinds the device and
 * takes it off the platform. */
struct selftest_obj {
	struct iommufd_object obj;
	struct iommufd_device *idev;
	struct mock_dev *mdev;
};

/* The selftest object 'id' (a mock device), with a short-term reference. */
static struct selftest_obj *get_selftest_obj(struct iommufd_ucmd *ucmd,
					     uint32_t id)
{
	return object_get_typed(ucmd->ictx, id, IOMMUFD_OBJ_SELFTEST,
				struct selftest_obj, obj);
}

uint32_t iommufd_selftest_device_id(struct iommufd_object *obj)
{
	return container_of(obj, struct selftest_obj, obj)->idev->obj.id;
}

void iommufd_selftest_destroy(struct iommufd_object *obj)
{
	struct selftest_obj *sobj = container_of(obj, struct selftest_obj, obj);

	/* The kernel detaches only the RID here and leaves a device with
	 * PASIDs attached unable to unbind (a WARN and a leak); the PASIDs
	 * go first instead, as VFIO's unbind does. */
	iommufd_device_detach_pasids(sobj->idev);
	iommufd_device_detach(sobj->idev, IOMMU_NO_PASID);
	iommufd_device_unbind(sobj->idev);
	mock_dev_destroy(sobj->mdev);
}

/*
 * IOMMU_TEST_OP_MOCK_DOMAIN(_FLAGS): a new mock device, bound, and attached
 * to the IOAS or HWPT 'id'. Object IDs come in the kernel's order: the
 * selftest object's first (published last), then the device's, then an
 * automatic HWPT's.
 */
static int test_mock_domain(struct iommufd_ucmd *ucmd,
			    struct iommu_test_cmd *cmd)
{
	struct iommufd_device *idev;
	struct selftest_obj *sobj;
	uint32_t pt_id = cmd->id, dev_flags = 0, idev_id;
	struct device *dev;
	int rc;

	sobj = iommufd_object_alloc(ucmd->ictx, sobj, IOMMUFD_OBJ_SELFTEST, &rc);
	if (!sobj)
		return rc;
	if (cmd->op == IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS)
		dev_flags = cmd->mock_domain_flags.dev_flags;
	sobj->mdev = mock_dev_create(mock_iommu(), dev_flags, &rc);
	if (!sobj->mdev)
		goto out_sobj;
	/* bound as any device is: found on the platform, by its number */
	dev = platform_get_device(sobj->mdev->dev.index);
	if (!dev) {
		rc = -ENODEV;
		goto out_mdev;
	}
	idev = iommufd_device_bind(ucmd->ictx, dev, &idev_id, &rc);
	put_device(dev);
	if (!idev)
		goto out_mdev;
	sobj->idev = idev;
	rc = iommufd_device_attach(idev, IOMMU_NO_PASID, &pt_id);
	if (rc)
		goto out_unbind;
	cmd->mock_domain.out_hwpt_id = pt_id;
	cmd->mock_domain.out_stdev_id = sobj->obj.id;
	cmd->mock_domain.out_idev_id = idev_id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto out_detach;
	object_finalize(ucmd->ictx, &sobj->obj);
	return 0;

out_detach:
	iommufd_device_detach(idev, IOMMU_NO_PASID);
out_unbind:
	iommufd_device_unbind(idev);
out_mdev:
	mock_dev_destroy(sobj->mdev);
out_sobj:
	object_abort(ucmd->ictx, &sobj->obj);
	return rc;
}

/* IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE: moves the selftest object's device to
 * another IOAS or HWPT and says which HWPT it ended up on. */
static int test_mock_domain_replace(struct iommufd_ucmd *ucmd,
				    struct iommu_test_cmd *cmd)
{
	struct selftest_obj *sobj = get_selftest_obj(ucmd, cmd->id);
	uint32_t pt_id = cmd->mock_domain_replace.pt_id;
	int rc;

	if (!sobj)
		return -ENOENT;
	rc = iommufd_device_replace(sobj->idev, IOMMU_NO_PASID, &pt_id);
	if (rc)
		goto out_put;
	cmd->mock_domain_replace.pt_id = pt_id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
out_put:
	object_put(ucmd->ictx, &sobj->obj);
	return rc;
}

/*
 * IOMMU_TEST_OP_PASID_ATTACH and _REPLACE: the device's PASID onto an IOAS
 * or HWPT, the HWPT's ID written back. An attach the caller cannot hear of
 * is undone; a replace is not (the kernel's asymmetry).
 */
static int test_pasid_attach(struct iommufd_ucmd *ucmd,
			     struct iommu_test_cmd *cmd, bool replace)
{
	struct selftest_obj *sobj = get_selftest_obj(ucmd, cmd->id);
	uint32_t pasid = cmd->pasid_attach.pasid;
	int rc;

	if (!sobj)
		return -ENOENT;
	if (replace)
		rc = iommufd_device_replace(sobj->idev, pasid,
					    &cmd->pasid_replace.pt_id);
	else
		rc = iommufd_device_attach(sobj->idev, pasid,
					   &cmd->pasid_attach.pt_id);
	if (rc)
		goto out_put;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc && !replace)
		iommufd_device_detach(sobj->idev, pasid);
out_put:
	object_put(ucmd->ictx, &sobj->obj);
	return rc;
}

/* IOMMU_TEST_OP_PASID_DETACH: always succeeds, attached or not. */
static int test_pasid_detach(struct iommufd_ucmd *ucmd, uint32_t id,
			     uint32_t pasid)
{
	struct selftest_obj *sobj = get_selftest_obj(ucmd, id);

	if (!sobj)
		return -ENOENT;
	iommufd_device_detach(sobj->idev, pasid);
	object_put(ucmd->ictx, &sobj->obj);
	return 0;
}

/*
 * IOMMU_TEST_OP_PASID_CHECK_HWPT: 0 when the device's PASID is attached to
 * HWPT hwpt_id (0: to nothing), else EINVAL; the answer is the result.
 */
static int test_pasid_check_hwpt(struct iommufd_ucmd *ucmd, uint32_t id,
				 uint32_t pasid, uint32_t hwpt_id)
{
	struct selftest_obj *sobj = get_selftest_obj(ucmd, id);
	struct iommufd_object *hwpt = NULL;
	int rc = 0;

	if (!sobj)
		return -ENOENT;
	if (hwpt_id) {
		hwpt = object_get(ucmd->ictx, hwpt_id, IOMMUFD_OBJ_ANY);
		rc = -ENOENT;
		if (!hwpt)
			goto out_put;
		rc = -EINVAL;
		if (hwpt->type != IOMMUFD_OBJ_HWPT_PAGING &&
		    hwpt->type != IOMMUFD_OBJ_HWPT_NESTED)
			goto out_put_hwpt;
		rc = 0;
	}
	if (!iommufd_device_pasid_attached_to(sobj->idev, pasid,
					      hwpt ? to_hwpt(hwpt) : NULL))
		rc = -EINVAL;
out_put_hwpt:
	if (hwpt)
		object_put(ucmd->ictx, hwpt);
out_put:
	object_put(ucmd->ictx, &sobj->obj);
	return rc;
}

/* The mock paging HWPT 'id', with a short-term reference, or NULL. */
static struct iommufd_hw_pagetable *get_md_pagetable(struct iommufd_ucmd *ucmd,
						     uint32_t id, int *err)
{
	struct iommufd_hwpt_paging *hwpt_paging =
		iommufd_get_hwpt_paging(ucmd->ictx, id);

	*err = -ENOENT;
	if (!hwpt_paging)
		return NULL;
	if (!mock_domain_is_paging(hwpt_paging->common.domain)) {
		object_put(ucmd->ictx, &hwpt_paging->common.obj);
		*err = -EINVAL;
		return NULL;
	}
	return &hwpt_paging->common;
}

/* IOMMU_TEST_OP_MD_CHECK_MAP: every smallest page of [iova, +length) of
 * the HWPT translates to the same byte of uptr. */
static int test_md_check_map(struct iommufd_ucmd *ucmd, uint32_t id,
			     uint64_t iova, uint64_t length, uint64_t uptr)
{
	struct iommufd_hw_pagetable *hwpt;
	struct iommu_domain *domain;
	uint64_t page, end;
	int rc;

	hwpt = get_md_pagetable(ucmd, id, &rc);
	if (!hwpt)
		return rc;
	domain = hwpt->domain;
	page = iommu_min_page_size(domain);
	rc = -EINVAL;
	if (iova % page || length % page || uptr % page ||
	    __builtin_add_overflow(uptr, length, &end))
		goto out_put;
	for (rc = 0; length && !rc; length -= page, iova += page, uptr += page) {
		/* the kernel looks the page up first: absent memory faults */
		rc = usermem_fault_in(ucmd->mm, uptr, 1, false);
		if (!rc && !iopt_same_memory(
				   domain->ops->iova_to_phys(domain, iova),
				   ucmd->mm, uptr))
			rc = -EINVAL;
	}
out_put:
	object_put(ucmd->ictx, &hwpt->obj);
	return rc;
}

/* IOMMU_TEST_OP_MD_CHECK_IOTLB: entry 'id' of a mock nested HWPT's IOTLB
 * holds 'value'. */
static int test_md_check_iotlb(struct iommufd_ucmd *ucmd, uint32_t hwpt_id,
			       uint32_t id, uint32_t value)
{
	struct iommufd_hwpt_nested *hwpt_nested =
		iommufd_get_hwpt_nested(ucmd->ictx, hwpt_id);
	struct iommu_domain *domain;
	int rc;

	if (!hwpt_nested)
		return -ENOENT;
	domain = hwpt_nested->common.domain;
	rc = mock_domain_is_nested(domain) ?
		     mock_nested_check_iotlb(domain, id, value) :
		     -EINVAL;
	object_put(ucmd->ictx, &hwpt_nested->common.obj);
	return rc;
}

/* IOMMU_TEST_OP_DEV_CHECK_CACHE: entry id of the fake cache of the mock
 * device bound as dev_id holds value. Any other device is EINVAL (the
 * kernel would read it as a mock one). */
static int test_dev_check_cache(struct iommufd_ucmd *ucmd, uint32_t dev_id,
				uint32_t id, uint32_t value)
{
	struct iommufd_device *idev = iommufd_get_device(ucmd->ictx, dev_id);
	struct mock_dev *mdev;
	int rc;

	if (!idev)
		return -ENOENT;
	mdev = mock_dev_of(idev->dev);
	rc = mdev ? mock_dev_check_cache(mdev, id, value) : -EINVAL;
	object_put(ucmd->ictx, &idev->obj);
	return rc;
}

/*
 * IOMMU_TEST_OP_DIRTY: dirties, in a mock paging HWPT with tracking on,
 * the leaf under every page_size unit whose bit is set in the caller's
 * bitmap, as a device's writes would; counts the set bits. Arguments are
 * checked before the lookup.
 */
static int test_dirty(struct iommufd_ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	uint64_t iova = cmd->dirty.iova, length = cmd->dirty.length;
	uint64_t page_size = cmd->dirty.page_size, count = 0, max;
	struct iommufd_hw_pagetable *hwpt;
	unsigned char *bits;
	int rc;

	if (!page_size || !length || iova % page_size || length % page_size ||
	    !cmd->dirty.uptr)
		return -EINVAL;
	hwpt = get_md_pagetable(ucmd, cmd->id, &rc);
	if (!hwpt)
		return rc;
	rc = -EINVAL;
	if (!mock_domain_dirty_tracking(hwpt->domain))
		goto out_put;
	max = length / page_size;
	rc = -ENOMEM;
	bits = lib_malloc(max / 8 + 1);
	if (!bits)
		goto out_put;
	rc = usermem_copy_from(ucmd->mm, bits, cmd->dirty.uptr,
			       (max + 7) / 8);
	if (rc)
		goto out_free;
	for (uint64_t i = 0; i < max; i++) {
		if (!(bits[i / 8] & (1u << (i % 8))))
			continue;
		/* an unmapped unit is counted, not marked, as the kernel */
		mock_domain_mark_dirty(hwpt->domain, iova + i * page_size,
				       page_size);
		count++;
	}
	cmd->dirty.out_nr_dirty = count;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
out_free:
	free(bits);
out_put:
	object_put(ucmd->ictx, &hwpt->obj);
	return rc;
}

/* IOMMU_TEST_OP_MD_CHECK_REFS: every page of [uptr, +length) is pinned
 * 'refs' times (by that many pages objects). */
static int test_md_check_refs(struct iommufd_ucmd *ucmd, uint64_t uptr,
			      uint64_t length, uint32_t refs)
{
	uint64_t page = cpu_page_size(), end;
	int rc;

	if (length % page || uptr % page ||
	    __builtin_add_overflow(uptr, length, &end))
		return -EINVAL;
	for (; length; length -= page, uptr += page) {
		rc = usermem_fault_in(ucmd->mm, uptr, 1, false);
		if (rc)
			return rc;
		if (iopt_pin_count(uptr) != refs)
			return -EIO;
	}
	return 0;
}

/* Reserves [start, start + length - 1] in an IOAS, with no owner: it lasts
 * as long as the IOAS. The range is checked before the lookup. */
static int test_add_reserved(struct iommufd_ucmd *ucmd, uint32_t ioas_id,
			     uint64_t start, uint64_t length)
{
	struct iommufd_ioas *ioas;
	uint64_t last;
	int rc;

	rc = iopt_range_last(start, length, &last);
	if (rc)
		return rc;
	ioas = iommufd_get_ioas(ucmd->ictx, ioas_id);
	if (!ioas)
		return -ENOENT;
	down_write(&ioas->iopt.iova_rwsem);
	rc = iopt_reserve_iova(&ioas->iopt, start, last, NULL);
	up_write(&ioas->iopt.iova_rwsem);
	iommufd_put_ioas(ucmd->ictx, ioas);
	return rc;
}

/*
 * IOMMU_TEST_OP_TRIGGER_IOPF: the mock device bound as dev_id sends one
 * page request, the last of its group (PASID-tagged unless pasid is 0).
 * Where it goes is the IOMMU layer's business: with no fault queue to
 * take it, the device is answered at once and the call still succeeds,
 * as the kernel's does.
 */
static int test_trigger_iopf(struct iommufd_ucmd *ucmd,
			     struct iommu_test_cmd *cmd)
{
	struct iommu_fault_page_request prm = {
		.flags = IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE,
		.pasid = cmd->trigger_iopf.pasid,
		.grpid = cmd->trigger_iopf.grpid,
		.perm = cmd->trigger_iopf.perm,
		.addr = cmd->trigger_iopf.addr,
	};
	struct iommufd_device *idev;
	int rc = 0;

	idev = iommufd_get_device(ucmd->ictx, cmd->trigger_iopf.dev_id);
	if (!idev)
		return -ENOENT;
	if (!mock_dev_of(idev->dev)) {
		rc = -EINVAL;
		goto out_put;
	}
	if (prm.pasid != IOMMU_NO_PASID)
		prm.flags |= IOMMU_FAULT_PAGE_REQUEST_PASID_VALID;
	iommu_report_device_fault(idev->dev, &prm);
out_put:
	object_put(ucmd->ictx, &idev->obj);
	return rc;
}

/*
 * IOMMU_TEST_OP_TRIGGER_VEVENT: the mock device bound as dev_id raises a
 * selftest event on the vIOMMU of the nested HWPT its RID is attached to,
 * naming itself by its virtual ID there: -ENOENT when it is attached to
 * no such HWPT or has no vDEVICE on it; -EOPNOTSUPP when the vIOMMU has
 * no selftest vEVENTQ.
 */
static int test_trigger_vevent(struct iommufd_ucmd *ucmd, uint32_t dev_id)
{
	struct iommu_viommu_event_selftest event = { 0 };
	struct iommufd_viommu *viommu;
	struct iommufd_device *idev;
	uint64_t virt_id;
	int rc;

	idev = iommufd_get_device(ucmd->ictx, dev_id);
	if (!idev)
		return -ENOENT;
	rc = -EINVAL;
	if (!mock_dev_of(idev->dev))
		goto out_put;
	rc = iommufd_device_viommu(idev, &viommu, &virt_id);
	if (rc)
		goto out_put;
	event.virt_id = (uint32_t)virt_id;
	rc = iommufd_viommu_report_event(viommu, IOMMU_VEVENTQ_TYPE_SELFTEST,
					 &event, sizeof(event));
	object_put(ucmd->ictx, &viommu->obj);
out_put:
	object_put(ucmd->ictx, &idev->obj);
	return rc;
}

int iommufd_test(struct iommufd_ucmd *ucmd)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;

	switch (cmd->op) {
	case IOMMU_TEST_OP_ADD_RESERVED:
		return test_add_reserved(ucmd, cmd->id, cmd->add_reserved.start,
					 cmd->add_reserved.length);
	case IOMMU_TEST_OP_MOCK_DOMAIN:
	case IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS:
		return test_mock_domain(ucmd, cmd);
	case IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE:
		return test_mock_domain_replace(ucmd, cmd);
	case IOMMU_TEST_OP_MD_CHECK_MAP:
		return test_md_check_map(ucmd, cmd->id, cmd->check_map.iova,
					 cmd->check_map.length,
					 cmd->check_map.uptr);
	case IOMMU_TEST_OP_MD_CHECK_IOTLB:
		return test_md_check_iotlb(ucmd, cmd->id, cmd->check_iotlb.id,
					   cmd->check_iotlb.iotlb);
	case IOMMU_TEST_OP_DEV_CHECK_CACHE:
		return test_dev_check_cache(ucmd, cmd->id,
					    cmd->check_dev_cache.id,
					    cmd->check_dev_cache.cache);
	case IOMMU_TEST_OP_DIRTY:
		return test_dirty(ucmd, cmd);
	case IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT:
		return iopt_set_pin_batch_bytes(cmd->memory_limit.limit);
	case IOMMU_TEST_OP_MD_CHECK_REFS:
		return test_md_check_refs(ucmd, cmd->check_refs.uptr,
					  cmd->check_refs.length,
					  cmd->check_refs.refs);
	case IOMMU_TEST_OP_CREATE_ACCESS:
	case IOMMU_TEST_OP_ACCESS_REPLACE_IOAS:
	case IOMMU_TEST_OP_ACCESS_PAGES:
	case IOMMU_TEST_OP_ACCESS_RW:
	case IOMMU_TEST_OP_DESTROY_ACCESS_PAGES:
		return iommufd_test_access(ucmd);
	case IOMMU_TEST_OP_PASID_ATTACH:
		return test_pasid_attach(ucmd, cmd, false);
	case IOMMU_TEST_OP_PASID_REPLACE:
		return test_pasid_attach(ucmd, cmd, true);
	case IOMMU_TEST_OP_PASID_DETACH:
		return test_pasid_detach(ucmd, cmd->id,
					 cmd->pasid_detach.pasid);
	case IOMMU_TEST_OP_TRIGGER_IOPF:
		return test_trigger_iopf(ucmd, cmd);
	case IOMMU_TEST_OP_DMABUF_GET:
	case IOMMU_TEST_OP_DMABUF_REVOKE:
		return iommufd_test_dmabuf(ucmd);
	case IOMMU_TEST_OP_TRIGGER_VEVENT:
		return test_trigger_vevent(ucmd, cmd->trigger_vevent.dev_id);
	case IOMMU_TEST_OP_PASID_CHECK_HWPT:
		return test_pasid_check_hwpt(ucmd, cmd->id,
					     cmd->pasid_check.pasid,
					     cmd->pasid_check.hwpt_id);
	default:
		return -EOPNOTSUPP;
	}
}
