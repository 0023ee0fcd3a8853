/* SPDX-License-Identifier: MIT */
/*
 * The kernel's fault-injection files, as library files (base/file.h), so
 * that a program written for a kernel with fault injection
 * (tools/testing/selftests/iommu/iommufd_fail_nth.c, the example of
 * Documentation/fault-injection) drives base/fault_inject.h unmodified:
 *
 *   /proc/self/task/TID/fail-nth, /proc/PID/task/TID/fail-nth,
 *   /proc/PID/fail-nth, /proc/self/fail-nth, /proc/thread-self/fail-nth
 *       one thread's countdown: write N (decimal, 0x hex or 0 octal, a
 *       trailing newline allowed) to arm it, 0 to disarm; read "N\n", 0
 *       once the N-th site failed. PID and TID are threads of this process
 *       (self: the thread-group leader, as in the kernel);
 *   /sys/kernel/debug/                      failslab/ and fail_page_alloc/
 *   /sys/kernel/debug/failslab/             ignore-gfp-wait, cache-filter,
 *                                           verbose
 *   /sys/kernel/debug/fail_page_alloc/      ignore-gfp-wait,
 *                                           ignore-gfp-highmem, min-order,
 *                                           verbose
 *       booleans read "Y\n" or "N\n" and take what kstrtobool() takes;
 *       numbers read "%llu\n" and take what kstrtoull() takes.
 *
 * The errors are the kernel's: EINVAL and ERANGE for a bad number, ESRCH
 * once the thread is gone, ENOENT for a name these directories do not have,
 * EISDIR, ENOTDIR, EEXIST as open() gives them. Reads and writes have a
 * position (read(2) twice reads the value, then end of file).
 *
 * Differences from the kernel: the debugfs attributes are per process (the
 * kernel's are system-wide) and only those that decide what fail-nth counts
 * are there (not probability, interval, times, space, task-filter, the
 * ratelimits or the stack-trace filters); the /sys/kernel/debug directory
 * lists only the two of them; verbose writes its line to stderr, as there
 * is no kernel log, and without a stack trace; no permission is checked
 * (the kernel's debugfs is root's).
 */
#ifndef IOMMUSIM_BASE_FAULT_FILES_H
#define IOMMUSIM_BASE_FAULT_FILES_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>

struct file;

/*
 * Opens path when it names one of these files or directories: path is
 * absolute, or relative to dir, a directory file of ours (NULL: none).
 * Returns a descriptor (entered in the fd table) or -errno, with *ours set.
 * When path names nothing here, *ours is false and, for a path relative to
 * dir, real_path holds the absolute path that names (the placeholder behind
 * dir is not the directory it stands for); "" when it does not fit.
 */
int fault_files_openat(struct file *dir, const char *path, int flags,
		       bool *ours, char *real_path, size_t size);

/* Whether file is a directory of these. */
bool fault_files_is_dir(struct file *file);
/* A directory's next entry ("." and ".." first), in a buffer of the
 * file's own that stays valid until the next call on it; NULL at the
 * end. */
const struct dirent *fault_dir_read(struct file *file);
void fault_dir_rewind(struct file *file);

#endif /* IOMMUSIM_BASE_FAULT_FILES_H */
