/* SPDX-License-Identifier: MIT */
/*
 * The trace: one line per call on a file of ours, and one per event that no
 * call shows (an object made or destroyed, an attach, a fault queued, an
 * IOTLB invalidation, ...).
 *
 * It is switched on by IOMMUSIM_TRACE (a file name, or "-" for standard
 * error), read once when the library is loaded; IOMMUSIM_TRACE_FORMAT=json
 * writes JSON Lines with the same content instead of text. Switched off,
 * every hook below is one load of trace_on and a branch not taken: nothing
 * is formatted, nothing is called.
 *
 * How a call is decoded is data, not code: a struct trace_struct lists one
 * struct trace_field per member of a uAPI struct (its name, offset, size,
 * and how to print it), and the layer that owns a file names its
 * struct trace_file (its ioctls, the records it reads and writes) in its
 * file_operations. This layer knows no command.
 *
 * Each line is built in a buffer on the caller's stack and written with one
 * write(2) system call (an O_APPEND file, or standard error), so lines from
 * threads and from forked children never interleave; there is no lock, so
 * fork() cannot catch one held. The system call is made with syscall(), not
 * through the wrapped libc function.
 */
#ifndef IOMMUSIM_BASE_TRACE_H
#define IOMMUSIM_BASE_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TRACE_ENV "IOMMUSIM_TRACE"
#define TRACE_FORMAT_ENV "IOMMUSIM_TRACE_FORMAT"

/* Set once, before any thread of the program runs (a constructor), or by
 * trace_start(); read by every hook. Hidden, so that a hook's load of it
 * is one PC-relative load, not a GOT lookup first. */
extern bool trace_on __attribute__((visibility("hidden")));

static inline bool trace_enabled(void)
{
	return __builtin_expect(trace_on, 0);
}

enum trace_format {
	TRACE_FORMAT_TEXT,
	TRACE_FORMAT_JSON,
};

/*
 * Starts tracing to fd (the caller's; it is not closed) in format, with
 * time counted from now. For tests and for a program that links the
 * library directly; call it before the threads that make calls start.
 * trace_stop() switches the trace off again.
 */
void trace_start(int fd, enum trace_format format);
void trace_stop(void);

/* ---- describing a struct ------------------------------------------------- */

/* A value's name: the bit(s) of a flag, or one value of an enum. A table
 * ends with a NULL name. */
struct trace_name {
	uint64_t value;
	const char *name;
};

enum trace_fmt {
	TRACE_DEC,   /* unsigned decimal */
	TRACE_SDEC,  /* signed decimal (an fd) */
	TRACE_HEX,   /* addresses, lengths, registers */
	TRACE_ID,    /* an object ID (decimal) */
	TRACE_FLAGS, /* bits by name (names: one bit each); unknown in hex */
	TRACE_ENUM,  /* a value by name (names); unknown in decimal */
	/* Reserved or padding: printed only when not zero, since then it is
	 * what the kernel complains about. */
	TRACE_RESERVED,
	/* A union chosen by another field (struct trace_ioctl.variants);
	 * this field only marks the bytes it spans. */
	TRACE_UNION,
};

/* Which way a field goes; an output is printed after the call, and only
 * when it succeeded. */
enum trace_dir {
	TRACE_IN = 1,
	TRACE_OUT = 2,
	TRACE_INOUT = TRACE_IN | TRACE_OUT,
};

struct trace_field {
	const char *name;
	uint16_t offset;
	uint16_t size; /* 1, 2, 4 or 8 bytes, but for TRACE_UNION */
	uint8_t fmt;   /* enum trace_fmt */
	uint8_t dir;   /* enum trace_dir */
	const struct trace_name *names;
};

struct trace_struct {
	const char *name; /* "iommu_ioas_map" */
	size_t size;      /* sizeof the struct */
	const struct trace_field *fields;
	size_t nfields;
};

/*
 * A table entry for member m of struct s (offset and size from the
 * compiler), and a struct's descriptor from its table.
 */
#define TRACE_FIELD(s, m, fmt_, dir_, names_)                                  \
	{                                                                      \
		.name = #m, .offset = __builtin_offsetof(struct s, m),         \
		.size = sizeof(((struct s *)0)->m), .fmt = (fmt_),             \
		.dir = (dir_), .names = (names_),                              \
	}
#define TRACE_STRUCT(s, table)                                                 \
	{                                                                      \
		.name = #s, .size = sizeof(struct s), .fields = (table),       \
		.nfields = sizeof(table) / sizeof((table)[0]),                 \
	}

/*
 * User data a struct points at, summarized: at most TRACE_MAX_ENTRIES
 * entries decoded, each by the struct its type field names (or by the one
 * struct given).
 */
#define TRACE_MAX_ENTRIES 4
#define TRACE_NO_FIELD UINT16_MAX

struct trace_typed_struct {
	uint64_t type;
	const struct trace_struct *st;
};

