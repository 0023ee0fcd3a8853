// SPDX-License-Identifier: MIT
/*
 * The shim's logic: which opens are of /dev/iommu, what stands behind an
 * emulated fd, and how close/dup/fcntl/ioctl treat one. See shim.h for the
 * calling convention (results or -errno, errno untouched).
 *
 * Which opens are of /dev/iommu
 * -----------------------------
 * An open names the emulated /dev/iommu when the kernel's own path walk
 * would end at the entry "iommu" of the directory /dev, whether or not that
 * entry exists on this machine (usually it does not: no IOMMU, or no
 * iommufd). So all of these do:
 *   - "/dev/iommu";
 *   - every other spelling the kernel accepts for it: "//dev//iommu",
 *     "/dev/./iommu", "/dev/../dev/iommu", "iommu" or "../dev/iommu"
 *     relative to the cwd or to openat()'s dirfd, a path through a symlink
 *     to /dev ("/tmp/d/iommu" where /tmp/d -> /dev);
 *   - a symlink, or a chain of them, whose last target is one of these, even
 *     when that target is missing (we read the links ourselves, at most 40
 *     hops as the kernel allows).
 * "The directory /dev" is the inode stat("/dev") names, so /dev bind-mounted
 * elsewhere counts too. Not matched: a path ending in a slash (the kernel
 * wants a directory there), an O_PATH open (it passes through; no ioctl is
 * possible on such an fd), a symlink in the last place under O_NOFOLLOW (the
 * kernel says ELOOP). The real /dev/iommu, where there is one, is never used:
 * emulating is the point.
 *
 * What it costs other opens: nothing, nearly. The literal "/dev/iommu" is a
 * string compare. Any other path goes to libc first, as the program asked.
 * On success the fd is /dev/iommu only if this machine has a /dev/iommu
 * (looked up once) and the fd is that file, or a node of the same device
 * (one fstat(), only on such machines).
 * On a failure that a missing or forbidden /dev/iommu would give (ENOENT,
 * EACCES, EPERM, ENXIO, ENODEV) we walk the path (readlinkat() per symlink,
 * one fstatat()). An O_CREAT open is walked before libc sees it, since it
 * would create a regular file through a dangling symlink to /dev/iommu.
 *
 * The fault-injection files (base/fault_files.h) are the library's too:
 * /proc/.../fail-nth and debugfs's failslab/ and fail_page_alloc/, by
 * their absolute paths or relative to a descriptor of one of those
 * directories; opendir(), readdir() and friends serve their listings.
 *
 * What stands behind an emulated fd
 * ---------------------------------
 * A real placeholder fd, so that fd numbers come from the kernel and are
 * unique, and the kernel itself applies O_CLOEXEC, FD_CLOEXEC and exec. It
 * is /dev/null, opened with the caller's access mode, O_CLOEXEC and
 * O_NONBLOCK: F_GETFL and F_GETFD answer as on the device, fstat() sees a
 * character device, and poll() reports the default mask, as the kernel does
 * for iommufd (neither has a poll method). Where /dev/null cannot be opened
 * (a bare chroot), a sealed memfd stands in. The table entry maps the
 * placeholder's number to the context.
 *
 * Limitations
 * -----------
 * - exec(): an fd opened with O_CLOEXEC (or marked FD_CLOEXEC / FIOCLEX)
 *   vanishes with the placeholder. Without it the placeholder survives into
 *   the new image but the context does not (it lived in this process's
 *   memory): the new image sees a /dev/null fd, ioctls on it fail with
 *   ENOTTY. The kernel keeps one iommufd across exec; the shared-context
 *   mode will.
 * - fork(): the child works on its own copy of every context (in-process
 *   mode); the kernel would share them.
 * - Only calls that go through the exported libc symbols are seen: an fd
 *   closed behind our back (syscall(), a libc-internal close such as
 *   fclose() of an fdopen()ed stream) leaves a stale entry, which is dropped
 *   when the kernel hands that number out again through open(), dup() and
 *   friends; fopen("/dev/iommu") and stat("/dev/iommu") are not emulated.
 * - A close() racing with an ioctl() on the same fd in another thread may
 *   see the ioctl reach the placeholder (ENOTTY) instead of the context or
 *   EBADF; a program doing that has a race of its own.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/capability.h"
#include "base/fault_files.h"
#include "base/fdtable.h"
#include "base/file.h"
#include "base/usermem.h"
#include "iommufd/iommufd.h"
#include "vfio/vfio.h"
#include "real.h"
#include "shim.h"

#define SHIM_DEV_IOMMU "/dev/iommu"
/* As the kernel's MAXSYMLINKS. */
#define SHIM_MAX_SYMLINKS 40

/* A libc-style result as ours: the value, or -errno. */
static int shim_ret(int r)
{
	return r < 0 ? -errno : r;
}

