// SPDX-License-Identifier: MIT
/*
 * IOAS MAP/UNMAP figures, through the public ioctl path: an ordinary
 * iommufd program, run by `make bench` under `iommusim run`.
 *
 * Prints "name value unit" lines. The floor is a bare ioctl() system call
 * measured in the same run (DESIGN.md: a 4 KiB MAP+UNMAP pair should cost
 * no more than one).
 */
#include <fcntl.h>
#include <malloc.h>
#include <sys/mman.h>

#include "bench.h"

static double bare_ioctl_ns(void)
{
	int null_fd = open("/dev/null", O_RDONLY);
	const int rounds = 200000;
	uint64_t t0;
	int value;

	t0 = now_ns();
	for (int i = 0; i < rounds; i++)
		ioctl(null_fd, FIONREAD, &value);
	close(null_fd);
	return (double)(now_ns() - t0) / rounds;
}

/*
 * The pairs are timed in batches and the fastest batch counts: another
 * process taking the CPU for a while (a busy machine, CI) then costs a
 * batch, not the figure.
 */
#define PAIR_BATCHES 10

/* ns per MAP+UNMAP of length bytes of buf at iova, the fastest batch. */
static double fastest_pair_ns(void *buf, uint64_t iova, uint64_t length,
			      int rounds)
{
	double best = 0;

	for (int b = 0; b < PAIR_BATCHES; b++) {
		uint64_t t0 = now_ns();
		double ns;

		for (int i = 0; i < rounds / PAIR_BATCHES; i++) {
			map_fixed(buf, iova, length);
			unmap(iova, length);
		}
		ns = (double)(now_ns() - t0) / (rounds / PAIR_BATCHES);
		if (!b || ns < best)
			best = ns;
	}
	return best;
}

static double pair_ns(void *buf)
{
	return fastest_pair_ns(buf, 1ull << 30, PAGE, 200000);
}

/*
 * Live areas sit on even 4 KiB slots. The measured MAPs go, in batches of
 * BATCH, to random odd slots between them (so every lookup walks the whole
 * tree, cold), and each batch is unmapped before the next: the number of
 * live areas stays within BATCH of 'live'.
 */
#define BATCH 64u

static void ops_with_live(void *buf, unsigned int live, double *map_ns,
			  double *unmap_ns)
{
	const unsigned int rounds = 20000 / BATCH * BATCH;
	const uint64_t base = 1ull << 32;
	uint64_t *iovas = malloc(rounds * sizeof(*iovas));
	uint64_t map_total = 0, unmap_total = 0;

	if (!iovas)
		die("malloc");
	for (unsigned int i = 0; i < live; i++)
		map_fixed(buf, base + (uint64_t)i * 2 * PAGE, PAGE);
	srand(1);
	for (unsigned int i = 0; i < rounds; i++) {
		/* distinct within a batch: a batch takes BATCH odd slots */
		uint64_t slot = (uint64_t)(rand() % (live + 1) / BATCH) * BATCH +
				i % BATCH;

		iovas[i] = base + (slot * 2 + 1) * PAGE;
	}
	for (unsigned int b = 0; b < rounds; b += BATCH) {
		uint64_t t0 = now_ns();

		for (unsigned int i = b; i < b + BATCH; i++)
			map_fixed(buf, iovas[i], PAGE);
		map_total += now_ns() - t0;
		t0 = now_ns();
		for (unsigned int i = b; i < b + BATCH; i++)
			unmap(iovas[i], PAGE);
		unmap_total += now_ns() - t0;
	}
	*map_ns = (double)map_total / rounds;
	*unmap_ns = (double)unmap_total / rounds;
	unmap(0, UINT64_MAX);
	free(iovas);
}

