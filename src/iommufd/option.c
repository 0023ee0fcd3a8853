// SPDX-License-Identifier: MIT
/*
 * IOMMU_OPTION: RLIMIT_MODE belongs to the context, HUGE_PAGES to an IOAS.
 */
#include <errno.h>
#include <linux/capability.h>

#include <iommusim/uapi/iommufd.h>

#include "base/capability.h"
#include "iommufd/iommufd_private.h"
#include "iommufd/pages.h"

static int option_rlimit_mode(struct iommu_option *cmd,
			      struct iommufd_ctx *ictx)
{
	int rc = 0;

	if (cmd->object_id)
		return -EOPNOTSUPP;
	if (cmd->op == IOMMU_OPTION_OP_GET) {
		cmd->val64 = ictx->account_mode == IOPT_PAGES_ACCOUNT_MM;
		return 0;
	}
	if (cmd->op != IOMMU_OPTION_OP_SET)
		return -EOPNOTSUPP;
	if (!capable(CAP_SYS_RESOURCE))
		return -EPERM;

	/* Only a context that has made nothing yet may change how it counts. */
	spin_lock(&ictx->objects.table_lock);
	if (ictx->objects.live)
		rc = -EBUSY;
	else if (cmd->val64 == 0)
		ictx->account_mode = IOPT_PAGES_ACCOUNT_USER;
	else if (cmd->val64 == 1)
		ictx->account_mode = IOPT_PAGES_ACCOUNT_MM;
	else
		rc = -EINVAL;
	spin_unlock(&ictx->objects.table_lock);
	return rc;
}

int iommufd_option(struct iommufd_ucmd *ucmd)
{
	struct iommu_option *cmd = ucmd->cmd;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	switch (cmd->option_id) {
	case IOMMU_OPTION_RLIMIT_MODE:
		rc = option_rlimit_mode(cmd, ucmd->ictx);
		break;
	case IOMMU_OPTION_HUGE_PAGES:
		rc = iommufd_ioas_option(ucmd);
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (rc)
		return rc;
	/* Only val64 goes back, not the whole struct. */
	return usermem_copy_to(ucmd->mm,
			       ucmd->ubuffer + offsetof(struct iommu_option, val64),
			       &cmd->val64, sizeof(cmd->val64));
}