/* ---- which opens are of /dev/iommu --------------------------------------- */

/* The device nodes the library serves. */
enum shim_node {
	SHIM_NODE_NONE,
	SHIM_NODE_IOMMU,	  /* /dev/iommu */
	SHIM_NODE_VFIO_CONTAINER, /* /dev/vfio/vfio */
	SHIM_NODE_VFIO_DEVICE,	  /* /dev/vfio/devices/vfioN */
};

#define SHIM_VFIO_DEVICES_DIR "/dev/vfio/devices"

/* "vfioN" with N a decimal number without leading zeros, as the kernel
 * names the cdevs; N in *minor. */
static bool shim_parse_vfio_cdev(const char *name, unsigned int *minor)
{
	unsigned long n = 0;
	const char *p = name + 4;

	if (strncmp(name, "vfio", 4) || !*p || (*p == '0' && p[1]))
		return false;
	for (; *p; p++) {
		if (*p < '0' || *p > '9' || n > UINT_MAX / 10)
			return false;
		n = n * 10 + (unsigned long)(*p - '0');
	}
	if (n > UINT_MAX)
		return false;
	*minor = (unsigned int)n;
	return true;
}

/* Which node the entry name of a directory would be, and that directory's
 * path in *dir. */
static enum shim_node shim_node_in_dir(const char *name, const char **dir,
				       unsigned int *minor)
{
	if (!strcmp(name, "iommu")) {
		*dir = "/dev";
		return SHIM_NODE_IOMMU;
	}
	if (!strcmp(name, "vfio")) {
		*dir = "/dev/vfio";
		return SHIM_NODE_VFIO_CONTAINER;
	}
	if (shim_parse_vfio_cdev(name, minor)) {
		*dir = SHIM_VFIO_DEVICES_DIR;
		return SHIM_NODE_VFIO_DEVICE;
	}
	return SHIM_NODE_NONE;
}

/* The node a path names by its exact spelling: the cheap common case. */
static enum shim_node shim_node_of_literal(const char *path,
					   unsigned int *minor)
{
	if (!strcmp(path, SHIM_DEV_IOMMU))
		return SHIM_NODE_IOMMU;
	if (strncmp(path, "/dev/vfio/", 10))
		return SHIM_NODE_NONE;
	if (!strcmp(path + 10, "vfio"))
		return SHIM_NODE_VFIO_CONTAINER;
	if (!strncmp(path + 10, "devices/", 8) &&
	    shim_parse_vfio_cdev(path + 18, minor))
		return SHIM_NODE_VFIO_DEVICE;
	return SHIM_NODE_NONE;
}

/*
 * The node dirfd + path ends at, following symlinks (the last one only when
 * follow_last): its last entry must have a node's name and sit in that
 * node's directory (compared by inode, so a directory that does not exist
 * on this machine, /dev/vfio say, is reached only by the literal path).
 * Sets errno at will.
 */
static enum shim_node shim_path_node(int dirfd, const char *path,
				     bool follow_last, unsigned int *minor)
{
	char cur[PATH_MAX], target[PATH_MAX];
	struct stat dir_st, dev_st;
	size_t len = strnlen(path, sizeof(cur));
	enum shim_node node;
	const char *dir;
	int hops = 0;

	if (len == 0 || len >= sizeof(cur))
		return SHIM_NODE_NONE;
	memcpy(cur, path, len + 1);
	for (;;) {
		char *slash = strrchr(cur, '/');
		const char *last = slash ? slash + 1 : cur;
		const char *parent;
		ssize_t n;

		if (!*last || !strcmp(last, ".") || !strcmp(last, ".."))
			return SHIM_NODE_NONE;
		n = readlinkat(dirfd, cur, target, sizeof(target));
		if (n >= 0) {
			size_t keep;

			if (!follow_last || ++hops > SHIM_MAX_SYMLINKS ||
			    (size_t)n >= sizeof(target))
				return SHIM_NODE_NONE;
			target[n] = '\0';
			/* A relative target is relative to the link's own
			 * directory: keep "dir/" (nothing when the link sits
			 * at dirfd itself) and put the target after it. */
			keep = target[0] == '/' || !slash ?
				       0 :
				       (size_t)(slash - cur) + 1;
			if (keep + (size_t)n >= sizeof(cur))
				return SHIM_NODE_NONE;
			memcpy(cur + keep, target, (size_t)n + 1);
			continue;
		}
		/* EINVAL: not a symlink; ENOENT: missing (our case). */
		if (errno != EINVAL && errno != ENOENT)
			return SHIM_NODE_NONE;
		node = shim_node_in_dir(last, &dir, minor);
		if (node == SHIM_NODE_NONE)
			return SHIM_NODE_NONE;
		if (!slash) {
			parent = ".";
		} else if (slash == cur) {
			parent = "/";
		} else {
			*slash = '\0';
			parent = cur;
		}
		if (fstatat(dirfd, parent, &dir_st, 0) || stat(dir, &dev_st))
			return SHIM_NODE_NONE;
		if (S_ISDIR(dir_st.st_mode) && dir_st.st_dev == dev_st.st_dev &&
		    dir_st.st_ino == dev_st.st_ino)
			return node;
		return SHIM_NODE_NONE;
	}
}

