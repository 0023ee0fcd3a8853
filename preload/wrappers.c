// SPDX-License-Identifier: MIT
/*
 * The libc entry points the shim exports, and nothing else: each unpacks its
 * arguments (the varargs of open, ioctl, fcntl), calls the logic in shim.c
 * and turns a -errno result into errno and -1. The exported set is listed
 * again in preload.map, which keeps every other symbol of the .so local.
 */
#undef _FILE_OFFSET_BITS /* open must stay open, not become open64 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <unistd.h>

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
