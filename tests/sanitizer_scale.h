/* SPDX-License-Identifier: MIT */
/*
 * How much smaller the long tests run under a sanitizer: the same paths,
 * checked for memory errors and races, at a count CI can carry (ASan runs
 * some 3x slower, TSan 5-15x). Counts that print figures or hunt for
 * races by repetition are divided by it; what they assert is unchanged.
 */
#ifndef IOMMUSIM_TESTS_SANITIZER_SCALE_H
#define IOMMUSIM_TESTS_SANITIZER_SCALE_H

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZER_SCALE 10
#else
#define SANITIZER_SCALE 1
#endif

#endif