/*
 * This machine's own /dev/iommu, whatever it is (the real device; a stray
 * file), looked up by the first open that needs it.
 */
static pthread_once_t host_iommu_once = PTHREAD_ONCE_INIT;
static bool host_iommu_exists;
static struct stat host_iommu_st;

static void shim_host_iommu_lookup(void)
{
	host_iommu_exists = !stat(SHIM_DEV_IOMMU, &host_iommu_st);
}

/* Whether a successful real open gave us this machine's /dev/iommu: that
 * file, or another node of the same device. */
static bool shim_fd_is_host_iommu(int fd)
{
	struct stat st;

	pthread_once(&host_iommu_once, shim_host_iommu_lookup);
	if (!host_iommu_exists || fstat(fd, &st))
		return false;
	if (st.st_dev == host_iommu_st.st_dev &&
	    st.st_ino == host_iommu_st.st_ino)
		return true;
	return S_ISCHR(host_iommu_st.st_mode) && S_ISCHR(st.st_mode) &&
	       st.st_rdev == host_iommu_st.st_rdev;
}

/* The errors a real open gives for a /dev/iommu that is missing or not ours. */
static bool shim_errno_may_be_dev_iommu(int err)
{
	return err == ENOENT || err == EACCES || err == EPERM || err == ENXIO ||
	       err == ENODEV;
}

/* ---- vfork ---------------------------------------------------------------- */

/*
 * A vfork() child shares our memory, the fd table included, but has its own
 * descriptors, as the kernel gives it its own file table: its close() or
 * dup2() must not touch the entries its parent still uses. fork() runs the
 * atfork handler that updates shim_pid; vfork() runs none, so a pid that
 * differs from shim_pid is a vfork child's. Asked only when an entry would
 * change, so ordinary calls pay no system call.
 */
static _Atomic pid_t shim_pid;

static void shim_pid_update(void)
{
	atomic_store_explicit(&shim_pid, (pid_t)syscall(SYS_getpid),
			      memory_order_relaxed);
}

__attribute__((constructor)) static void shim_pid_init(void)
{
	shim_pid_update();
	pthread_atfork(NULL, NULL, shim_pid_update);
}

/* From <linux/kcmp.h>. */
#define SHIM_KCMP_VM 1

static bool shim_in_vfork_child(void)
{
	pid_t pid = (pid_t)syscall(SYS_getpid);
	long cmp;

	if (pid == atomic_load_explicit(&shim_pid, memory_order_relaxed))
		return false;
	/* A child made without the atfork handlers (_Fork(), a raw clone)
	 * also has another pid; only a vfork child shares our memory with
	 * its parent. Where kcmp() cannot tell, stay on the safe side. */
	cmp = syscall(SYS_kcmp, pid, (pid_t)syscall(SYS_getppid),
			  SHIM_KCMP_VM, 0, 0);
	if (cmp > 0) { /* 0: the same memory; -1: cannot tell */
		shim_pid_update();
		return false;
	}
	return true;
}

/* fd was just handed out by the kernel: an entry left for it by a
 * descriptor closed behind our back is stale. */
static void shim_forget_stale(int fd)
{
	if (fdtable_has(fd) && !shim_in_vfork_child())
		fdtable_install(fd, NULL);
}

/* ---- reopening through /proc ---------------------------------------------- */

/* The descriptor number a magic link of this process names
 * (/proc/self/fd/N, /proc/thread-self/fd/N, /proc/PID/fd/N, /dev/fd/N), or
 * -1. */
static int shim_magic_link_fd(const char *path)
{
	static const char *const prefixes[] = { "/proc/self/fd/",
						"/proc/thread-self/fd/",
						"/dev/fd/" };
	const char *p = NULL;
	unsigned long n = 0;
	size_t i;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]) && !p; i++)
		if (!strncmp(path, prefixes[i], strlen(prefixes[i])))
			p = path + strlen(prefixes[i]);
	if (!p && !strncmp(path, "/proc/", 6)) {
		char *end;
		unsigned long pid = strtoul(path + 6, &end, 10);

		if (end != path + 6 && !strncmp(end, "/fd/", 4) &&
		    pid == (unsigned long)syscall(SYS_getpid))
			p = end + 4;
	}
	if (!p || !*p)
		return -1;
	for (; *p; p++) {
		if (*p < '0' || *p > '9' || n > INT_MAX / 10)
			return -1;
		n = n * 10 + (unsigned long)(*p - '0');
	}
	return n > INT_MAX ? -1 : (int)n;
}

