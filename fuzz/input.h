/* SPDX-License-Identifier: MIT */
/*
 * The fuzzer's input as a stream of choices. Every read past the end gives
 * zeros, so any byte string is a valid input and a shorter one is a prefix
 * of the same run: libFuzzer's mutations stay meaningful.
 */
#ifndef IOMMUSIM_FUZZ_INPUT_H
#define IOMMUSIM_FUZZ_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct fuzz_input {
	const uint8_t *data;
	size_t len, pos;
	/* The call being built is meant to be well-formed: the generators
	 * then keep to values the library accepts, so that a sequence gets
	 * deep (objects that exist, maps that succeed) rather than failing
	 * at the first check. Chosen per call. */
	bool sane;
};

static inline int in_done(const struct fuzz_input *in)
{
	return in->pos >= in->len;
}

static inline uint8_t in_u8(struct fuzz_input *in)
{
	return in->pos < in->len ? in->data[in->pos++] : 0;
}

/* n bytes, little-endian, n <= 8. */
static inline uint64_t in_bytes(struct fuzz_input *in, unsigned int n)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < n; i++)
		v |= (uint64_t)in_u8(in) << (8 * i);
	return v;
}

static inline uint32_t in_u32(struct fuzz_input *in)
{
	return (uint32_t)in_bytes(in, 4);
}

static inline uint64_t in_u64(struct fuzz_input *in)
{
	return in_bytes(in, 8);
}

/* A choice among n (n > 0). */
static inline unsigned int in_pick(struct fuzz_input *in, unsigned int n)
{
	return in_u8(in) % n;
}

#endif /* IOMMUSIM_FUZZ_INPUT_H */
