// SPDX-License-Identifier: MIT
/*
 * Files and their placeholders; the VFS checks in front of every call. See
 * file.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/fdtable.h"
#include "base/file.h"
#include "base/reentry.h"
#include "base/single_threaded.h"
#include "base/trace.h"
#include "base/usermem.h"

/* The kernel's UIO_MAXIOV and MAX_RW_COUNT (INT_MAX rounded down to a
 * page). */
#define FILE_MAX_IOV 1024
#define FILE_MAX_RW_COUNT ((size_t)(INT_MAX & ~4095))
/* Where an event file's private descriptor goes, when the limit allows:
 * above the numbers programs pick by hand or expect to be handed. */
#define FILE_PRIVATE_FD_FLOOR 512

/* ---- struct file memory -------------------------------------------------- */

/*
 * Type-stable: a released struct goes on this list and is reused, never
 * freed, so a lock-free lookup that loaded a pointer just before the last
 * put can still read refs (and sees 0, or sees the struct reused and the
 * table entry changed). The lock is a leaf, held across fork().
 */
static pthread_mutex_t free_lock = PTHREAD_MUTEX_INITIALIZER;
static struct file *free_files;

/* The private descriptors' lock; see "private descriptors" below. */
static pthread_mutex_t private_lock = PTHREAD_MUTEX_INITIALIZER;

static void file_atfork_prepare(void)
{
	pthread_mutex_lock(&private_lock);
	pthread_mutex_lock(&free_lock);
}

static void file_atfork_unlock(void)
{
	pthread_mutex_unlock(&free_lock);
	pthread_mutex_unlock(&private_lock);
}

__attribute__((constructor)) static void file_init(void)
{
	pthread_atfork(file_atfork_prepare, file_atfork_unlock,
		       file_atfork_unlock);
}

static struct file *file_alloc(void)
{
	struct file *file;

	/* One site whether the struct is reused or new: the kernel's file
	 * cache may fail either way. */
	if (fault_should_fail(FAULT_SLAB, 0, __func__))
		return NULL;
	pthread_mutex_lock(&free_lock);
	file = free_files;
	if (file)
		free_files = file->next_free;
	pthread_mutex_unlock(&free_lock);
	if (file)
		return file;
	file = malloc(sizeof(*file)); /* not an injection site: see above */
	if (file) {
		atomic_init(&file->refs, 0);
		pthread_mutex_init(&file->wake_lock, NULL);
	}
	return file;
}

static void file_free(struct file *file)
{
	pthread_mutex_lock(&free_lock);
	file->next_free = free_files;
	free_files = file;
	pthread_mutex_unlock(&free_lock);
}

/* ---- private descriptors ------------------------------------------------- */

/*
 * Every event file's private descriptor with its file, sorted by number,
 * under private_lock. A handful at most: a sorted array. nr_private is
 * also read without the lock, as a hint.
 */
struct private_fd {
	int fd;
	struct file *file;
};

static struct private_fd *private_fds;
static unsigned int private_cap;
static atomic_uint nr_private;

void file_private_lock(void)
{
	pthread_mutex_lock(&private_lock);
}

void file_private_unlock(void)
{
	pthread_mutex_unlock(&private_lock);
}

bool file_have_private_fds(void)
{
	return atomic_load_explicit(&nr_private, memory_order_relaxed);
}

/* The index of the first entry at or above fd; private_lock held. */
static unsigned int private_index(int fd)
{
	unsigned int n = atomic_load_explicit(&nr_private,
					      memory_order_relaxed);
	unsigned int i;

	for (i = 0; i < n && private_fds[i].fd < fd; i++)
		;
	return i;
}

bool file_fd_is_private(int fd)
{
	unsigned int i = private_index(fd);

	return i < atomic_load_explicit(&nr_private, memory_order_relaxed) &&
	       private_fds[i].fd == fd;
}