/*
 * fd came from a real open of path. When path is a magic link to one of
 * our descriptors, the kernel would have opened that file's device node
 * again (for an iommufd: a new context); the file's reopen op does so.
 * Returns the descriptor the caller gets, or -errno.
 */
static int shim_reopen_if_ours(int fd, const char *path, int flags)
{
	int target = shim_magic_link_fd(path);
	struct stat a, b;
	struct file *file;
	int rc;

	if (target < 0)
		return fd;
	file = fget(target);
	if (!file)
		return fd;
	/* The link still names our placeholder (not a descriptor that
	 * replaced it since). */
	if (fstat(fd, &a) || fstat(target, &b) || a.st_dev != b.st_dev ||
	    a.st_ino != b.st_ino) {
		fput(file);
		return fd;
	}
	real_close(fd);
	rc = vfs_reopen(file, flags);
	fput(file);
	return rc;
}

/* ---- emulated opens ------------------------------------------------------ */

/*
 * A new emulated open of a node: for /dev/iommu and /dev/vfio/vfio a new
 * context behind a new file; for /dev/vfio/devices/vfioN a new open of
 * configured device N, which exists only when the configuration has it.
 */
static int shim_open_emulated(enum shim_node node, unsigned int minor,
			      int flags)
{
	if (node == SHIM_NODE_VFIO_DEVICE && !vfio_device_cdev_exists(minor))
		return -ENOENT;
	/* What the kernel answers for a character device here. */
	if (flags & O_DIRECTORY) /* O_TMPFILE includes it */
		return -ENOTDIR;
	if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
		return -EEXIST;
	if (node == SHIM_NODE_VFIO_DEVICE)
		return vfio_device_cdev_open(minor, flags);
	return iommufd_fops_open(node == SHIM_NODE_IOMMU ?
					 IOMMUFD_NODE_IOMMU :
					 IOMMUFD_NODE_VFIO_CONTAINER,
				 flags);
}

static int shim_open_real(enum shim_open_variant variant, int dirfd,
			  const char *path, int flags, mode_t mode)
{
	switch (variant) {
	case SHIM_OPEN:
		return real_open(path, flags, mode);
	case SHIM_OPEN64:
		return real_open64(path, flags, mode);
	case SHIM_OPENAT:
		return real_openat(dirfd, path, flags, mode);
	case SHIM_OPENAT64:
		return real_openat64(dirfd, path, flags, mode);
	case SHIM_OPEN_2:
		return real___open_2(path, flags);
	case SHIM_OPEN64_2:
		return real___open64_2(path, flags);
	case SHIM_OPENAT_2:
		return real___openat_2(dirfd, path, flags);
	case SHIM_OPENAT64_2:
		return real___openat64_2(dirfd, path, flags);
	}
	errno = EINVAL;
	return -1;
}

static bool shim_open_is_fortified(enum shim_open_variant variant)
{
	return variant >= SHIM_OPEN_2;
}

/*
 * An open of the fault-injection files (base/fault_files.h), or of a path
 * relative to one of their directories, whose placeholder is not the
 * directory it stands for: such a path is opened by its absolute name.
 * *handled false: neither, the open goes on as before.
 */
static int shim_open_fault_file(enum shim_open_variant variant, int dirfd,
				const char *path, int flags, mode_t mode,
				bool *handled)
{
	char real_path[PATH_MAX];
	struct file *dir = NULL;
	bool ours;
	int rc;

	*handled = false;
	if (path[0] != '/' && dirfd != AT_FDCWD) {
		dir = fget(dirfd);
		if (!dir)
			return 0;
		if (!fault_files_is_dir(dir)) {
			fput(dir);
			return 0;
		}
	}
	rc = fault_files_openat(dir, path, flags, &ours, real_path,
				sizeof(real_path));
	if (dir)
		fput(dir);
	*handled = ours || dir;
	if (ours || !dir)
		return rc;
	if (!real_path[0])
		return -ENAMETOOLONG;
	return shim_openat(variant, AT_FDCWD, real_path, flags, mode);
}

