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

/* Registers the pthread_atfork handlers; -errno. */
int fork_gate_init(void);
void fork_gate_enter(void);
void fork_gate_leave(void);

#endif /* IOMMUSIM_FORK_GATE_H */
