/* SPDX-License-Identifier: MIT */
/*
 * capable(): the emulated kernel's capability check.
 *
 * The kernel asks whether the caller holds a capability (CAP_SYS_RESOURCE
 * to change how pins are charged, CAP_IPC_LOCK to pin past RLIMIT_MEMLOCK).
 * Here the answer is the calling thread's real effective set, plus what the
 * user granted in IOMMUSIM_CAPS — as fakeroot grants root — so that a suite
 * written for root runs as any user. `iommusim run --cap NAME` sets it.
 *
 * IOMMUSIM_CAPS is a list of Linux capability names separated by commas,
 * in any case, with or without the "cap_" prefix ("sys_resource",
 * "CAP_IPC_LOCK"). It is read once, at the first check.
 */
#ifndef IOMMUSIM_BASE_CAPABILITY_H
#define IOMMUSIM_BASE_CAPABILITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CAPABILITY_ENV "IOMMUSIM_CAPS"

/* Whether the caller holds cap (a CAP_* number): really, or granted. */
bool capable(int cap);

/* The CAP_* number of one name ("ipc_lock", "CAP_IPC_LOCK"; len bytes of
 * name, not NUL-terminated); -EINVAL for a name Linux does not have. */
int capability_from_name(const char *name, size_t len);

/*
 * Parses a list in IOMMUSIM_CAPS's form into a bit set (bit n = CAP n).
 * Empty items are skipped. -EINVAL for an unknown name, and then *bad and
 * *bad_len (when not NULL) say which.
 */
int capability_parse_list(const char *list, uint64_t *set, const char **bad,
			  size_t *bad_len);

/*
 * Remembered answers: a thread's capabilities change only through capset()
 * and the set*id() calls. When the preload shim wraps those
 * (capability_watch_creds(), from its constructor) it reports each call
 * done (capability_creds_changed()), and capable() asks the kernel again
 * only after one: MAP's check of CAP_IPC_LOCK makes no system call in the
 * steady state. Without the shim every check asks.
 */
void capability_watch_creds(void);
void capability_creds_changed(void);

#endif /* IOMMUSIM_BASE_CAPABILITY_H */
