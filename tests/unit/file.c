// SPDX-License-Identifier: MIT
/*
 * Files (src/base/file.c): a toy queue file behind an eventfd placeholder,
 * woken as records come and go; the VFS checks in front of its ops; the
 * release of the last reference.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "base/fdtable.h"
#include "base/file.h"
#include "base/usermem.h"
#include "harness.h"

/* A queue of bytes: read() takes up to what is queued, write() appends. */
struct toy_queue {
	char data[64];
	size_t len;
	int released;
};

static ssize_t toy_read(struct file *file, uint64_t ubuf, size_t len)
{
	struct toy_queue *q = file->private_data;
	int rc;

	if (len > q->len)
		len = q->len;
	rc = usermem_copy_to(usermem_self(), ubuf, q->data, len);
	if (rc)
		return rc;
	memmove(q->data, q->data + len, q->len - len);
	q->len -= len;
	file_wake(file);
	return (ssize_t)len;
}

static ssize_t toy_write(struct file *file, uint64_t ubuf, size_t len)
{
	struct toy_queue *q = file->private_data;
	int rc;

	if (len > sizeof(q->data) - q->len)
		len = sizeof(q->data) - q->len;
	rc = usermem_copy_from(usermem_self(), q->data + q->len, ubuf, len);
	if (rc)
		return rc;
	q->len += len;
	file_wake(file);
	return (ssize_t)len;
}

static unsigned int toy_poll(struct file *file)
{
	struct toy_queue *q = file->private_data;

	return POLLOUT | (q->len ? POLLIN : 0);
}

static void toy_release(struct file *file)
{
	struct toy_queue *q = file->private_data;

	q->released++;
}

static const struct file_operations toy_fops = {
	.name = "toy",
	.read = toy_read,
	.write = toy_write,
	.poll = toy_poll,
	.release = toy_release,
};

static const struct file_operations bare_fops = { .name = "bare" };

static int readable(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	if (poll(&pfd, 1, 0) < 0)
		return -1;
	return !!(pfd.revents & POLLIN);
}

static char low_buffer[8];