int file_next_private_fd(unsigned int from)
{
	unsigned int i, n = atomic_load_explicit(&nr_private,
						 memory_order_relaxed);

	for (i = 0; i < n; i++)
		if ((unsigned int)private_fds[i].fd >= from)
			return private_fds[i].fd;
	return -1;
}

static int private_add(int fd, struct file *file)
{
	unsigned int n = atomic_load_explicit(&nr_private,
					      memory_order_relaxed);
	unsigned int i = private_index(fd);

	if (n == private_cap) {
		unsigned int cap = private_cap ? private_cap * 2 : 8;
		struct private_fd *grown =
			lib_realloc(private_fds, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		private_fds = grown;
		private_cap = cap;
	}
	memmove(&private_fds[i + 1], &private_fds[i],
		(n - i) * sizeof(*private_fds));
	private_fds[i] = (struct private_fd){ .fd = fd, .file = file };
	atomic_store_explicit(&nr_private, n + 1, memory_order_relaxed);
	return 0;
}

static void private_del(int fd)
{
	unsigned int n = atomic_load_explicit(&nr_private,
					      memory_order_relaxed);
	unsigned int i = private_index(fd);

	if (i == n || private_fds[i].fd != fd)
		return;
	memmove(&private_fds[i], &private_fds[i + 1],
		(n - i - 1) * sizeof(*private_fds));
	atomic_store_explicit(&nr_private, n - 1, memory_order_relaxed);
}

/* A close-on-exec duplicate of fd, placed high; the number or -errno. */
static int private_dup(int fd)
{
	int own = (int)syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC,
			       FILE_PRIVATE_FD_FLOOR);

	if (own < 0 && errno == EINVAL) /* the floor is past the limit */
		own = (int)syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 3);
	return own < 0 ? -errno : own;
}

/* Gives file its private duplicate of the eventfd fd. */
static int private_fd_make(struct file *file, int fd)
{
	int own, rc;

	pthread_mutex_lock(&private_lock);
	own = private_dup(fd);
	rc = own < 0 ? own : private_add(own, file);
	if (!rc)
		file->event_fd = own;
	else if (own >= 0)
		syscall(SYS_close, own);
	pthread_mutex_unlock(&private_lock);
	return rc;
}

static void private_fd_close(struct file *file)
{
	pthread_mutex_lock(&private_lock);
	private_del(file->event_fd);
	syscall(SYS_close, file->event_fd);
	file->event_fd = -1;
	pthread_mutex_unlock(&private_lock);
}

int file_private_fd_evict(int fd)
{
	unsigned int i = private_index(fd);
	struct file *file;
	int own;

	if (!file_fd_is_private(fd))
		return 0;
	file = private_fds[i].file;
	/* no wake may write to the number while it changes hands */
	pthread_mutex_lock(&file->wake_lock);
	own = private_dup(fd);
	if (own >= 0) {
		file->event_fd = own;
		syscall(SYS_close, fd);
	}
	pthread_mutex_unlock(&file->wake_lock);
	if (own < 0)
		return own;
	private_del(fd);
	/* cannot fail: the entry just freed is reused */
	return private_add(own, file);
}

/* ---- references ---------------------------------------------------------- */

int file_tryget(struct file *file)
{
	unsigned int refs =
		atomic_load_explicit(&file->refs, memory_order_relaxed);

	do {
		if (!refs)
			return 0;
	} while (!atomic_compare_exchange_weak_explicit(
		&file->refs, &refs, refs + 1, memory_order_acquire,
		memory_order_relaxed));
	return 1;
}

void fget_ref(struct file *file)
{
	atomic_fetch_add_explicit(&file->refs, 1, memory_order_relaxed);
}

/* The thread's borrow in progress (fdget()), or NULL. Read by a signal
 * handler interrupting the borrowing call, on the same thread. */
static __thread struct file_borrow *borrowing
	__attribute__((tls_model("initial-exec")));

