// SPDX-License-Identifier: MIT
/*
 * The IOAS ioctls: ALLOC, MAP, UNMAP, COPY, IOVA_RANGES, ALLOW_IOVAS and the
 * IOAS half of IOMMU_OPTION. Each handler checks in the kernel's order:
 * unknown flags and reserved fields (EOPNOTSUPP), arithmetic (EOVERFLOW),
 * semantics (EINVAL), the object lookup (ENOENT), then the work.
 */
#include <errno.h>
#include <stdlib.h>

#include <iommusim/uapi/iommufd.h>

#include "base/alloc.h"
#include "iommufd/ioas.h"

#define MAP_FLAGS_KNOWN                                                        \
	(IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE |                \
	 IOMMU_IOAS_MAP_READABLE)

void iommufd_ioas_destroy(struct iommufd_object *obj)
{
	struct iommufd_ioas *ioas = to_ioas(obj);

	/* Nothing can hold an area busy once the IOAS has no users: every
	 * MAP, COPY and UNMAP holds a reference while it runs. */
	iopt_unmap_all(&ioas->iopt, NULL);
	iopt_destroy_table(&ioas->iopt);
	mutex_destroy(&ioas->mutex);
}

int iommufd_ioas_alloc_ioctl(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_alloc *cmd = ucmd->cmd;
	struct iommufd_ioas *ioas;
	int rc;

	if (cmd->flags)
		return -EOPNOTSUPP;

	ioas = iommufd_object_alloc(ucmd->ictx, ioas, IOMMUFD_OBJ_IOAS, &rc);
	if (!ioas)
		return rc;
	iopt_init_table(&ioas->iopt);
	mutex_init(&ioas->mutex, LOCK_RANK_IOAS_MUTEX);
	cmd->out_ioas_id = ioas->obj.id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto out_abort;

	/* Published under the creation lock so that whoever holds it for
	 * writing sees either no IOAS or a complete one. */
	down_read(&ucmd->ictx->ioas_creation_lock);
	object_finalize(ucmd->ictx, &ioas->obj);
	up_read(&ucmd->ictx->ioas_creation_lock);
	return 0;

out_abort:
	object_abort_and_destroy(ucmd->ictx, &ioas->obj);
	return rc;
}

/* IOMMU_IOAS_MAP_* to the area's protection bits. */
static int map_flags_to_prot(uint32_t flags)
{
	int prot = 0;

	if (flags & IOMMU_IOAS_MAP_WRITEABLE)
		prot |= IOPT_PROT_WRITE;
	if (flags & IOMMU_IOAS_MAP_READABLE)
		prot |= IOPT_PROT_READ;
	return prot;
}

/* Maps the command's memory into iopt: how MAP and MAP_FILE differ. */
typedef int (*ioas_map_fn)(struct iommufd_ucmd *ucmd, struct io_pagetable *iopt,
			   uint64_t *iova, int iommu_prot, unsigned int flags);

/* What MAP and MAP_FILE share, in the kernel's order: the flags, the
 * 64-bit range, a flag to map with, the IOAS; then the placement, and the
 * IOVA written back into the command (*iova) and replied. */
static int ioas_map_common(struct iommufd_ucmd *ucmd, size_t cmd_size,
			   uint32_t map_flags, uint32_t ioas_id, __u64 *iova,
			   uint64_t length, ioas_map_fn map)
{
	struct iommufd_ioas *ioas;
	uint64_t placed = *iova;
	unsigned int flags = 0;
	bool held;
	int rc;

	if (map_flags & ~MAP_FLAGS_KNOWN)
		return -EOPNOTSUPP;
	if (*iova >= UINT64_MAX || length >= UINT64_MAX)
		return -EOVERFLOW;
	if (!(map_flags & (IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE)))
		return -EINVAL;

	ioas = iommufd_get_ioas_in_call(ucmd->ictx, ioas_id, &held);
	if (!ioas)
		return -ENOENT;
	if (!(map_flags & IOMMU_IOAS_MAP_FIXED_IOVA))
		flags = IOPT_ALLOC_IOVA;
	rc = map(ucmd, &ioas->iopt, &placed, map_flags_to_prot(map_flags),
		 flags);
	if (rc)
		goto out_put;
	*iova = placed;
	rc = iommufd_ucmd_respond(ucmd, cmd_size);
out_put:
	iommufd_put_ioas_in_call(ucmd->ictx, ioas, held);
	return rc;
}

