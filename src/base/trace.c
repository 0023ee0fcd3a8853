// SPDX-License-Identifier: MIT
/*
 * The trace's sink, its line format, and the table-driven decoding of
 * calls. See trace.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "base/trace.h"
#include "base/usermem.h"

/* A line is at most this long; past it, the rest of the line is cut
 * (decoded user data is summarized, so only a pathological table gets
 * there). Within PIPE_BUF, so that a line written to a pipe is one atomic
 * write too. */
#define TRACE_LINE_MAX 4096
/* The largest struct a call's snapshot holds. */
#define TRACE_STRUCT_MAX 256
/* Where the trace's own descriptor goes: out of the way of the numbers a
 * program picks by hand. */
#define TRACE_FD_FLOOR 600

bool trace_on;
__thread int trace_call_fd = -1;

/* The thread's ID, asked of the kernel once per thread: a system call
 * per line would double the trace's cost. A forked child's thread asks
 * again (the handler below runs in it). */
static __thread long cached_tid;

static void trace_atfork_child(void)
{
	cached_tid = 0;
}

static long trace_tid(void)
{
	if (!cached_tid)
		cached_tid = syscall(SYS_gettid);
	return cached_tid;
}

static int trace_fd = -1;
static enum trace_format trace_format = TRACE_FORMAT_TEXT;
static struct timespec trace_t0;

void trace_start(int fd, enum trace_format format)
{
	trace_fd = fd;
	trace_format = format;
	clock_gettime(CLOCK_MONOTONIC, &trace_t0);
	trace_on = fd >= 0;
}

void trace_stop(void)
{
	trace_on = false;
}

/* A private copy of fd, close-on-exec, high; fd itself when there is no
 * room up there. */
static int trace_fd_private(int fd)
{
	int copy = (int)syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, TRACE_FD_FLOOR);

	if (copy < 0)
		return fd;
	if (fd > 2)
		syscall(SYS_close, fd);
	return copy;
}

/*
 * IOMMUSIM_TRACE, read once as the library loads, before the program's
 * threads: "-" (or an empty value) is standard error, anything else a
 * file opened for appending, so that a forked or exec'd child adds to it.
 */
__attribute__((constructor)) static void trace_init_from_env(void)
{
	const char *path = getenv(TRACE_ENV);
	const char *format = getenv(TRACE_FORMAT_ENV);
	enum trace_format fmt = TRACE_FORMAT_TEXT;
	int fd;

	pthread_atfork(NULL, NULL, trace_atfork_child);
	if (!path)
		return;
	if (format && !strcmp(format, "json"))
		fmt = TRACE_FORMAT_JSON;
	if (!*path || !strcmp(path, "-")) {
		fd = 2;
	} else {
		fd = (int)syscall(SYS_openat, AT_FDCWD, path,
				  O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
				  0644);
		if (fd < 0) {
			fprintf(stderr, "iommusim: %s: cannot open %s: %s\n",
				TRACE_ENV, path, strerror(errno));
			return;
		}
	}
	trace_start(trace_fd_private(fd), fmt);
}

const char *trace_errno_name(int err)
{
	return strerrorname_np(err);
}

/* ---- building a line ----------------------------------------------------- */

struct line {
	char *buf;
	size_t cap, len;
	enum trace_format format;
	bool first; /* no item yet in the innermost braces */
};

static void put(struct line *l, const char *s)
{
	size_t n = strlen(s);

	if (l->len + n >= l->cap)
		n = l->len + 1 < l->cap ? l->cap - 1 - l->len : 0;
	memcpy(l->buf + l->len, s, n);
	l->len += n;
	l->buf[l->len] = '\0';
}