bool file_borrow_begin(struct file_borrow *borrow, struct file *file)
{
	if (borrowing || !process_single_threaded())
		return false;
	borrow->file = file;
	borrow->owed = 0;
	/* a handler that sees borrowing must see owed at 0 */
	atomic_signal_fence(memory_order_seq_cst);
	borrowing = borrow;
	atomic_signal_fence(memory_order_seq_cst);
	return true;
}

bool file_borrow_active(void)
{
	return borrowing != NULL;
}

void file_borrow_end(struct file_borrow *borrow)
{
	atomic_signal_fence(memory_order_seq_cst);
	borrowing = NULL;
	atomic_signal_fence(memory_order_seq_cst);
	/* no handler adds to owed from here on */
	for (; borrow->owed; borrow->owed--)
		fput(borrow->file);
}

void fdput(struct file *file, struct file_borrow *borrow)
{
	if (borrow->file)
		file_borrow_end(borrow);
	else
		fput(file);
}

void fput(struct file *file)
{
	struct file_borrow *borrow = borrowing;
	int saved_errno;

	/* a handler's put of the file its interrupted call borrows */
	if (__builtin_expect(borrow != NULL, 0) && borrow->file == file) {
		borrow->owed++;
		return;
	}
	if (atomic_fetch_sub_explicit(&file->refs, 1, memory_order_acq_rel) !=
	    1)
		return;
	saved_errno = errno;
	if (file->f_op->release)
		file->f_op->release(file);
	if (file->event_fd >= 0)
		private_fd_close(file);
	file->f_op = NULL;
	file->private_data = NULL;
	errno = saved_errno;
	file_free(file);
}

/* ---- placeholders -------------------------------------------------------- */

/* /dev/null with the caller's access mode, or a sealed memfd where there
 * is no /dev/null (a bare chroot). The descriptor or -errno. */
static int placeholder_node(int flags)
{
	int pflags = (flags & (O_ACCMODE | O_CLOEXEC | O_NONBLOCK)) | O_NOCTTY;
	int fd, err;

	fd = (int)syscall(SYS_openat, AT_FDCWD, "/dev/null", pflags, 0);
	if (fd >= 0)
		return fd;
	err = errno;
	if (err == EMFILE || err == ENFILE)
		return -err;

	fd = (int)syscall(SYS_memfd_create, "iommusim:placeholder",
			  MFD_ALLOW_SEALING |
				  ((flags & O_CLOEXEC) ? MFD_CLOEXEC : 0));
	if (fd < 0)
		return -err; /* /dev/null's reason is the telling one */
	syscall(SYS_fcntl, fd, F_ADD_SEALS,
		F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);
	if ((flags & O_NONBLOCK) &&
	    syscall(SYS_fcntl, fd, F_SETFL, O_NONBLOCK) < 0) {
		err = errno;
		syscall(SYS_close, fd);
		return -err;
	}
	return fd;
}

/* An eventfd for the caller (the file's own duplicate comes once the
 * file exists). The descriptor or -errno. */
static int placeholder_event(int flags)
{
	int efd_flags = ((flags & O_CLOEXEC) ? EFD_CLOEXEC : 0) |
			((flags & O_NONBLOCK) ? EFD_NONBLOCK : 0);
	int fd = (int)syscall(SYS_eventfd2, 0, efd_flags);

	return fd < 0 ? -errno : fd;
}

static int placeholder_dir(int flags)
{
	int fd = (int)syscall(SYS_openat, AT_FDCWD, "/",
			      O_PATH | O_DIRECTORY | (flags & O_CLOEXEC), 0);

	return fd < 0 ? -errno : fd;
}

static unsigned int file_mode(int flags, enum file_placeholder kind)
{
	unsigned int mode = 0;

	switch (flags & O_ACCMODE) {
	case O_RDONLY:
		mode = FMODE_READ;
		break;
	case O_WRONLY:
		mode = FMODE_WRITE;
		break;
	case O_RDWR:
		mode = FMODE_READ | FMODE_WRITE;
		break;
	}
	/* A device node or a directory can be read at an offset; an
	 * anonymous queue file is a stream. */
	if (kind != FILE_PLACEHOLDER_EVENT)
		mode |= FMODE_PREAD | FMODE_PWRITE;
	return mode;
}

