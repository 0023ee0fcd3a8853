// SPDX-License-Identifier: MIT
/*
 * The libc entry points the shim exports, and nothing else: each unpacks its
 * arguments (the varargs of open, ioctl, fcntl), calls the logic in shim.c
 * and turns a -errno result into errno and -1. The calls that only make
 * descriptors pass libc's own result through shim_fd_made(). The exported
 * set is listed
 * again in preload.map, which keeps every other symbol of the .so local.
 */
#undef _FILE_OFFSET_BITS /* open must stay open, not become open64 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/fsuid.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "real.h"
#include "shim.h"

#define SHIM_EXPORT __attribute__((visibility("default")))

/* glibc declares these only under _FORTIFY_SOURCE. */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);

static int shim_result(int r)
{
	if (r < 0) {
		errno = -r;
		return -1;
	}
	return r;
}

/* The mode vararg of open() and openat(), read only when flags say it was
 * passed. last is the last named parameter. */
#define SHIM_OPEN_MODE(flags, last)                                            \
	({                                                                     \
		mode_t __mode = 0;                                             \
		if (shim_open_needs_mode(flags)) {                             \
			va_list __ap;                                          \
			va_start(__ap, last);                                  \
			__mode = (mode_t)va_arg(__ap, int);                    \
			va_end(__ap);                                          \
		}                                                              \
		__mode;                                                        \
	})

/* The third argument of ioctl() and fcntl(), an int or a pointer: read as a
 * pointer, as libc itself does (both travel in the same register). */
#define SHIM_VARARG_PTR(last)                                                  \
	({                                                                     \
		va_list __ap;                                                  \
		void *__arg;                                                   \
		va_start(__ap, last);                                          \
		__arg = va_arg(__ap, void *);                                  \
		va_end(__ap);                                                  \
		__arg;                                                         \
	})

SHIM_EXPORT int open(const char *path, int flags, ...)
{
	mode_t mode = SHIM_OPEN_MODE(flags, flags);

	return shim_result(shim_openat(SHIM_OPEN, AT_FDCWD, path, flags, mode));
}

SHIM_EXPORT int open64(const char *path, int flags, ...)
{
	mode_t mode = SHIM_OPEN_MODE(flags, flags);

	return shim_result(
		shim_openat(SHIM_OPEN64, AT_FDCWD, path, flags, mode));
}

SHIM_EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = SHIM_OPEN_MODE(flags, flags);

	return shim_result(shim_openat(SHIM_OPENAT, dirfd, path, flags, mode));
}

SHIM_EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = SHIM_OPEN_MODE(flags, flags);

	return shim_result(
		shim_openat(SHIM_OPENAT64, dirfd, path, flags, mode));
}

SHIM_EXPORT int __open_2(const char *path, int flags)
{
	return shim_result(shim_openat(SHIM_OPEN_2, AT_FDCWD, path, flags, 0));
}

SHIM_EXPORT int __open64_2(const char *path, int flags)
{
	return shim_result(
		shim_openat(SHIM_OPEN64_2, AT_FDCWD, path, flags, 0));
}

SHIM_EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
	return shim_result(shim_openat(SHIM_OPENAT_2, dirfd, path, flags, 0));
}

SHIM_EXPORT int __openat64_2(int dirfd, const char *path, int flags)
{
	return shim_result(
		shim_openat(SHIM_OPENAT64_2, dirfd, path, flags, 0));
}

SHIM_EXPORT int close(int fd)
{
	return shim_result(shim_close(fd));
}

SHIM_EXPORT int ioctl(int fd, unsigned long request, ...)
{
	void *arg = SHIM_VARARG_PTR(request);

	return shim_result(shim_ioctl(fd, request, arg));
}

/*
 * The mapping calls: a file of ours maps through its ops (an iommufd's
 * vIOMMU region); memory leaving the address space, or pages madvise()
 * drops, keep their pinned pages for the devices first (shim.c); and each
 * call that changes mappings, done, tells the library that what it
 * remembers of them is stale.
 *
 * ThreadSanitizer's runtime maps memory through the program's mmap()
 * while it starts (its symbolizer's allocator), before it can run a line
 * of instrumented code: in a TSan build these wrappers are not
 * instrumented (SHIM_MAP_WRAPPER), and until the shim's constructor has
 * run they hand each call straight to the kernel (shim_maps_early()).
 * From then on everything behind them runs instrumented, as elsewhere.
 */
#if defined(__SANITIZE_THREAD__)
#define SHIM_UNINSTRUMENTED __attribute__((no_sanitize_thread))
static bool maps_ready; /* __atomic: the runtime is up */

__attribute__((constructor(101))) static void shim_maps_ready(void)
{
	__atomic_store_n(&maps_ready, true, __ATOMIC_RELEASE);
}