int shim_openat(enum shim_open_variant variant, int dirfd, const char *path,
		int flags, mode_t mode)
{
	bool follow_last = !(flags & O_NOFOLLOW);
	int saved_errno = errno;
	unsigned int minor = 0;
	enum shim_node node;
	int rc, err;

	/* O_PATH: no ioctl on it, nothing to emulate. A fortified open with
	 * O_CREAT: libc aborts it, and so it shall. */
	bool handled;

	if (!path || (flags & O_PATH) ||
	    (shim_open_is_fortified(variant) && shim_open_needs_mode(flags)))
		goto out_real;
	rc = shim_open_fault_file(variant, dirfd, path, flags, mode, &handled);
	if (handled)
		goto out;
	node = shim_node_of_literal(path, &minor);
	if (node != SHIM_NODE_NONE) {
		rc = shim_open_emulated(node, minor, flags);
		goto out;
	}
	if (flags & O_CREAT) {
		node = shim_path_node(dirfd, path, follow_last, &minor);
		if (node != SHIM_NODE_NONE) {
			rc = shim_open_emulated(node, minor, flags);
			goto out;
		}
		goto out_real;
	}

	rc = shim_open_real(variant, dirfd, path, flags, mode);
	if (rc >= 0) {
		if (shim_fd_is_host_iommu(rc)) {
			real_close(rc);
			rc = shim_open_emulated(SHIM_NODE_IOMMU, 0, flags);
			goto out;
		}
		shim_forget_stale(rc);
		rc = shim_reopen_if_ours(rc, path, flags);
		goto out;
	}
	err = errno;
	node = SHIM_NODE_NONE;
	if (shim_errno_may_be_dev_iommu(err))
		node = shim_path_node(dirfd, path, follow_last, &minor);
	rc = node != SHIM_NODE_NONE ? shim_open_emulated(node, minor, flags) :
				      -err;
	goto out;

out_real:
	rc = shim_ret(shim_open_real(variant, dirfd, path, flags, mode));
	if (rc < 0)
		goto out;
	/* A number the kernel just handed out names no file of ours, even
	 * if a descriptor closed behind our back left an entry for it. */
	shim_forget_stale(rc);
out:
	errno = saved_errno;
	return rc;
}

/* ---- calls on fds -------------------------------------------------------- */

/* A number that is none of our files': a private descriptor of one
 * (base/file.h) is refused as if it were not open. */
static int shim_close_unlisted(int fd)
{
	bool private_fd = false;

	if (file_have_private_fds()) {
		file_private_lock();
		private_fd = file_fd_is_private(fd);
		file_private_unlock();
	}
	return private_fd ? -EBADF : shim_ret(real_close(fd));
}

int shim_close(int fd)
{
	struct file *file;
	int saved_errno, rc;

	if (fdtable_has(fd) && shim_in_vfork_child())
		return shim_ret(real_close(fd));
	file = fdtable_remove(fd);
	if (!file)
		return shim_close_unlisted(fd);
	/* Entry first, then the placeholder: once the number is free another
	 * thread's open may get it and install its own entry. */
	saved_errno = errno;
	rc = shim_ret(real_close(fd));
	errno = saved_errno;
	fput(file);
	return rc;
}

/* The ioctls the kernel's VFS answers itself, for every file, before the
 * driver sees the call; they act on the placeholder, which is the file. */
static bool shim_ioctl_is_generic(unsigned int request)
{
	return request == FIOCLEX || request == FIONCLEX ||
	       request == FIONBIO || request == FIOASYNC;
}

int shim_ioctl(int fd, unsigned long request, void *arg)
{
	struct file_borrow borrow;
	struct file *file = fdget(fd, &borrow);
	int rc;

	if (!file)
		return shim_ret(real_ioctl(fd, request, arg));
	if (shim_ioctl_is_generic((unsigned int)request)) {
		int saved_errno = errno;

		rc = shim_ret(real_ioctl(fd, request, arg));
		errno = saved_errno;
	} else {
		rc = (int)vfs_ioctl(file, (unsigned int)request,
				    (uint64_t)(uintptr_t)arg);
	}
	fdput(file, &borrow);
	return rc;
}

/*
 * After a call that made newfd (or failed, newfd < 0) as a copy of the fd
 * whose file is file (NULL: not emulated): newfd now names file.
 * Consumes the reference on file. Returns newfd or -errno.
 */
static int shim_dup_done(int newfd, struct file *file)
{
	int rc;

	if (newfd < 0) {
		rc = -errno;
		if (file)
			fput(file);
		return rc;
	}
	if ((file || fdtable_has(newfd)) && shim_in_vfork_child()) {
		if (file)
			fput(file);
		return newfd;
	}
	if (file) {
		rc = fdtable_reserve(newfd);
		if (rc) {
			int saved_errno = errno;

			real_close(newfd);
			errno = saved_errno;
			fput(file);
			return rc;
		}
	}
	fdtable_install(newfd, file);
	return newfd;
}

int shim_dup(int fd)
{
	struct file *file = fget(fd);

	return shim_dup_done(real_dup(fd), file);
}

/*
 * dup2() or dup3() onto newfd: a private descriptor there is moved out of
 * the way first, under the private lock, so that none lands on newfd
 * before the call. libc's result.
 */
static int shim_dup_onto(int oldfd, int newfd, int flags, bool is_dup3)
{
	int rc;

	if (!file_have_private_fds())
		return is_dup3 ? real_dup3(oldfd, newfd, flags) :
				 real_dup2(oldfd, newfd);
	file_private_lock();
	rc = file_private_fd_evict(newfd);
	if (rc) {
		errno = -rc;
		rc = -1;
	} else {
		rc = is_dup3 ? real_dup3(oldfd, newfd, flags) :
			       real_dup2(oldfd, newfd);
	}
	file_private_unlock();
	return rc;
}

