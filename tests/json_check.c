// SPDX-License-Identifier: MIT
/*
 * Reads JSON Lines on standard input; prints each line that is not one
 * JSON object and exits 1 when there was one. tests/trace.sh compiles it,
 * so that checking the trace needs no interpreter.
 */
#include <stdio.h>
#include <stdlib.h>

#include "json_lines.h"

int main(void)
{
	char *line = NULL;
	size_t cap = 0;
	long lines = 0, bad = 0;

	while (getline(&line, &cap, stdin) > 0) {
		lines++;
		if (!json_line_valid(line)) {
			printf("not JSON: %s", line);
			bad++;
		}
	}
	free(line);
	printf("%ld lines, %ld not JSON\n", lines, bad);
	return bad ? 1 : 0;
}
