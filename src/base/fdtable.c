// SPDX-License-Identifier: MIT
/*
 * The fd -> file table. See fdtable.h for the rules; the layout:
 *
 *   table_dir ──▶ fd_dir { nchunks, chunk[0 .. nchunks-1] }
 *                              │
 *                              ▼
 *                 fd_chunk { slot[0 .. FD_CHUNK_SIZE-1] } ──▶ struct file
 *
 * fd n lives in chunk n / FD_CHUNK_SIZE, slot n % FD_CHUNK_SIZE. Memory
 * follows use: a dup2(fd, 1000000) costs one 8 KiB chunk and a directory of
 * 977 pointers, not a million entries. No limit but the int range of fds.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "base/alloc.h"
#include "base/fdtable.h"
#include "base/file.h"
#include "base/single_threaded.h"
#include "base/trace.h"

#define FD_CHUNK_SHIFT 10
#define FD_CHUNK_SIZE (1u << FD_CHUNK_SHIFT)
#define FD_DIR_MIN_CHUNKS 16

struct fd_chunk {
	struct file *_Atomic slot[FD_CHUNK_SIZE];
};

struct fd_dir {
	size_t nchunks;
	/* The directory this one replaced: still read by lookups that loaded
	 * it before the swap, so kept, and kept reachable (no leak report). */
	struct fd_dir *retired;
	struct fd_chunk *_Atomic chunk[];
};

/*
 * Lock order: table_lock is a leaf, held only to grow the directory or add
 * a chunk, never while a file is released.
 */
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
/* Written under table_lock with release; read anywhere with acquire. */
static struct fd_dir *_Atomic table_dir;

/* ---- fork ---------------------------------------------------------------- */

/*
 * The child gets a copy of the table and of every file in it (the
 * in-process mode of DESIGN.md: the core keeps its own state fork-safe).
 * Holding the lock across fork() means the copy is never taken mid-growth.
 * Both sides unlock: the forking thread is the one that locked, in the
 * child too (re-initialising instead would leave ThreadSanitizer believing
 * the lock still held).
 */
static void fdtable_atfork_prepare(void)
{
	pthread_mutex_lock(&table_lock);
}

static void fdtable_atfork_unlock(void)
{
	pthread_mutex_unlock(&table_lock);
}

__attribute__((constructor)) static void fdtable_init(void)
{
	pthread_atfork(fdtable_atfork_prepare, fdtable_atfork_unlock,
		       fdtable_atfork_unlock);
}

/* ---- the table ----------------------------------------------------------- */

/* The slot of fd, or NULL when its chunk does not exist (not emulated). */
static struct file *_Atomic *fdtable_slot(unsigned int fd)
{
	struct fd_dir *dir = atomic_load_explicit(&table_dir,
						  memory_order_acquire);
	struct fd_chunk *chunk;
	size_t index = fd >> FD_CHUNK_SHIFT;

	if (!dir || index >= dir->nchunks)
		return NULL;
	chunk = atomic_load_explicit(&dir->chunk[index], memory_order_acquire);
	if (!chunk)
		return NULL;
	return &chunk->slot[fd & (FD_CHUNK_SIZE - 1)];
}

struct file *fget(int fd)
{
	struct file *_Atomic *slot;
	struct file *file;

	if (fd < 0)
		return NULL;
	if (trace_enabled())
		trace_call_fd = fd;
	slot = fdtable_slot((unsigned int)fd);
	if (!slot)
		return NULL;
	for (;;) {
		file = atomic_load_explicit(slot, memory_order_acquire);
		if (!file)
			return NULL;
		if (!file_tryget(file))
			continue; /* closed under us: the slot has changed */
		/* The struct may have been freed and reused for another open
		 * between our load and our reference: only the file still in
		 * the slot is the one fd names. */
		if (atomic_load_explicit(slot, memory_order_acquire) == file)
			return file;
		fput(file);
	}
}

struct file *fdget(int fd, struct file_borrow *borrow)
{
	struct file *_Atomic *slot;
	struct file *file;

	borrow->file = NULL;
	if (fd < 0 || !process_single_threaded())
		return fget(fd);
	if (trace_enabled())
		trace_call_fd = fd;
	slot = fdtable_slot((unsigned int)fd);
	if (!slot)
		return NULL;
	file = atomic_load_explicit(slot, memory_order_relaxed);
	if (!file)
		return NULL;
	if (!file_borrow_begin(borrow, file))
		return fget(fd);
	/* A handler may have closed fd before the borrow began: only the
	 * file still in the slot is the one fd names, and the slot's
	 * reference keeps it. */
	if (atomic_load_explicit(slot, memory_order_relaxed) == file)
		return file;
	file_borrow_end(borrow);
	borrow->file = NULL;
	return fget(fd);
}

int fdtable_has(int fd)
{
	struct file *_Atomic *slot;

	if (fd < 0)
		return 0;
	slot = fdtable_slot((unsigned int)fd);
	return slot && atomic_load_explicit(slot, memory_order_relaxed);
}

