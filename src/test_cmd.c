// SPDX-License-Identifier: MIT
/*
 * IOMMU_TEST_CMD: the kernel's selftest interface (CONFIG_IOMMUFD_TEST),
 * which iommusim always provides. Each operation lands with the issue that
 * builds what it tests; until then it answers as an unknown operation does.
 */
#include <errno.h>

#include <iommusim/uapi/iommufd_test.h>

#include "ioas.h"

/* Reserves [start, start + length - 1] in an IOAS, with no owner: it lasts
 * as long as the IOAS. The range is checked before the lookup. */
static int test_add_reserved(struct iommufd_ucmd *ucmd, uint32_t ioas_id,
			     uint64_t start, uint64_t length)
{
	struct iommufd_ioas *ioas;
	uint64_t last;
	int rc;

	if (!length)
		return -EINVAL;
	if (__builtin_add_overflow(start, length - 1, &last))
		return -EOVERFLOW;
	ioas = iommufd_get_ioas(ucmd->ictx, ioas_id);
	if (!ioas)
		return -ENOENT;
	pthread_rwlock_wrlock(&ioas->iopt.iova_rwsem);
	rc = iopt_reserve_iova(&ioas->iopt, start, last, NULL);
	pthread_rwlock_unlock(&ioas->iopt.iova_rwsem);
	iommufd_put_ioas(ucmd->ictx, ioas);
	return rc;
}

int iommufd_test(struct iommufd_ucmd *ucmd)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;

	switch (cmd->op) {
	case IOMMU_TEST_OP_ADD_RESERVED:
		return test_add_reserved(ucmd, cmd->id, cmd->add_reserved.start,
					 cmd->add_reserved.length);
	default:
		return -EOPNOTSUPP;
	}
}
