// SPDX-License-Identifier: MIT
/*
 * The kernel's fault-injection files as library files. See fault_files.h.
 *
 * Which paths are these: a path is resolved lexically (repeated slashes,
 * "." and ".." taken as written, against the directory's own path for a
 * path relative to one of ours), and only absolute paths that start in
 * /proc/ or /sys/ are looked at, so any other open pays a string compare
 * or two. A symlink on the way is not followed ("/tmp/sys/..." where
 * /tmp/sys -> /sys opens the real file).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/fault_files.h"
#include "base/fault_inject.h"
#include "base/file.h"
#include "base/usermem.h"
#include "base/zalloc.h"

#define DEBUGFS_ROOT "/sys/kernel/debug"

/* ---- the debugfs tree --------------------------------------------------- */

enum attr_type {
	ATTR_BOOL, /* debugfs_create_bool() */
	ATTR_U32,  /* debugfs_create_u32() */
	ATTR_ULONG,
};

struct attr_desc {
	const char *name;
	enum attr_type type;
	size_t offset; /* in struct fault_attrs */
};

struct attr_dir {
	const char *name;
	enum fault_kind kind;
	const struct attr_desc *attrs;
	size_t nattrs;
};

#define ATTR(_name, _type, _field)                                             \
	{ _name, _type, offsetof(struct fault_attrs, _field) }

static const struct attr_desc failslab_attrs[] = {
	ATTR("cache-filter", ATTR_BOOL, cache_filter),
	ATTR("ignore-gfp-wait", ATTR_BOOL, ignore_gfp_wait),
	ATTR("verbose", ATTR_ULONG, verbose),
};

static const struct attr_desc fail_page_alloc_attrs[] = {
	ATTR("ignore-gfp-highmem", ATTR_BOOL, ignore_gfp_highmem),
	ATTR("ignore-gfp-wait", ATTR_BOOL, ignore_gfp_wait),
	ATTR("min-order", ATTR_U32, min_order),
	ATTR("verbose", ATTR_ULONG, verbose),
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const struct attr_dir attr_dirs[] = {
	{ "failslab", FAULT_SLAB, failslab_attrs, ARRAY_LEN(failslab_attrs) },
	{ "fail_page_alloc", FAULT_PAGE_ALLOC, fail_page_alloc_attrs,
	  ARRAY_LEN(fail_page_alloc_attrs) },
};

/* ---- paths ------------------------------------------------------------------ */

/*
 * base + "/" + path (path alone when it is absolute) with repeated
 * slashes, "." and ".." resolved, into out. *dir_only: the path ends in a
 * slash, "." or "..", so only a directory will do. false when it does not
 * fit.
 */
static bool path_resolve(const char *base, const char *path, char *out,
			 size_t size, bool *dir_only)
{
	char joined[PATH_MAX];
	size_t len = 0; /* out[0, len) so far; empty for "/" */
	const char *p = joined;
	int n;

	n = path[0] == '/' || !base ?
		    snprintf(joined, sizeof(joined), "%s", path) :
		    snprintf(joined, sizeof(joined), "%s/%s", base, path);
	if (n < 0 || (size_t)n >= sizeof(joined) || size < 2)
		return false;
	/* "/", a trailing slash, or "." or ".." last */
	*dir_only = true;
	for (;;) {
		size_t comp;

		while (*p == '/') {
			*dir_only = true;
			p++;
		}
		if (!*p)
			break;
		comp = strcspn(p, "/");
		*dir_only = false;
		if (comp == 2 && p[0] == '.' && p[1] == '.') {
			while (len && out[--len] != '/')
				;
			*dir_only = true;
		} else if (comp == 1 && p[0] == '.') {
			*dir_only = true;
		} else {
			if (len + 1 + comp + 1 > size)
				return false;
			out[len++] = '/';
			memcpy(out + len, p, comp);
			len += comp;
		}
		p += comp;
	}
	if (!len)
		out[len++] = '/';
	out[len] = '\0';
	return true;
}

/* ---- what a path names ----------------------------------------------- */

enum node_type {
	NODE_NONE,	  /* not ours: the real file system's */
	NODE_MISSING,	  /* in a directory of ours, no such entry */
	NODE_NOT_DIR,	  /* a path through one of our files */
	NODE_DEBUGFS,	  /* /sys/kernel/debug */
	NODE_ATTR_DIR,	  /* failslab/, fail_page_alloc/ */
	NODE_ATTR,	  /* an attribute file */
	NODE_FAIL_NTH,	  /* a thread's fail-nth */
};

struct node {
	enum node_type type;
	const struct attr_dir *dir;
	const struct attr_desc *attr;
	pid_t tid;
};

/* Whether tid is a live thread of this process. */
static bool thread_alive(pid_t tid)
{
	return tid > 0 && (syscall(SYS_tgkill, (pid_t)syscall(SYS_getpid),
				   tid, 0) == 0 ||
			   errno == EPERM);
}

/* The component at *p, which moves past it and its slash: its length. */
static size_t next_comp(const char **p)
{
	size_t comp = strcspn(*p, "/");

	*p += comp;
	if (**p == '/')
		(*p)++;
	return comp;
}

static bool comp_is(const char *comp, size_t len, const char *name)
{
	return strlen(name) == len && !memcmp(comp, name, len);
}

/* A thread ID as /proc spells it: decimal, no leading zero; 0 if not. */
static pid_t parse_tid(const char *s, size_t len)
{
	long value = 0;

	if (!len || (s[0] == '0') || len > 9)
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		value = value * 10 + (s[i] - '0');
	}
	return (pid_t)value;
}