static inline __attribute__((always_inline)) SHIM_UNINSTRUMENTED bool
shim_maps_early(void)
{
	return !__atomic_load_n(&maps_ready, __ATOMIC_ACQUIRE);
}
#else
#define SHIM_UNINSTRUMENTED
static inline bool shim_maps_early(void)
{
	return false;
}
#endif
#define SHIM_MAP_WRAPPER SHIM_EXPORT SHIM_UNINSTRUMENTED

/* A raw system call's result as a mapping call returns it (MAP_FAILED is
 * -1, errno set). */
#define SHIM_RAW_MAP(...) ((void *)syscall(__VA_ARGS__))

/* not an injection site: the program's own call, passed through */
SHIM_MAP_WRAPPER void *mmap(void *addr, size_t len, int prot, int flags,
			    int fd, off_t off)
{
	void *p;

	if (shim_maps_early())
		return SHIM_RAW_MAP(SYS_mmap, addr, len, prot, flags, fd, off);
	shim_before_mmap(addr, len, flags);
	p = shim_mmap(addr, len, prot, flags, fd, off, false);
	shim_maps_changed();
	return p;
}

/* not an injection site: the program's own call, passed through */
SHIM_MAP_WRAPPER void *mmap64(void *addr, size_t len, int prot, int flags,
			      int fd, off64_t off)
{
	void *p;

	if (shim_maps_early())
		return SHIM_RAW_MAP(SYS_mmap, addr, len, prot, flags, fd, off);
	shim_before_mmap(addr, len, flags);
	p = shim_mmap(addr, len, prot, flags, fd, off, true);
	shim_maps_changed();
	return p;
}

SHIM_MAP_WRAPPER int munmap(void *addr, size_t len)
{
	int r;

	if (shim_maps_early())
		return (int)syscall(SYS_munmap, addr, len);
	shim_before_munmap(addr, len);
	r = shim_munmap(addr, len);
	shim_maps_changed();
	return r;
}

/*
 * A call returning int that changes what the library may remember of the
 * address space: straight to the kernel until the runtime is up, else
 * 'call' (the library's handling, or libc's), then the change reported.
 */
