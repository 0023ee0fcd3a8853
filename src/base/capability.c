// SPDX-License-Identifier: MIT
/*
 * The capability check: the thread's real effective set, or a grant.
 */
#include <errno.h>
#include <linux/capability.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/capability.h"

/* Linux's capability names, indexed by number (linux/capability.h). */
static const char *const capability_names[] = {
	"chown",	   "dac_override",    "dac_read_search",
	"fowner",	   "fsetid",	      "kill",
	"setgid",	   "setuid",	      "setpcap",
	"linux_immutable", "net_bind_service", "net_broadcast",
	"net_admin",	   "net_raw",	      "ipc_lock",
	"ipc_owner",	   "sys_module",      "sys_rawio",
	"sys_chroot",	   "sys_ptrace",      "sys_pacct",
	"sys_admin",	   "sys_boot",	      "sys_nice",
	"sys_resource",	   "sys_time",	      "sys_tty_config",
	"mknod",	   "lease",	      "audit_write",
	"audit_control",   "setfcap",	      "mac_override",
	"mac_admin",	   "syslog",	      "wake_alarm",
	"block_suspend",   "audit_read",      "perfmon",
	"bpf",		   "checkpoint_restore",
};

#define CAPABILITY_COUNT                                                       \
	(int)(sizeof(capability_names) / sizeof(capability_names[0]))

int capability_from_name(const char *name, size_t len)
{
	int cap;

	if (len > 4 && !strncasecmp(name, "cap_", 4)) {
		name += 4;
		len -= 4;
	}
	for (cap = 0; cap < CAPABILITY_COUNT; cap++)
		if (strlen(capability_names[cap]) == len &&
		    !strncasecmp(name, capability_names[cap], len))
			return cap;
	return -EINVAL;
}

int capability_parse_list(const char *list, uint64_t *set, const char **bad,
			  size_t *bad_len)
{
	uint64_t parsed = 0;

	while (*list) {
		size_t len = strcspn(list, ",");
		int cap;

		if (len) {
			cap = capability_from_name(list, len);
			if (cap < 0) {
				if (bad)
					*bad = list;
				if (bad_len)
					*bad_len = len;
				return cap;
			}
			parsed |= 1ull << cap;
		}
		list += len;
		if (*list == ',')
			list++;
	}
	*set = parsed;
	return 0;
}

static uint64_t granted;
static pthread_once_t granted_once = PTHREAD_ONCE_INIT;

/* A list with an unknown name grants nothing: a typo must not leave the
 * program running with half of what was meant. */
static void read_grant(void)
{
	const char *list = getenv(CAPABILITY_ENV);
	const char *bad;
	size_t bad_len;

	if (!list)
		return;
	if (capability_parse_list(list, &granted, &bad, &bad_len))
		fprintf(stderr,
			"iommusim: %s: unknown capability '%.*s'; "
			"nothing granted\n",
			CAPABILITY_ENV, (int)bad_len, bad);
}

/* ---- remembered answers -------------------------------------------------- */

static bool creds_watched;	       /* __atomic: the shim sees changes */
static unsigned long creds_generation; /* __atomic: bumped after each */

/* This thread's effective set as capget() last said, true while
 * 'generation' is current (capabilities are per thread). */
static __thread struct {
	uint32_t effective[_LINUX_CAPABILITY_U32S_3];
	unsigned long generation;
} known __attribute__((tls_model("initial-exec")));

void capability_watch_creds(void)
{
	__atomic_store_n(&creds_generation, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&creds_watched, true, __ATOMIC_RELEASE);
}

void capability_creds_changed(void)
{
	__atomic_fetch_add(&creds_generation, 1, __ATOMIC_RELEASE);
}

static bool capable_really(int cap)
{
	struct __user_cap_header_struct header = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = { 0 };
	unsigned long generation = 0;

	if (__atomic_load_n(&creds_watched, __ATOMIC_ACQUIRE)) {
		generation = __atomic_load_n(&creds_generation,
					     __ATOMIC_ACQUIRE);
		if (known.generation == generation)
			return known.effective[CAP_TO_INDEX(cap)] &
			       CAP_TO_MASK(cap);
	}
	if (syscall(SYS_capget, &header, data))
		return false;
	for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
		known.effective[i] = data[i].effective;
	known.generation = generation;
	return data[CAP_TO_INDEX(cap)].effective & CAP_TO_MASK(cap);
}

bool capable(int cap)
{
	pthread_once(&granted_once, read_grant);
	if (cap >= 0 && cap < CAPABILITY_COUNT && (granted & (1ull << cap)))
		return true;
	return capable_really(cap);
}