static void lookup_debugfs(const char *rest, struct node *node)
{
	const char *comp = rest;
	size_t len = next_comp(&rest);
	const struct attr_dir *dir = NULL;

	if (!len) {
		node->type = NODE_DEBUGFS;
		return;
	}
	for (size_t i = 0; i < ARRAY_LEN(attr_dirs); i++)
		if (comp_is(comp, len, attr_dirs[i].name))
			dir = &attr_dirs[i];
	if (!dir)
		return; /* another debugfs entry: the real one's */
	node->dir = dir;
	comp = rest;
	len = next_comp(&rest);
	if (!len) {
		node->type = NODE_ATTR_DIR;
		return;
	}
	node->type = NODE_MISSING;
	for (size_t i = 0; i < dir->nattrs; i++)
		if (comp_is(comp, len, dir->attrs[i].name))
			node->attr = &dir->attrs[i];
	if (node->attr)
		node->type = *rest ? NODE_NOT_DIR : NODE_ATTR;
}

/* /proc/X/fail-nth, /proc/X/task/Y/fail-nth: the thread X (self: the
 * leader; thread-self: the caller) or Y, which must be ours. */
static void lookup_proc(const char *rest, struct node *node)
{
	const char *comp = rest;
	size_t len = next_comp(&rest);
	bool thread_self = comp_is(comp, len, "thread-self");
	pid_t tid;

	if (comp_is(comp, len, "self"))
		tid = (pid_t)syscall(SYS_getpid);
	else if (thread_self)
		tid = (pid_t)syscall(SYS_gettid);
	else
		tid = parse_tid(comp, len);
	if (!thread_alive(tid))
		return;
	comp = rest;
	len = next_comp(&rest);
	if (!thread_self && comp_is(comp, len, "task")) {
		comp = rest;
		len = next_comp(&rest);
		tid = parse_tid(comp, len);
		if (!thread_alive(tid))
			return;
		comp = rest;
		len = next_comp(&rest);
	}
	if (comp_is(comp, len, "fail-nth") && !*rest) {
		node->type = NODE_FAIL_NTH;
		node->tid = tid;
	}
}

static void lookup(const char *path, struct node *node)
{
	memset(node, 0, sizeof(*node));
	if (!strncmp(path, DEBUGFS_ROOT, strlen(DEBUGFS_ROOT)) &&
	    (!path[strlen(DEBUGFS_ROOT)] || path[strlen(DEBUGFS_ROOT)] == '/'))
		lookup_debugfs(path + strlen(DEBUGFS_ROOT) +
				       (path[strlen(DEBUGFS_ROOT)] == '/'),
			       node);
	else if (!strncmp(path, "/proc/", 6))
		lookup_proc(path + 6, node);
}

/* ---- reading and writing values ------------------------------------- */

/* The kernel's simple_read_from_buffer(). */
static ssize_t read_from_buffer(uint64_t ubuf, size_t len, int64_t *pos,
				const char *buf, size_t avail)
{
	size_t n;

	if (*pos < 0)
		return -EINVAL;
	if ((uint64_t)*pos >= avail || !len)
		return 0;
	n = avail - (size_t)*pos < len ? avail - (size_t)*pos : len;
	if (usermem_copy_to(usermem_self(), ubuf, buf + *pos, n))
		return -EFAULT;
	*pos += (int64_t)n;
	return (ssize_t)n;
}

