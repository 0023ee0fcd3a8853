// SPDX-License-Identifier: MIT
/*
 * Granted capabilities (IOMMUSIM_CAPS, which `iommusim run --cap` sets):
 * the emulated kernel's two capability checks — CAP_SYS_RESOURCE for
 * IOMMU_OPTION_RLIMIT_MODE, CAP_IPC_LOCK for pinning past RLIMIT_MEMLOCK —
 * see a granted capability held though the thread's real effective set
 * lacks it, and see nothing more than the real set without a grant.
 *
 * The grant is read once per process, so each case runs in a fresh
 * process: this program execs itself with the case's environment. The
 * child drops both capabilities for real, tries one operation and exits
 * with 0 or the errno it got.
 */
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "capability.h"
#include "iommufd_utils.h"

#define CHILD_RLIMIT_MODE "child-rlimit-mode"
#define CHILD_MEMLOCK "child-memlock"
#define CHILD_FAILED 200

/* IOMMU_OPTION_RLIMIT_MODE set to per-process accounting. */
static int try_rlimit_mode(int fd)
{
	struct iommu_option cmd = {
		.size = sizeof(cmd),
		.option_id = IOMMU_OPTION_RLIMIT_MODE,
		.op = IOMMU_OPTION_OP_SET,
		.val64 = 1,
	};

	return ioctl(fd, IOMMU_OPTION, &cmd) ? errno : 0;
}

/* Pins 16 pages through a mock domain under an 8-page RLIMIT_MEMLOCK. */
static int try_memlock(int fd)
{
	struct rlimit limit = { 8 * PSZ, 8 * PSZ };
	__u32 ioas_id, stdev_id, hwpt_id;

	if (_test_ioctl_ioas_alloc(fd, &ioas_id) ||
	    _test_cmd_mock_domain(fd, ioas_id, &stdev_id, &hwpt_id, NULL) ||
	    setrlimit(RLIMIT_MEMLOCK, &limit))
		return CHILD_FAILED;
	if (_test_ioctl_ioas_map_fixed(fd, ioas_id, buffer, 16 * PSZ,
				       MOCK_APERTURE_START, MAP_RW))
		return errno;
	return 0;
}

static int run_child(const char *what)
{
	int fd;

	if ((has_capability(CAP_SYS_RESOURCE) &&
	     drop_capability(CAP_SYS_RESOURCE)) ||
	    (has_capability(CAP_IPC_LOCK) && drop_capability(CAP_IPC_LOCK)) ||
	    has_capability(CAP_SYS_RESOURCE) || has_capability(CAP_IPC_LOCK))
		return CHILD_FAILED;
	fd = iommufd_open();
	if (fd < 0)
		return CHILD_FAILED;
	if (!strcmp(what, CHILD_RLIMIT_MODE))
		return try_rlimit_mode(fd);
	if (!strcmp(what, CHILD_MEMLOCK))
		return try_memlock(fd);
	return CHILD_FAILED;
}

/* Runs this program as a child doing what, with IOMMUSIM_CAPS set to caps
 * (unset when NULL); its exit status, or -1. */
static int child_status(const char *what, const char *caps)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		char *argv[] = { "capability_grant", (char *)what, NULL };

		if (caps)
			setenv("IOMMUSIM_CAPS", caps, 1);
		else
			unsetenv("IOMMUSIM_CAPS");
		execv("/proc/self/exe", argv);
		_exit(CHILD_FAILED + 1);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

TEST(no_grant_is_the_real_set)
{
	EXPECT_EQ(EPERM, child_status(CHILD_RLIMIT_MODE, NULL));
	EXPECT_EQ(ENOMEM, child_status(CHILD_MEMLOCK, NULL));
	EXPECT_EQ(EPERM, child_status(CHILD_RLIMIT_MODE, ""));
	EXPECT_EQ(ENOMEM, child_status(CHILD_MEMLOCK, ",,"));
}

TEST(sys_resource_lets_rlimit_mode_be_set)
{
	EXPECT_EQ(0, child_status(CHILD_RLIMIT_MODE, "sys_resource"));
	EXPECT_EQ(0, child_status(CHILD_RLIMIT_MODE, "CAP_SYS_RESOURCE"));
	EXPECT_EQ(0, child_status(CHILD_RLIMIT_MODE, "Cap_Sys_Resource"));
	/* it grants only itself */
	EXPECT_EQ(ENOMEM, child_status(CHILD_MEMLOCK, "sys_resource"));
}

TEST(ipc_lock_lifts_the_memlock_limit)
{
	EXPECT_EQ(0, child_status(CHILD_MEMLOCK, "ipc_lock"));
	EXPECT_EQ(0, child_status(CHILD_MEMLOCK, "sys_admin,,ipc_lock,"));
	EXPECT_EQ(EPERM, child_status(CHILD_RLIMIT_MODE, "ipc_lock"));
}

TEST(both_in_one_list)
{
	EXPECT_EQ(0, child_status(CHILD_RLIMIT_MODE,
				  "cap_ipc_lock,sys_resource"));
	EXPECT_EQ(0, child_status(CHILD_MEMLOCK, "cap_ipc_lock,sys_resource"));
}

TEST(a_list_with_an_unknown_name_grants_nothing)
{
	EXPECT_EQ(EPERM, child_status(CHILD_RLIMIT_MODE, "sys_resource,nope"));
	EXPECT_EQ(ENOMEM, child_status(CHILD_MEMLOCK, "ipc_lock,cap_"));
	EXPECT_EQ(EPERM, child_status(CHILD_RLIMIT_MODE, "sys_resourc"));
	EXPECT_EQ(EPERM, child_status(CHILD_RLIMIT_MODE, "sys_resource "));
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strncmp(argv[1], "child-", 6))
		return run_child(argv[1]);
	return __harness_main(argc, argv);
}
