/* SPDX-License-Identifier: MIT */
/*
 * Files: what every descriptor the library hands out stands for.
 *
 * A struct file is one open file description, as the kernel's: the iommufd
 * itself, a fault queue, a vEVENTQ, a selftest access, a VFIO device. Every
 * descriptor made from it (dup, dup2, F_DUPFD) names the same struct file;
 * the last one closed releases it, and the file's release op frees what
 * stands behind it.
 *
 * Behind each file is a real "placeholder" descriptor, so that descriptor
 * numbers come from the kernel, O_CLOEXEC and exec are the kernel's own
 * business, and poll/select/epoll work on it unwrapped:
 *  - FILE_PLACEHOLDER_NODE: /dev/null (a sealed memfd where /dev/null cannot
 *    be opened), for files with no poll method. The kernel reports the
 *    default poll mask for such files, and so does /dev/null.
 *  - FILE_PLACEHOLDER_EVENT: an eventfd, for queues. The file keeps a
 *    private duplicate of it, and file_wake() makes it readable exactly when
 *    the file's poll op says POLLIN, so a program sleeping in poll() on any
 *    of its descriptors wakes when a record is queued. That duplicate is a
 *    descriptor the program did not open. It is placed high
 *    (FILE_PRIVATE_FD_FLOOR where the limit allows) to stay out of the way
 *    of stdio and small-number idioms, and listed (the private descriptors
 *    below) so that the shim can keep a program's close(), close_range()
 *    and closefrom() off it and move it out of dup2()'s way; a program
 *    that closes it with a raw system call loses the file's wakes.
 *  - FILE_PLACEHOLDER_DIR: an O_PATH descriptor of "/", for an emulated
 *    directory: fstat() sees a directory, so fdopendir() accepts it, and
 *    the shim serves readdir() from the file; a raw getdents64() on it is
 *    EBADF rather than a listing of something else.
 *
 * The fd -> file table is in fdtable.h. Calls on a file go through the
 * vfs_*() functions below, which apply the checks the kernel's VFS makes
 * before a driver sees the call (access mode, a missing method), in its
 * order.
 *
 * User memory: buffers are user addresses of the calling process
 * (usermem_self()); the ops read and write them through base/usermem.h.
 *
 * Nothing here calls a libc function the preload shim overrides (open,
 * close, read, write, eventfd, ...): system calls are made with syscall(),
 * so the shim's wrappers never see the library's own descriptors.
 */
#ifndef IOMMUSIM_BASE_FILE_H
#define IOMMUSIM_BASE_FILE_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct file;
struct file_mmap_req;
struct trace_file;

/*
 * A file's methods; each returns a result or -errno. NULL methods answer as
 * the kernel's VFS does for a driver without them (see vfs_*()).
 */
struct file_operations {
	const char *name; /* for diagnostics: "iommufd", "fault", ... */
	/* cmd as the kernel takes it, 32 bits; arg a user address. */
	long (*ioctl)(struct file *file, unsigned int cmd, uint64_t arg);
	ssize_t (*read)(struct file *file, uint64_t ubuf, size_t len);
	ssize_t (*write)(struct file *file, uint64_t ubuf, size_t len);
	/* For a file with positions (an emulated /proc or debugfs
	 * attribute): the same at *pos, which they move past what they
	 * transferred; read(2) and write(2) pass the file's own f_pos,
	 * pread(2) and pwrite(2) their offset. Used instead of read and
	 * write when set. */
	ssize_t (*read_at)(struct file *file, uint64_t ubuf, size_t len,
			   int64_t *pos);
	ssize_t (*write_at)(struct file *file, uint64_t ubuf, size_t len,
			    int64_t *pos);
	/* mmap(2) of [offset, +length) (length whole pages, offset a page
	 * multiple): fills req's answer, or -errno. NULL: -ENODEV. */
	int (*mmap)(struct file *file, struct file_mmap_req *req);
	/* lseek(2) (whence already checked); NULL: -ESPIPE. */
	int64_t (*llseek)(struct file *file, int64_t offset, int whence);
	/* The readiness mask (POLLIN, POLLOUT, ...) for file_wake(). */
	unsigned int (*poll)(struct file *file);
	/* The last descriptor is gone and no call is in flight. */
	void (*release)(struct file *file);
	/* Opens the file's device node again, as an open of /proc/self/fd/N
	 * does: a new descriptor (flags as file_install_new() takes them) or
	 * -errno. NULL for a file with no node (an anonymous queue). */
	int (*reopen)(struct file *file, int flags);
	/* How the trace decodes calls on the file (base/trace.h); NULL:
	 * numbers and lengths raw. */
	const struct trace_file *trace;
};