/*
 * A directory to replace old, big enough for index. Allocated before
 * table_lock is taken, so the lock stays a leaf: an allocation is an
 * injection site, whose first use in a thread takes the fault machinery's
 * lock, which fork() takes too.
 */
static struct fd_dir *fdtable_dir_alloc(const struct fd_dir *old, size_t index)
{
	size_t nchunks = old ? old->nchunks * 2 : FD_DIR_MIN_CHUNKS;
	struct fd_dir *dir;

	if (nchunks <= index)
		nchunks = index + 1;
	dir = lib_calloc(1, sizeof(*dir) + nchunks * sizeof(dir->chunk[0]));
	if (dir)
		dir->nchunks = nchunks;
	return dir;
}

/* Publishes dir in place of old (which it keeps, retired); under
 * table_lock, which keeps old's chunks from changing while they are
 * copied. */
static void fdtable_dir_install_locked(struct fd_dir *dir, struct fd_dir *old)
{
	dir->retired = old;
	for (size_t i = 0; old && i < old->nchunks; i++)
		atomic_init(&dir->chunk[i],
			    atomic_load_explicit(&old->chunk[i],
						 memory_order_relaxed));
	atomic_store_explicit(&table_dir, dir, memory_order_release);
}

int fdtable_reserve(int fd)
{
	size_t index = (unsigned int)fd >> FD_CHUNK_SHIFT;
	int saved_errno;
	int rc = 0;

	if (fd < 0)
		return -EBADF;
	if (fdtable_slot((unsigned int)fd))
		return 0;

	saved_errno = errno;
	for (;;) {
		struct fd_dir *seen =
			atomic_load_explicit(&table_dir, memory_order_acquire);
		bool need_dir = !seen || index >= seen->nchunks;
		struct fd_dir *grown = NULL;
		struct fd_chunk *chunk = NULL;

		if (need_dir || !atomic_load_explicit(&seen->chunk[index],
						      memory_order_acquire)) {
			grown = need_dir ? fdtable_dir_alloc(seen, index) : NULL;
			chunk = lib_calloc(1, sizeof(*chunk));
			if (!chunk || (need_dir && !grown)) {
				free(grown);
				free(chunk);
				rc = -ENOMEM;
				break;
			}
		}
		pthread_mutex_lock(&table_lock);
		if (atomic_load_explicit(&table_dir, memory_order_relaxed) !=
		    seen) {
			/* another thread grew it: look again */
			pthread_mutex_unlock(&table_lock);
			free(grown);
			free(chunk);
			continue;
		}
		if (grown) {
			fdtable_dir_install_locked(grown, seen);
			seen = grown;
		}
		if (chunk && !atomic_load_explicit(&seen->chunk[index],
						   memory_order_relaxed)) {
			atomic_store_explicit(&seen->chunk[index], chunk,
					      memory_order_release);
			chunk = NULL;
		}
		pthread_mutex_unlock(&table_lock);
		free(chunk);
		break;
	}
	errno = saved_errno;
	return rc;
}

void fdtable_install(int fd, struct file *file)
{
	struct file *_Atomic *slot;
	struct file *old;

	slot = fd < 0 ? NULL : fdtable_slot((unsigned int)fd);
	if (!slot) {
		/* Only a NULL install may come without a reservation. */
		if (file)
			fput(file);
		return;
	}
	if (!file && !atomic_load_explicit(slot, memory_order_relaxed))
		return;
	old = atomic_exchange_explicit(slot, file, memory_order_acq_rel);
	if (old)
		fput(old);
}

struct file *fdtable_remove(int fd)
{
	struct file *_Atomic *slot;

	if (fd < 0)
		return NULL;
	slot = fdtable_slot((unsigned int)fd);
	if (!slot || !atomic_load_explicit(slot, memory_order_relaxed))
		return NULL;
	return atomic_exchange_explicit(slot, NULL, memory_order_acq_rel);
}

void fdtable_remove_range(unsigned int first, unsigned int last)
{
	struct fd_dir *dir = atomic_load_explicit(&table_dir,
						  memory_order_acquire);
	size_t index, end;

	if (!dir || first > last)
		return;
	end = ((size_t)last >> FD_CHUNK_SHIFT) + 1;
	if (end > dir->nchunks)
		end = dir->nchunks;
	for (index = first >> FD_CHUNK_SHIFT; index < end; index++) {
		struct fd_chunk *chunk = atomic_load_explicit(
			&dir->chunk[index], memory_order_acquire);
		size_t base = index << FD_CHUNK_SHIFT;
		size_t i;

		if (!chunk)
			continue;
		for (i = 0; i < FD_CHUNK_SIZE; i++) {
			struct file *file;

			if (base + i < first || base + i > last)
				continue;
			if (!atomic_load_explicit(&chunk->slot[i],
						  memory_order_relaxed))
				continue;
			file = atomic_exchange_explicit(&chunk->slot[i], NULL,
							memory_order_acq_rel);
			if (file)
				fput(file);
		}
	}
}
