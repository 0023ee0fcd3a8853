/* SPDX-License-Identifier: MIT */
/*
 * The fork gate: fork() waits until no thread is inside the core, so the
 * child's copy of every core lock is unlocked and every structure whole.
 *
 * Every entry point brackets its work with fork_gate_enter()/_leave(): an
 * atomic increment and decrement, no lock, no system call. fork() (through
 * pthread_atfork) closes the gate, waits for the count to drain, and opens it
 * again in both processes.
 */
#ifndef IOMMUSIM_FORK_GATE_H
#define IOMMUSIM_FORK_GATE_H

#include <stdbool.h>

/* Registers the pthread_atfork handlers; -errno. */
int fork_gate_init(void);
void fork_gate_enter(void);
void fork_gate_leave(void);

/*
 * Stopping the world for something other than fork(): the same closing,
 * for a change no thread may see half done (user memory moving under the
 * domains). False, and nothing done, when the calling thread is itself
 * inside: it would wait for itself. The closer may enter while it holds
 * the gate closed.
 */
bool fork_gate_quiesce(void);
void fork_gate_resume(void);

/*
 * A thread about to block inside, waiting for another thread's call (a
 * transfer waiting for its page request's answer), steps out so that a
 * fork or a quiesce does not wait for it; it steps back in, through the
 * gate, before it touches anything again.
 */
unsigned int fork_gate_step_out(void);
void fork_gate_step_in(unsigned int depth);

#endif /* IOMMUSIM_FORK_GATE_H */
