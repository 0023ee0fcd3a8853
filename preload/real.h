/* SPDX-License-Identifier: MIT */
/*
 * The real libc entry points behind the ones the shim overrides.
 *
 * Each real_x() calls the next definition of x after the shim in the symbol
 * lookup order (dlsym(RTLD_NEXT, "x"): libc, or a sanitizer's interceptor in
 * front of it). The address is looked up on the first call and cached; the
 * lookups are idempotent, so two threads racing on the first call both store
 * the same pointer.
 *
 * They behave exactly as libc's: -1 and errno on failure. When libc lacks a
 * symbol (an older glibc), the closest equivalent stands in (fcntl for
 * fcntl64, openat for __openat_2, ...) or, when there is none, the call fails
 * with ENOSYS.
 *
 * The logic behind the wrappers reaches libc's versions of the overridden
 * functions only through these; calling open() or close() by name from there
 * would land back in the wrappers (tests/shim-lint.sh checks).
 */
#ifndef IOMMUSIM_PRELOAD_REAL_H
#define IOMMUSIM_PRELOAD_REAL_H

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

int real_open(const char *path, int flags, mode_t mode);
int real_open64(const char *path, int flags, mode_t mode);
int real_openat(int dirfd, const char *path, int flags, mode_t mode);
int real_openat64(int dirfd, const char *path, int flags, mode_t mode);
/* The _FORTIFY_SOURCE entry points: no mode, and they abort on O_CREAT. */
int real___open_2(const char *path, int flags);
int real___open64_2(const char *path, int flags);
int real___openat_2(int dirfd, const char *path, int flags);
int real___openat64_2(int dirfd, const char *path, int flags);

int real_close(int fd);
int real_ioctl(int fd, unsigned long request, void *arg);
int real_dup(int fd);
int real_dup2(int oldfd, int newfd);
int real_dup3(int oldfd, int newfd, int flags);
/* arg is whatever the caller passed as the vararg (int or pointer). */
int real_fcntl(int fd, int cmd, void *arg);
int real_fcntl64(int fd, int cmd, void *arg);
int real_close_range(unsigned int first, unsigned int last, int flags);
void real_closefrom(int lowfd);

ssize_t real_read(int fd, void *buf, size_t len);
ssize_t real_write(int fd, const void *buf, size_t len);
ssize_t real_pread(int fd, void *buf, size_t len, off_t pos);
ssize_t real_pwrite(int fd, const void *buf, size_t len, off_t pos);
ssize_t real_pread64(int fd, void *buf, size_t len, off64_t pos);
ssize_t real_pwrite64(int fd, const void *buf, size_t len, off64_t pos);
ssize_t real_readv(int fd, const struct iovec *iov, int iovcnt);
ssize_t real_writev(int fd, const struct iovec *iov, int iovcnt);
ssize_t real_preadv(int fd, const struct iovec *iov, int iovcnt, off_t pos);
ssize_t real_pwritev(int fd, const struct iovec *iov, int iovcnt, off_t pos);
ssize_t real_preadv64(int fd, const struct iovec *iov, int iovcnt,
		      off64_t pos);
ssize_t real_pwritev64(int fd, const struct iovec *iov, int iovcnt,
		       off64_t pos);
off_t real_lseek(int fd, off_t pos, int whence);
off64_t real_lseek64(int fd, off64_t pos, int whence);

/* Calls that take memory out of the address space: the shim keeps pages
 * pinned there for the devices first. */
void *real_mmap(void *addr, size_t len, int prot, int flags, int fd,
		off_t off);
void *real_mmap64(void *addr, size_t len, int prot, int flags, int fd,
		  off64_t off);
int real_munmap(void *addr, size_t len);
int real_madvise(void *addr, size_t len, int advice);
int real_mprotect(void *addr, size_t len, int prot);
int real_pkey_mprotect(void *addr, size_t len, int prot, int pkey);
void *real_mremap(void *old, size_t old_size, size_t new_size, int flags,
		  void *new_addr);

void *real_shmat(int id, const void *addr, int flags);
int real_shmdt(const void *addr);

/* Calls that change a thread's capabilities. */
int real_capset(void *header, const void *data);
int real_setuid(uid_t uid);
int real_setgid(gid_t gid);
int real_seteuid(uid_t uid);
int real_setegid(gid_t gid);
int real_setreuid(uid_t ruid, uid_t euid);
int real_setregid(gid_t rgid, gid_t egid);
int real_setresuid(uid_t ruid, uid_t euid, uid_t suid);
int real_setresgid(gid_t rgid, gid_t egid, gid_t sgid);
int real_setfsuid(uid_t uid);
int real_setfsgid(gid_t gid);

/* Calls that hand out new descriptors: the shim only learns their
 * numbers, to drop entries that descriptors closed behind its back left. */
int real_socket(int domain, int type, int protocol);
int real_socketpair(int domain, int type, int protocol, int sv[2]);
int real_accept(int fd, struct sockaddr *addr, socklen_t *addrlen);
int real_accept4(int fd, struct sockaddr *addr, socklen_t *addrlen,
		 int flags);
int real_pipe(int fds[2]);
int real_pipe2(int fds[2], int flags);
int real_eventfd(unsigned int count, int flags);
int real_epoll_create(int size);
int real_epoll_create1(int flags);
int real_signalfd(int fd, const sigset_t *mask, int flags);
int real_timerfd_create(int clockid, int flags);
int real_memfd_create(const char *name, unsigned int flags);
int real_inotify_init(void);
int real_inotify_init1(int flags);
FILE *real_fopen(const char *path, const char *mode);
FILE *real_fopen64(const char *path, const char *mode);

/* Directory streams: opendir() opens inside libc, where the open wrappers
 * cannot see it; the rest act on the stream's descriptor. */
DIR *real_opendir(const char *path);
DIR *real_fdopendir(int fd);
struct dirent *real_readdir(DIR *dir);
struct dirent64 *real_readdir64(DIR *dir);
int real_closedir(DIR *dir);
void real_rewinddir(DIR *dir);

#endif /* IOMMUSIM_PRELOAD_REAL_H */
