/* SPDX-License-Identifier: MIT */
/*
 * One input's world: the descriptors it opened, the object IDs the library
 * handed it, and the user memory its commands point into. Made fresh for
 * every input and torn down at its end (every descriptor closed, fail-nth
 * disarmed, process-wide test settings put back), so nothing one input does
 * reaches the next, and LeakSanitizer sees what a run left behind.
 *
 * User memory is one arena, laid out so that the bad pointers a client
 * passes have somewhere to point:
 *
 *   [ data: ARENA_DATA bytes, read-write | gap: PROT_NONE |
 *     read-only page | PROT_NONE, 1 GiB ]
 *
 * A command's struct is placed flush against the first PROT_NONE page, so
 * any read past the size the caller claims faults (EFAULT, never a read of
 * whatever follows). Pointers inside structs point into the data, at the
 * gap, at the read-only page, or at addresses nothing maps; never at the
 * fuzzer's own memory, which a device's DMA would then overwrite.
 */
#ifndef IOMMUSIM_FUZZ_SESSION_H
#define IOMMUSIM_FUZZ_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "input.h"

#define ARENA_DATA (256u << 10)
#define ARENA_PAGE 4096u
#define SESSION_MAX_FDS 32u
#define SESSION_MAX_IDS 64u
#define SESSION_MAX_IOVAS 32u

/* What a descriptor is, for choosing one a command expects. */
enum fuzz_fd_kind {
	FD_IOMMUFD,	/* /dev/iommu */
	FD_CONTAINER,	/* /dev/vfio/vfio (an iommufd too) */
	FD_VFIO_DEVICE, /* /dev/vfio/devices/vfioN */
	FD_QUEUE,	/* a fault queue or vEVENTQ: read and write */
	FD_ACCESS,	/* a selftest access */
	FD_KINDS,
};

struct fuzz_fd {
	int fd;
	enum fuzz_fd_kind kind;
};

/* What an object ID names, as bits: a field that takes an IOAS or a HWPT
 * wants OBJ_IOAS | OBJ_HWPT. */
enum fuzz_obj {
	OBJ_IOAS = 1 << 0,
	OBJ_HWPT = 1 << 1,
	OBJ_DEVICE = 1 << 2, /* a dev_id */
	OBJ_STDEV = 1 << 3,  /* a selftest mock device object */
	OBJ_FAULT = 1 << 4,
	OBJ_PAGES = 1 << 5,  /* a selftest access's pinned pages */
	OBJ_VIOMMU = 1 << 6,
	OBJ_VDEVICE = 1 << 7,
	OBJ_VEVENTQ = 1 << 8,
	OBJ_HW_QUEUE = 1 << 9,
	OBJ_PT = OBJ_IOAS | OBJ_HWPT,
	OBJ_ANY = 0xffff,
};

struct fuzz_id {
	uint32_t id;
	uint16_t type; /* enum fuzz_obj, one bit */
};

struct fuzz_session {
	struct fuzz_fd fds[SESSION_MAX_FDS];
	unsigned int nfds;
	struct fuzz_id ids[SESSION_MAX_IDS];
	unsigned int nids;
	/* IOVAs that calls used or were handed, for the calls that follow
	 * (an UNMAP of what a MAP placed) */
	uint64_t iovas[SESSION_MAX_IOVAS];
	unsigned int niovas;
	uint64_t lens[SESSION_MAX_IOVAS]; /* and lengths, likewise */
	unsigned int nlens;
	uint8_t *data; /* the arena's read-write part */
	uint8_t *gap;  /* PROT_NONE right after it */
	uint8_t *read_only;
};

/* The configured devices every input sees (IOMMUSIM_DEVICES): set before
 * the library's first use. */
#define FUZZ_DEVICES "vtd;vtd,pasid=0,dirty=off,prs=off,sre=off,levels=4"
#define FUZZ_DEVICE_COUNT 2u

/* Once per process: the arena, the devices, fault injection's attributes.
 * 0 or -errno. */
int session_setup(void);

void session_begin(struct fuzz_session *s);
void session_end(struct fuzz_session *s);

/* Track a descriptor (closed at the end); false when the table is full,
 * and then it is closed at once. */
bool session_add_fd(struct fuzz_session *s, int fd, enum fuzz_fd_kind kind);
/* Close the tracked descriptor at index i. */
void session_close_fd(struct fuzz_session *s, unsigned int i);
void session_add_id(struct fuzz_session *s, uint32_t id, uint16_t type);
void session_add_iova(struct fuzz_session *s, uint64_t iova);
void session_add_len(struct fuzz_session *s, uint64_t len);

/* ---- values, biased towards what the library will look at ------------- */

/* A tracked descriptor, mostly of kind (FD_KINDS: any); -1 when none. */
int gen_fd_of(struct fuzz_session *s, struct fuzz_input *in,
	      enum fuzz_fd_kind kind);
/* The same as a field value: sometimes -1 or a descriptor not ours. */
int32_t gen_fd(struct fuzz_session *s, struct fuzz_input *in,
	       enum fuzz_fd_kind kind);
/* An ID, mostly one of the types in want. */
uint32_t gen_id(struct fuzz_session *s, struct fuzz_input *in, uint16_t want);
uint64_t gen_uptr(struct fuzz_session *s, struct fuzz_input *in);
uint64_t gen_len(struct fuzz_session *s, struct fuzz_input *in);
uint64_t gen_iova(struct fuzz_session *s, struct fuzz_input *in);
uint64_t gen_page_size(struct fuzz_input *in);
uint64_t gen_number(struct fuzz_input *in, unsigned int width);
/* Flags: a subset of valid mostly, any bits else; never those in never. */
uint64_t gen_flags(struct fuzz_input *in, uint64_t valid, uint64_t never);
uint64_t gen_reserved(struct fuzz_input *in);

/* Where a command's struct of len bytes goes: against the gap, and now and
 * then across it or somewhere nothing is mapped. */
uint64_t session_arg_place(struct fuzz_session *s, struct fuzz_input *in,
			   uint32_t len);

#endif /* IOMMUSIM_FUZZ_SESSION_H */