static uint64_t uaddr(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

FIXTURE(queue)
{
	struct toy_queue q;
	struct file *file;
	int fd;
};

FIXTURE_SETUP(queue)
{
	ASSERT_EQ(0, usermem_init());
	memset(&self->q, 0, sizeof(self->q));
	self->fd = file_install_new(&toy_fops, &self->q, O_RDONLY | O_CLOEXEC,
				    FILE_PLACEHOLDER_EVENT);
	ASSERT_LE(0, self->fd);
	self->file = fget(self->fd);
	ASSERT_NONNULL(self->file);
}

FIXTURE_TEARDOWN(queue)
{
	struct file *entry = fdtable_remove(self->fd);

	close(self->fd);
	if (entry)
		fput(entry);
	if (self->file)
		fput(self->file);
}

TEST_F(queue, placeholder_wakes_with_records)
{
	char out[3] = "xyz", in[8];

	ASSERT_EQ(FD_CLOEXEC, fcntl(self->fd, F_GETFD) & FD_CLOEXEC);
	ASSERT_EQ(0, readable(self->fd));
	ASSERT_EQ(3, vfs_write(self->file, uaddr(out), 3));
	ASSERT_EQ(1, readable(self->fd));
	/* a second wake while readable changes nothing */
	file_wake(self->file);
	ASSERT_EQ(1, readable(self->fd));
	ASSERT_EQ(2, vfs_read(self->file, uaddr(in), 2));
	ASSERT_EQ(1, readable(self->fd));
	ASSERT_EQ(1, vfs_read(self->file, uaddr(in), sizeof(in)));
	ASSERT_EQ(0, readable(self->fd));
	ASSERT_EQ('z', in[0]);
}

/* An event file is a stream opened read-write, whatever was asked. */
TEST_F(queue, event_files_are_streams)
{
	char c = 'a';

	ASSERT_EQ(-ESPIPE, vfs_pread(self->file, uaddr(&c), 1, 0));
	ASSERT_EQ(-ESPIPE, vfs_pwrite(self->file, uaddr(&c), 1, 0));
	ASSERT_EQ(-EINVAL, vfs_pread(self->file, uaddr(&c), 1, -1));
	ASSERT_EQ(1, vfs_write(self->file, uaddr(&c), 1));
}

TEST_F(queue, bad_buffers_are_efault)
{
	ASSERT_EQ(-EFAULT, vfs_write(self->file, ~0ull - 2, 8));
	ASSERT_EQ(-EFAULT, vfs_read(self->file, 1ull << 62, 1));
	ASSERT_EQ(0, self->q.len);
}

TEST_F(queue, readv_stops_at_a_short_segment)
{
	char out[5] = "abcde", a[2], b[2], c[2];
	struct iovec iov[3] = {
		{ .iov_base = a, .iov_len = 2 },
		{ .iov_base = b, .iov_len = 2 },
		{ .iov_base = c, .iov_len = 2 },
	};

	ASSERT_EQ(3, vfs_write(self->file, uaddr(out), 3));
	ASSERT_EQ(3, vfs_readv(self->file, uaddr(iov), 3));
	ASSERT_EQ(0, memcmp(a, "ab", 2));
	ASSERT_EQ('c', b[0]);
	ASSERT_EQ(0, readable(self->fd));
	/* the import's own checks */
	ASSERT_EQ(-EINVAL, vfs_readv(self->file, uaddr(iov), -1));
	ASSERT_EQ(-EINVAL, vfs_readv(self->file, uaddr(iov), 1025));
	ASSERT_EQ(0, vfs_readv(self->file, uaddr(iov), 0));
	ASSERT_EQ(-EFAULT, vfs_readv(self->file, 1ull << 62, 1));
	iov[1].iov_len = (size_t)-1;
	ASSERT_EQ(-EINVAL, vfs_writev(self->file, uaddr(iov), 3));
	/* every length is checked before any address */
	iov[0].iov_base = (void *)(uintptr_t)(1ull << 62);
	ASSERT_EQ(-EINVAL, vfs_writev(self->file, uaddr(iov), 3));
	ASSERT_EQ(-EFAULT, vfs_writev(self->file, uaddr(iov), 1));
	iov[0].iov_base = a;
	/* only zero-length segments: nothing moves, nothing is kept */
	iov[0].iov_len = iov[1].iov_len = 0;
	ASSERT_EQ(0, vfs_readv(self->file, uaddr(iov), 2));
	/* one segment is clamped before its range is checked, as a plain
	 * buffer is; two are checked as they are (a buffer in the data
	 * segment, low enough that 2 GiB past it is still user memory) */
	iov[0].iov_base = low_buffer;
	iov[0].iov_len = 1ull << 46;
	iov[1].iov_len = 1;
	ASSERT_EQ(0, vfs_readv(self->file, uaddr(iov), 1));
	ASSERT_EQ(-EFAULT, vfs_readv(self->file, uaddr(iov), 2));
	ASSERT_EQ(5, vfs_writev(self->file, uaddr(&(struct iovec){
				     .iov_base = out, .iov_len = 5 }), 1));
}

/* Descriptors share the file; the last reference releases it. */
TEST_F(queue, release_after_the_last_reference)
{
	struct file *entry;
	int dup_fd = dup(self->fd);

	ASSERT_LE(0, dup_fd);
	ASSERT_EQ(0, fdtable_reserve(dup_fd));
	fget_ref(self->file);
	fdtable_install(dup_fd, self->file);
	ASSERT_TRUE(fget(dup_fd) == self->file);
	fput(self->file);

	entry = fdtable_remove(self->fd);
	ASSERT_TRUE(entry == self->file);
	fput(entry);
	ASSERT_EQ(0, self->q.released);
	entry = fdtable_remove(dup_fd);
	close(dup_fd);
	fput(entry);
	ASSERT_EQ(0, self->q.released);
	fput(self->file); /* the fixture's lookup */
	self->file = NULL;
	ASSERT_EQ(1, self->q.released);
	ASSERT_NULL(fget(self->fd));
}

/* A file without read or write answers as the kernel's VFS does. */
TEST(missing_methods)
{
	char c;
	int fd = file_install_new(&bare_fops, NULL, O_RDWR, FILE_PLACEHOLDER_NODE);
	struct file *file;

	ASSERT_LE(0, fd);
	file = fget(fd);
	ASSERT_NONNULL(file);
	ASSERT_EQ(-ENOTTY, vfs_ioctl(file, 0, 0));
	ASSERT_EQ(-ENXIO, vfs_reopen(file, O_RDWR));
	ASSERT_EQ(-EINVAL, vfs_read(file, uaddr(&c), 1));
	ASSERT_EQ(-EINVAL, vfs_write(file, uaddr(&c), 1));
	ASSERT_EQ(-EINVAL, vfs_pread(file, uaddr(&c), 1, 0));
	ASSERT_EQ(-EINVAL, vfs_readv(file, uaddr(&c), 1));
	/* no poll op: waking does nothing */
	file_wake(file);
	fput(file);
	fput(fdtable_remove(fd));
	close(fd);
}

TEST(access_modes)
{
	char c;
	int ro = file_install_new(&toy_fops, &(struct toy_queue){ 0 },
				  O_RDONLY, FILE_PLACEHOLDER_NODE);
	int wo = file_install_new(&toy_fops, &(struct toy_queue){ 0 },
				  O_WRONLY, FILE_PLACEHOLDER_NODE);
	struct file *r, *w;

	ASSERT_LE(0, ro);
	ASSERT_LE(0, wo);
	r = fget(ro);
	w = fget(wo);
	ASSERT_EQ(-EBADF, vfs_write(r, uaddr(&c), 1));
	ASSERT_EQ(-EBADF, vfs_writev(r, uaddr(&c), 1));
	ASSERT_EQ(-EBADF, vfs_read(w, uaddr(&c), 1));
	ASSERT_EQ(0, vfs_pread(r, uaddr(&c), 1, 0)); /* empty queue */
	/* the end of a positioned transfer must not overflow */
	ASSERT_EQ(-EINVAL, vfs_pread(r, uaddr(&c), 1, INT64_MAX));
	ASSERT_EQ(0, vfs_pread(r, uaddr(&c), 1, INT64_MAX - 1));
	ASSERT_EQ(O_RDONLY, fcntl(ro, F_GETFL) & O_ACCMODE);
	fput(r);
	fput(w);
	fput(fdtable_remove(ro));
	fput(fdtable_remove(wo));
	close(ro);
	close(wo);
}

TEST_HARNESS_MAIN
