// SPDX-License-Identifier: MIT
/*
 * The libFuzzer target (`make fuzz`): each input is one session of steps
 * over the whole ioctl surface (actions.h), built with clang under
 * ASan+UBSan with LeakSanitizer on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actions.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int rc = fuzz_setup();

	(void)argc;
	(void)argv;
	if (rc) {
		fprintf(stderr, "fuzz: setup: %s\n", strerror(-rc));
		exit(1);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_run_input(data, size);
	return 0;
}
