// SPDX-License-Identifier: MIT
/*
 * The steps that are not a row of the command table, and the loop that
 * runs an input; see actions.h.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <iommusim/uapi/iommufd.h>

#include "base/fault_inject.h"
#include "shim.h"

#include "actions.h"
#include "commands.h"
#include "preset.h"
#include "session.h"

static void open_node(struct fuzz_session *s, const char *path,
		      enum fuzz_fd_kind kind, int flags)
{
	session_add_fd(s, shim_openat(SHIM_OPEN, AT_FDCWD, path, flags, 0),
		       kind);
}

static int open_flags(struct fuzz_input *in)
{
	static const int flags[] = { O_RDWR, O_RDWR | O_CLOEXEC, O_RDONLY,
				     O_WRONLY, O_RDWR | O_NONBLOCK };

	return flags[in_pick(in, sizeof(flags) / sizeof(flags[0]))];
}

static void step_open_iommu(struct fuzz_session *s, struct fuzz_input *in)
{
	open_node(s, "/dev/iommu", FD_IOMMUFD, open_flags(in));
}

static void step_open_container(struct fuzz_session *s,
				struct fuzz_input *in)
{
	open_node(s, "/dev/vfio/vfio", FD_CONTAINER, open_flags(in));
}

/* One past the configured devices too: ENOENT. */
static void step_open_device(struct fuzz_session *s, struct fuzz_input *in)
{
	char path[40];

	snprintf(path, sizeof(path), "/dev/vfio/devices/vfio%u",
		 in_pick(in, FUZZ_DEVICE_COUNT + 1));
	open_node(s, path, FD_VFIO_DEVICE, open_flags(in));
}

static void step_close(struct fuzz_session *s, struct fuzz_input *in)
{
	if (s->nfds)
		session_close_fd(s, in_pick(in, s->nfds));
}

static void step_dup(struct fuzz_session *s, struct fuzz_input *in)
{
	unsigned int i;

	if (!s->nfds)
		return;
	i = in_pick(in, s->nfds);
	session_add_fd(s, shim_dup(s->fds[i].fd), s->fds[i].kind);
}

/* Whole records mostly (a fault record is 32 bytes, a page response 8),
 * else any length. */
static size_t gen_rw_len(struct fuzz_session *s, struct fuzz_input *in)
{
	switch (in_pick(in, 4)) {
	case 0:
		return sizeof(struct iommu_hwpt_pgfault) * (1 + in_pick(in, 4));
	case 1:
		return sizeof(struct iommu_hwpt_page_response) *
		       (1 + in_pick(in, 4));
	case 2:
		return in_u8(in);
	default:
		return (size_t)gen_len(s, in);
	}
}

static void step_read(struct fuzz_session *s, struct fuzz_input *in)
{
	int fd = gen_fd_of(s, in, FD_QUEUE);
	size_t len = gen_rw_len(s, in);

	if (fd >= 0)
		shim_read(fd, (void *)(uintptr_t)gen_uptr(s, in), len);
}

static void step_write(struct fuzz_session *s, struct fuzz_input *in)
{
	int fd = gen_fd_of(s, in, FD_QUEUE);
	size_t len = gen_rw_len(s, in);

	if (fd >= 0)
		shim_write(fd, (void *)(uintptr_t)gen_uptr(s, in), len);
}

/* Input bytes into the user memory: what nested HWPT data, invalidation
 * entries, IOVA ranges and page responses are read from. */
static void step_poke_bytes(struct fuzz_session *s, struct fuzz_input *in)
{
	uint32_t at = in_u32(in) % ARENA_DATA;
	unsigned int n = 1 + in_pick(in, 32);

	for (unsigned int i = 0; i < n && at + i < ARENA_DATA; i++)
		s->data[at + i] = in_u8(in);
}

/* 64-bit values of the kinds fields take, at 8-byte aligned places:
 * IOVA ranges, table addresses, lengths. */
static void step_poke_words(struct fuzz_session *s, struct fuzz_input *in)
{
	uint32_t at = (in_u32(in) % ARENA_DATA) & ~7u;
	unsigned int n = 1 + in_pick(in, 4);

	for (unsigned int i = 0; i < n && at + 8 * i + 8 <= ARENA_DATA; i++) {
		uint64_t v;

		switch (in_pick(in, 3)) {
		case 0:
			v = gen_iova(s, in);
			break;
		case 1:
			v = gen_len(s, in);
			break;
		default:
			v = gen_uptr(s, in);
			break;
		}
		memcpy(s->data + at + 8 * i, &v, sizeof(v));
	}
}

/* The N-th allocation site this thread passes from here on fails. */
static void step_fail_nth(struct fuzz_session *s, struct fuzz_input *in)
{
	(void)s;
	fault_set_task_nth((pid_t)syscall(SYS_gettid), 1 + in_pick(in, 64));
}

typedef void (*step_fn)(struct fuzz_session *s, struct fuzz_input *in);

/* The steps besides the command table; the choice of step picks among
 * these and the table's rows alike. */
static const step_fn steps[] = {
	step_open_iommu, step_open_container, step_open_device,
	step_close,	 step_dup,	      step_read,
	step_write,	 step_poke_bytes,     step_poke_words,
	step_fail_nth,
};
#define STEP_COUNT (sizeof(steps) / sizeof(steps[0]))

int fuzz_setup(void)
{
	return session_setup();
}

void fuzz_run_input(const uint8_t *data, size_t len)
{
	struct fuzz_input in = { .data = data, .len = len };
	struct fuzz_session s;

	session_begin(&s);
	preset_build(&s, &in);
	for (unsigned int n = 0; n < FUZZ_MAX_STEPS && !in_done(&in); n++) {
		unsigned int pick =
			in_pick(&in, STEP_COUNT + fuzz_command_count);

		if (pick < STEP_COUNT)
			steps[pick](&s, &in);
		else
			command_run(&s, &in, &fuzz_commands[pick - STEP_COUNT]);
	}
	session_end(&s);
}
