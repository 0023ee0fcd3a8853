/* SPDX-License-Identifier: MIT */
/*
 * The test process's own capabilities, read and lowered with capget/capset
 * (the effective set is what the library's capability checks look at).
 */
#ifndef IOMMUSIM_TESTS_CAPABILITY_H
#define IOMMUSIM_TESTS_CAPABILITY_H

#include <linux/capability.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Whether cap is in this thread's effective set (false if unreadable). */
static inline bool has_capability(int cap)
{
	struct __user_cap_header_struct header = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};

	if (syscall(SYS_capget, &header, data))
		return false;
	return data[CAP_TO_INDEX(cap)].effective & CAP_TO_MASK(cap);
}

/* Clears cap from this thread's effective set; 0 or -1 with errno. */
static inline int drop_capability(int cap)
{
	struct __user_cap_header_struct header = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};

	if (syscall(SYS_capget, &header, data))
		return -1;
	data[CAP_TO_INDEX(cap)].effective &= ~CAP_TO_MASK(cap);
	return (int)syscall(SYS_capset, &header, data);
}

#endif