static double map_1gib_ms(void)
{
	const uint64_t length = 1ull << 30;
	void *big = mmap(NULL, length, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uint64_t t0;
	double ms;

	if (big == MAP_FAILED)
		die("mmap 1 GiB");
	t0 = now_ns();
	map_fixed(big, 1ull << 40, length);
	ms = (double)(now_ns() - t0) / 1e6;
	unmap(1ull << 40, length);
	munmap(big, length);
	return ms;
}

/*
 * 1 GiB into an IOAS with a mock domain attached: pinned (faulted in
 * writable, as pin_user_pages() does) and mapped into the domain's page
 * table. 'touched': the memory was written before, as a running guest's is,
 * so the figure is pinning and page tables alone; otherwise the first-touch
 * page faults of the kernel under us are in it too. Transparent huge pages
 * are asked for, as VMMs do for guest memory.
 */
static double map_1gib_domain_ms(bool touched)
{
	const uint64_t length = 1ull << 30;
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct iommu_test_cmd mock = {
		.size = sizeof(mock),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN,
	};
	uint32_t saved = ioas_id;
	uint64_t t0;
	double ms;
	void *big;

	if (ioctl(fd, IOMMU_IOAS_ALLOC, &alloc))
		die("IOMMU_IOAS_ALLOC");
	mock.id = alloc.out_ioas_id;
	if (ioctl(fd, IOMMU_TEST_CMD, &mock))
		die("IOMMU_TEST_OP_MOCK_DOMAIN");
	big = mmap(NULL, length, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (big == MAP_FAILED)
		die("mmap 1 GiB");
	madvise(big, length, MADV_HUGEPAGE);
	if (touched)
		memset(big, 1, length);
	ioas_id = alloc.out_ioas_id;
	t0 = now_ns();
	map_fixed(big, MOCK_APERTURE_START, length);
	ms = (double)(now_ns() - t0) / 1e6;
	unmap(MOCK_APERTURE_START, length);
	ioas_id = saved;
	munmap(big, length);
	return ms;
}

/*
 * A 64 KiB MAP+UNMAP pair into an IOAS with a mock domain, in a process
 * with 'extra' more mappings: the pages are pinned and mapped into the
 * domain each time, and the core asks once per MAP how the memory is
 * backed (which must not grow with the process's mappings). Against it,
 * the same pair without a domain.
 */
static double pair_64k_domain_ns(unsigned int extra, bool domain)
{
	const uint64_t length = 64 << 10;
	const int rounds = 20000;
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct iommu_test_cmd mock = {
		.size = sizeof(mock),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN,
	};
	uint32_t saved = ioas_id;
	void **pad = calloc(extra, sizeof(*pad));
	double ns;
	void *buf;

	for (unsigned int i = 0; i < extra; i++) {
		/* alternating protections keep them from merging */
		pad[i] = mmap(NULL, PAGE, i % 2 ? PROT_READ : PROT_NONE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (pad[i] == MAP_FAILED)
			die("mmap pad");
	}
	if (ioctl(fd, IOMMU_IOAS_ALLOC, &alloc))
		die("IOMMU_IOAS_ALLOC");
	mock.id = alloc.out_ioas_id;
	if (domain && ioctl(fd, IOMMU_TEST_CMD, &mock))
		die("IOMMU_TEST_OP_MOCK_DOMAIN");
	buf = mmap(NULL, length, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		die("mmap 64 KiB");
	memset(buf, 1, length);
	ioas_id = alloc.out_ioas_id;
	ns = fastest_pair_ns(buf, MOCK_APERTURE_START, length, rounds);
	ioas_id = saved;
	munmap(buf, length);
	for (unsigned int i = 0; i < extra; i++)
		munmap(pad[i], PAGE);
	free(pad);
	return ns;
}

/*
 * Heap bytes per live 4 KiB area (malloc's own count, so its chunk
 * headers are in), with or without a mock domain whose page table then
 * holds the areas too; DESIGN's budget is 256 bytes with the page tables.
 * Areas sit on adjacent 4 KiB slots, as a guest's pages would.
 */
static double bytes_per_area(bool domain)
{
	const unsigned int n = 65536;
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct iommu_test_cmd mock = {
		.size = sizeof(mock),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN,
	};
	struct mallinfo2 before, after;
	uint32_t saved = ioas_id;
	char *buf;

	if (ioctl(fd, IOMMU_IOAS_ALLOC, &alloc))
		die("IOMMU_IOAS_ALLOC");
	mock.id = alloc.out_ioas_id;
	if (domain && ioctl(fd, IOMMU_TEST_CMD, &mock))
		die("IOMMU_TEST_OP_MOCK_DOMAIN");
	buf = mmap(NULL, (size_t)n * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		die("mmap areas");
	memset(buf, 1, (size_t)n * PAGE);
	ioas_id = alloc.out_ioas_id;
	before = mallinfo2();
	for (unsigned int i = 0; i < n; i++)
		map_fixed(buf + (size_t)i * PAGE,
			  MOCK_APERTURE_START + (uint64_t)i * PAGE, PAGE);
	after = mallinfo2();
	unmap(MOCK_APERTURE_START, (uint64_t)n * PAGE);
	ioas_id = saved;
	munmap(buf, (size_t)n * PAGE);
	return (double)(after.uordblks + after.hblkhd - before.uordblks -
			before.hblkhd) /
	       n;
}

static void print_1gib_domain(const char *name, bool touched)
{
	double ms = map_1gib_domain_ms(touched);

	printf("%s %.1f ms\n", name, ms);
	printf("%s_rate %.2f GB/s\n", name, 1.073741824 / (ms / 1e3));
}

int main(void)
{
	double base, pair, map1, unmap1, mapn, unmapn, pair64, pair64_domain;
	void *buf;

	bench_open();
	buf = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		die("mmap");

	base = bare_ioctl_ns();
	pair = pair_ns(buf);
	ops_with_live(buf, 1, &map1, &unmap1);
	ops_with_live(buf, 262144, &mapn, &unmapn);
	printf("bare_ioctl_syscall %.1f ns\n", base);
	printf("ioas_map_unmap_pair_4k_fixed %.1f ns\n", pair);
	printf("ioas_map_unmap_pair_vs_syscall %.2f ratio\n", pair / base);
	printf("ioas_map_4k_1_live %.1f ns\n", map1);
	printf("ioas_unmap_4k_1_live %.1f ns\n", unmap1);
	printf("ioas_map_4k_262144_live %.1f ns\n", mapn);
	printf("ioas_unmap_4k_262144_live %.1f ns\n", unmapn);
	printf("ioas_map_growth_262144_vs_1 %.2f ratio\n", mapn / map1);
	printf("ioas_unmap_growth_262144_vs_1 %.2f ratio\n", unmapn / unmap1);
	pair64 = pair_64k_domain_ns(0, false);
	pair64_domain = pair_64k_domain_ns(0, true);
	printf("ioas_map_unmap_pair_64k_no_domain %.1f ns\n", pair64);
	printf("ioas_map_unmap_pair_64k_mock_domain %.1f ns\n", pair64_domain);
	printf("ioas_map_unmap_pair_64k_mock_domain_vs_no_domain %.2f ratio\n",
	       pair64_domain / pair64);
	printf("ioas_map_unmap_pair_64k_mock_domain_10000_mappings %.1f ns\n",
	       pair_64k_domain_ns(10000, true));
	printf("ioas_bytes_per_live_4k_area_no_domain %.1f bytes\n",
	       bytes_per_area(false));
	printf("ioas_bytes_per_live_4k_area_mock_domain %.1f bytes\n",
	       bytes_per_area(true));
	printf("ioas_map_1gib_no_domain %.3f ms\n", map_1gib_ms());
	print_1gib_domain("ioas_map_1gib_mock_domain_touched", true);
	print_1gib_domain("ioas_map_1gib_mock_domain_fresh", false);
	return 0;
}