int file_install_new(const struct file_operations *fops, void *private_data,
		     int flags, enum file_placeholder kind)
{
	return file_install_new_get(fops, private_data, flags, kind, NULL);
}

int file_install_new_get(const struct file_operations *fops,
			 void *private_data, int flags,
			 enum file_placeholder kind, struct file **filep)
{
	int saved_errno = errno;
	struct file *file;
	int fd, rc;

	if (kind == FILE_PLACEHOLDER_EVENT)
		flags = (flags & ~O_ACCMODE) | O_RDWR;
	if (kind == FILE_PLACEHOLDER_EVENT)
		fd = placeholder_event(flags);
	else if (kind == FILE_PLACEHOLDER_DIR)
		fd = placeholder_dir(flags);
	else
		fd = placeholder_node(flags);
	if (fd < 0) {
		rc = fd;
		goto out;
	}
	rc = fdtable_reserve(fd);
	if (rc)
		goto out_close;
	file = file_alloc();
	if (!file) {
		rc = -ENOMEM;
		goto out_close;
	}
	file->f_op = fops;
	file->private_data = private_data;
	file->f_mode = file_mode(flags, kind);
	file->event_fd = -1;
	atomic_init(&file->f_pos, 0);
	file->next_free = NULL;
	if (kind == FILE_PLACEHOLDER_EVENT) {
		rc = private_fd_make(file, fd);
		if (rc)
			goto out_free;
	}
	atomic_store_explicit(&file->refs, filep ? 2 : 1,
			      memory_order_release);
	if (filep)
		*filep = file;
	fdtable_install(fd, file);
	rc = fd;
	goto out;

out_free:
	file_free(file);
out_close:
	syscall(SYS_close, fd);
out:
	errno = saved_errno;
	return rc;
}

void file_uninstall(int fd)
{
	int saved_errno = errno;
	struct file *file = fdtable_remove(fd);

	/* the entry first, as close() does: the number may be reused next */
	syscall(SYS_close, fd);
	errno = saved_errno;
	if (file)
		fput(file);
}

/* ---- waking pollers ------------------------------------------------------ */

void file_wake(struct file *file)
{
	int saved_errno = errno;
	bool want, have;
	uint64_t count;
	struct pollfd pfd;
	struct timespec no_wait = { 0, 0 };

	if (file->event_fd < 0 || !file->f_op->poll)
		return;
	/* A fork() while another thread holds this lock would leave it held
	 * in the child; wakers hold it for two system calls at most. */
	pthread_mutex_lock(&file->wake_lock);
	/* Only this function moves the counter (reads and writes of the
	 * file go to its ops), so it is 0 or 1; ask the kernel which, with
	 * a poll that does not sleep, rather than keep a copy that two
	 * wakers could get out of step. */
	want = file->f_op->poll(file) & POLLIN;
	pfd = (struct pollfd){ .fd = file->event_fd, .events = POLLIN };
	have = syscall(SYS_ppoll, &pfd, 1, &no_wait, NULL, 0) == 1 &&
	       (pfd.revents & POLLIN);
	if (want && !have) {
		count = 1;
		syscall(SYS_write, file->event_fd, &count, sizeof(count));
	} else if (!want && have) {
		syscall(SYS_read, file->event_fd, &count, sizeof(count));
	}
	pthread_mutex_unlock(&file->wake_lock);
	errno = saved_errno;
}

/* ---- the VFS's checks ---------------------------------------------------- */

int vfs_reopen(struct file *file, int flags)
{
	if (!file->f_op->reopen)
		return -ENXIO;
	return file->f_op->reopen(file, flags);
}

