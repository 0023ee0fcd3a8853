/* SPDX-License-Identifier: MIT */
/*
 * Whether the process has no thread but the caller: then the only code
 * that can run beside it is a signal handler of its own thread, and what
 * is atomic only to keep other threads out can be done with plain loads
 * and stores (the kernel's fdget() skips a file's reference on the same
 * ground: a file table nobody shares).
 *
 * glibc clears __libc_single_threaded at the first pthread_create() and
 * never sets it again, so a true answer stays true while the caller runs
 * and means it was true all along. Threads made by clone() behind the C
 * library's back are not seen (glibc does not support them calling into
 * it either). Without glibc's flag: always false.
 */
#ifndef IOMMUSIM_BASE_SINGLE_THREADED_H
#define IOMMUSIM_BASE_SINGLE_THREADED_H

#include <stdbool.h>
#if __has_include(<sys/single_threaded.h>)
#include <sys/single_threaded.h>
#endif

static inline bool process_single_threaded(void)
{
#if __has_include(<sys/single_threaded.h>)
	return __libc_single_threaded;
#else
	return false;
#endif
}

#endif /* IOMMUSIM_BASE_SINGLE_THREADED_H */
