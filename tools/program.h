/* SPDX-License-Identifier: MIT */
/*
 * The program `iommusim run` is asked to start: the file execvp() would
 * run, and whether the dynamic loader will load it, which is the only way
 * the preload shim gets into a process.
 */
#ifndef IOMMUSIM_TOOLS_PROGRAM_H
#define IOMMUSIM_TOOLS_PROGRAM_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Writes to buf the file execvp(name, ...) would run: name itself when it
 * has a slash, else the first executable regular file name in a PATH
 * directory (the C library's default path when PATH is unset). 0, or -1
 * when there is none (execvp then reports why).
 */
int program_resolve(const char *name, char *buf, size_t size);

/*
 * Whether the ELF executable at path is started without the dynamic
 * loader (no PT_INTERP: linked with -static or -static-pie), so that
 * LD_PRELOAD means nothing to it. The loader itself, run by hand as
 * "ld.so PROGRAM", honours LD_PRELOAD and is not counted. False for
 * anything that cannot be read or is not a native ELF file: exec decides
 * about those.
 */
bool program_is_static(const char *path);

#endif /* IOMMUSIM_TOOLS_PROGRAM_H */
