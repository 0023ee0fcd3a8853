/* SPDX-License-Identifier: MIT */
/*
 * The ioctls the fuzzer makes, as data: one row per command (or selftest
 * op), naming the file it goes to, its number, its struct and how to fill
 * each field. A command added to the library is one row here.
 */
#ifndef IOMMUSIM_FUZZ_COMMANDS_H
#define IOMMUSIM_FUZZ_COMMANDS_H

#include <stddef.h>
#include <stdint.h>

#include "input.h"
#include "session.h"

/* How a field's value is chosen (session.h's generators). */
enum field_kind {
	F_SIZE,	    /* size or argsz: the struct's, or a wrong one */
	F_CONST,    /* always .value (a selftest op) */
	F_NUMBER,   /* small numbers mostly: counts, types, ops */
	F_FLAGS,    /* the valid bits in .value mostly; never .never */
	F_RESERVED, /* zero mostly */
	F_ID,	    /* an ID the library handed out, mostly of the enum
		     * fuzz_obj types in .value */
	F_FD,	    /* a descriptor of this input, mostly of the
		     * enum fuzz_fd_kind in .value */
	F_UPTR,	    /* a user pointer */
	F_LEN,	    /* a byte count */
	F_IOVA,
	F_PAGE_SIZE,
	F_OUT_ID,   /* written by the library: a new ID to use later, of
		     * the enum fuzz_obj type in .value */
	F_OUT_FD,   /* written by the library: a new descriptor (.value:
		     * its enum fuzz_fd_kind) */
};

struct fuzz_field {
	uint16_t offset;
	uint8_t width; /* bytes, 1 to 8 */
	uint8_t kind;  /* enum field_kind */
	uint64_t value;
	uint64_t never; /* F_FLAGS: bits never set */
};

/* The file a command goes to. */
enum command_target {
	TO_IOMMUFD,	/* either kind of iommufd */
	TO_CONTAINER,	/* a context opened as /dev/vfio/vfio */
	TO_VFIO_DEVICE,
};

/* What the argument is. */
enum command_arg {
	ARG_STRUCT, /* a pointer to the struct the fields describe */
	ARG_VALUE,  /* a number (VFIO_CHECK_EXTENSION, VFIO_SET_IOMMU) */
	ARG_NONE,
};

struct fuzz_command {
	const char *name;
	unsigned long request;
	enum command_target target;
	enum command_arg arg;
	uint32_t size; /* of the struct */
	const struct fuzz_field *fields;
	unsigned int nfields;
};

extern const struct fuzz_command fuzz_commands[];
extern const unsigned int fuzz_command_count;

/* Builds cmd's argument from the input and makes the call. */
void command_run(struct fuzz_session *s, struct fuzz_input *in,
		 const struct fuzz_command *cmd);

#endif /* IOMMUSIM_FUZZ_COMMANDS_H */