/* dup2 and dup3: the target's number is known, so room for its entry is
 * made before the call, which then cannot fail on our side. */
int shim_dup2(int oldfd, int newfd)
{
	struct file *file;
	int rc;

	if (oldfd == newfd)
		return shim_ret(real_dup2(oldfd, newfd));
	file = fget(oldfd);
	if (file) {
		rc = fdtable_reserve(newfd);
		if (rc) {
			fput(file);
			return rc;
		}
	}
	return shim_dup_done(shim_dup_onto(oldfd, newfd, 0, false), file);
}

int shim_dup3(int oldfd, int newfd, int flags)
{
	struct file *file;
	int rc;

	if (oldfd == newfd) /* EINVAL, from libc */
		return shim_ret(real_dup3(oldfd, newfd, flags));
	file = fget(oldfd);
	if (file) {
		rc = fdtable_reserve(newfd);
		if (rc) {
			fput(file);
			return rc;
		}
	}
	return shim_dup_done(shim_dup_onto(oldfd, newfd, flags, true), file);
}

int shim_fcntl(int fd, int cmd, void *arg, bool is_fcntl64)
{
	struct file *file;
	int newfd;

	/* Every other command acts on the placeholder, which is right: it
	 * carries the fd flags and the file status flags. */
	if (cmd != F_DUPFD && cmd != F_DUPFD_CLOEXEC)
		return shim_ret(is_fcntl64 ? real_fcntl64(fd, cmd, arg) :
					     real_fcntl(fd, cmd, arg));
	file = fget(fd);
	newfd = is_fcntl64 ? real_fcntl64(fd, cmd, arg) :
			     real_fcntl(fd, cmd, arg);
	return shim_dup_done(newfd, file);
}

/*
 * Closes [first, last] (libc's result) but the private descriptors in it:
 * one close_range() per stretch between them, CLOSE_RANGE_UNSHARE with the
 * first (alone, when no stretch is left). The private lock is held
 * throughout, so that none is made in a stretch meanwhile; nothing here
 * puts a file, which takes it too.
 */
static int shim_close_range_around_private(unsigned int first,
					   unsigned int last, int flags)
{
	unsigned int from = first;
	bool called = false;
	int next, rc = 0;

	file_private_lock();
	while (!rc && from <= last && (next = file_next_private_fd(from)) >= 0 &&
	       (unsigned int)next <= last) {
		if ((unsigned int)next > from) {
			rc = real_close_range(from, (unsigned int)next - 1,
					      flags);
			flags &= ~(int)CLOSE_RANGE_UNSHARE;
			called = true;
		}
		from = (unsigned int)next + 1; /* a descriptor: no overflow */
	}
	if (!rc && from <= last)
		rc = real_close_range(from, last, flags);
	else if (!rc && !called && (flags & CLOSE_RANGE_UNSHARE))
		rc = unshare(CLONE_FILES);
	file_private_unlock();
	return rc;
}

int shim_close_range(unsigned int first, unsigned int last, int flags)
{
	/* Entries go only when the kernel will close: not for CLOEXEC (which
	 * only marks, and private descriptors are close-on-exec already) nor
	 * for arguments it refuses. A vfork child closes only its own copies. */
	if (first > last ||
	    (flags & ~(int)(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC)) ||
	    (flags & CLOSE_RANGE_CLOEXEC) || shim_in_vfork_child())
		return shim_ret(real_close_range(first, last, flags));
	fdtable_remove_range(first, last);
	if (!file_have_private_fds())
		return shim_ret(real_close_range(first, last, flags));
	return shim_ret(shim_close_range_around_private(first, last, flags));
}

/* closefrom()'s way through a stretch below the last private descriptor,
 * on a kernel that may lack close_range(). */
static void shim_close_stretch(unsigned int first, unsigned int last)
{
	if (!real_close_range(first, last, 0))
		return;
	for (unsigned int fd = first; fd <= last; fd++)
		real_close((int)fd);
}

void shim_closefrom(int lowfd)
{
	unsigned int from = lowfd < 0 ? 0 : (unsigned int)lowfd;
	int saved_errno = errno;
	int next;

	if (shim_in_vfork_child()) {
		real_closefrom(lowfd);
		goto out;
	}
	fdtable_remove_range(from, ~0u);
	if (!file_have_private_fds()) {
		real_closefrom(lowfd);
		goto out;
	}
	file_private_lock();
	while ((next = file_next_private_fd(from)) >= 0) {
		if ((unsigned int)next > from)
			shim_close_stretch(from, (unsigned int)next - 1);
		from = (unsigned int)next + 1;
	}
	real_closefrom((int)from);
	file_private_unlock();
out:
	errno = saved_errno;
}