static long file_ioctl(void *file, unsigned int cmd, uint64_t arg)
{
	const struct file_operations *f_op = ((struct file *)file)->f_op;

	if (!f_op->ioctl)
		return -ENOTTY;
	return f_op->ioctl(file, cmd, arg);
}

/* The trace is inside the guard: it has a lock of its own. */
static long file_ioctl_traced(struct file *file, unsigned int cmd,
			      uint64_t arg)
{
	if (trace_enabled())
		return trace_ioctl(file->f_op->trace, TRACE_CALL_FD, cmd, arg,
				   file_ioctl, file);
	return file_ioctl(file, cmd, arg);
}

long vfs_ioctl(struct file *file, unsigned int cmd, uint64_t arg)
{
	return REENTRY_GUARDED(long, file_ioctl_traced(file, cmd, arg));
}

/* A read or write's trace line, after the call (rc its result). */
#define TRACE_RW(file, op, ubuf, len, pos, rc)                                 \
	do {                                                                   \
		if (trace_enabled())                                           \
			trace_rw((file)->f_op->trace, TRACE_CALL_FD, op, ubuf, \
				 len, pos, rc);                                \
	} while (0)

enum file_dir {
	FILE_READ,
	FILE_WRITE,
};

/* The access mode, then the method, as the kernel's VFS checks them
 * before anything else. */
static int file_check_method(struct file *file, enum file_dir dir)
{
	const struct file_operations *op = file->f_op;
	unsigned int mode = dir == FILE_READ ? FMODE_READ : FMODE_WRITE;
	bool has = dir == FILE_READ ? op->read || op->read_at :
				      op->write || op->write_at;

	return !(file->f_mode & mode) ? -EBADF : !has ? -EINVAL : 0;
}

/* Whether the file's method for dir takes a position. */
static bool file_positional(const struct file *file, enum file_dir dir)
{
	return dir == FILE_READ ? file->f_op->read_at != NULL :
				  file->f_op->write_at != NULL;
}

/* Where a transfer starts: the call's offset (pread), else the file's
 * own position. */
static int64_t file_start(struct file *file, const int64_t *pos)
{
	return pos ? *pos : atomic_load(&file->f_pos);
}

/* A read(2) or write(2) that moved the position leaves it there. */
static void file_settle(struct file *file, enum file_dir dir,
			const int64_t *pos, int64_t where)
{
	if (!pos && file_positional(file, dir))
		atomic_store(&file->f_pos, where);
}

/* One transfer through the file's method; at *where, moved past what was
 * transferred, for a file with positions. */
static ssize_t file_transfer(struct file *file, enum file_dir dir,
			     uint64_t ubuf, size_t len, int64_t *where)
{
	const struct file_operations *op = file->f_op;

	if (dir == FILE_READ)
		return op->read_at ? op->read_at(file, ubuf, len, where) :
				     op->read(file, ubuf, len);
	return op->write_at ? op->write_at(file, ubuf, len, where) :
			      op->write(file, ubuf, len);
}

/* What pread/pwrite and preadv/pwritev check first: the offset, then
 * whether the file has positions at all. */
static int file_check_pos(struct file *file, enum file_dir dir, int64_t pos)
{
	if (pos < 0)
		return -EINVAL;
	if (!(file->f_mode & (dir == FILE_READ ? FMODE_PREAD : FMODE_PWRITE)))
		return -ESPIPE;
	return 0;
}

/* rw_verify_area()'s check of a positioned transfer: its end must not
 * overflow the offset type. */
static bool file_range_ok(const int64_t *pos, size_t len)
{
	return !pos || (uint64_t)*pos + len <= (uint64_t)INT64_MAX;
}

/* vfs_read() and friends past the offset checks: the access mode, the
 * method, the buffer, the range, in the kernel's order. */