/* The first len bytes of the user's buffer, at most size - 1 of them,
 * as a string: the kernel's *_from_user() parsers read no more. */
static int copy_value(uint64_t ubuf, size_t len, char *buf, size_t size)
{
	if (len > size - 1)
		len = size - 1;
	if (usermem_copy_from(usermem_self(), buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	return 0;
}

/* The kernel's kstrtoull() with base 0: an optional '+', then decimal,
 * 0x hex or 0 octal, then at most one newline. */
static int parse_ull(const char *s, unsigned long long *res)
{
	unsigned long long value = 0;
	unsigned int base = 10, digits = 0;
	bool overflow = false;

	if (*s == '+')
		s++;
	if (s[0] == '0') {
		base = 8;
		if ((s[1] == 'x' || s[1] == 'X') &&
		    strchr("0123456789abcdefABCDEF", s[2]) && s[2]) {
			base = 16;
			s += 2;
		}
	}
	for (;; s++, digits++) {
		unsigned int c = (unsigned char)*s, d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			d = (c | 0x20) - 'a' + 10;
		else
			break;
		if (d >= base)
			break;
		if (value > (ULLONG_MAX - d) / base)
			overflow = true;
		value = value * base + d;
	}
	if (overflow)
		return -ERANGE;
	if (!digits)
		return -EINVAL;
	if (*s == '\n')
		s++;
	if (*s)
		return -EINVAL;
	*res = value;
	return 0;
}

/* The kernel's kstrtobool(). */
static int parse_bool(const char *s, bool *res)
{
	switch (s[0]) {
	case 'y': case 'Y': case 't': case 'T': case '1':
		*res = true;
		return 0;
	case 'n': case 'N': case 'f': case 'F': case '0':
		*res = false;
		return 0;
	case 'o': case 'O':
		if (s[1] == 'n' || s[1] == 'N') {
			*res = true;
			return 0;
		}
		if (s[1] == 'f' || s[1] == 'F') {
			*res = false;
			return 0;
		}
		return -EINVAL;
	}
	return -EINVAL;
}

/* ---- fail-nth ------------------------------------------------------------ */

static pid_t fail_nth_tid(struct file *file)
{
	return (pid_t)(intptr_t)file->private_data;
}

static ssize_t fail_nth_read(struct file *file, uint64_t ubuf, size_t len,
			     int64_t *pos)
{
	pid_t tid = fail_nth_tid(file);
	char buf[16];
	int n;

	if (!thread_alive(tid))
		return -ESRCH;
	n = snprintf(buf, sizeof(buf), "%u\n", fault_task_nth(tid));
	return read_from_buffer(ubuf, len, pos, buf, (size_t)n);
}

/* kstrtouint_from_user(): room for a sign, 32 binary digits, a newline. */
#define FAIL_NTH_INPUT 35

static ssize_t fail_nth_write(struct file *file, uint64_t ubuf, size_t len,
			      int64_t *pos)
{
	pid_t tid = fail_nth_tid(file);
	char buf[FAIL_NTH_INPUT];
	unsigned long long n;
	int rc;

	(void)pos;
	rc = copy_value(ubuf, len, buf, sizeof(buf));
	if (!rc)
		rc = parse_ull(buf, &n);
	if (!rc && n > UINT_MAX)
		rc = -ERANGE;
	if (rc)
		return rc;
	if (!thread_alive(tid))
		return -ESRCH;
	rc = fault_set_task_nth(tid, (unsigned int)n);
	return rc ? rc : (ssize_t)len;
}

static const struct file_operations fail_nth_fops = {
	.name = "fail-nth",
	.read_at = fail_nth_read,
	.write_at = fail_nth_write,
};

/* ---- debugfs attributes ----------------------------------------------- */

struct attr_file {
	const struct attr_dir *dir;
	const struct attr_desc *attr;
};

static void *attr_value(const struct attr_file *af)
{
	return (char *)fault_attrs_of(af->dir->kind) + af->attr->offset;
}

static ssize_t attr_read(struct file *file, uint64_t ubuf, size_t len,
			 int64_t *pos)
{
	const struct attr_file *af = file->private_data;
	void *value = attr_value(af);
	char buf[32];
	int n;

	switch (af->attr->type) {
	case ATTR_BOOL:
		n = snprintf(buf, sizeof(buf), "%c\n",
			     atomic_load((_Atomic bool *)value) ? 'Y' : 'N');
		break;
	case ATTR_U32:
		n = snprintf(buf, sizeof(buf), "%llu\n",
			     (unsigned long long)atomic_load(
				     (_Atomic uint32_t *)value));
		break;
	default:
		n = snprintf(buf, sizeof(buf), "%llu\n",
			     (unsigned long long)atomic_load(
				     (_Atomic uint64_t *)value));
		break;
	}
	return read_from_buffer(ubuf, len, pos, buf, (size_t)n);
}

/* A boolean takes what kstrtobool() reads in the first three bytes, and
 * says it took the whole write even when it was not a boolean, as
 * debugfs_write_file_bool() does. */
static ssize_t attr_write_bool(const struct attr_file *af, uint64_t ubuf,
			       size_t len)
{
	char buf[4];
	bool value;
	int rc = copy_value(ubuf, len, buf, sizeof(buf));

	if (rc)
		return rc;
	if (!parse_bool(buf, &value))
		atomic_store((_Atomic bool *)attr_value(af), value);
	return (ssize_t)len;
}

/* A number: simple_attr_write(), 23 bytes at most, kstrtoull() base 0;
 * a u32 keeps the low bits, as debugfs_u32_set() does. */
static ssize_t attr_write_number(const struct attr_file *af, uint64_t ubuf,
				 size_t len)
{
	char buf[24];
	unsigned long long value;
	int rc = copy_value(ubuf, len, buf, sizeof(buf));

	if (!rc)
		rc = parse_ull(buf, &value);
	if (rc)
		return rc;
	if (af->attr->type == ATTR_U32)
		atomic_store((_Atomic uint32_t *)attr_value(af),
			     (uint32_t)value);
	else
		atomic_store((_Atomic uint64_t *)attr_value(af), value);
	return (ssize_t)len;
}

static ssize_t attr_write(struct file *file, uint64_t ubuf, size_t len,
			  int64_t *pos)
{
	const struct attr_file *af = file->private_data;

	(void)pos;
	if (af->attr->type == ATTR_BOOL)
		return attr_write_bool(af, ubuf, len);
	return attr_write_number(af, ubuf, len);
}

static void attr_release(struct file *file)
{
	free(file->private_data);
}

static const struct file_operations attr_fops = {
	.name = "debugfs attribute",
	.read_at = attr_read,
	.write_at = attr_write,
	.llseek = file_default_llseek,
	.release = attr_release,
};

/* ---- directories ----------------------------------------------------------- */

struct dir_file {
	const struct attr_dir *dir; /* NULL: /sys/kernel/debug */
	unsigned int next;	    /* the entry the next read gives */
	struct dirent ent;
};

static ssize_t dir_read(struct file *file, uint64_t ubuf, size_t len)
{
	(void)file;
	(void)ubuf;
	(void)len;
	return -EISDIR;
}

static void dir_release(struct file *file)
{
	free(file->private_data);
}

static const struct file_operations dir_fops = {
	.name = "debugfs directory",
	.read = dir_read,
	.release = dir_release,
};

bool fault_files_is_dir(struct file *file)
{
	return file->f_op == &dir_fops;
}

/* Inode numbers: the root, then each directory, then its attributes. */
static ino_t dir_ino(const struct attr_dir *dir)
{
	return dir ? 2 + (ino_t)(dir - attr_dirs) * 16 : 1;
}

/* Entry i of a directory: its name, type and inode; false past the end. */
static bool dir_entry(const struct attr_dir *dir, unsigned int i,
		      const char **name, unsigned char *type, ino_t *ino)
{
	if (i < 2) {
		*name = i ? ".." : ".";
		*type = DT_DIR;
		*ino = i || !dir ? dir_ino(NULL) - (i && !dir) : dir_ino(dir);
		return true;
	}
	i -= 2;
	if (!dir) {
		if (i >= ARRAY_LEN(attr_dirs))
			return false;
		*name = attr_dirs[i].name;
		*type = DT_DIR;
		*ino = dir_ino(&attr_dirs[i]);
		return true;
	}
	if (i >= dir->nattrs)
		return false;
	*name = dir->attrs[i].name;
	*type = DT_REG;
	*ino = dir_ino(dir) + 1 + i;
	return true;
}

const struct dirent *fault_dir_read(struct file *file)
{
	struct dir_file *df = file->private_data;
	const char *name;
	unsigned char type;
	ino_t ino;

	if (!dir_entry(df->dir, df->next, &name, &type, &ino))
		return NULL;
	memset(&df->ent, 0, sizeof(df->ent));
	df->ent.d_ino = ino;
	df->ent.d_off = (off_t)++df->next;
	df->ent.d_reclen = sizeof(df->ent);
	df->ent.d_type = type;
	snprintf(df->ent.d_name, sizeof(df->ent.d_name), "%s", name);
	return &df->ent;
}

void fault_dir_rewind(struct file *file)
{
	struct dir_file *df = file->private_data;

	df->next = 0;
}

/* The absolute path a directory file stands for. */
static void dir_path(struct file *file, char *buf, size_t size)
{
	const struct dir_file *df = file->private_data;

	if (df->dir)
		snprintf(buf, size, "%s/%s", DEBUGFS_ROOT, df->dir->name);
	else
		snprintf(buf, size, "%s", DEBUGFS_ROOT);
}

/* ---- opening ----------------------------------------------------------------- */

/* What open() of a directory answers: only for reading, not created. */
static int open_dir(const struct attr_dir *dir, int flags)
{
	struct dir_file *df;
	int fd;

	if ((flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC)))
		return -EISDIR;
	df = zalloc(sizeof(*df));
	if (!df)
		return -ENOMEM;
	df->dir = dir;
	fd = file_install_new(&dir_fops, df, flags, FILE_PLACEHOLDER_DIR);
	if (fd < 0)
		free(df);
	return fd;
}

static int open_file(const struct file_operations *fops, void *private_data,
		     int flags, bool dir_only)
{
	if (dir_only || (flags & O_DIRECTORY))
		return -ENOTDIR;
	if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
		return -EEXIST;
	return file_install_new(fops, private_data, flags,
				FILE_PLACEHOLDER_NODE);
}

static int open_attr(const struct node *node, int flags, bool dir_only)
{
	struct attr_file *af = zalloc(sizeof(*af));
	int fd;

	if (!af)
		return -ENOMEM;
	af->dir = node->dir;
	af->attr = node->attr;
	fd = open_file(&attr_fops, af, flags, dir_only);
	if (fd < 0)
		free(af);
	return fd;
}

static int open_node(const struct node *node, int flags, bool dir_only)
{
	switch (node->type) {
	case NODE_DEBUGFS:
		return open_dir(NULL, flags);
	case NODE_ATTR_DIR:
		return open_dir(node->dir, flags);
	case NODE_ATTR:
		return open_attr(node, flags, dir_only);
	case NODE_FAIL_NTH:
		return open_file(&fail_nth_fops, (void *)(intptr_t)node->tid,
				 flags, dir_only);
	case NODE_NOT_DIR:
		return -ENOTDIR;
	case NODE_MISSING:
		/* debugfs directories cannot be created in */
		return (flags & O_CREAT) ? -EACCES : -ENOENT;
	case NODE_NONE:
		break;
	}
	return -ENOENT;
}

int fault_files_openat(struct file *dir, const char *path, int flags,
		       bool *ours, char *real_path, size_t size)
{
	char base[PATH_MAX], abs[PATH_MAX];
	struct node node;
	bool dir_only;

	*ours = false;
	if (size)
		real_path[0] = '\0';
	if (dir && path[0] != '/') {
		dir_path(dir, base, sizeof(base));
	} else {
		const char *top = path + strspn(path, "/");

		dir = NULL;
		if (top == path ||
		    (strncmp(top, "proc/", 5) && strncmp(top, "sys/", 4)))
			return 0;
	}
	if (!path_resolve(dir ? base : NULL, path, abs, sizeof(abs),
			  &dir_only))
		return 0;
	lookup(abs, &node);
	if (node.type != NODE_NONE) {
		/* these may be the first files the process opens of ours */
		int rc = usermem_init();

		*ours = true;
		return rc ? rc : open_node(&node, flags, dir_only);
	}
	if (dir && (size_t)snprintf(real_path, size, "%s%s", abs,
				    dir_only && abs[1] ? "/" : "") >= size)
		real_path[0] = '\0';
	return 0;
}
