// SPDX-License-Identifier: MIT
/*
 * What the trace costs: the 4 KiB MAP+UNMAP pair with the trace off (as
 * every run without --trace has it), and on, writing text or JSON Lines to
 * /dev/null (the formatting and the write system call, not a disk).
 *
 * The library reads IOMMUSIM_TRACE once, as it loads, so each traced
 * figure comes from this program run again with it set; "off" is the
 * figure of the same pair that ioas_map prints, measured here in the same
 * run for the ratio.
 */
#include <sys/mman.h>
#include <sys/wait.h>

#include "bench.h"

#define ROUNDS 200000
#define TRACED_ROUNDS 20000

static double pair_ns(void *buf, int rounds)
{
	uint64_t t0 = now_ns();

	for (int i = 0; i < rounds; i++) {
		map_fixed(buf, 1ull << 30, PAGE);
		unmap(1ull << 30, PAGE);
	}
	return (double)(now_ns() - t0) / rounds;
}

/* This program again, traced in format; the figure it prints. */
static double traced_pair_ns(const char *format)
{
	int pipefd[2], status;
	char text[64] = "";
	ssize_t n;
	pid_t pid;

	if (pipe(pipefd))
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		char *argv[] = { "trace", "--traced", NULL };

		dup2(pipefd[1], 1);
		setenv("IOMMUSIM_TRACE", "/dev/null", 1);
		setenv("IOMMUSIM_TRACE_FORMAT", format, 1);
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	close(pipefd[1]);
	n = read(pipefd[0], text, sizeof(text) - 1);
	close(pipefd[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) || n <= 0)
		die("the traced run");
	return strtod(text, NULL);
}

int main(int argc, char **argv)
{
	double off, text, json;
	void *buf;

	bench_open();
	buf = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		die("mmap");
	if (argc == 2 && !strcmp(argv[1], "--traced")) {
		printf("%.1f\n", pair_ns(buf, TRACED_ROUNDS));
		return 0;
	}
	off = pair_ns(buf, ROUNDS);
	text = traced_pair_ns("text");
	json = traced_pair_ns("json");
	printf("trace_off_map_unmap_pair_4k %.1f ns\n", off);
	printf("trace_text_map_unmap_pair_4k %.1f ns\n", text);
	printf("trace_json_map_unmap_pair_4k %.1f ns\n", json);
	printf("trace_text_vs_off %.2f ratio\n", text / off);
	return 0;
}