static ssize_t file_rw(struct file *file, enum file_dir dir, uint64_t ubuf,
		       size_t len, const int64_t *pos)
{
	int64_t where;
	ssize_t n;
	int rc;

	rc = file_check_method(file, dir);
	if (rc)
		return rc;
	if (!usermem_access_ok(usermem_self(), ubuf, len))
		return -EFAULT;
	if (!file_range_ok(pos, len))
		return -EINVAL;
	if (len > FILE_MAX_RW_COUNT)
		len = FILE_MAX_RW_COUNT;
	where = file_start(file, pos);
	n = file_transfer(file, dir, ubuf, len, &where);
	if (n >= 0)
		file_settle(file, dir, pos, where);
	return n;
}

int64_t vfs_llseek(struct file *file, int64_t pos, int whence)
{
	/* the system call takes whence unsigned */
	if ((unsigned int)whence > SEEK_HOLE)
		return -EINVAL;
	if (!file->f_op->llseek)
		return -ESPIPE;
	return file->f_op->llseek(file, pos, whence);
}

int64_t file_default_llseek(struct file *file, int64_t offset, int whence)
{
	int64_t cur = atomic_load(&file->f_pos);

	switch (whence) {
	case SEEK_CUR:
		if (__builtin_add_overflow(offset, cur, &offset))
			return -EINVAL;
		break;
	case SEEK_DATA:
		/* the size is 0: no data anywhere */
		if (offset >= 0)
			return -ENXIO;
		break;
	case SEEK_HOLE:
		/* and the hole at the end is at 0 */
		if (offset >= 0)
			return -ENXIO;
		offset = 0;
		break;
	}
	if (offset < 0)
		return -EINVAL;
	atomic_store(&file->f_pos, offset);
	return offset;
}

/*
 * The kernel's import_iovec(): the array copied in, every segment checked
 * (a negative length is EINVAL, a bad range EFAULT), the total clamped to
 * FILE_MAX_RW_COUNT by shortening the segments that pass it. Returns the
 * total or -errno; *out is freed by the caller.
 */
static ssize_t import_iovec(uint64_t uiov, int iovcnt, struct iovec **out)
{
	struct iovec *iov;
	size_t total = 0;
	int i, rc;

	*out = NULL;
	if (iovcnt < 0 || iovcnt > FILE_MAX_IOV)
		return -EINVAL;
	if (!iovcnt)
		return 0;
	iov = lib_calloc((size_t)iovcnt, sizeof(*iov));
	if (!iov)
		return -ENOMEM;
	rc = usermem_copy_from(usermem_self(), iov, uiov,
			       (size_t)iovcnt * sizeof(*iov));
	if (rc)
		goto out_free;
	/* Every length is checked as the array comes in, before any
	 * segment's address: a negative length anywhere is EINVAL. */
	rc = -EINVAL;
	for (i = 0; i < iovcnt; i++)
		if ((ssize_t)iov[i].iov_len < 0)
			goto out_free;
	/* One segment is taken as a plain buffer: clamped, then checked. */
	rc = -EFAULT;
	for (i = 0; i < iovcnt; i++) {
		size_t len = iov[i].iov_len;

		if (iovcnt == 1 && len > FILE_MAX_RW_COUNT)
			len = iov[i].iov_len = FILE_MAX_RW_COUNT;
		if (!usermem_access_ok(usermem_self(),
				       (uint64_t)(uintptr_t)iov[i].iov_base,
				       len))
			goto out_free;
		if (len > FILE_MAX_RW_COUNT - total)
			len = iov[i].iov_len = FILE_MAX_RW_COUNT - total;
		total += len;
	}
	*out = iov;
	return (ssize_t)total;

out_free:
	free(iov);
	return rc;
}

/* Segment by segment through the file's read or write, as the kernel does
 * for a driver without read_iter/write_iter: an error before any byte
 * moved is the result; a short transfer ends the call. */