#define SHIM_UNPAREN(...) __VA_ARGS__
#define SHIM_MAPS_CHANGING_WRAPPER(name, params, args, call)                   \
	SHIM_MAP_WRAPPER int name params                                       \
	{                                                                      \
		int r;                                                         \
                                                                               \
		if (shim_maps_early())                                         \
			return (int)syscall(SYS_##name, SHIM_UNPAREN args);    \
		r = call args;                                                 \
		shim_maps_changed();                                           \
		return r;                                                      \
	}

/* The mappings stay, but their pages may go (MADV_DONTNEED) or become
 * guards (MADV_GUARD_INSTALL): what the library remembers of them is
 * dropped as after a mapping change. */
SHIM_MAPS_CHANGING_WRAPPER(madvise, (void *addr, size_t len, int advice),
			   (addr, len, advice), shim_madvise)

/* A page made read-only or inaccessible can no longer be pinned for
 * writing or at all: the library must ask again. */
SHIM_MAPS_CHANGING_WRAPPER(mprotect, (void *addr, size_t len, int prot),
			   (addr, len, prot), real_mprotect)
SHIM_MAPS_CHANGING_WRAPPER(pkey_mprotect,
			   (void *addr, size_t len, int prot, int pkey),
			   (addr, len, prot, pkey), real_pkey_mprotect)

SHIM_MAP_WRAPPER void *shmat(int id, const void *addr, int flags)
{
	void *p;

	if (shim_maps_early())
		return SHIM_RAW_MAP(SYS_shmat, id, addr, flags);
	p = real_shmat(id, addr, flags);
	shim_maps_changed();
	return p;
}

SHIM_MAPS_CHANGING_WRAPPER(shmdt, (const void *addr), (addr), shim_shmdt)

/* The calls that change a thread's capabilities: the library asks again
 * after each. */
#define SHIM_CREDS_WRAPPER(name, params, args)                                 \
	SHIM_EXPORT int name params                                            \
	{                                                                      \
		int r = real_##name args;                                      \
                                                                               \
		shim_creds_changed();                                          \
		return r;                                                      \
	}

int capset(void *header, const void *data);
SHIM_CREDS_WRAPPER(capset, (void *header, const void *data), (header, data))
SHIM_CREDS_WRAPPER(setuid, (uid_t uid), (uid))
SHIM_CREDS_WRAPPER(setgid, (gid_t gid), (gid))
SHIM_CREDS_WRAPPER(seteuid, (uid_t uid), (uid))
SHIM_CREDS_WRAPPER(setegid, (gid_t gid), (gid))
SHIM_CREDS_WRAPPER(setreuid, (uid_t ruid, uid_t euid), (ruid, euid))
SHIM_CREDS_WRAPPER(setregid, (gid_t rgid, gid_t egid), (rgid, egid))
SHIM_CREDS_WRAPPER(setresuid, (uid_t ruid, uid_t euid, uid_t suid),
		   (ruid, euid, suid))
SHIM_CREDS_WRAPPER(setresgid, (gid_t rgid, gid_t egid, gid_t sgid),
		   (rgid, egid, sgid))
SHIM_CREDS_WRAPPER(setfsuid, (uid_t uid), (uid))
SHIM_CREDS_WRAPPER(setfsgid, (gid_t gid), (gid))

SHIM_MAP_WRAPPER void *mremap(void *old, size_t old_size, size_t new_size,
			      int flags, ...)
{
	void *new_addr = NULL;

	if (flags & MREMAP_FIXED) {
		va_list ap;

		va_start(ap, flags);
		new_addr = va_arg(ap, void *);
		va_end(ap);
	}
	if (shim_maps_early())
		return SHIM_RAW_MAP(SYS_mremap, old, old_size, new_size, flags,
				    new_addr);
	void *p = shim_mremap(old, old_size, new_size, flags, new_addr);

	shim_maps_changed();
	return p;
}

SHIM_EXPORT int dup(int fd)
{
	return shim_result(shim_dup(fd));
}

SHIM_EXPORT int dup2(int oldfd, int newfd)
{
	return shim_result(shim_dup2(oldfd, newfd));
}

SHIM_EXPORT int dup3(int oldfd, int newfd, int flags)
{
	return shim_result(shim_dup3(oldfd, newfd, flags));
}

SHIM_EXPORT int fcntl(int fd, int cmd, ...)
{
	void *arg = SHIM_VARARG_PTR(cmd);

	return shim_result(shim_fcntl(fd, cmd, arg, false));
}

SHIM_EXPORT int fcntl64(int fd, int cmd, ...)
{
	void *arg = SHIM_VARARG_PTR(cmd);

	return shim_result(shim_fcntl(fd, cmd, arg, true));
}

SHIM_EXPORT int close_range(unsigned int first, unsigned int last, int flags)
{
	return shim_result(shim_close_range(first, last, flags));
}

SHIM_EXPORT void closefrom(int lowfd)
{
	shim_closefrom(lowfd);
}

/* ---- reads and writes ------------------------------------------------------ */

static ssize_t shim_result_ssize(ssize_t r)
{
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return r;
}

SHIM_EXPORT ssize_t read(int fd, void *buf, size_t len)
{
	return shim_result_ssize(shim_read(fd, buf, len));
}

SHIM_EXPORT ssize_t write(int fd, const void *buf, size_t len)
{
	return shim_result_ssize(shim_write(fd, buf, len));
}

SHIM_EXPORT ssize_t pread(int fd, void *buf, size_t len, off_t pos)
{
	return shim_result_ssize(shim_pread(fd, buf, len, pos, false));
}

SHIM_EXPORT ssize_t pread64(int fd, void *buf, size_t len, off64_t pos)
{
	return shim_result_ssize(shim_pread(fd, buf, len, pos, true));
}

SHIM_EXPORT ssize_t pwrite(int fd, const void *buf, size_t len, off_t pos)
{
	return shim_result_ssize(shim_pwrite(fd, buf, len, pos, false));
}

SHIM_EXPORT ssize_t pwrite64(int fd, const void *buf, size_t len, off64_t pos)
{
	return shim_result_ssize(shim_pwrite(fd, buf, len, pos, true));
}

SHIM_EXPORT ssize_t readv(int fd, const struct iovec *iov, int iovcnt)
{
	return shim_result_ssize(shim_readv(fd, iov, iovcnt));
}

SHIM_EXPORT ssize_t writev(int fd, const struct iovec *iov, int iovcnt)
{
	return shim_result_ssize(shim_writev(fd, iov, iovcnt));
}

SHIM_EXPORT ssize_t preadv(int fd, const struct iovec *iov, int iovcnt,
			   off_t pos)
{
	return shim_result_ssize(shim_preadv(fd, iov, iovcnt, pos, false));
}

SHIM_EXPORT ssize_t preadv64(int fd, const struct iovec *iov, int iovcnt,
			     off64_t pos)
{
	return shim_result_ssize(shim_preadv(fd, iov, iovcnt, pos, true));
}

SHIM_EXPORT ssize_t pwritev(int fd, const struct iovec *iov, int iovcnt,
			    off_t pos)
{
	return shim_result_ssize(shim_pwritev(fd, iov, iovcnt, pos, false));
}

SHIM_EXPORT ssize_t pwritev64(int fd, const struct iovec *iov, int iovcnt,
			      off64_t pos)
{
	return shim_result_ssize(shim_pwritev(fd, iov, iovcnt, pos, true));
}

SHIM_EXPORT off_t lseek(int fd, off_t pos, int whence)
{
	return (off_t)shim_result_ssize(shim_lseek(fd, pos, whence, false));
}

SHIM_EXPORT off64_t lseek64(int fd, off64_t pos, int whence)
{
	return (off64_t)shim_result_ssize(shim_lseek(fd, pos, whence, true));
}

/* _FORTIFY_SOURCE's reads: glibc's own versions call its internal read,
 * which the wrappers above never see. The check is glibc's. */
void __chk_fail(void) __attribute__((noreturn));

SHIM_EXPORT ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen)
{
	if (len > buflen)
		__chk_fail();
	return shim_result_ssize(shim_read(fd, buf, len));
}

