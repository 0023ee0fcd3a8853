// SPDX-License-Identifier: MIT
/*
 * Pages backed by a file (file_pages.h). Every call on the caller's
 * descriptor is a raw system call: the preload shim wraps fcntl(), open()
 * and mmap(), and the library must not re-enter it.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/container_of.h"
#include "base/file.h"
#include "base/usermem.h"
#include "iommufd/file_pages.h"

struct iopt_file_pages {
	struct iopt_pages pages; /* first: freed through it */
	bool pinnable;		 /* shmem or hugetlbfs */
	uint64_t start;		 /* file offset of index 0 */
	uint64_t dev, ino;	 /* the file, as usermem_page_identity() */
	void *map;		 /* our mapping, or NULL */
	uint64_t map_len;
};

static struct iopt_file_pages *to_file_pages(const struct iopt_pages *pages)
{
	return container_of(pages, struct iopt_file_pages, pages);
}

/*
 * A descriptor to map the file through, closed once it is mapped: the
 * caller's own, or for a read-only map of a file open for writing, a
 * read-only one of the same file (a shared mapping of a writable
 * descriptor makes F_SEAL_WRITE fail with EBUSY, which the kernel's
 * read-only pin does not). -1 when there is none.
 */
static int map_descriptor(int fd, int accmode, bool writable)
{
	char path[32];
	int ro;

	if (writable || accmode == O_RDONLY)
		return (int)syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ro = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	return ro >= 0 ? ro : (int)syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 0);
}

/*
 * Maps the pages' range of the file, aligned out to the file's page size
 * (a hugetlbfs file maps in whole huge pages), and points uptr at index 0.
 * A file that cannot be mapped is left without a mapping: its pins fail,
 * as the kernel's do for a file it cannot pin. -errno of the mmap.
 */
static int map_range(struct iopt_file_pages *fp, int fd, uint64_t file_page,
		     bool writable)
{
	uint64_t page = cpu_page_size();
	uint64_t end, map_start, map_end;
	long addr;

	if (file_page < page || (file_page & (file_page - 1)))
		file_page = page;
	if (__builtin_add_overflow(fp->start, fp->pages.npages * page, &end) ||
	    end > INT64_MAX - file_page)
		return 0;
	map_start = fp->start & ~(file_page - 1);
	map_end = (end + file_page - 1) & ~(file_page - 1);
	/* not an injection site: the file's own pages, which the kernel
	 * reaches through its page cache without allocating */
	addr = syscall(SYS_mmap, NULL, map_end - map_start,
		       PROT_READ | (writable ? PROT_WRITE : 0), MAP_SHARED,
		       fd, map_start);
	if (addr == -1)
		return -errno;
	fp->map = (void *)addr;
	fp->map_len = map_end - map_start;
	fp->pages.uptr = (uint64_t)addr + (fp->start - map_start);
	return 0;
}

/* The kernel's checks on the file (fget(), then FMODE_WRITE and the write
 * seal for a writable map), and what we learn of it for the pins. */
static int inspect_file(int fd, bool writable, struct stat *st,
			bool *pinnable, int *accmode)
{
	struct statfs sfs;
	long flags, seals;

	flags = syscall(SYS_fcntl, fd, F_GETFL);
	/* an O_PATH descriptor is no file to fget() */
	if (flags == -1 || (flags & O_PATH))
		return -EBADF;
	if (syscall(SYS_fstat, fd, st))
		return -EBADF;
	*accmode = (int)(flags & O_ACCMODE);
	if (writable && *accmode == O_RDONLY)
		return -EPERM;
	seals = syscall(SYS_fcntl, fd, F_GET_SEALS);
	if (writable && seals != -1 && (seals & F_SEAL_WRITE))
		return -EPERM;
	/* shmem_file() || is_file_hugepages(): a device node on devtmpfs
	 * is neither */
	*pinnable = S_ISREG(st->st_mode) && !syscall(SYS_fstatfs, fd, &sfs) &&
		    (sfs.f_type == TMPFS_MAGIC || sfs.f_type == HUGETLBFS_MAGIC);
	return 0;
}

struct iopt_pages *iopt_alloc_file_pages(int fd, struct file *lib_file,
					 uint64_t start, uint64_t length,
					 bool writable, int *err)
{
	uint64_t start_byte = start % cpu_page_size();
	struct iopt_file_pages *fp;
	struct iopt_pages *pages;
	bool pinnable = false;
	struct stat st = { 0 };
	int accmode = O_RDWR, map_fd, rc;

	if (lib_file) {
		if (writable && !(lib_file->f_mode & FMODE_WRITE)) {
			*err = -EPERM;
			return NULL;
		}
	} else {
		*err = inspect_file(fd, writable, &st, &pinnable, &accmode);
		if (*err)
			return NULL;
	}
	pages = iopt_alloc_pages(sizeof(*fp), IOPT_PAGES_FILE, start_byte,
				 length, writable, err);
	if (!pages)
		return NULL;
	fp = to_file_pages(pages);
	fp->start = start - start_byte;
	pages->mm = usermem_self();
	if (lib_file)
		return pages;
	fp->pinnable = pinnable;
	fp->dev = ((uint64_t)major(st.st_dev) << 32) | minor(st.st_dev);
	fp->ino = st.st_ino;
	map_fd = map_descriptor(fd, accmode, writable);
	if (map_fd < 0)
		return pages;
	rc = map_range(fp, map_fd, (uint64_t)st.st_blksize, writable);
	syscall(SYS_close, map_fd);
	/* sealed with F_SEAL_FUTURE_WRITE: no writable mapping to be had */
	if (rc == -EPERM && writable) {
		iopt_pages_put(pages);
		*err = -EPERM;
		return NULL;
	}
	return pages;
}

bool iopt_file_pages_pinnable(const struct iopt_pages *pages)
{
	const struct iopt_file_pages *fp = to_file_pages(pages);

	return fp->pinnable && fp->map;
}

uint64_t iopt_file_pages_start(const struct iopt_pages *pages)
{
	return to_file_pages(pages)->start;
}

bool iopt_file_pages_index_of(const struct iopt_pages *pages,
			      const struct usermem_page_id *id,
			      uint64_t *index)
{
	const struct iopt_file_pages *fp = to_file_pages(pages);
	uint64_t page = cpu_page_size();

	if (id->dev != fp->dev || id->ino != fp->ino || id->offset < fp->start ||
	    (id->offset - fp->start) / page >= pages->npages)
		return false;
	*index = (id->offset - fp->start) / page;
	return true;
}

void iopt_file_pages_release(struct iopt_pages *pages)
{
	struct iopt_file_pages *fp = to_file_pages(pages);

	if (fp->map)
		syscall(SYS_munmap, fp->map, fp->map_len);
}