struct trace_payload {
	const char *name;   /* printed as name=[{...}, ...] */
	uint8_t dir;	    /* when it is read: TRACE_IN or TRACE_OUT */
	uint16_t ptr_off;   /* the __u64 user address */
	uint16_t len_off;   /* a __u32 byte length, or entry count */
	bool len_is_count;  /* len_off counts entries */
	uint16_t entry_len_off; /* a __u32 entry size, or TRACE_NO_FIELD */
	uint16_t type_off;  /* a __u32 type, or TRACE_NO_FIELD */
	/* by type (types), or the one struct (st) */
	const struct trace_typed_struct *types;
	size_t ntypes;
	const struct trace_struct *st;
};

/* A union member chosen when the selector field holds value. */
struct trace_variant {
	uint64_t value;
	const char *name; /* the call's name for it: "IOMMU_TEST_OP_DIRTY" */
	const struct trace_struct *st; /* its members, at offset */
	uint16_t offset;
};

enum trace_arg {
	TRACE_ARG_STRUCT, /* arg points at a struct starting with its size */
	TRACE_ARG_VALUE,  /* arg is an integer (names, when given, name it) */
	TRACE_ARG_NONE,   /* arg is not used */
};

struct trace_ioctl {
	unsigned int cmd;
	const char *name;
	uint8_t arg; /* enum trace_arg */
	const struct trace_struct *st;
	const struct trace_name *arg_names;
	const struct trace_payload *payloads;
	size_t npayloads;
	/* the variant of the TRACE_UNION field, by the field at
	 * selector_off (a __u32) */
	const struct trace_variant *variants;
	size_t nvariants;
	uint16_t selector_off;
};

/* How calls on one kind of file are decoded. */
struct trace_file {
	const struct trace_ioctl *ioctls;
	size_t nioctls;
	/* The records read(2) returns and write(2) takes, or NULL. */
	const struct trace_struct *read_record;
	const struct trace_struct *write_record;
};

/* ---- calls --------------------------------------------------------------- */

/* The descriptor the program named in the call being made on this thread:
 * fget() records it while tracing, for the line. */
extern __thread int trace_call_fd;
/* As fd below: the descriptor fget() recorded, read by the trace itself
 * so that the hook's caller touches no thread-local variable. */
#define TRACE_CALL_FD (-2)

typedef long (*trace_ioctl_fn)(void *self, unsigned int cmd, uint64_t arg);

/*
 * Runs fn(self, cmd, arg) and writes its line: tf decodes it (NULL: the
 * number and argument raw). fd is the descriptor named, -1 for none.
 */
long trace_ioctl(const struct trace_file *tf, int fd, unsigned int cmd,
		 uint64_t arg, trace_ioctl_fn fn, void *self);

/* A read or write that has run: its line, records decoded by tf. op names
 * the call ("read", "pwrite", "readv", ...); pos is -1 for none; ubuf is
 * the buffer (0 for the vector forms, which print iovcnt as len). */
void trace_rw(const struct trace_file *tf, int fd, const char *op,
	      uint64_t ubuf, size_t len, int64_t pos, ssize_t rc);

/* ---- events -------------------------------------------------------------- */

/* One field of an event. */
struct trace_arg_val {
	const char *key;
	uint8_t fmt; /* enum trace_fmt; TRACE_ENUM/TRACE_FLAGS use names */
	uint64_t val;
	const struct trace_name *names;
	const char *str; /* when not NULL, printed instead of val */
};

#define TA_DEC(k, v) { .key = (k), .fmt = TRACE_DEC, .val = (v) }
#define TA_HEX(k, v) { .key = (k), .fmt = TRACE_HEX, .val = (v) }
#define TA_ID(k, v) { .key = (k), .fmt = TRACE_ID, .val = (v) }
#define TA_STR(k, s) { .key = (k), .str = (s) }
#define TA_ENUM(k, v, n)                                                       \
	{ .key = (k), .fmt = TRACE_ENUM, .val = (v), .names = (n) }
#define TA_FLAGS(k, v, n)                                                      \
	{ .key = (k), .fmt = TRACE_FLAGS, .val = (v), .names = (n) }

void trace_event_emit(const char *name, const struct trace_arg_val *args,
		      size_t nargs);

/* An event line, when tracing: trace_event("attach", TA_ID("dev", 1), ...) */
#define trace_event(name, ...)                                                 \
	do {                                                                   \
		if (trace_enabled()) {                                         \
			const struct trace_arg_val __ta[] = { __VA_ARGS__ };   \
			trace_event_emit(name, __ta,                           \
					 sizeof(__ta) / sizeof(__ta[0]));      \
		}                                                              \
	} while (0)

/*
 * Events that other layers raise through the same door:
 *  - "dma": a device's access through a domain (dev, pasid, iova, len,
 *    dir, result);
 *  - "fail": a failure injected at an allocation site (site, nth).
 * They are ordinary trace_event() calls; the names are fixed here so that
 * tools can rely on them.
 */
#define TRACE_EVENT_DMA "dma"
#define TRACE_EVENT_FAIL "fail"

/* The name of an errno value ("EINVAL"), or NULL when unknown. */
const char *trace_errno_name(int err);

#endif /* IOMMUSIM_BASE_TRACE_H */