SHIM_EXPORT ssize_t __pread_chk(int fd, void *buf, size_t len, off_t pos,
				size_t buflen)
{
	if (len > buflen)
		__chk_fail();
	return shim_result_ssize(shim_pread(fd, buf, len, pos, false));
}

SHIM_EXPORT ssize_t __pread64_chk(int fd, void *buf, size_t len, off64_t pos,
				  size_t buflen)
{
	if (len > buflen)
		__chk_fail();
	return shim_result_ssize(shim_pread(fd, buf, len, pos, true));
}

/* ---- calls that make descriptors ------------------------------------------- */
/* libc's result and errno pass through unchanged; see shim_fd_made(). */

SHIM_EXPORT int socket(int domain, int type, int protocol)
{
	return shim_fd_made(real_socket(domain, type, protocol));
}

SHIM_EXPORT int socketpair(int domain, int type, int protocol, int sv[2])
{
	return shim_fds_made(real_socketpair(domain, type, protocol, sv), sv);
}

SHIM_EXPORT int accept(int fd, struct sockaddr *addr, socklen_t *addrlen)
{
	return shim_fd_made(real_accept(fd, addr, addrlen));
}

SHIM_EXPORT int accept4(int fd, struct sockaddr *addr, socklen_t *addrlen,
			int flags)
{
	return shim_fd_made(real_accept4(fd, addr, addrlen, flags));
}

SHIM_EXPORT int pipe(int fds[2])
{
	return shim_fds_made(real_pipe(fds), fds);
}

SHIM_EXPORT int pipe2(int fds[2], int flags)
{
	return shim_fds_made(real_pipe2(fds, flags), fds);
}

SHIM_EXPORT int eventfd(unsigned int count, int flags)
{
	return shim_fd_made(real_eventfd(count, flags));
}

SHIM_EXPORT int epoll_create(int size)
{
	return shim_fd_made(real_epoll_create(size));
}

SHIM_EXPORT int epoll_create1(int flags)
{
	return shim_fd_made(real_epoll_create1(flags));
}

SHIM_EXPORT int signalfd(int fd, const sigset_t *mask, int flags)
{
	return shim_fd_made(real_signalfd(fd, mask, flags));
}

SHIM_EXPORT int timerfd_create(int clockid, int flags)
{
	return shim_fd_made(real_timerfd_create(clockid, flags));
}

SHIM_EXPORT int memfd_create(const char *name, unsigned int flags)
{
	return shim_fd_made(real_memfd_create(name, flags));
}

SHIM_EXPORT int inotify_init(void)
{
	return shim_fd_made(real_inotify_init());
}

SHIM_EXPORT int inotify_init1(int flags)
{
	return shim_fd_made(real_inotify_init1(flags));
}

/* fopen() opens inside libc, where the open wrappers cannot see it. */
SHIM_EXPORT FILE *fopen(const char *path, const char *mode)
{
	FILE *f = real_fopen(path, mode);

	if (f)
		shim_fd_made(fileno(f));
	return f;
}

SHIM_EXPORT FILE *fopen64(const char *path, const char *mode)
{
	FILE *f = real_fopen64(path, mode);

	if (f)
		shim_fd_made(fileno(f));
	return f;
}

/* ---- directory streams ------------------------------------------------------- */

SHIM_EXPORT DIR *opendir(const char *path)
{
	return shim_opendir(path);
}

SHIM_EXPORT struct dirent *readdir(DIR *dir)
{
	return shim_readdir(dir);
}

SHIM_EXPORT struct dirent64 *readdir64(DIR *dir)
{
	return shim_readdir64(dir);
}

SHIM_EXPORT int closedir(DIR *dir)
{
	return shim_result(shim_closedir(dir));
}

SHIM_EXPORT void rewinddir(DIR *dir)
{
	shim_rewinddir(dir);
}
