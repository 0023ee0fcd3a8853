/* SPDX-License-Identifier: MIT */
/*
 * The bits of an x86-64 page-table entry, as the tests that build a
 * guest's stage-1 tables by hand write them.
 */
#ifndef IOMMUSIM_TESTS_X86_PTE_H
#define IOMMUSIM_TESTS_X86_PTE_H

#define X86_P 0x1ull
#define X86_RW 0x2ull
#define X86_US 0x4ull
#define X86_A 0x20ull
#define X86_D 0x40ull
#define X86_PS 0x80ull
#define X86_ADDR 0x000ffffffffff000ull

#endif /* IOMMUSIM_TESTS_X86_PTE_H */
