/* SPDX-License-Identifier: MIT */
/*
 * The fd -> file table: which descriptor numbers are the library's files
 * (base/file.h), and the file behind each.
 *
 * Every descriptor made from a file by dup()/dup2()/dup3()/F_DUPFD is an
 * entry pointing at the same struct file; each entry holds one reference.
 * A lookup (fget()) takes another for the length of a call, so a close() on
 * another thread cannot pull the file out from under an ioctl; fdget()
 * borrows the entry's instead where no other thread exists (base/file.h).
 *
 * Lookups take no lock: the table is a directory of fixed-size chunks of
 * atomic entries. A chunk, once published, is never freed or moved; a
 * directory that grew is replaced by a bigger copy and the old one is kept
 * (readers may still hold it). Growth is under one mutex, held across
 * fork() so the child never copies a table mid-growth.
 *
 * None of these functions touches errno, holds a lock while a file is
 * released, or calls a function the preload shim overrides.
 */
#ifndef IOMMUSIM_BASE_FDTABLE_H
#define IOMMUSIM_BASE_FDTABLE_H

struct file;

/*
 * Makes room for an entry at fd, so that a later fdtable_install(fd, ...)
 * cannot fail. 0, -EBADF (fd < 0) or -ENOMEM.
 */
int fdtable_reserve(int fd);

/*
 * Sets the entry at fd to file (NULL: not ours), taking over the caller's
 * reference, and puts the file that was there: fd is a new descriptor,
 * whatever it named before is gone. A non-NULL file needs
 * fdtable_reserve(fd) to have succeeded first.
 */
void fdtable_install(int fd, struct file *file);

/* Whether fd has an entry (a racy answer, for cheap early outs). */
int fdtable_has(int fd);

/*
 * Clears the entry at fd and hands its reference to the caller, who puts it
 * once the placeholder is closed. NULL when fd was not ours.
 */
struct file *fdtable_remove(int fd);

/* Clears and puts every entry from first to last, inclusive. */
void fdtable_remove_range(unsigned int first, unsigned int last);

#endif /* IOMMUSIM_BASE_FDTABLE_H */
