// SPDX-License-Identifier: MIT
/*
 * VFIO type1 compatibility: the container ioctls an iommufd answers on its
 * own file (how /dev/vfio/vfio is served), and IOMMU_VFIO_IOAS, which
 * chooses the IOAS they act on, since their ABI names none. Numbers outside
 * the iommufd command range land here. The checks, their order and their
 * errno are the kernel's drivers/iommu/iommufd/vfio_compat.c.
 *
 * The two type1 flavours differ in one thing: TYPE1 may unmap part of a
 * mapping. That is served by disabling large pages in the IOAS (so no
 * IOPTE ever spans a cut) and cutting areas at the ends of each unmap.
 *
 * VFIO's no-IOMMU mode is never entered: it comes from attaching a no-IOMMU
 * group, and no such device exists here. The kernel emulated is built as
 * distributions build it, with CONFIG_VFIO_NOIOMMU.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>

#include <linux/vfio.h>

#include <iommusim/uapi/iommufd.h>

#include "iommufd/hw_pagetable.h"
#include "iommufd/ioas.h"

#define CONFIG_VFIO_NOIOMMU_ENABLED 1

#define END_OF(type, field) (offsetof(type, field) + sizeof(((type *)0)->field))
#define ALIGN_UP(x, a) (((x) + (a) - 1) & ~((uint64_t)(a) - 1))

/*
 * A short-term reference to the compatibility IOAS, or NULL when there is
 * none (-ENODEV to the caller: VFIO's "no group in the container").
 */
static struct iommufd_ioas *get_compat_ioas(struct iommufd_ctx *ictx)
{
	struct iommufd_ioas *ioas = NULL;

	spin_lock(&ictx->objects.table_lock);
	if (ictx->vfio_ioas && object_tryget(&ictx->vfio_ioas->obj))
		ioas = ictx->vfio_ioas;
	spin_unlock(&ictx->objects.table_lock);
	return ioas;
}

static void set_compat_ioas(struct iommufd_ctx *ictx,
			    struct iommufd_ioas *ioas)
{
	spin_lock(&ictx->objects.table_lock);
	ictx->vfio_ioas = ioas;
	spin_unlock(&ictx->objects.table_lock);
}

/* ---- IOMMU_VFIO_IOAS ------------------------------------------------------ */