/* f_mode bits, as the kernel's FMODE_*. */
#define FMODE_READ (1u << 0)
#define FMODE_WRITE (1u << 1)
/* Positioned reads and writes allowed (not a stream). */
#define FMODE_PREAD (1u << 2)
#define FMODE_PWRITE (1u << 3)

enum file_placeholder {
	FILE_PLACEHOLDER_NODE,
	FILE_PLACEHOLDER_EVENT,
	FILE_PLACEHOLDER_DIR,
};

struct file {
	/*
	 * One reference per table entry and per call in flight; 0 while the
	 * struct sits on the free list. struct file memory is type-stable
	 * (never given back to malloc), so a lock-free lookup that raced with
	 * the last put may still touch refs; see fdtable.c.
	 */
	atomic_uint refs;
	/* Written only while refs is 0 and published by the first
	 * reference's release store; read by holders of a reference. */
	const struct file_operations *f_op;
	void *private_data;
	unsigned int f_mode;
	/* The position of read_at and write_at for read(2) and write(2);
	 * 0 when the file is made. */
	_Atomic int64_t f_pos;
	/* FILE_PLACEHOLDER_EVENT: the file's own duplicate of the eventfd
	 * (close-on-exec), which file_wake() signals; -1 otherwise. Changed
	 * only with the private-descriptor lock and wake_lock both held. */
	int event_fd;
	/* Serialises file_wake(): its look at the counter and the change
	 * that follows must not interleave with another waker's. Initialised
	 * once, when the struct is first allocated. */
	pthread_mutex_t wake_lock;
	struct file *next_free; /* on the free list only */
};

/*
 * A new file with one reference, behind a new placeholder descriptor opened
 * with the O_ACCMODE, O_CLOEXEC and O_NONBLOCK bits of flags; the
 * descriptor is entered in the fd table. Returns the descriptor or -errno
 * (-EMFILE, -ENOMEM, ...); on failure nothing is left and private_data is
 * still the caller's (release is not called).
 */
int file_install_new(const struct file_operations *fops, void *private_data,
		     int flags, enum file_placeholder kind);
/* The same, and *filep receives a reference of the caller's own, taken
 * before the descriptor exists: the file stays usable by the command that
 * made it even if the program closes the descriptor at once. */
int file_install_new_get(const struct file_operations *fops,
			 void *private_data, int flags,
			 enum file_placeholder kind, struct file **filep);
/* Takes back a descriptor file_install_new() made that the program was
 * never told of (the command failed after making it: the kernel's
 * put_unused_fd()): its entry, then its placeholder. */
void file_uninstall(int fd);

/* The file behind fd with a new reference, or NULL when fd is not one of
 * ours. Lock-free. */
struct file *fget(int fd);
void fget_ref(struct file *file); /* another reference to a held file */
/* A reference unless the count already reached zero (for the fd table's
 * lock-free lookup). */
int file_tryget(struct file *file);
/* Drops a reference; the last one releases the file. */
void fput(struct file *file);

/*
 * A file held for the length of one call without a reference of the
 * call's own: when the process has no other thread, nothing but a signal
 * handler interrupting the call can close fd, so the fd table's reference
 * stands for the call's (the kernel's fdget() on a file table nobody
 * shares) and two atomic read-modify-writes a call are saved. A put of
 * the file that a handler makes meanwhile (its close()) is owed to the
 * call and made by fdput(), so the file is never released under it.
 * Lives on the caller's stack; one per thread at a time (a handler's
 * nested call takes a reference).
 */
struct file_borrow {
	struct file *file; /* NULL: the call took a reference of its own */
	volatile sig_atomic_t owed; /* puts of file made meanwhile */
};

/* fget() for one call, borrowing where it can; undone by fdput(). */
struct file *fdget(int fd, struct file_borrow *borrow);
void fdput(struct file *file, struct file_borrow *borrow);
/* For fdget(): starts borrowing file on this thread; false when the
 * thread borrows already or another thread exists. */
