// SPDX-License-Identifier: MIT
/*
 * One input's world, and the value generators that draw from it; see
 * session.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <iommusim/uapi/iommufd_test.h>

#include "base/fault_inject.h"
#include "base/fdtable.h"
#include "iommufd/pages.h"
#include "shim.h"

#include "session.h"

/*
 * Past the data: the gap, the read-only page, and a long PROT_NONE tail.
 * A MAP may name a range that runs past the data (nothing is pinned
 * without a domain), and a later access through it would then touch what
 * follows; the tail keeps every length the generators make inside memory
 * of our own, so the worst a wild range meets is a fault.
 */
#define ARENA_GAP (4 * ARENA_PAGE)
#define ARENA_TAIL (1ull << 30)
#define ARENA_SIZE (ARENA_DATA + ARENA_GAP + ARENA_PAGE + ARENA_TAIL)
/* Descriptors above this are never looked at for leftovers. */
#define FD_SCAN_LIMIT 4096

static uint8_t *arena;

int session_setup(void)
{
	struct fault_attrs *slab = fault_attrs_of(FAULT_SLAB);
	struct fault_attrs *pages = fault_attrs_of(FAULT_PAGE_ALLOC);

	if (setenv("IOMMUSIM_DEVICES", FUZZ_DEVICES, 1))
		return -errno;
	arena = mmap(NULL, ARENA_SIZE, PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (arena == MAP_FAILED)
		return -errno;
	if (mprotect(arena, ARENA_DATA, PROT_READ | PROT_WRITE) ||
	    mprotect(arena + ARENA_DATA + ARENA_GAP, ARENA_PAGE, PROT_READ))
		return -errno;
	/* fail-nth counts every site, as the kernel's fail_nth selftest
	 * sets it up; quietly, an input arms it often */
	atomic_store(&slab->ignore_gfp_wait, false);
	atomic_store(&pages->ignore_gfp_wait, false);
	atomic_store(&pages->min_order, 0);
	atomic_store(&slab->verbose, 0);
	atomic_store(&pages->verbose, 0);
	return 0;
}

void session_begin(struct fuzz_session *s)
{
	memset(s, 0, sizeof(*s));
	s->data = arena;
	s->gap = arena + ARENA_DATA;
	s->read_only = arena + ARENA_DATA + ARENA_GAP;
	memset(s->data, 0, ARENA_DATA);
}

/* Nothing may outlive the input: a descriptor of the library's still in
 * its table, or a page still pinned, is a leak the next input would
 * inherit. */
static void session_check_clean(void)
{
	for (int fd = 0; fd < FD_SCAN_LIMIT; fd++) {
		if (fdtable_has(fd)) {
			fprintf(stderr, "fuzz: descriptor %d outlived its input\n",
				fd);
			abort();
		}
	}
	for (unsigned int off = 0; off < ARENA_DATA; off += ARENA_PAGE) {
		if (iopt_pin_count((uint64_t)(uintptr_t)(arena + off))) {
			fprintf(stderr, "fuzz: arena page %#x still pinned\n",
				off);
			abort();
		}
	}
	if (iopt_locked_pages(IOPT_PAGES_ACCOUNT_USER) ||
	    iopt_locked_pages(IOPT_PAGES_ACCOUNT_MM)) {
		fprintf(stderr, "fuzz: pages still charged\n");
		abort();
	}
}

void session_end(struct fuzz_session *s)
{
	fault_set_task_nth((pid_t)syscall(SYS_gettid), 0);
	while (s->nfds)
		session_close_fd(s, s->nfds - 1);
	iopt_set_pin_batch_bytes(IOPT_DEFAULT_PIN_BATCH_BYTES);
	session_check_clean();
}

bool session_add_fd(struct fuzz_session *s, int fd, enum fuzz_fd_kind kind)
{
	if (fd < 0)
		return false;
	if (s->nfds == SESSION_MAX_FDS) {
		shim_close(fd);
		return false;
	}
	s->fds[s->nfds++] = (struct fuzz_fd){ .fd = fd, .kind = kind };
	return true;
}

void session_close_fd(struct fuzz_session *s, unsigned int i)
{
	shim_close(s->fds[i].fd);
	s->fds[i] = s->fds[--s->nfds];
}

/* When the list is full a new ID takes a slot its number picks. */
void session_add_id(struct fuzz_session *s, uint32_t id, uint16_t type)
{
	struct fuzz_id entry = { .id = id, .type = type };

	for (unsigned int i = 0; i < s->nids; i++)
		if (s->ids[i].id == id) {
			s->ids[i].type = type;
			return;
		}
	if (s->nids < SESSION_MAX_IDS)
		s->ids[s->nids++] = entry;
	else
		s->ids[id % SESSION_MAX_IDS] = entry;
}

static void pool_add(uint64_t *pool, unsigned int *n, uint64_t v)
{
	if (*n < SESSION_MAX_IOVAS)
		pool[(*n)++] = v;
	else
		pool[v / ARENA_PAGE % SESSION_MAX_IOVAS] = v;
}

void session_add_iova(struct fuzz_session *s, uint64_t iova)
{
	pool_add(s->iovas, &s->niovas, iova);
}

void session_add_len(struct fuzz_session *s, uint64_t len)
{
	pool_add(s->lens, &s->nlens, len);
}

/* ---- values ------------------------------------------------------------ */

int gen_fd_of(struct fuzz_session *s, struct fuzz_input *in,
	      enum fuzz_fd_kind kind)
{
	unsigned int match[SESSION_MAX_FDS], n = 0;

	if (!s->nfds)
		return -1;
	/* now and then the wrong kind of file */
	if (kind != FD_KINDS && in_pick(in, 8)) {
		for (unsigned int i = 0; i < s->nfds; i++)
			if (s->fds[i].kind == kind)
				match[n++] = i;
		if (n)
			return s->fds[match[in_pick(in, n)]].fd;
	}
	return s->fds[in_pick(in, s->nfds)].fd;
}

int32_t gen_fd(struct fuzz_session *s, struct fuzz_input *in,
	       enum fuzz_fd_kind kind)
{
	if (in->sane)
		return gen_fd_of(s, in, kind);
	switch (in_pick(in, 16)) {
	case 0:
		return -1;
	case 1:
		return (int32_t)in_u32(in);
	case 2:
		return 0; /* stdin: not ours */
	default:
		return gen_fd_of(s, in, kind);
	}
}

/* One of the IDs of a type in want, else any of the list. */
static uint32_t pick_id(struct fuzz_session *s, struct fuzz_input *in,
			uint16_t want)
{
	unsigned int match[SESSION_MAX_IDS], n = 0;

	for (unsigned int i = 0; i < s->nids; i++)
		if (s->ids[i].type & want)
			match[n++] = i;
	if (n && in_pick(in, 8))
		return s->ids[match[in_pick(in, n)]].id;
	return s->ids[in_pick(in, s->nids)].id;
}

uint32_t gen_id(struct fuzz_session *s, struct fuzz_input *in, uint16_t want)
{
	unsigned int sel = in->sane ? 0 : in_pick(in, 16);

	if (sel < 11 && s->nids)
		return pick_id(s, in, want);
	if (sel < 14)
		return in_pick(in, 16);
	if (sel < 15)
		return in_u32(in);
	return 0;
}

uint64_t gen_uptr(struct fuzz_session *s, struct fuzz_input *in)
{
	uint64_t data = (uint64_t)(uintptr_t)s->data;
	unsigned int sel = in->sane ? 0 : in_pick(in, 16);

	if (sel < 10) /* a page of the data */
		return data + (uint64_t)in_pick(in, ARENA_DATA / ARENA_PAGE) *
				      ARENA_PAGE;
	switch (sel) {
	case 10:
	case 11: /* anywhere in the data, unaligned */
		return data + in_u32(in) % ARENA_DATA;
	case 12: /* a few bytes before the gap: a short buffer */
		return (uint64_t)(uintptr_t)s->gap - 1 - in_u8(in);
	case 13:
		return (uint64_t)(uintptr_t)s->gap +
		       in_pick(in, ARENA_GAP / ARENA_PAGE) * ARENA_PAGE;
	case 14:
		return (uint64_t)(uintptr_t)s->read_only;
	default: {
		static const uint64_t nowhere[] = {
			0, 1, ARENA_PAGE, 1ull << 63, UINT64_MAX - 4095,
			1ull << 47, 0xffff800000000000ull,
		};

		return nowhere[in_pick(in, sizeof(nowhere) /
						sizeof(nowhere[0]))];
	}
	}
}

uint64_t gen_len(struct fuzz_session *s, struct fuzz_input *in)
{
	unsigned int sel = in->sane ? 0 : in_pick(in, 16);

	if (sel < 9 && s->nlens && in_pick(in, 2))
		return s->lens[in_pick(in, s->nlens)];
	if (sel < 9)
		return (uint64_t)ARENA_PAGE * (1 + in_pick(in, 16));
	switch (sel) {
	case 9:
		return 0;
	case 10:
		return in_u8(in);
	case 11: /* the mock IOMMU's page is half a CPU page */
		return 2048ull * (1 + in_pick(in, 16));
	case 12:
		return (uint64_t)ARENA_PAGE * (1 + in_pick(in, 64));
	case 13:
		return in_u64(in);
	case 14:
		return UINT64_MAX - in_u8(in);
	default: /* past the data into the gap */
		return ARENA_DATA + ARENA_PAGE * (uint64_t)in_pick(in, 4);
	}
}

uint64_t gen_iova(struct fuzz_session *s, struct fuzz_input *in)
{
	/* the mock IOMMU's aperture starts at 16 MiB */
	const uint64_t base = 1ull << 24;
	unsigned int sel = in->sane ? 0 : in_pick(in, 16);

	if (sel < 10 && s->niovas && in_pick(in, 2))
		return s->iovas[in_pick(in, s->niovas)];
	if (sel < 10)
		return base + (uint64_t)ARENA_PAGE * in_u8(in);
	switch (sel) {
	case 10:
		return 0;
	case 11:
		return in_u64(in);
	case 12:
		return UINT64_MAX - ARENA_PAGE + 1;
	case 13:
		return base + 2048ull * in_u8(in);
	case 14:
		return (1ull << 31) - ARENA_PAGE * (1 + in_pick(in, 4));
	default:
		return 1ull << (32 + in_pick(in, 32));
	}
}

uint64_t gen_page_size(struct fuzz_input *in)
{
	unsigned int sel = in->sane ? 0 : in_pick(in, 8);

	if (sel < 6)
		return 1ull << (11 + in_pick(in, 11));
	return sel == 6 ? 0 : in_u64(in);
}

/* The selftest's type and data-type values: a field of a type takes one,
 * which random bytes would never hit. */
static uint64_t gen_selftest_type(struct fuzz_input *in)
{
	static const uint32_t types[] = {
		IOMMU_HWPT_DATA_SELFTEST,
		IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, /* and the vIOMMU's, the
						      * HW queue's */
		IOMMU_VEVENTQ_TYPE_SELFTEST,
		IOMMU_HW_INFO_TYPE_SELFTEST,
	};

	return types[in_pick(in, sizeof(types) / sizeof(types[0]))];
}

uint64_t gen_number(struct fuzz_input *in, unsigned int width)
{
	unsigned int sel = in_pick(in, 16);

	/* well-formed: zero ("not used" in every field), a small count or
	 * type, a struct's length (a data_len, an entry_len), or a selftest
	 * type */
	if (in->sane)
		return sel < 8	? 0 :
		       sel < 11 ? in_pick(in, 4) :
		       sel < 14 ? 8 * (1 + in_pick(in, 8)) :
				  gen_selftest_type(in);
	if (sel < 8)
		return in_pick(in, 8);
	if (sel < 11)
		return in_u8(in);
	if (sel < 13)
		return in_bytes(in, width);
	if (sel < 15)
		return gen_selftest_type(in);
	return UINT64_MAX;
}

/* One of the bits set in mask (not 0). */
static uint64_t pick_bit(struct fuzz_input *in, uint64_t mask)
{
	unsigned int k = in_pick(in, (unsigned int)__builtin_popcountll(mask));

	while (k--)
		mask &= mask - 1;
	return mask & -mask;
}

uint64_t gen_flags(struct fuzz_input *in, uint64_t valid, uint64_t never)
{
	unsigned int sel = in->sane ? 0 : in_pick(in, 16);
	uint64_t v;

	/* well-formed: none, or one of the valid bits, or several */
	if (in->sane && valid && in_pick(in, 4) < 3)
		return in_pick(in, 2) ? 0 : pick_bit(in, valid);
	if (sel < 10)
		v = in_u32(in) & valid;
	else if (sel < 12)
		v = in_u8(in) & 0xf;
	else if (sel < 15)
		v = 1ull << in_pick(in, 32);
	else
		v = in_u32(in);
	return v & ~never;
}

uint64_t gen_reserved(struct fuzz_input *in)
{
	if (in->sane || in_pick(in, 16))
		return 0;
	return (uint64_t)in_u8(in) | 1;
}

uint64_t session_arg_place(struct fuzz_session *s, struct fuzz_input *in,
			   uint32_t len)
{
	uint64_t flush = (uint64_t)(uintptr_t)s->gap - len;

	if (in->sane)
		return flush;
	switch (in_pick(in, 32)) {
	case 0: /* runs into the gap */
		return flush + 1 + in_pick(in, 8);
	case 1:
		return (uint64_t)(uintptr_t)s->gap;
	case 2:
		return (uint64_t)(uintptr_t)s->read_only;
	case 3:
		return 0;
	default:
		return flush;
	}
}