static ssize_t file_rwv(struct file *file, enum file_dir dir, uint64_t uiov,
			int iovcnt, const int64_t *pos)
{
	struct iovec *iov;
	ssize_t total, done = 0;
	int64_t where;
	int i, rc;

	rc = file_check_method(file, dir);
	if (rc)
		return rc;
	total = import_iovec(uiov, iovcnt, &iov);
	if (total > 0 && !file_range_ok(pos, (size_t)total))
		total = -EINVAL;
	where = file_start(file, pos);
	for (i = 0; total > 0 && i < iovcnt; i++) {
		ssize_t n;

		if (!iov[i].iov_len)
			continue;
		n = file_transfer(file, dir,
				  (uint64_t)(uintptr_t)iov[i].iov_base,
				  iov[i].iov_len, &where);
		if (n < 0) {
			if (!done)
				done = n;
			break;
		}
		done += n;
		if ((size_t)n != iov[i].iov_len)
			break;
	}
	free(iov);
	if (total > 0 && done >= 0)
		file_settle(file, dir, pos, where);
	return total > 0 ? done : total;
}

/*
 * A read or write, positioned (pos) or not, of one buffer (ubuf, len) or,
 * when vector, of iovcnt buffers (ubuf the iovec array, len the count):
 * checked, done and traced.
 */
static ssize_t file_rw_call(struct file *file, enum file_dir dir,
			    const char *op, uint64_t ubuf, size_t len,
			    const int64_t *pos, bool vector)
{
	ssize_t rc = pos ? file_check_pos(file, dir, *pos) : 0;

	if (!rc)
		rc = vector ? file_rwv(file, dir, ubuf, (int)len, pos) :
			      file_rw(file, dir, ubuf, len, pos);
	TRACE_RW(file, op, vector ? 0 : ubuf, len, pos ? *pos : -1, rc);
	return rc;
}

/* Each of these is one program's call (base/reentry.h). */
ssize_t vfs_read(struct file *file, uint64_t ubuf, size_t len)
{
	return REENTRY_GUARDED(ssize_t, file_rw_call(file, FILE_READ, "read",
						     ubuf, len, NULL, false));
}

ssize_t vfs_write(struct file *file, uint64_t ubuf, size_t len)
{
	return REENTRY_GUARDED(ssize_t, file_rw_call(file, FILE_WRITE, "write",
						     ubuf, len, NULL, false));
}

ssize_t vfs_pread(struct file *file, uint64_t ubuf, size_t len, int64_t pos)
{
	return REENTRY_GUARDED(ssize_t, file_rw_call(file, FILE_READ, "pread",
						     ubuf, len, &pos, false));
}

ssize_t vfs_pwrite(struct file *file, uint64_t ubuf, size_t len, int64_t pos)
{
	return REENTRY_GUARDED(ssize_t,
			       file_rw_call(file, FILE_WRITE, "pwrite", ubuf,
					    len, &pos, false));
}

ssize_t vfs_readv(struct file *file, uint64_t iov, int iovcnt)
{
	return REENTRY_GUARDED(ssize_t,
			       file_rw_call(file, FILE_READ, "readv", iov,
					    (size_t)iovcnt, NULL, true));
}

ssize_t vfs_writev(struct file *file, uint64_t iov, int iovcnt)
{
	return REENTRY_GUARDED(ssize_t,
			       file_rw_call(file, FILE_WRITE, "writev", iov,
					    (size_t)iovcnt, NULL, true));
}

ssize_t vfs_preadv(struct file *file, uint64_t iov, int iovcnt, int64_t pos)
{
	return REENTRY_GUARDED(ssize_t,
			       file_rw_call(file, FILE_READ, "preadv", iov,
					    (size_t)iovcnt, &pos, true));
}

ssize_t vfs_pwritev(struct file *file, uint64_t iov, int iovcnt, int64_t pos)
{
	return REENTRY_GUARDED(ssize_t,
			       file_rw_call(file, FILE_WRITE, "pwritev", iov,
					    (size_t)iovcnt, &pos, true));
}