bool file_borrow_begin(struct file_borrow *borrow, struct file *file);
void file_borrow_end(struct file_borrow *borrow);
/* Whether this thread's call borrows its file: the call came through a
 * descriptor, whose close() by a handler is owed to the call. */
bool file_borrow_active(void);

/*
 * Makes the placeholder of an event file readable when its poll op reports
 * POLLIN, and not readable otherwise. Call after every change of what the
 * op would report. Nothing for other files.
 */
void file_wake(struct file *file);

/*
 * The private descriptors (event files' duplicates). The lock is held
 * across fork() and while one is made, moved or closed, so what the calls
 * below say stays true until file_private_unlock(); it is a leaf but for
 * the wake_lock of a file whose descriptor is moved. Nothing that may put
 * a file can run under it (the last put closes a private descriptor).
 */
void file_private_lock(void);
void file_private_unlock(void);
/* Whether any exists: a lock-free hint for fast paths. */
bool file_have_private_fds(void);
/* With the lock held: whether fd is one; the lowest one at or above from,
 * or -1. */
bool file_fd_is_private(int fd);
int file_next_private_fd(unsigned int from);
/* With the lock held: moves the private descriptor fd to another number,
 * so that fd is free; 0 (at once when fd is not one) or -errno. */
int file_private_fd_evict(int fd);

/* An open of /proc/self/fd/N of file: its reopen op, or -ENXIO, what the
 * kernel answers for an anonymous inode. */
int vfs_reopen(struct file *file, int flags);

/* The calls on a file, with the VFS's checks first. */
long vfs_ioctl(struct file *file, unsigned int cmd, uint64_t arg);

/*
 * A mapping of a file (base/file_mmap.c). The file's mmap op names a
 * shared mapping of the library's whose pages the user's mapping shares
 * (length bytes from its start), and what to call when the mapping is
 * gone: the kernel's vm_ops->close.
 */
struct file_mmap_req {
	/* in */
	uint64_t offset;
	uint64_t length;
	int prot;
	int flags;
	/* out */
	void *source;
	void (*unmapped)(void *data);
	void *data;
};

/* mmap(2) of an emulated file: the address, or NULL with *err (-EINVAL
 * for a zero length or an offset off a page, -ENODEV without an mmap op,
 * the op's or the system's errno). */
void *vfs_mmap(struct file *file, void *addr, size_t length, int prot,
	       int flags, int64_t offset, int *err);
/* munmap(2) of [addr, +length) succeeded: every mapping of an emulated
 * file inside it is gone. Cheap when there are none. */
void file_munmapped(void *addr, size_t length);
ssize_t vfs_read(struct file *file, uint64_t ubuf, size_t len);
ssize_t vfs_write(struct file *file, uint64_t ubuf, size_t len);
/* pread/pwrite: -ESPIPE on a stream; the offset is checked, and used by
 * files with positions (read_at, write_at). */
ssize_t vfs_pread(struct file *file, uint64_t ubuf, size_t len, int64_t pos);
ssize_t vfs_pwrite(struct file *file, uint64_t ubuf, size_t len, int64_t pos);
/* lseek: whence past SEEK_HOLE is -EINVAL; then the file's llseek op, or
 * -ESPIPE without one (the kernel's answer for a file without an llseek
 * method, the iommufd and its anonymous files alike). */
int64_t vfs_llseek(struct file *file, int64_t pos, int whence);
/* The kernel's default_llseek() for a file of size 0, on f_pos: an
 * llseek op for files with positions. */
int64_t file_default_llseek(struct file *file, int64_t offset, int whence);
/* readv/writev: iov is a user address of iovcnt struct iovec. */
ssize_t vfs_readv(struct file *file, uint64_t iov, int iovcnt);
ssize_t vfs_writev(struct file *file, uint64_t iov, int iovcnt);
/* preadv/pwritev: pread's checks, then readv's. */
ssize_t vfs_preadv(struct file *file, uint64_t iov, int iovcnt, int64_t pos);
ssize_t vfs_pwritev(struct file *file, uint64_t iov, int iovcnt, int64_t pos);

#endif /* IOMMUSIM_BASE_FILE_H */
