// SPDX-License-Identifier: MIT
/*
 * The lookup of libc's own versions of the functions the shim overrides.
 * Nothing here knows about /dev/iommu; see real.h.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <sys/mman.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <signal.h>

#include "real.h"

/* What a slot holds once dlsym() found nothing, so we do not ask again. */
static char real_missing;

/*
 * The address of the next definition of name, looked up once per slot.
 * Returns NULL when there is none. Leaves errno alone (dlsym may set it).
 */
static void *real_lookup(void *_Atomic *slot, const char *name)
{
	void *fn = atomic_load_explicit(slot, memory_order_acquire);

	if (!fn) {
		int saved_errno = errno;

		fn = dlsym(RTLD_NEXT, name);
		if (!fn)
			fn = &real_missing;
		atomic_store_explicit(slot, fn, memory_order_release);
		errno = saved_errno;
	}
	return fn == &real_missing ? NULL : fn;
}

/* One cached slot per symbol, named after it. */
#define REAL_FN(type, name)                                                    \
	({                                                                     \
		static void *_Atomic slot_##name;                              \
		(type)real_lookup(&slot_##name, #name);                        \
	})

typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);
typedef int (*open_2_fn)(const char *, int);
typedef int (*openat_2_fn)(int, const char *, int);
typedef int (*int_fn)(int);
typedef int (*int2_fn)(int, int);
typedef int (*int3_fn)(int, int, int);
typedef int (*ioctl_fn)(int, unsigned long, ...);
typedef int (*fcntl_fn)(int, int, ...);
typedef int (*close_range_fn)(unsigned int, unsigned int, int);
typedef void (*closefrom_fn)(int);

static int real_unavailable(void)
{
	errno = ENOSYS;
	return -1;
}

int real_open(const char *path, int flags, mode_t mode)
{
	open_fn fn = REAL_FN(open_fn, open);

	return fn ? fn(path, flags, mode) : real_unavailable();
}

int real_open64(const char *path, int flags, mode_t mode)
{
	open_fn fn = REAL_FN(open_fn, open64);

	return fn ? fn(path, flags, mode) : real_open(path, flags, mode);
}

int real_openat(int dirfd, const char *path, int flags, mode_t mode)
{
	openat_fn fn = REAL_FN(openat_fn, openat);

	return fn ? fn(dirfd, path, flags, mode) : real_unavailable();
}

int real_openat64(int dirfd, const char *path, int flags, mode_t mode)
{
	openat_fn fn = REAL_FN(openat_fn, openat64);

	return fn ? fn(dirfd, path, flags, mode) :
		    real_openat(dirfd, path, flags, mode);
}

int real___open_2(const char *path, int flags)
{
	open_2_fn fn = REAL_FN(open_2_fn, __open_2);

	return fn ? fn(path, flags) : real_open(path, flags, 0);
}

int real___open64_2(const char *path, int flags)
{
	open_2_fn fn = REAL_FN(open_2_fn, __open64_2);

	return fn ? fn(path, flags) : real_open64(path, flags, 0);
}

int real___openat_2(int dirfd, const char *path, int flags)
{
	openat_2_fn fn = REAL_FN(openat_2_fn, __openat_2);

	return fn ? fn(dirfd, path, flags) : real_openat(dirfd, path, flags, 0);
}

int real___openat64_2(int dirfd, const char *path, int flags)
{
	openat_2_fn fn = REAL_FN(openat_2_fn, __openat64_2);

	return fn ? fn(dirfd, path, flags) :
		    real_openat64(dirfd, path, flags, 0);
}

int real_close(int fd)
{
	int_fn fn = REAL_FN(int_fn, close);

	return fn ? fn(fd) : real_unavailable();
}

int real_ioctl(int fd, unsigned long request, void *arg)
{
	ioctl_fn fn = REAL_FN(ioctl_fn, ioctl);

	return fn ? fn(fd, request, arg) : real_unavailable();
}

int real_dup(int fd)
{
	int_fn fn = REAL_FN(int_fn, dup);

	return fn ? fn(fd) : real_unavailable();
}

int real_dup2(int oldfd, int newfd)
{
	int2_fn fn = REAL_FN(int2_fn, dup2);

	return fn ? fn(oldfd, newfd) : real_unavailable();
}

int real_dup3(int oldfd, int newfd, int flags)
{
	int3_fn fn = REAL_FN(int3_fn, dup3);

	return fn ? fn(oldfd, newfd, flags) : real_unavailable();
}

int real_fcntl(int fd, int cmd, void *arg)
{
	fcntl_fn fn = REAL_FN(fcntl_fn, fcntl);

	return fn ? fn(fd, cmd, arg) : real_unavailable();
}