int iommufd_vfio_ioas(struct iommufd_ucmd *ucmd)
{
	struct iommu_vfio_ioas *cmd = ucmd->cmd;
	struct iommufd_ioas *ioas;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	switch (cmd->op) {
	case IOMMU_VFIO_IOAS_GET:
		ioas = get_compat_ioas(ucmd->ictx);
		if (!ioas)
			return -ENODEV;
		cmd->ioas_id = ioas->obj.id;
		iommufd_put_ioas(ucmd->ictx, ioas);
		return iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	case IOMMU_VFIO_IOAS_SET:
		ioas = iommufd_get_ioas(ucmd->ictx, cmd->ioas_id);
		if (!ioas)
			return -ENOENT;
		/* No reference is kept: the IOAS stops being the compat one
		 * when it is destroyed (object.c). */
		set_compat_ioas(ucmd->ictx, ioas);
		iommufd_put_ioas(ucmd->ictx, ioas);
		return 0;
	case IOMMU_VFIO_IOAS_CLEAR:
		set_compat_ioas(ucmd->ictx, NULL);
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

/* ---- VFIO_IOMMU_MAP_DMA, VFIO_IOMMU_UNMAP_DMA ------------------------------ */

static int vfio_map_dma(struct iommufd_ctx *ictx, const struct usermem *mm,
			uint64_t arg)
{
	const uint32_t known_flags =
		VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	const size_t minsz = END_OF(struct vfio_iommu_type1_dma_map, size);
	struct vfio_iommu_type1_dma_map map;
	struct iommufd_ioas *ioas;
	int iommu_prot = 0;
	uint64_t iova;
	int rc;

	rc = usermem_copy_from(mm, &map, arg, minsz);
	if (rc)
		return rc;
	if (map.argsz < minsz || (map.flags & ~known_flags))
		return -EINVAL;
	if (map.flags & VFIO_DMA_MAP_FLAG_READ)
		iommu_prot |= IOPT_PROT_READ;
	if (map.flags & VFIO_DMA_MAP_FLAG_WRITE)
		iommu_prot |= IOPT_PROT_WRITE;

	ioas = get_compat_ioas(ictx);
	if (!ioas)
		return -ENODEV;
	/* Pinned pages are charged as the context says: per process when it
	 * was opened as /dev/vfio/vfio, VFIO's way. */
	iova = map.iova;
	rc = iopt_map_user_pages(ictx, mm, &ioas->iopt, &iova, map.vaddr,
				 map.size, iommu_prot, 0);
	iommufd_put_ioas(ictx, ioas);
	return rc;
}

/*
 * TYPE1 (large pages disabled) may unmap inside a mapping: the areas
 * holding the range's two ends are cut there first. The cut before it
 * lands at iova - 1, which a range starting at 0 does not need.
 */
static int cut_for_unmap(struct io_pagetable *iopt, uint64_t iova,
			 uint64_t size)
{
	const uint64_t iovas[] = { iova + size - 1, iova - 1 };
	bool small_pages;

	down_read(&iopt->iova_rwsem);
	small_pages = iopt->disable_large_pages;
	up_read(&iopt->iova_rwsem);
	if (!small_pages)
		return 0;
	return iopt_cut_iova(iopt, iovas, iova ? 2 : 1);
}

static int vfio_unmap_dma(struct iommufd_ctx *ictx, const struct usermem *mm,
			  uint64_t arg)
{
	/* VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP is refused: iommufd's HWPT
	 * dirty tracking replaces it. So is FLAG_VADDR, as MAP's. */
	const uint32_t known_flags = VFIO_DMA_UNMAP_FLAG_ALL;
	const size_t minsz = END_OF(struct vfio_iommu_type1_dma_unmap, size);
	struct vfio_iommu_type1_dma_unmap unmap;
	struct iommufd_ioas *ioas;
	uint64_t unmapped = 0;
	int rc;

	rc = usermem_copy_from(mm, &unmap, arg, minsz);
	if (rc)
		return rc;
	if (unmap.argsz < minsz || (unmap.flags & ~known_flags))
		return -EINVAL;

	ioas = get_compat_ioas(ictx);
	if (!ioas)
		return -ENODEV;
	if (unmap.flags & VFIO_DMA_UNMAP_FLAG_ALL) {
		if (unmap.iova || unmap.size) {
			rc = -EINVAL;
			goto out_put;
		}
		rc = iopt_unmap_all(&ioas->iopt, &unmapped);
	} else {
		rc = cut_for_unmap(&ioas->iopt, unmap.iova, unmap.size);
		if (rc)
			goto out_put;
		rc = iopt_unmap_iova(&ioas->iopt, unmap.iova, unmap.size,
				     &unmapped);
	}
	/* What went is reported even when the unmap stopped part way. */
	unmap.size = unmapped;
	if (usermem_copy_to(mm, arg, &unmap, minsz))
		rc = -EFAULT;
out_put:
	iommufd_put_ioas(ictx, ioas);
	return rc;
}

/* ---- VFIO_CHECK_EXTENSION, VFIO_SET_IOMMU ------------------------------- */

/*
 * VFIO_DMA_CC_IOMMU: 1 when every paging HWPT of the compat IOAS enforces
 * cache coherency. None here can (no driver has the kernel's
 * enforce_cache_coherency op, the mock's included), so it is 1 only while
 * the IOAS has no paging HWPT at all.
 */
static int vfio_cc_iommu(struct iommufd_ctx *ictx)
{
	struct iommufd_ioas *ioas;
	int rc;

	ioas = get_compat_ioas(ictx);
	if (!ioas)
		return -ENODEV;
	mutex_lock(&ioas->mutex);
	rc = ioas->hwpt_list ? 0 : 1;
	mutex_unlock(&ioas->mutex);
	iommufd_put_ioas(ictx, ioas);
	return rc;
}

static int vfio_check_extension(struct iommufd_ctx *ictx, uint64_t type)
{
	switch (type) {
	case VFIO_TYPE1_IOMMU:
	case VFIO_TYPE1v2_IOMMU:
	case VFIO_UNMAP_ALL:
		return 1;
	case VFIO_NOIOMMU_IOMMU:
		return CONFIG_VFIO_NOIOMMU_ENABLED;
	case VFIO_DMA_CC_IOMMU:
		return vfio_cc_iommu(ictx);
	/* Obsolete in VFIO itself; and VFIO_UPDATE_VADDR (MAP's and UNMAP's
	 * FLAG_VADDR) cannot be served safely. */
	case VFIO_TYPE1_NESTING_IOMMU:
	case VFIO_UPDATE_VADDR:
	default:
		return 0;
	}
}

/*
 * Both types need the compat IOAS (VFIO wants a group in the container).
 * TYPE1 disables large pages, which fails once a domain holds mappings;
 * TYPE1v2 changes nothing, so it does not undo an earlier TYPE1. Setting
 * again is allowed.
 */
static int vfio_set_iommu(struct iommufd_ctx *ictx, uint64_t type)
{
	struct iommufd_ioas *ioas;
	int rc = 0;

	if (type != VFIO_TYPE1_IOMMU && type != VFIO_TYPE1v2_IOMMU)
		return -EINVAL;
	ioas = get_compat_ioas(ictx);
	if (!ioas)
		return -ENODEV;
	if (type == VFIO_TYPE1_IOMMU)
		rc = iopt_disable_large_pages(&ioas->iopt);
	iommufd_put_ioas(ictx, ioas);
	return rc;
}

/* ---- VFIO_IOMMU_GET_INFO --------------------------------------------------- */

/*
 * The page sizes every domain of the IOAS can map, VFIO's way: sizes below
 * the CPU page fold into the CPU page, and the IOAS's alignment bounds the
 * answer from below.
 */
static uint64_t compat_pgsizes(struct io_pagetable *iopt)
{
	uint64_t page = cpu_page_size();
	uint64_t pgsizes = UINT64_MAX;

	down_read(&iopt->domains_rwsem);
	for (unsigned int i = 0; i < iopt->ndomains; i++)
		pgsizes &= iopt->domains[i]->pgsize_bitmap;
	if (pgsizes & (page - 1)) {
		pgsizes &= ~(page - 1);
		pgsizes |= page;
	}
	if (pgsizes < iopt->iova_alignment)
		pgsizes = iopt->iova_alignment;
	up_read(&iopt->domains_rwsem);
	return pgsizes;
}

/*
 * A capability writer: writes its capability at uaddr when 'avail' bytes
 * there hold it (as much of it as fits, for a variable one), and returns
 * its whole size, or -EFAULT.
 */
typedef int (*fill_cap_fn)(struct iommufd_ioas *ioas,
			   const struct usermem *mm, uint64_t uaddr,
			   size_t avail);

/* The usable IOVA ranges: the holes between reserved ranges. */
static int fill_cap_iova(struct iommufd_ioas *ioas, const struct usermem *mm,
			 uint64_t uaddr, size_t avail)
{
	struct vfio_iommu_type1_info_cap_iova_range cap;
	const size_t range_size = sizeof(struct vfio_iova_range);
	struct itree_span span;
	int rc;

	memset(&cap, 0, sizeof(cap));
	cap.header.id = VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE;
	cap.header.version = 1;
	itree_for_each_span(&span, &ioas->iopt.reserved_itree, 0, UINT64_MAX) {
		struct vfio_iova_range range = {
			.start = span.start,
			.end = span.last,
		};

		if (!span.is_hole)
			continue;
		if (avail >= sizeof(cap) + (cap.nr_iovas + 1) * range_size) {
			rc = usermem_copy_to(mm,
					     uaddr + sizeof(cap) +
						     cap.nr_iovas * range_size,
					     &range, sizeof(range));
			if (rc)
				return rc;
		}
		cap.nr_iovas++;
	}
	if (avail >= sizeof(cap) + cap.nr_iovas * range_size) {
		rc = usermem_copy_to(mm, uaddr, &cap, sizeof(cap));
		if (rc)
			return rc;
	}
	return (int)(sizeof(cap) + cap.nr_iovas * range_size);
}

/* How many DMA mappings may still be made. iommufd's limit is the memory
 * cgroup's, not a count: VFIO would say 65535, and s390's QEMU needs more,
 * so the kernel says UINT32_MAX. */
static int fill_cap_dma_avail(struct iommufd_ioas *ioas,
			      const struct usermem *mm, uint64_t uaddr,
			      size_t avail)
{
	struct vfio_iommu_type1_info_dma_avail cap;
	int rc;

	(void)ioas;
	memset(&cap, 0, sizeof(cap));
	cap.header.id = VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL;
	cap.header.version = 1;
	cap.avail = UINT32_MAX;
	if (avail >= sizeof(cap)) {
		rc = usermem_copy_to(mm, uaddr, &cap, sizeof(cap));
		if (rc)
			return rc;
	}
	return (int)sizeof(cap);
}

/*
 * The argsz protocol: the caller's argsz says how much room it gave; the
 * capabilities are laid out after the struct, each 8-byte aligned and
 * linked by 'next' (an offset from the struct's start), and written only
 * where they fit. cap_offset is set only when all fit; argsz always comes
 * back as the size that holds them all, so a caller can ask again.
 */
static int vfio_iommu_get_info(struct iommufd_ctx *ictx,
			       const struct usermem *mm, uint64_t arg)
{
	static const fill_cap_fn fill_caps[] = {
		fill_cap_dma_avail,
		fill_cap_iova,
	};
	const size_t first_minsz =
		END_OF(struct vfio_iommu_type1_info, iova_pgsizes);
	struct vfio_iommu_type1_info info;
	uint64_t last_cap = 0;
	struct iommufd_ioas *ioas;
	size_t minsz, total;
	int rc;

	memset(&info, 0, sizeof(info));
	rc = usermem_copy_from(mm, &info, arg, first_minsz);
	if (rc)
		return rc;
	if (info.argsz < first_minsz)
		return -EINVAL;
	minsz = info.argsz < sizeof(info) ? info.argsz : sizeof(info);

	ioas = get_compat_ioas(ictx);
	if (!ioas)
		return -ENODEV;
	info.flags = VFIO_IOMMU_INFO_PGSIZES;
	info.iova_pgsizes = compat_pgsizes(&ioas->iopt);
	info.cap_offset = 0;

	down_read(&ioas->iopt.iova_rwsem);
	total = sizeof(info);
	for (size_t i = 0; i < sizeof(fill_caps) / sizeof(fill_caps[0]); i++) {
		size_t avail = info.argsz > total ? info.argsz - total : 0;
		uint32_t next = (uint32_t)total;
		int cap_size;

		cap_size = fill_caps[i](ioas, mm, arg + total, avail);
		if (cap_size < 0) {
			rc = cap_size;
			goto out_unlock;
		}
		if (last_cap && info.argsz >= total &&
		    usermem_copy_to(mm,
				    last_cap + offsetof(struct vfio_info_cap_header,
							next),
				    &next, sizeof(next))) {
			rc = -EFAULT;
			goto out_unlock;
		}
		last_cap = arg + total;
		total += ALIGN_UP((size_t)cap_size, sizeof(uint64_t));
	}

	if (info.argsz >= total)
		info.cap_offset = sizeof(info);
	info.argsz = (uint32_t)total;
	info.flags |= VFIO_IOMMU_INFO_CAPS;
	rc = usermem_copy_to(mm, arg, &info, minsz);

out_unlock:
	up_read(&ioas->iopt.iova_rwsem);
	iommufd_put_ioas(ictx, ioas);
	return rc;
}

/* ---- the container ioctls ------------------------------------------------- */

int iommufd_vfio_ioctl(struct iommufd_ctx *ictx, const struct usermem *mm,
		       unsigned int cmd, uint64_t arg)
{
	switch (cmd) {
	case VFIO_GET_API_VERSION:
		return VFIO_API_VERSION;
	case VFIO_SET_IOMMU:
		return vfio_set_iommu(ictx, arg);
	case VFIO_CHECK_EXTENSION:
		return vfio_check_extension(ictx, arg);
	case VFIO_IOMMU_GET_INFO:
		return vfio_iommu_get_info(ictx, mm, arg);
	case VFIO_IOMMU_MAP_DMA:
		return vfio_map_dma(ictx, mm, arg);
	case VFIO_IOMMU_UNMAP_DMA:
		return vfio_unmap_dma(ictx, mm, arg);
	/* VFIO_IOMMU_DIRTY_PAGES among them: HWPT dirty tracking replaces
	 * it. */
	default:
		return -ENOTTY;
	}
}
