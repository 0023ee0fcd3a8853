// SPDX-License-Identifier: MIT
/*
 * Capability names (src/base/capability.c): every Linux name maps to its
 * CAP_* number, with or without the prefix and in any case; lists are
 * split at commas, and the first unknown name is reported, not skipped.
 * capable() itself is checked end to end by tests/uapi/capability_grant.c.
 */
#include <errno.h>
#include <linux/capability.h>
#include <string.h>

#include "base/capability.h"
#include "harness.h"

static int from_name(const char *name)
{
	return capability_from_name(name, strlen(name));
}

TEST(names_map_to_the_kernel_numbers)
{
	EXPECT_EQ(CAP_CHOWN, from_name("chown"));
	EXPECT_EQ(CAP_IPC_LOCK, from_name("ipc_lock"));
	EXPECT_EQ(CAP_SYS_RESOURCE, from_name("sys_resource"));
	EXPECT_EQ(CAP_SYS_ADMIN, from_name("sys_admin"));
	EXPECT_EQ(CAP_SETFCAP, from_name("setfcap"));
	EXPECT_EQ(CAP_MAC_OVERRIDE, from_name("mac_override"));
	EXPECT_EQ(CAP_CHECKPOINT_RESTORE, from_name("checkpoint_restore"));
	EXPECT_EQ(CAP_LAST_CAP, from_name("checkpoint_restore"));
}

TEST(prefix_and_case_do_not_matter)
{
	EXPECT_EQ(CAP_IPC_LOCK, from_name("CAP_IPC_LOCK"));
	EXPECT_EQ(CAP_IPC_LOCK, from_name("cap_ipc_lock"));
	EXPECT_EQ(CAP_IPC_LOCK, from_name("Ipc_Lock"));
}

TEST(unknown_names)
{
	EXPECT_EQ(-EINVAL, from_name(""));
	EXPECT_EQ(-EINVAL, from_name("cap_"));
	EXPECT_EQ(-EINVAL, from_name("cap_cap_ipc_lock"));
	EXPECT_EQ(-EINVAL, from_name("ipc_loc"));
	EXPECT_EQ(-EINVAL, from_name("ipc_lockx"));
	EXPECT_EQ(-EINVAL, from_name("24"));
	/* only len bytes are read */
	EXPECT_EQ(CAP_KILL, capability_from_name("killjoy", 4));
}

TEST(lists)
{
	uint64_t set = 7;

	EXPECT_EQ(0, capability_parse_list("", &set, NULL, NULL));
	EXPECT_EQ(0, set);
	EXPECT_EQ(0, capability_parse_list(",ipc_lock,,CAP_SYS_RESOURCE,",
					   &set, NULL, NULL));
	EXPECT_EQ((1ull << CAP_IPC_LOCK) | (1ull << CAP_SYS_RESOURCE), set);
	EXPECT_EQ(0, capability_parse_list("checkpoint_restore", &set, NULL,
					   NULL));
	EXPECT_EQ(1ull << CAP_CHECKPOINT_RESTORE, set);
}

TEST(the_first_unknown_name_is_reported)
{
	const char *list = "ipc_lock,bogus,worse";
	const char *bad = NULL;
	size_t bad_len = 0;
	uint64_t set = 5;

	EXPECT_EQ(-EINVAL, capability_parse_list(list, &set, &bad, &bad_len));
	EXPECT_EQ(list + 9, bad);
	EXPECT_EQ(5, bad_len);
	/* the set is left as it was */
	EXPECT_EQ(5, set);
}

TEST_HARNESS_MAIN