int real_fcntl64(int fd, int cmd, void *arg)
{
	fcntl_fn fn = REAL_FN(fcntl_fn, fcntl64);

	return fn ? fn(fd, cmd, arg) : real_fcntl(fd, cmd, arg);
}

int real_close_range(unsigned int first, unsigned int last, int flags)
{
	close_range_fn fn = REAL_FN(close_range_fn, close_range);

	return fn ? fn(first, last, flags) : real_unavailable();
}

void real_closefrom(int lowfd)
{
	closefrom_fn fn = REAL_FN(closefrom_fn, closefrom);

	if (fn)
		fn(lowfd);
	else
		real_close_range((unsigned int)lowfd, ~0U, 0);
}

/* ---- reads and writes, and the calls that make descriptors --------------- */

/* real_NAME with libc's signature, through the cached lookup. */
#define REAL_DEFINE(ret, name, params, args)                                   \
	ret real_##name params                                                 \
	{                                                                      \
		typedef ret(*name##_fn) params;                                \
		name##_fn fn = REAL_FN(name##_fn, name);                       \
                                                                               \
		return fn ? fn args : (ret)real_unavailable();                 \
	}

REAL_DEFINE(ssize_t, read, (int fd, void *buf, size_t len), (fd, buf, len))
REAL_DEFINE(ssize_t, write, (int fd, const void *buf, size_t len),
	    (fd, buf, len))
REAL_DEFINE(ssize_t, pread, (int fd, void *buf, size_t len, off_t pos),
	    (fd, buf, len, pos))
REAL_DEFINE(ssize_t, pwrite, (int fd, const void *buf, size_t len, off_t pos),
	    (fd, buf, len, pos))
REAL_DEFINE(ssize_t, pread64, (int fd, void *buf, size_t len, off64_t pos),
	    (fd, buf, len, pos))
REAL_DEFINE(ssize_t, pwrite64,
	    (int fd, const void *buf, size_t len, off64_t pos),
	    (fd, buf, len, pos))
REAL_DEFINE(ssize_t, readv, (int fd, const struct iovec *iov, int iovcnt),
	    (fd, iov, iovcnt))
REAL_DEFINE(ssize_t, writev, (int fd, const struct iovec *iov, int iovcnt),
	    (fd, iov, iovcnt))
REAL_DEFINE(ssize_t, preadv,
	    (int fd, const struct iovec *iov, int iovcnt, off_t pos),
	    (fd, iov, iovcnt, pos))
REAL_DEFINE(ssize_t, pwritev,
	    (int fd, const struct iovec *iov, int iovcnt, off_t pos),
	    (fd, iov, iovcnt, pos))
REAL_DEFINE(ssize_t, preadv64,
	    (int fd, const struct iovec *iov, int iovcnt, off64_t pos),
	    (fd, iov, iovcnt, pos))
REAL_DEFINE(ssize_t, pwritev64,
	    (int fd, const struct iovec *iov, int iovcnt, off64_t pos),
	    (fd, iov, iovcnt, pos))
REAL_DEFINE(off_t, lseek, (int fd, off_t pos, int whence), (fd, pos, whence))
REAL_DEFINE(off64_t, lseek64, (int fd, off64_t pos, int whence),
	    (fd, pos, whence))
REAL_DEFINE(int, munmap, (void *addr, size_t len), (addr, len))
REAL_DEFINE(int, madvise, (void *addr, size_t len, int advice),
	    (addr, len, advice))
REAL_DEFINE(int, mprotect, (void *addr, size_t len, int prot),
	    (addr, len, prot))
REAL_DEFINE(int, pkey_mprotect, (void *addr, size_t len, int prot, int pkey),
	    (addr, len, prot, pkey))

/* MAP_FAILED, as libc's own failure, when libc lacks one. */
#define REAL_DEFINE_MAP(name, params, args)                                    \
	void *real_##name params                                               \
	{                                                                      \
		typedef void *(*name##_fn) params;                             \
		name##_fn fn = REAL_FN(name##_fn, name);                       \
                                                                               \
		if (!fn) {                                                     \
			errno = ENOSYS;                                        \
			return MAP_FAILED;                                     \
		}                                                              \
		return fn args;                                                \
	}

REAL_DEFINE_MAP(mmap,
		(void *addr, size_t len, int prot, int flags, int fd, off_t off),
		(addr, len, prot, flags, fd, off))
REAL_DEFINE_MAP(mmap64,
		(void *addr, size_t len, int prot, int flags, int fd,
		 off64_t off),
		(addr, len, prot, flags, fd, off))
REAL_DEFINE_MAP(mremap,
		(void *old, size_t old_size, size_t new_size, int flags,
		 void *new_addr),
		(old, old_size, new_size, flags, new_addr))

REAL_DEFINE_MAP(shmat, (int id, const void *addr, int flags),
		(id, addr, flags))
REAL_DEFINE(int, shmdt, (const void *addr), (addr))
REAL_DEFINE(int, capset, (void *header, const void *data), (header, data))
REAL_DEFINE(int, setuid, (uid_t uid), (uid))
REAL_DEFINE(int, setgid, (gid_t gid), (gid))
REAL_DEFINE(int, seteuid, (uid_t uid), (uid))
REAL_DEFINE(int, setegid, (gid_t gid), (gid))
REAL_DEFINE(int, setreuid, (uid_t ruid, uid_t euid), (ruid, euid))
REAL_DEFINE(int, setregid, (gid_t rgid, gid_t egid), (rgid, egid))
REAL_DEFINE(int, setresuid, (uid_t ruid, uid_t euid, uid_t suid),
	    (ruid, euid, suid))
REAL_DEFINE(int, setresgid, (gid_t rgid, gid_t egid, gid_t sgid),
	    (rgid, egid, sgid))
REAL_DEFINE(int, setfsuid, (uid_t uid), (uid))
REAL_DEFINE(int, setfsgid, (gid_t gid), (gid))

REAL_DEFINE(int, socket, (int domain, int type, int protocol),
	    (domain, type, protocol))
REAL_DEFINE(int, socketpair, (int domain, int type, int protocol, int sv[2]),
	    (domain, type, protocol, sv))
REAL_DEFINE(int, accept,
	    (int fd, struct sockaddr *addr, socklen_t *addrlen),
	    (fd, addr, addrlen))
REAL_DEFINE(int, accept4,
	    (int fd, struct sockaddr *addr, socklen_t *addrlen, int flags),
	    (fd, addr, addrlen, flags))
REAL_DEFINE(int, pipe, (int fds[2]), (fds))
REAL_DEFINE(int, pipe2, (int fds[2], int flags), (fds, flags))
REAL_DEFINE(int, eventfd, (unsigned int count, int flags), (count, flags))
REAL_DEFINE(int, epoll_create, (int size), (size))
REAL_DEFINE(int, epoll_create1, (int flags), (flags))
REAL_DEFINE(int, signalfd, (int fd, const sigset_t *mask, int flags),
	    (fd, mask, flags))
REAL_DEFINE(int, timerfd_create, (int clockid, int flags), (clockid, flags))
REAL_DEFINE(int, memfd_create, (const char *name, unsigned int flags),
	    (name, flags))
REAL_DEFINE(int, inotify_init, (void), ())
REAL_DEFINE(int, inotify_init1, (int flags), (flags))

FILE *real_fopen(const char *path, const char *mode)
{
	typedef FILE *(*fopen_fn)(const char *, const char *);
	fopen_fn fn = REAL_FN(fopen_fn, fopen);

	if (!fn)
		errno = ENOSYS;
	return fn ? fn(path, mode) : NULL;
}

FILE *real_fopen64(const char *path, const char *mode)
{
	typedef FILE *(*fopen_fn)(const char *, const char *);
	fopen_fn fn = REAL_FN(fopen_fn, fopen64);

	return fn ? fn(path, mode) : real_fopen(path, mode);
}

/* ---- directory streams ------------------------------------------------------ */

/* A lookup that returns a pointer: NULL and ENOSYS when libc lacks it. */
#define REAL_DEFINE_PTR(ret, name, params, args)                               \
	ret real_##name params                                                 \
	{                                                                      \
		typedef ret(*name##_fn) params;                                \
		name##_fn fn = REAL_FN(name##_fn, name);                       \
                                                                               \
		if (!fn)                                                       \
			errno = ENOSYS;                                        \
		return fn ? fn args : NULL;                                    \
	}

REAL_DEFINE_PTR(DIR *, opendir, (const char *path), (path))
REAL_DEFINE_PTR(DIR *, fdopendir, (int fd), (fd))
REAL_DEFINE_PTR(struct dirent *, readdir, (DIR *dir), (dir))
REAL_DEFINE(int, closedir, (DIR *dir), (dir))

struct dirent64 *real_readdir64(DIR *dir)
{
	typedef struct dirent64 *(*readdir64_fn)(DIR *);
	readdir64_fn fn = REAL_FN(readdir64_fn, readdir64);

	return fn ? fn(dir) : (struct dirent64 *)real_readdir(dir);
}

void real_rewinddir(DIR *dir)
{
	typedef void (*rewinddir_fn)(DIR *);
	rewinddir_fn fn = REAL_FN(rewinddir_fn, rewinddir);

	if (fn)
		fn(dir);
}