static int map_user(struct iommufd_ucmd *ucmd, struct io_pagetable *iopt,
		    uint64_t *iova, int iommu_prot, unsigned int flags)
{
	struct iommu_ioas_map *cmd = ucmd->cmd;

	return iopt_map_user_pages(ucmd->ictx, ucmd->mm, iopt, iova,
				   cmd->user_va, cmd->length, iommu_prot,
				   flags);
}

int iommufd_ioas_map(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_map *cmd = ucmd->cmd;

	/* EOPNOTSUPP either way, with unknown flags or without */
	if (cmd->__reserved)
		return -EOPNOTSUPP;
	return ioas_map_common(ucmd, sizeof(*cmd), cmd->flags, cmd->ioas_id,
			       &cmd->iova, cmd->length, map_user);
}

static int map_file(struct iommufd_ucmd *ucmd, struct io_pagetable *iopt,
		    uint64_t *iova, int iommu_prot, unsigned int flags)
{
	struct iommu_ioas_map_file *cmd = ucmd->cmd;

	return iopt_map_file_pages(ucmd->ictx, iopt, iova, cmd->fd,
				   cmd->start, cmd->length, iommu_prot, flags);
}

/* No __reserved here: the struct has none. */
int iommufd_ioas_map_file(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_map_file *cmd = ucmd->cmd;

	return ioas_map_common(ucmd, sizeof(*cmd), cmd->flags, cmd->ioas_id,
			       &cmd->iova, cmd->length, map_file);
}

int iommufd_ioas_copy(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_copy *cmd = ucmd->cmd;
	struct iopt_pages_list list = { 0 };
	struct iommufd_ioas *src_ioas, *dst_ioas;
	unsigned int flags = 0;
	uint64_t iova;
	int rc;

	if (cmd->flags & ~MAP_FLAGS_KNOWN)
		return -EOPNOTSUPP;
	if (cmd->length >= UINT64_MAX || cmd->src_iova >= UINT64_MAX ||
	    cmd->dst_iova >= UINT64_MAX)
		return -EOVERFLOW;
	if (!(cmd->flags &
	      (IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE)))
		return -EINVAL;

	src_ioas = iommufd_get_ioas(ucmd->ictx, cmd->src_ioas_id);
	if (!src_ioas)
		return -ENOENT;
	rc = iopt_get_pages(&src_ioas->iopt, cmd->src_iova, cmd->length,
			    &list);
	iommufd_put_ioas(ucmd->ictx, src_ioas);
	if (rc)
		return rc;

	dst_ioas = iommufd_get_ioas(ucmd->ictx, cmd->dst_ioas_id);
	if (!dst_ioas) {
		rc = -ENOENT;
		goto out_pages;
	}
	if (!(cmd->flags & IOMMU_IOAS_MAP_FIXED_IOVA))
		flags = IOPT_ALLOC_IOVA;
	iova = cmd->dst_iova;
	rc = iopt_map_pages(&dst_ioas->iopt, &list, cmd->length, &iova,
			    map_flags_to_prot(cmd->flags), flags);
	if (rc)
		goto out_put_dst;
	cmd->dst_iova = iova;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
out_put_dst:
	iommufd_put_ioas(ucmd->ictx, dst_ioas);
out_pages:
	iopt_free_pages_list(&list);
	return rc;
}

int iommufd_ioas_unmap(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_unmap *cmd = ucmd->cmd;
	struct iommufd_ioas *ioas;
	uint64_t unmapped = 0;
	bool held;
	int rc;

	ioas = iommufd_get_ioas_in_call(ucmd->ictx, cmd->ioas_id, &held);
	if (!ioas)
		return -ENOENT;

	if (cmd->iova == 0 && cmd->length == UINT64_MAX) {
		/* everything, and nothing mapped is fine */
		rc = iopt_unmap_all(&ioas->iopt, &unmapped);
		if (rc)
			goto out_put;
	} else {
		if (cmd->iova >= UINT64_MAX || cmd->length >= UINT64_MAX) {
			rc = -EOVERFLOW;
			goto out_put;
		}
		rc = iopt_unmap_iova(&ioas->iopt, cmd->iova, cmd->length,
				     &unmapped);
		if (rc)
			goto out_put;
		if (!unmapped) {
			rc = -ENOENT;
			goto out_put;
		}
	}
	cmd->length = unmapped;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
out_put:
	iommufd_put_ioas_in_call(ucmd->ictx, ioas, held);
	return rc;
}

