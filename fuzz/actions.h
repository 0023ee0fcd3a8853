/* SPDX-License-Identifier: MIT */
/*
 * One input, run: a sequence of steps, each an ioctl from the command
 * table (commands.h) or one of the other things a client does with these
 * files (open, close, dup, read, write), or a change to the user memory
 * the commands point into, or arming fail-nth so that the N-th allocation
 * of what follows fails. Shared by the libFuzzer target and the regression
 * runner.
 */
#ifndef IOMMUSIM_FUZZ_ACTIONS_H
#define IOMMUSIM_FUZZ_ACTIONS_H

#include <stddef.h>
#include <stdint.h>

/* Steps past this are not run: an input's cost stays bounded. */
#define FUZZ_MAX_STEPS 64

/* Once per process, before the first input; 0 or -errno. */
int fuzz_setup(void);
/* Runs one input in a session of its own. */
void fuzz_run_input(const uint8_t *data, size_t len);

#endif /* IOMMUSIM_FUZZ_ACTIONS_H */
