// SPDX-License-Identifier: MIT
/*
 * Replays inputs through the fuzzer's own entry point (actions.h), without
 * libFuzzer: every file named on the command line, and every file in each
 * directory named. Built with gcc and run by `make check` over
 * fuzz/regress/ (the inputs that once crashed the library) and
 * fuzz/corpus/ (the seeds); any crash, sanitizer report or leak fails it.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "actions.h"

/* Inputs longer than this are cut: no step reads that far. */
#define INPUT_MAX (64u << 10)

static unsigned int replayed;

/* One TAP line per input that ran to its end. */
static int replay_file(const char *path)
{
	static uint8_t buf[INPUT_MAX];
	FILE *f = fopen(path, "rb");
	size_t len;

	if (!f) {
		fprintf(stderr, "regress: %s: %s\n", path, strerror(errno));
		return -1;
	}
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	fuzz_run_input(buf, len);
	/* a crash or a sanitizer's report ends the run before this line */
	printf("ok %u %s\n", ++replayed, path);
	fflush(stdout);
	return 0;
}

/* In name order, so a run is the same everywhere. */
static int replay_dir(const char *dir)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort), rc = 0;

	if (n < 0) {
		fprintf(stderr, "regress: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char path[4096];

		if (names[i]->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir,
				 names[i]->d_name);
			if (replay_file(path))
				rc = -1;
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	int rc = fuzz_setup();

	if (rc) {
		fprintf(stderr, "regress: setup: %s\n", strerror(-rc));
		return 1;
	}
	printf("TAP version 13\n");
	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st)) {
			fprintf(stderr, "regress: %s: %s\n", argv[i],
				strerror(errno));
			return 1;
		}
		if (S_ISDIR(st.st_mode) ? replay_dir(argv[i]) :
					  replay_file(argv[i]))
			return 1;
	}
	printf("1..%u\n", replayed);
	return 0;
}