int iommufd_ioas_iova_ranges(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_iova_ranges *cmd = ucmd->cmd;
	struct iommufd_ioas *ioas;
	struct itree_span span;
	uint32_t max_iovas;
	int rc = 0;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	ioas = iommufd_get_ioas(ucmd->ictx, cmd->ioas_id);
	if (!ioas)
		return -ENOENT;

	down_read(&ioas->iopt.iova_rwsem);
	max_iovas = cmd->num_iovas;
	cmd->num_iovas = 0;
	cmd->out_iova_alignment = ioas->iopt.iova_alignment;
	itree_for_each_span(&span, &ioas->iopt.reserved_itree, 0, UINT64_MAX) {
		struct iommu_iova_range range = {
			.start = span.start,
			.last = span.last,
		};

		if (!span.is_hole)
			continue;
		/* only the entries that fit are written */
		if (cmd->num_iovas < max_iovas) {
			rc = usermem_copy_to(ucmd->mm,
					     cmd->allowed_iovas +
						     cmd->num_iovas *
							     sizeof(range),
					     &range, sizeof(range));
			if (rc)
				goto out_unlock;
		}
		cmd->num_iovas++;
	}
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto out_unlock;
	if (cmd->num_iovas > max_iovas)
		rc = -EMSGSIZE;
out_unlock:
	up_read(&ioas->iopt.iova_rwsem);
	iommufd_put_ioas(ucmd->ictx, ioas);
	return rc;
}

/* Builds the new allowed tree from the caller's array. */
static int load_allowed_iovas(const struct usermem *mm, struct itree *tree,
			      uint64_t uranges, uint32_t num)
{
	for (uint32_t i = 0; i != num; i++) {
		struct iommu_iova_range range;
		struct iopt_allowed *allowed;
		int rc;

		rc = usermem_copy_from(mm, &range,
				       uranges + (uint64_t)i * sizeof(range),
				       sizeof(range));
		if (rc)
			return rc;
		/* the kernel refuses a one-byte range too */
		if (range.start >= range.last)
			return -EINVAL;
		if (itree_iter_first(tree, range.start, range.last))
			return -EINVAL;
		allowed = lib_calloc(1, sizeof(*allowed));
		if (!allowed)
			return -ENOMEM;
		allowed->node.start = range.start;
		allowed->node.last = range.last;
		itree_insert(tree, &allowed->node);
	}
	return 0;
}

int iommufd_ioas_allow_iovas(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_allow_iovas *cmd = ucmd->cmd;
	struct iommufd_ioas *ioas;
	struct itree allowed;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	ioas = iommufd_get_ioas(ucmd->ictx, cmd->ioas_id);
	if (!ioas)
		return -ENOENT;

	itree_init(&allowed);
	rc = load_allowed_iovas(ucmd->mm, &allowed, cmd->allowed_iovas,
				cmd->num_iovas);
	if (!rc)
		/* on success 'allowed' comes back holding the old list */
		rc = iopt_set_allow_iova(&ioas->iopt, &allowed);
	iopt_free_allowed(&allowed);
	iommufd_put_ioas(ucmd->ictx, ioas);
	return rc;
}

static int ioas_option_huge_pages(struct iommu_option *cmd,
				  struct iommufd_ioas *ioas)
{
	if (cmd->op == IOMMU_OPTION_OP_GET) {
		down_read(&ioas->iopt.iova_rwsem);
		cmd->val64 = !ioas->iopt.disable_large_pages;
		up_read(&ioas->iopt.iova_rwsem);
		return 0;
	}
	if (cmd->op == IOMMU_OPTION_OP_SET) {
		if (cmd->val64 == 0)
			return iopt_disable_large_pages(&ioas->iopt);
		if (cmd->val64 == 1) {
			iopt_enable_large_pages(&ioas->iopt);
			return 0;
		}
		return -EINVAL;
	}
	return -EOPNOTSUPP;
}

int iommufd_ioas_option(struct iommufd_ucmd *ucmd)
{
	struct iommu_option *cmd = ucmd->cmd;
	struct iommufd_ioas *ioas;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	ioas = iommufd_get_ioas(ucmd->ictx, cmd->object_id);
	if (!ioas)
		return -ENOENT;
	switch (cmd->option_id) {
	case IOMMU_OPTION_HUGE_PAGES:
		rc = ioas_option_huge_pages(cmd, ioas);
		break;
	default:
		rc = -EOPNOTSUPP;
	}
	iommufd_put_ioas(ucmd->ictx, ioas);
	return rc;
}