/* ---- reads and writes ----------------------------------------------------- */

static ssize_t shim_ret_ssize(ssize_t r)
{
	return r < 0 ? -errno : r;
}

ssize_t shim_read(int fd, void *buf, size_t len)
{
	struct file *file = fget(fd);
	ssize_t rc;

	if (!file)
		return shim_ret_ssize(real_read(fd, buf, len));
	rc = vfs_read(file, (uint64_t)(uintptr_t)buf, len);
	fput(file);
	return rc;
}

ssize_t shim_write(int fd, const void *buf, size_t len)
{
	struct file *file = fget(fd);
	ssize_t rc;

	if (!file)
		return shim_ret_ssize(real_write(fd, buf, len));
	rc = vfs_write(file, (uint64_t)(uintptr_t)buf, len);
	fput(file);
	return rc;
}

ssize_t shim_pread(int fd, void *buf, size_t len, int64_t pos, bool is64)
{
	struct file *file = fget(fd);
	ssize_t rc;

	if (!file)
		return shim_ret_ssize(is64 ? real_pread64(fd, buf, len, pos) :
					     real_pread(fd, buf, len,
							(off_t)pos));
	rc = vfs_pread(file, (uint64_t)(uintptr_t)buf, len, pos);
	fput(file);
	return rc;
}

ssize_t shim_pwrite(int fd, const void *buf, size_t len, int64_t pos,
		    bool is64)
{
	struct file *file = fget(fd);
	ssize_t rc;

	if (!file)
		return shim_ret_ssize(is64 ? real_pwrite64(fd, buf, len, pos) :
					     real_pwrite(fd, buf, len,
							 (off_t)pos));
	rc = vfs_pwrite(file, (uint64_t)(uintptr_t)buf, len, pos);
	fput(file);
	return rc;
}

ssize_t shim_readv(int fd, const struct iovec *iov, int iovcnt)
{
	struct file *file = fget(fd);
	ssize_t rc;

	if (!file)
		return shim_ret_ssize(real_readv(fd, iov, iovcnt));
	rc = vfs_readv(file, (uint64_t)(uintptr_t)iov, iovcnt);
	fput(file);
	return rc;
}

ssize_t shim_writev(int fd, const struct iovec *iov, int iovcnt)
{
	struct file *file = fget(fd);
	ssize_t rc;

	if (!file)
		return shim_ret_ssize(real_writev(fd, iov, iovcnt));
	rc = vfs_writev(file, (uint64_t)(uintptr_t)iov, iovcnt);
	fput(file);
	return rc;
}

ssize_t shim_preadv(int fd, const struct iovec *iov, int iovcnt, int64_t pos,
		    bool is64)
{
	struct file *file = fget(fd);
	ssize_t rc;

	if (!file)
		return shim_ret_ssize(
			is64 ? real_preadv64(fd, iov, iovcnt, pos) :
			       real_preadv(fd, iov, iovcnt, (off_t)pos));
	rc = vfs_preadv(file, (uint64_t)(uintptr_t)iov, iovcnt, pos);
	fput(file);
	return rc;
}

ssize_t shim_pwritev(int fd, const struct iovec *iov, int iovcnt,
		     int64_t pos, bool is64)
{
	struct file *file = fget(fd);
	ssize_t rc;

	if (!file)
		return shim_ret_ssize(
			is64 ? real_pwritev64(fd, iov, iovcnt, pos) :
			       real_pwritev(fd, iov, iovcnt, (off_t)pos));
	rc = vfs_pwritev(file, (uint64_t)(uintptr_t)iov, iovcnt, pos);
	fput(file);
	return rc;
}

int64_t shim_lseek(int fd, int64_t pos, int whence, bool is64)
{
	struct file *file = fget(fd);
	int64_t rc;

	if (!file) {
		rc = is64 ? real_lseek64(fd, pos, whence) :
			    real_lseek(fd, (off_t)pos, whence);
		return rc < 0 ? -errno : rc;
	}
	rc = vfs_llseek(file, pos, whence);
	fput(file);
	return rc;
}

/* ---- mappings -------------------------------------------------------------- */

void *shim_mmap(void *addr, size_t len, int prot, int flags, int fd,
		int64_t pos, bool is64)
{
	struct file *file;
	void *mapped;
	int err;

	if (fd < 0 || (flags & MAP_ANONYMOUS) || !(file = fget(fd)))
		return is64 ? real_mmap64(addr, len, prot, flags, fd, pos) :
			      real_mmap(addr, len, prot, flags, fd,
					(off_t)pos);
	mapped = vfs_mmap(file, addr, len, prot, flags, pos, &err);
	fput(file);
	if (!mapped) {
		errno = -err;
		return MAP_FAILED;
	}
	return mapped;
}

