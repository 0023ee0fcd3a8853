// SPDX-License-Identifier: MIT
/*
 * Mappings of emulated files: mmap(2) asks the file's mmap op for the
 * library's shared mapping to share, makes a second mapping of its pages
 * (mremap() of length 0, no descriptor involved, so none can be closed
 * under it), and remembers the mapping so that the
 * munmap(2) that covers it tells the file (the kernel's vm_ops->close).
 * A munmap of part of a mapping leaves it remembered until the rest goes
 * too or the process ends.
 *
 * The mappings are few (a vIOMMU's region or two), so a list under a
 * mutex does, taken inside the fork gate so that a child never inherits
 * it held; a count read without it keeps every other munmap(2) of the
 * process at one atomic load.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/file.h"
#include "base/fork_gate.h"

struct file_mapping {
	uintptr_t start, end; /* [start, end) */
	void (*unmapped)(void *data);
	void *data;
	struct file_mapping *next;
};

static pthread_mutex_t mappings_lock = PTHREAD_MUTEX_INITIALIZER;
static struct file_mapping *mappings; /* under mappings_lock */
static atomic_uint nmappings;

static uint64_t page_size(void)
{
	return (uint64_t)sysconf(_SC_PAGESIZE);
}

/* A second mapping of source's pages at addr (where MAP_FIXED says so)
 * with prot; NULL with *err. */
static void *share_pages(void *source, void *addr, uint64_t length, int prot,
			 int flags, int *err)
{
	long mremap_flags = MREMAP_MAYMOVE;
	void *mapped;

	if (flags & MAP_FIXED)
		mremap_flags |= MREMAP_FIXED;
	mapped = (void *)syscall(SYS_mremap, source, 0, length, mremap_flags,
				 addr);
	if (mapped == MAP_FAILED) {
		*err = -errno;
		return NULL;
	}
	if (syscall(SYS_mprotect, mapped, length, prot)) {
		*err = -errno;
		syscall(SYS_munmap, mapped, length);
		return NULL;
	}
	return mapped;
}

void *vfs_mmap(struct file *file, void *addr, size_t length, int prot,
	       int flags, int64_t offset, int *err)
{
	struct file_mmap_req req = { .prot = prot, .flags = flags };
	uint64_t page = page_size();
	struct file_mapping *m;
	void *mapped;
	int rc;

	/* the mmap(2) system call's own checks, before the file's */
	if (!length || offset < 0 || (uint64_t)offset % page ||
	    length > UINT64_MAX - page) {
		*err = -EINVAL;
		return NULL;
	}
	if (!file->f_op->mmap) {
		*err = -ENODEV;
		return NULL;
	}
	req.offset = (uint64_t)offset;
	req.length = (length + page - 1) / page * page;
	m = lib_calloc(1, sizeof(*m));
	if (!m) {
		*err = -ENOMEM;
		return NULL;
	}
	rc = file->f_op->mmap(file, &req);
	if (rc) {
		free(m);
		*err = rc;
		return NULL;
	}
	mapped = share_pages(req.source, addr, req.length, prot, flags, err);
	if (!mapped) {
		req.unmapped(req.data);
		free(m);
		return NULL;
	}
	m->start = (uintptr_t)mapped;
	m->end = m->start + req.length;
	m->unmapped = req.unmapped;
	m->data = req.data;
	fork_gate_enter();
	pthread_mutex_lock(&mappings_lock);
	m->next = mappings;
	mappings = m;
	atomic_fetch_add(&nmappings, 1);
	pthread_mutex_unlock(&mappings_lock);
	fork_gate_leave();
	return mapped;
}

void file_munmapped(void *addr, size_t length)
{
	uintptr_t start = (uintptr_t)addr, end = start + length;
	struct file_mapping *gone = NULL, **link, *m;

	if (!atomic_load_explicit(&nmappings, memory_order_relaxed))
		return;
	fork_gate_enter();
	pthread_mutex_lock(&mappings_lock);
	for (link = &mappings; (m = *link);) {
		if (m->start >= start && m->end <= end) {
			*link = m->next;
			m->next = gone;
			gone = m;
			atomic_fetch_sub(&nmappings, 1);
		} else {
			link = &m->next;
		}
	}
	pthread_mutex_unlock(&mappings_lock);
	fork_gate_leave();
	/* the files' callbacks take their own locks: none of ours held */
	while ((m = gone)) {
		gone = m->next;
		m->unmapped(m->data);
		free(m);
	}
}
