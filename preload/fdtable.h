/* SPDX-License-Identifier: MIT */
/*
 * The shim's fd table: which fd numbers are emulated /dev/iommu files, and
 * the context behind each.
 *
 * A struct shim_file is one open of /dev/iommu, what the kernel calls a
 * struct file: every fd made from it by dup()/dup2()/dup3()/F_DUPFD points to
 * the same one. Its reference count has one reference per table entry plus
 * one per call in flight (fdtable_get()), so a close() on another thread
 * cannot pull the context out from under an ioctl; the last reference closes
 * the context.
 *
 * Lookups take no lock: the table is a directory of fixed-size chunks of
 * atomic entries. A chunk, once published, is never freed or moved; a
 * directory that grew is replaced by a bigger copy and the old one is kept
 * (readers may still hold it). Growth and the free list of shim_file structs
 * are under one mutex, which is reinitialised in a forked child.
 *
 * shim_file memory is type-stable: a struct whose last reference went is put
 * on a free list and reused, never given back to malloc. So a reader that
 * loaded an entry just before it was closed may still touch the refcount; it
 * sees zero, or sees the struct reused and finds the entry changed, and
 * retries.
 *
 * None of these functions touches errno, takes a lock while calling out of
 * the table (iommusim_close() runs with no lock held), or calls a function
 * the wrappers override.
 */
#ifndef IOMMUSIM_PRELOAD_FDTABLE_H
#define IOMMUSIM_PRELOAD_FDTABLE_H

#include <stdatomic.h>

struct iommusim_ctx;

struct shim_file {
	/* Entries + calls in flight; 0 while on the free list. */
	atomic_uint refs;
	/* Written only while refs is 0, published by the release store of the
	 * first reference; read only by holders of a reference. */
	struct iommusim_ctx *ctx;
	struct shim_file *next_free; /* under the table lock */
};

/* A new shim_file for ctx holding one reference, or NULL (out of memory). */
struct shim_file *shim_file_new(struct iommusim_ctx *ctx);

/* Drops a reference; the last one closes the context and frees the file. */
void shim_file_put(struct shim_file *file);

/*
 * The file behind fd with a new reference, or NULL when fd is not emulated.
 * Lock-free; the caller puts the reference when its call is done.
 */
struct shim_file *fdtable_get(int fd);

/*
 * Makes room for an entry at fd, so that a later fdtable_install(fd, ...)
 * cannot fail. 0, -EBADF (fd < 0) or -ENOMEM.
 */
int fdtable_reserve(int fd);

/*
 * Sets the entry at fd to file (NULL: not emulated), taking over the
 * caller's reference, and puts the file that was there: fd is a new
 * descriptor, whatever it named before is gone. A non-NULL file needs
 * fdtable_reserve(fd) to have succeeded first.
 */
void fdtable_install(int fd, struct shim_file *file);

/*
 * Clears the entry at fd and hands its reference to the caller, who puts it
 * once the placeholder is closed. NULL when fd was not emulated.
 */
struct shim_file *fdtable_remove(int fd);

/* Clears and puts every entry from first to last, inclusive. */
void fdtable_remove_range(unsigned int first, unsigned int last);

#endif /* IOMMUSIM_PRELOAD_FDTABLE_H */
