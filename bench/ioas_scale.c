// SPDX-License-Identifier: MIT
/*
 * IOAS figures at scale, through the public ioctl path: how the cost of
 * one MAP/UNMAP grows with the areas already live.
 *
 * Prints "name value unit" lines, each figure with its floor measured in
 * the same run (DESIGN.md, "Performance goals"):
 *  - a dependent DRAM load (a pointer chase over 256 MiB of shuffled
 *    slots): what one cold cache line costs here;
 *  - the random-slot UNMAP+MAP pair among N live areas (fixed IOVA, 8 KiB
 *    stride), against the same pair with one live area: the goal is that
 *    at a million areas it costs at most three more DRAM loads;
 *  - a MAP+UNMAP with automatic IOVA whose lowest fit lies above N packed
 *    areas, against the fixed-IOVA pair: the goal is at most twice it.
 *
 * Each is timed in batches and the fastest batch counts: another process
 * taking the CPU for a while (a busy machine, CI) then costs a batch, not
 * the figure, nor one figure of a ratio and not the other.
 */
#include <sys/mman.h>

#include "bench.h"

#define CHASE_BYTES (256ull << 20)
#define STRIDE (2 * PAGE)
#define BASE (1ull << 32)
#define BATCHES 10

/* The smaller of best and the batch that began at t0 and did count
 * operations, in ns per operation; the first batch (b 0) sets it. */
static double fastest(double best, unsigned int b, uint64_t t0,
		      unsigned int count)
{
	double ns = (double)(now_ns() - t0) / count;

	return !b || ns < best ? ns : best;
}

/* ns per load of a chase through one random cycle of 64-byte slots. */
static double dram_load_ns(void)
{
	const unsigned int steps = 4000000 / BATCHES;
	uint64_t *mem = chase_memory(CHASE_BYTES);
	volatile uint64_t sink;
	uint64_t at = 0;
	double best = 0;

	for (unsigned int b = 0; b < BATCHES; b++) {
		uint64_t t0 = now_ns();

		for (unsigned int i = 0; i < steps; i++)
			at = mem[at];
		best = fastest(best, b, t0, steps);
	}
	sink = at;
	(void)sink;
	munmap(mem, CHASE_BYTES);
	return best;
}

static void map_packed(void *buf, unsigned int n, uint64_t stride)
{
	for (unsigned int i = 0; i < n; i++)
		map_fixed(buf, BASE + i * stride, PAGE);
}

/* UNMAP+MAP of a random live slot among n areas at STRIDE. */
static double random_slot_pair_ns(void *buf, unsigned int n)
{
	const unsigned int rounds = 200000, per_batch = rounds / BATCHES;
	uint64_t *iovas = malloc(rounds * sizeof(*iovas));
	double best = 0;

	if (!iovas)
		die("malloc");
	map_packed(buf, n, STRIDE);
	for (unsigned int i = 0; i < rounds; i++)
		iovas[i] = BASE + (rnd() % n) * STRIDE;
	for (unsigned int b = 0; b < BATCHES; b++) {
		const uint64_t *batch = &iovas[b * per_batch];
		uint64_t t0 = now_ns();

		for (unsigned int i = 0; i < per_batch; i++) {
			unmap(batch[i], PAGE);
			map_fixed(buf, batch[i], PAGE);
		}
		best = fastest(best, b, t0, per_batch);
	}
	unmap(0, UINT64_MAX);
	free(iovas);
	return best;
}

/*
 * An automatic MAP+UNMAP of one page when n packed pages fill the IOVA
 * space from the bottom up: the lowest hole lies above all of them.
 * 20000 pairs, a batch ending early when it has taken a tenth of a
 * second (looked at every 100 pairs: a clock read is a fair part of one).
 */
static double auto_above_packed_ns(void *buf, unsigned int n)
{
	const unsigned int per_batch = 20000 / BATCHES;
	double best = 0;

	/* the policy never hands out the first page: start packing there */
	for (unsigned int i = 0; i < n; i++)
		map_fixed(buf, PAGE + (uint64_t)i * PAGE, PAGE);
	for (unsigned int b = 0; b < BATCHES; b++) {
		uint64_t t0 = now_ns();
		unsigned int pairs = 0;

		while (pairs < per_batch &&
		       (pairs % 100 || now_ns() - t0 < 100000000ull)) {
			uint64_t iova = map_auto(buf, PAGE);

			if (iova != PAGE + (uint64_t)n * PAGE)
				die("automatic IOVA not above the packed areas");
			unmap(iova, PAGE);
			pairs++;
		}
		best = fastest(best, b, t0, pairs);
	}
	unmap(0, UINT64_MAX);
	return best;
}

int main(void)
{
	static const unsigned int live[] = { 1, 1024, 16384, 262144, 1048576 };
	static const unsigned int packed[] = { 1, 1024, 16384, 262144, 1048576 };
	double dram, pair1 = 0, pair;
	void *buf;

	bench_open();
	buf = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		die("mmap");

	dram = dram_load_ns();
	printf("dram_dependent_load %.1f ns\n", dram);
	for (size_t i = 0; i < sizeof(live) / sizeof(live[0]); i++) {
		pair = random_slot_pair_ns(buf, live[i]);
		if (i == 0)
			pair1 = pair;
		printf("ioas_random_slot_pair_%u_live %.1f ns\n", live[i], pair);
		printf("ioas_random_slot_pair_%u_live_extra_dram_loads %.2f "
		       "ratio\n",
		       live[i], (pair - pair1) / dram);
	}
	for (size_t i = 0; i < sizeof(packed) / sizeof(packed[0]); i++) {
		pair = auto_above_packed_ns(buf, packed[i]);
		printf("ioas_auto_pair_above_%u_packed %.1f ns\n", packed[i],
		       pair);
		printf("ioas_auto_pair_above_%u_packed_vs_fixed_pair %.2f "
		       "ratio\n",
		       packed[i], pair / pair1);
	}
	return 0;
}