__attribute__((format(printf, 2, 3))) static void putf(struct line *l,
						       const char *fmt, ...)
{
	char tmp[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	put(l, tmp);
}

static bool json(const struct line *l)
{
	return l->format == TRACE_FORMAT_JSON;
}

static void key(struct line *l, const char *name)
{
	if (!l->first)
		put(l, json(l) ? "," : ", ");
	l->first = false;
	if (json(l))
		putf(l, "\"%s\":", name);
	else
		putf(l, "%s=", name);
}

static void open_brace(struct line *l, const char *brace)
{
	put(l, brace);
	l->first = true;
}

static void close_brace(struct line *l, const char *brace)
{
	put(l, brace);
	l->first = false;
}

static void val_dec(struct line *l, uint64_t v)
{
	putf(l, "%llu", (unsigned long long)v);
}

static void val_hex(struct line *l, uint64_t v)
{
	putf(l, json(l) ? "\"0x%llx\"" : "0x%llx", (unsigned long long)v);
}

static void val_str(struct line *l, const char *s)
{
	if (json(l))
		put(l, "\"");
	put(l, s);
	if (json(l))
		put(l, "\"");
}

static void val_flags(struct line *l, uint64_t v, const struct trace_name *n)
{
	bool any = false;

	if (json(l))
		put(l, "\"");
	for (; n && n->name; n++) {
		if (!n->value || (v & n->value) != n->value)
			continue;
		if (any)
			put(l, "|");
		put(l, n->name);
		v &= ~n->value;
		any = true;
	}
	if (v || !any)
		putf(l, any ? "|0x%llx" : "0x%llx", (unsigned long long)v);
	if (json(l))
		put(l, "\"");
}

static void val_enum(struct line *l, uint64_t v, const struct trace_name *n)
{
	for (; n && n->name; n++) {
		if (n->value == v) {
			val_str(l, n->name);
			return;
		}
	}
	val_dec(l, v);
}

static void val(struct line *l, unsigned int fmt, uint64_t v,
		const struct trace_name *names)
{
	switch (fmt) {
	case TRACE_SDEC:
		putf(l, "%lld", (long long)v);
		break;
	case TRACE_HEX:
	case TRACE_RESERVED:
		val_hex(l, v);
		break;
	case TRACE_FLAGS:
		val_flags(l, v, names);
		break;
	case TRACE_ENUM:
		val_enum(l, v, names);
		break;
	default:
		val_dec(l, v);
		break;
	}
}

/* The line's head: time and thread, then what the caller adds. */
static void line_init(struct line *l, char *buf, size_t cap)
{
	struct timespec now;
	int64_t ns;

	l->buf = buf;
	l->cap = cap - 2; /* room for a closing brace and the newline */
	l->len = 0;
	l->buf[0] = '\0';
	l->format = trace_format;
	l->first = true;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ns = (int64_t)(now.tv_sec - trace_t0.tv_sec) * 1000000000 +
	     (now.tv_nsec - trace_t0.tv_nsec);
	if (json(l))
		putf(l, "{\"time\":%lld.%06lld,\"tid\":%ld", (long long)ns / 1000000000,
		     (long long)(ns % 1000000000) / 1000, trace_tid());
	else
		putf(l, "%lld.%06lld %ld", (long long)ns / 1000000000,
		     (long long)(ns % 1000000000) / 1000, trace_tid());
	l->first = false;
}

/* A text line's next top-level item. */
static void item(struct line *l)
{
	put(l, " ");
}

static void line_write(struct line *l)
{
	l->cap += 2;
	if (json(l))
		put(l, "}");
	put(l, "\n");
	if (l->len && l->buf[l->len - 1] != '\n') /* cut: end it anyway */
		l->buf[l->len - 1] = '\n';
	syscall(SYS_write, trace_fd, l->buf, l->len);
}

/* ---- fields -------------------------------------------------------------- */

static uint64_t read_field(const void *buf, size_t offset, size_t size,
			   bool sign)
{
	const unsigned char *p = (const unsigned char *)buf + offset;
	uint64_t v = 0;

	switch (size) {
	case 1: {
		uint8_t x;
		memcpy(&x, p, 1);
		v = sign ? (uint64_t)(int64_t)(int8_t)x : x;
		break;
	}
	case 2: {
		uint16_t x;
		memcpy(&x, p, 2);
		v = sign ? (uint64_t)(int64_t)(int16_t)x : x;
		break;
	}
	case 4: {
		uint32_t x;
		memcpy(&x, p, 4);
		v = sign ? (uint64_t)(int64_t)(int32_t)x : x;
		break;
	}
	case 8:
		memcpy(&v, p, 8);
		break;
	}
	return v;
}

static uint64_t field_value(const struct trace_field *f, const void *buf)
{
	return read_field(buf, f->offset, f->size, f->fmt == TRACE_SDEC);
}

/* The fields of st that go dir and lie within len bytes. */
static void put_fields(struct line *l, const struct trace_struct *st,
		       const void *buf, size_t len, unsigned int dir)
{
	for (size_t i = 0; i < st->nfields; i++) {
		const struct trace_field *f = &st->fields[i];
		uint64_t v;

		if (!(f->dir & dir) || f->fmt == TRACE_UNION ||
		    (size_t)f->offset + f->size > len)
			continue;
		v = field_value(f, buf);
		if (f->fmt == TRACE_RESERVED && !v)
			continue;
		key(l, f->name);
		val(l, f->fmt, v, f->names);
	}
}

/* ---- user data a struct points at ---------------------------------------- */

static const struct trace_struct *
payload_struct(const struct trace_payload *p, const void *buf)
{
	uint64_t type;

	if (p->type_off == TRACE_NO_FIELD)
		return p->st;
	type = read_field(buf, p->type_off, 4, false);
	for (size_t i = 0; i < p->ntypes; i++)
		if (p->types[i].type == type)
			return p->types[i].st;
	return NULL;
}

/* Entry i of the user array, decoded; "<fault>" when it cannot be read. */
static void put_entry(struct line *l, const struct trace_struct *st,
		      uint64_t uptr, size_t esize)
{
	unsigned char entry[TRACE_STRUCT_MAX] = { 0 };
	size_t n = esize < st->size ? esize : st->size;

	if (n > sizeof(entry))
		n = sizeof(entry);
	if (usermem_copy_from(usermem_self(), entry, uptr, n)) {
		val_str(l, "<fault>");
		return;
	}
	open_brace(l, "{");
	put_fields(l, st, entry, n, TRACE_INOUT);
	close_brace(l, "}");
}

static void put_payload(struct line *l, const struct trace_payload *p,
			const void *buf, size_t len)
{
	const struct trace_struct *st;
	uint64_t uptr, count, esize;

	if ((size_t)p->ptr_off + 8 > len || (size_t)p->len_off + 4 > len)
		return;
	uptr = read_field(buf, p->ptr_off, 8, false);
	count = read_field(buf, p->len_off, 4, false);
	st = payload_struct(p, buf);
	if (p->entry_len_off != TRACE_NO_FIELD)
		esize = read_field(buf, p->entry_len_off, 4, false);
	else if (p->len_is_count)
		esize = st ? st->size : 0;
	else
		esize = count; /* one struct of that many bytes */
	if (!p->len_is_count)
		count = count ? 1 : 0;
	if (!count || !uptr)
		return;
	key(l, p->name);
	if (!st || !esize) {
		putf(l, json(l) ? "\"<%llu bytes>\"" : "<%llu bytes>",
		     (unsigned long long)(count * esize));
		return;
	}
	open_brace(l, "[");
	for (uint64_t i = 0; i < count && i < TRACE_MAX_ENTRIES; i++) {
		if (i)
			put(l, json(l) ? "," : ", ");
		put_entry(l, st, uptr + i * esize, esize);
	}
	if (count > TRACE_MAX_ENTRIES && !json(l))
		put(l, ", ...");
	close_brace(l, "]");
}

static void put_payloads(struct line *l, const struct trace_ioctl *ti,
			 const void *buf, size_t len, unsigned int dir)
{
	for (size_t i = 0; i < ti->npayloads; i++)
		if (ti->payloads[i].dir & dir)
			put_payload(l, &ti->payloads[i], buf, len);
}

/* ---- ioctls -------------------------------------------------------------- */

static const struct trace_ioctl *find_ioctl(const struct trace_file *tf,
					    unsigned int cmd)
{
	for (size_t i = 0; tf && i < tf->nioctls; i++)
		if (tf->ioctls[i].cmd == cmd)
			return &tf->ioctls[i];
	return NULL;
}

static const struct trace_variant *find_variant(const struct trace_ioctl *ti,
						const void *buf, size_t len)
{
	uint64_t sel;

	if (!ti->nvariants || (size_t)ti->selector_off + 4 > len)
		return NULL;
	sel = read_field(buf, ti->selector_off, 4, false);
	for (size_t i = 0; i < ti->nvariants; i++)
		if (ti->variants[i].value == sel)
			return &ti->variants[i];
	return NULL;
}

/* The caller's struct: its first 4 bytes are its size (iommufd's size,
 * VFIO's argsz). Returns the bytes copied (zero past them), 0 when it
 * cannot be read. */
static size_t snapshot(const struct trace_ioctl *ti, uint64_t arg, void *buf)
{
	uint32_t size;
	size_t n = ti->st->size < TRACE_STRUCT_MAX ? ti->st->size :
						      TRACE_STRUCT_MAX;

	memset(buf, 0, TRACE_STRUCT_MAX);
	if (usermem_copy_from(usermem_self(), &size, arg, sizeof(size)))
		return 0;
	if (size < n)
		n = size < sizeof(size) ? sizeof(size) : size;
	if (usermem_copy_from(usermem_self(), buf, arg, n))
		return 0;
	return n;
}

static bool struct_has_dir(const struct trace_struct *st, unsigned int dir)
{
	for (size_t i = 0; i < st->nfields; i++)
		if ((st->fields[i].dir & dir) &&
		    st->fields[i].fmt != TRACE_UNION)
			return true;
	return false;
}

/* The member's name: what follows the last '.' of the struct's. */
static const char *variant_member(const struct trace_variant *var)
{
	const char *dot = strrchr(var->st->name, '.');

	return dot ? dot + 1 : var->st->name;
}

/* The struct's fields going dir, then its variant's, as an object named
 * by the union member (its names may repeat the header's), then its
 * payloads. */
static void put_struct(struct line *l, const struct trace_ioctl *ti,
		       const struct trace_variant *var, const void *buf,
		       size_t len, unsigned int dir)
{
	open_brace(l, "{");
	put_fields(l, ti->st, buf, len, dir);
	if (var && len > var->offset && struct_has_dir(var->st, dir)) {
		key(l, variant_member(var));
		open_brace(l, "{");
		put_fields(l, var->st, (const char *)buf + var->offset,
			   len - var->offset, dir);
		close_brace(l, "}");
	}
	put_payloads(l, ti, buf, len, dir);
	close_brace(l, "}");
}

static bool has_out(const struct trace_ioctl *ti,
		    const struct trace_variant *var)
{
	if (struct_has_dir(ti->st, TRACE_OUT) ||
	    (var && struct_has_dir(var->st, TRACE_OUT)))
		return true;
	for (size_t i = 0; i < ti->npayloads; i++)
		if (ti->payloads[i].dir & TRACE_OUT)
			return true;
	return false;
}

static void put_call_head(struct line *l, int fd, const char *name)
{
	if (json(l)) {
		putf(l, ",\"fd\":%d,\"call\":\"%s\"", fd, name);
	} else {
		putf(l, " fd=%d ", fd);
		put(l, name);
	}
}

static void put_result(struct line *l, long rc)
{
	const char *name = rc < 0 ? trace_errno_name((int)-rc) : NULL;

	if (json(l)) {
		putf(l, ",\"result\":%ld", rc < 0 ? -1L : rc);
		if (rc < 0) {
			put(l, ",\"errno\":");
			if (name)
				val_str(l, name);
			else
				putf(l, "%ld", -rc);
		}
	} else if (rc < 0) {
		put(l, " = -1 ");
		if (name)
			put(l, name);
		else
			putf(l, "errno %ld", -rc);
	} else {
		putf(l, " = %ld", rc);
	}
}

/* The input half of a call's line: its name and what it was given. */
static void put_ioctl_in(struct line *l, const struct trace_ioctl *ti,
			 const struct trace_variant *var, int fd,
			 unsigned int cmd, uint64_t arg, const void *buf,
			 size_t len)
{
	char raw[32];

	if (!ti) {
		snprintf(raw, sizeof(raw), "ioctl(0x%x)", cmd);
		put_call_head(l, fd, raw);
	} else {
		put_call_head(l, fd, var ? var->name : ti->name);
	}
	if (json(l))
		put(l, ",\"in\":");
	else
		item(l);
	if (!ti || (ti->arg == TRACE_ARG_STRUCT && !len)) {
		open_brace(l, "{");
		key(l, "arg");
		val_hex(l, arg);
		close_brace(l, "}");
	} else if (ti->arg == TRACE_ARG_VALUE) {
		open_brace(l, "{");
		key(l, "arg");
		if (ti->arg_names)
			val_enum(l, arg, ti->arg_names);
		else
			val_dec(l, arg);
		close_brace(l, "}");
	} else if (ti->arg == TRACE_ARG_STRUCT) {
		put_struct(l, ti, var, buf, len, TRACE_IN);
	} else {
		open_brace(l, "{");
		close_brace(l, "}");
	}
}

long trace_ioctl(const struct trace_file *tf, int fd, unsigned int cmd,
		 uint64_t arg, trace_ioctl_fn fn, void *self)
{
	if (fd == TRACE_CALL_FD)
		fd = trace_call_fd;
	const struct trace_ioctl *ti = find_ioctl(tf, cmd);
	const struct trace_variant *var = NULL;
	unsigned char buf[TRACE_STRUCT_MAX];
	char text[TRACE_LINE_MAX];
	struct line l;
	size_t len = 0;
	long rc;

	if (ti && ti->arg == TRACE_ARG_STRUCT) {
		len = snapshot(ti, arg, buf);
		var = find_variant(ti, buf, len);
	}
	line_init(&l, text, sizeof(text));
	put_ioctl_in(&l, ti, var, fd, cmd, arg, buf, len);

	rc = fn(self, cmd, arg);

	put_result(&l, rc);
	if (rc >= 0 && len && has_out(ti, var)) {
		len = snapshot(ti, arg, buf);
		if (json(&l))
			put(&l, ",\"out\":");
		else
			item(&l);
		put_struct(&l, ti, var, buf, len, TRACE_OUT);
	}
	line_write(&l);
	return rc;
}

/* ---- reads and writes ---------------------------------------------------- */

static void put_records(struct line *l, const struct trace_struct *st,
			uint64_t ubuf, size_t len)
{
	size_t count = st && st->size ? len / st->size : 0;

	if (!count)
		return;
	if (json(l))
		put(l, ",\"records\":");
	else
		item(l);
	open_brace(l, "[");
	for (size_t i = 0; i < count && i < TRACE_MAX_ENTRIES; i++) {
		if (i)
			put(l, json(l) ? "," : ", ");
		put_entry(l, st, ubuf + i * st->size, st->size);
	}
	if (count > TRACE_MAX_ENTRIES && !json(l))
		put(l, ", ...");
	close_brace(l, "]");
}

void trace_rw(const struct trace_file *tf, int fd, const char *op,
	      uint64_t ubuf, size_t len, int64_t pos, ssize_t rc)
{
	bool is_read = strstr(op, "read") != NULL; /* read, pread, readv... */
	const struct trace_struct *rec = NULL;
	char text[TRACE_LINE_MAX];
	struct line l;

	if (fd == TRACE_CALL_FD)
		fd = trace_call_fd;
	if (tf)
		rec = is_read ? tf->read_record : tf->write_record;
	line_init(&l, text, sizeof(text));
	put_call_head(&l, fd, op);
	if (json(&l))
		put(&l, ",\"in\":");
	else
		item(&l);
	open_brace(&l, "{");
	key(&l, ubuf ? "len" : "iovcnt");
	if (ubuf)
		val_hex(&l, len);
	else
		val_dec(&l, len);
	if (pos >= 0) {
		key(&l, "pos");
		val_hex(&l, (uint64_t)pos);
	}
	close_brace(&l, "}");
	put_result(&l, rc);
	if (rc > 0 && ubuf)
		put_records(&l, rec, ubuf, (size_t)rc);
	line_write(&l);
}

/* ---- events -------------------------------------------------------------- */

void trace_event_emit(const char *name, const struct trace_arg_val *args,
		      size_t nargs)
{
	char text[TRACE_LINE_MAX];
	struct line l;

	line_init(&l, text, sizeof(text));
	if (json(&l)) {
		putf(&l, ",\"event\":\"%s\"", name);
	} else {
		put(&l, " event ");
		put(&l, name);
	}
	for (size_t i = 0; i < nargs; i++) {
		if (json(&l)) {
			put(&l, ",");
			l.first = true;
		} else {
			item(&l);
			l.first = true;
		}
		key(&l, args[i].key);
		if (args[i].str)
			val_str(&l, args[i].str);
		else
			val(&l, args[i].fmt, args[i].val, args[i].names);
	}
	line_write(&l);
}
