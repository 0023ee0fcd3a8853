/* SPDX-License-Identifier: MIT */
/*
 * The logic behind the shim's wrappers: open of /dev/iommu, ioctl on an
 * emulated fd, and keeping the fd table right across close and dup.
 *
 * Each function is the libc call of the same name with the libc convention
 * turned into the library's: it returns the call's result, or -errno on
 * failure, and never changes errno (the wrapper sets it from the result).
 * Calls on fds that are not emulated go to the real libc function unchanged.
 * Nothing here calls a function the wrappers override (see real.h).
 */
#ifndef IOMMUSIM_PRELOAD_SHIM_H
#define IOMMUSIM_PRELOAD_SHIM_H

#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

/* Which libc entry point an open came through; a pass-through uses the
 * same one, so the program sees libc's own behaviour for it. */
enum shim_open_variant {
	SHIM_OPEN,
	SHIM_OPEN64,
	SHIM_OPENAT,
	SHIM_OPENAT64,
	/* _FORTIFY_SOURCE's checked variants (no mode argument). */
	SHIM_OPEN_2,
	SHIM_OPEN64_2,
	SHIM_OPENAT_2,
	SHIM_OPENAT64_2,
};

/* Whether open(path, flags, ...) takes the mode argument. */
static inline bool shim_open_needs_mode(int flags)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
}

/* dirfd is AT_FDCWD for the variants without one; mode is 0 when
 * shim_open_needs_mode(flags) is false. */
int shim_openat(enum shim_open_variant variant, int dirfd, const char *path,
		int flags, mode_t mode);
int shim_close(int fd);
int shim_ioctl(int fd, unsigned long request, void *arg);
int shim_dup(int fd);
int shim_dup2(int oldfd, int newfd);
int shim_dup3(int oldfd, int newfd, int flags);
/* is_fcntl64: the call came through fcntl64() rather than fcntl(). */
int shim_fcntl(int fd, int cmd, void *arg, bool is_fcntl64);
/* close_range() and closefrom() leave the library's private descriptors
 * (base/file.h) open, as close() of one is EBADF; closefrom() reports
 * nothing. */
int shim_close_range(unsigned int first, unsigned int last, int flags);
void shim_closefrom(int lowfd);

/* Reads and writes: a file of ours answers through its ops, with the
 * kernel VFS's checks; every other fd goes to libc. is64: the call came
 * through the 64-bit-offset entry point. */
ssize_t shim_read(int fd, void *buf, size_t len);
ssize_t shim_write(int fd, const void *buf, size_t len);
ssize_t shim_pread(int fd, void *buf, size_t len, int64_t pos, bool is64);
ssize_t shim_pwrite(int fd, const void *buf, size_t len, int64_t pos,
		    bool is64);
ssize_t shim_readv(int fd, const struct iovec *iov, int iovcnt);
ssize_t shim_writev(int fd, const struct iovec *iov, int iovcnt);
ssize_t shim_preadv(int fd, const struct iovec *iov, int iovcnt, int64_t pos,
		    bool is64);
ssize_t shim_pwritev(int fd, const struct iovec *iov, int iovcnt,
		     int64_t pos, bool is64);
/* lseek: a file of ours has no position (ESPIPE, after the kernel's
 * check of whence); every other fd goes to libc. */
int64_t shim_lseek(int fd, int64_t pos, int whence, bool is64);

/* Before the program's mmap() (MAP_FIXED replaces what was there) and
 * munmap(): pinned pages there are kept for the devices. */
void shim_before_mmap(void *addr, size_t len, int flags);
void shim_before_munmap(void *addr, size_t len);
/* A mapping call, or a call that changes capabilities, is done: what the
 * library remembers of them is stale. */
void shim_maps_changed(void);
void shim_creds_changed(void);
/* mremap(), madvise() and shmdt(), through libc's, keeping pinned pages:
 * libc's result and errno. */
void *shim_mremap(void *old, size_t old_size, size_t new_size, int flags,
		  void *new_addr);
int shim_madvise(void *addr, size_t len, int advice);
int shim_shmdt(const void *addr);
/* mmap: a file of ours maps through its ops (base/file_mmap.c), with the
 * result in *err (0 or -errno); every other fd, and an anonymous mapping,
 * goes to libc. munmap goes to libc, then tells the files of ours whose
 * mappings it took. Both keep libc's convention (MAP_FAILED or -1, errno). */
void *shim_mmap(void *addr, size_t len, int prot, int flags, int fd,
		int64_t pos, bool is64);
int shim_munmap(void *addr, size_t len);

/*
 * A libc call we do not otherwise wrap handed out fd (or failed, fd < 0):
 * an entry a descriptor closed behind our back left for that number is
 * dropped, so the new descriptor is never taken for one of ours. Returns
 * fd and keeps errno, so the wrapper returns it as it is. fds_made: the
 * same for a call that makes two (pipe, socketpair) and returns 0.
 */
int shim_fd_made(int fd);
int shim_fds_made(int rc, const int fds[2]);

/*
 * Directory streams. A directory of ours (the emulated debugfs of
 * base/fault_files.h) is a libc stream on its placeholder, whose entries
 * readdir() takes from the file; every other stream is libc's. opendir()
 * and readdir() keep libc's convention (NULL, errno); a readdir() of ours
 * leaves errno alone.
 */
DIR *shim_opendir(const char *path);
struct dirent *shim_readdir(DIR *dir);
struct dirent64 *shim_readdir64(DIR *dir);
int shim_closedir(DIR *dir);
void shim_rewinddir(DIR *dir);

#endif /* IOMMUSIM_PRELOAD_SHIM_H */