int shim_munmap(void *addr, size_t len)
{
	int rc = real_munmap(addr, len);
	int saved_errno = errno;

	if (!rc) {
		file_munmapped(addr, len);
		errno = saved_errno;
	}
	return rc;
}

/* ---- descriptors made elsewhere ------------------------------------------- */

int shim_fd_made(int fd)
{
	if (fd >= 0) {
		int saved_errno = errno;

		shim_forget_stale(fd);
		errno = saved_errno;
	}
	return fd;
}

int shim_fds_made(int rc, const int fds[2])
{
	if (rc == 0) {
		shim_fd_made(fds[0]);
		shim_fd_made(fds[1]);
	}
	return rc;
}

/* ---- directory streams ----------------------------------------------------- */

/* The struct dirent64 readdir64() returns is struct dirent on this ABI. */
_Static_assert(sizeof(struct dirent) == sizeof(struct dirent64) &&
		       offsetof(struct dirent, d_name) ==
			       offsetof(struct dirent64, d_name),
	       "readdir64 shares readdir's entries");

DIR *shim_opendir(const char *path)
{
	int saved_errno = errno;
	bool ours;
	DIR *dir;
	int fd;

	if (!path)
		return real_opendir(path);
	fd = fault_files_openat(NULL, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC,
				&ours, NULL, 0);
	if (!ours) {
		dir = real_opendir(path);
		if (dir)
			shim_fd_made(dirfd(dir));
		return dir;
	}
	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	dir = real_fdopendir(fd);
	if (!dir) {
		int err = errno;

		file_uninstall(fd);
		errno = err;
		return NULL;
	}
	errno = saved_errno;
	return dir;
}

/* The directory file of ours behind a stream, with a reference; NULL for
 * every other stream. */
static struct file *shim_dir_file(DIR *dir)
{
	struct file *file = fget(dirfd(dir));

	if (file && !fault_files_is_dir(file)) {
		fput(file);
		return NULL;
	}
	return file;
}

/* The next entry of a directory of ours, *ours set; for every other
 * stream *ours is false. The entry lives in the file, which the stream's
 * descriptor keeps. */
static const struct dirent *shim_dir_next(DIR *dir, bool *ours)
{
	struct file *file = shim_dir_file(dir);
	const struct dirent *ent;

	*ours = file != NULL;
	if (!file)
		return NULL;
	ent = fault_dir_read(file);
	fput(file);
	return ent;
}

struct dirent *shim_readdir(DIR *dir)
{
	bool ours;
	const struct dirent *ent = shim_dir_next(dir, &ours);

	return ours ? (struct dirent *)ent : real_readdir(dir);
}

struct dirent64 *shim_readdir64(DIR *dir)
{
	bool ours;
	const struct dirent *ent = shim_dir_next(dir, &ours);

	return ours ? (struct dirent64 *)ent : real_readdir64(dir);
}

/* As close(): the entry first, then libc closes the placeholder. */
int shim_closedir(DIR *dir)
{
	int fd = dirfd(dir);
	struct file *file = NULL;
	int saved_errno, rc;

	if (!(fdtable_has(fd) && shim_in_vfork_child()))
		file = fdtable_remove(fd);
	saved_errno = errno;
	rc = shim_ret(real_closedir(dir));
	errno = saved_errno;
	if (file)
		fput(file);
	return rc;
}

void shim_rewinddir(DIR *dir)
{
	struct file *file = shim_dir_file(dir);

	if (!file) {
		real_rewinddir(dir);
		return;
	}
	fault_dir_rewind(file);
	fput(file);
}

/* ---- memory leaving the address space ---------------------------------------- */

void shim_before_mmap(void *addr, size_t len, int flags)
{
	/* MAP_FIXED_NOREPLACE fails rather than replace */
	if ((flags & MAP_FIXED) && !(flags & MAP_FIXED_NOREPLACE))
		iommufd_before_unmap("mmap", (uint64_t)(uintptr_t)addr, len);
}

void shim_before_munmap(void *addr, size_t len)
{
	iommufd_before_unmap("munmap", (uint64_t)(uintptr_t)addr, len);
}

void *shim_mremap(void *old, size_t old_size, size_t new_size, int flags,
		  void *new_addr)
{
	return iommufd_mremap(real_mremap, old, old_size, new_size, flags,
			      new_addr);
}

int shim_madvise(void *addr, size_t len, int advice)
{
	return iommufd_madvise(real_madvise, addr, len, advice);
}

int shim_shmdt(const void *addr)
{
	return iommufd_shmdt(real_shmdt, addr);
}

void shim_maps_changed(void)
{
	usermem_maps_changed();
}

void shim_creds_changed(void)
{
	capability_creds_changed();
}

/* Every mapping and capability change goes through the wrappers above:
 * the library may remember what it learns of them. */
__attribute__((constructor)) static void shim_watch_init(void)
{
	usermem_watch_maps();
	capability_watch_creds();
}
