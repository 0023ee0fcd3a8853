// SPDX-License-Identifier: MIT
/*
 * The trace and graph options of `iommusim run`, and `iommusim graph`.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/trace.h"
#include "iommufd/graph.h"
#include "observe.h"

#define EXIT_USAGE 2
#define EXIT_CANNOT_RUN 126
#define EXIT_NOT_FOUND 127

const char observe_run_usage[] =
	"  --trace[=FILE]\n"
	"              one line per call on an emulated descriptor, decoded,\n"
	"              and one per event no call shows, to FILE (created\n"
	"              anew) or standard error\n"
	"  --trace-format=text|json\n"
	"              the trace as text (the default) or JSON Lines\n"
	"  --graph=FILE.dot\n"
	"              the object graph of every context, as Graphviz DOT,\n"
	"              written at each context's close, at exit and at each\n"
	"              SIGUSR2\n";

const char observe_graph_usage[] =
	"  graph  render a graph --graph wrote: graph FILE.dot [-o OUT]\n"
	"         (OUT's suffix picks the format; FILE.svg by default);\n"
	"         needs Graphviz's dot\n";

/* path made absolute, so that a program that changes directory, and the
 * programs it runs, still name the same file. */
static int absolute(const char *progname, const char *path, char *buf,
		    size_t size)
{
	char cwd[PATH_MAX];

	if (path[0] == '/') {
		if ((size_t)snprintf(buf, size, "%s", path) >= size)
			goto too_long;
		return 0;
	}
	if (!getcwd(cwd, sizeof(cwd))) {
		fprintf(stderr, "%s: run: %s: %s\n", progname, path,
			strerror(errno));
		return EXIT_CANNOT_RUN;
	}
	if ((size_t)snprintf(buf, size, "%s/%s", cwd, path) < size)
		return 0;
too_long:
	fprintf(stderr, "%s: run: %s: %s\n", progname, path,
		strerror(ENAMETOOLONG));
	return EXIT_CANNOT_RUN;
}

static int set(const char *progname, const char *name, const char *value)
{
	if (!setenv(name, value, 1))
		return 0;
	perror(progname);
	return EXIT_CANNOT_RUN;
}

/* The trace file starts empty; the library appends to it, from every
 * process of the run. */
static int trace_to(const char *progname, const char *path)
{
	char abs[PATH_MAX];
	int fd, rc;

	if (!*path || !strcmp(path, "-"))
		return set(progname, TRACE_ENV, "-");
	rc = absolute(progname, path, abs, sizeof(abs));
	if (rc)
		return rc;
	fd = open(abs, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "%s: run: --trace: %s: %s\n", progname, abs,
			strerror(errno));
		return EXIT_CANNOT_RUN;
	}
	close(fd);
	return set(progname, TRACE_ENV, abs);
}

static int graph_to(const char *progname, const char *path)
{
	char abs[PATH_MAX];
	int rc;

	if (!*path) {
		fprintf(stderr, "%s: run: --graph needs a FILE\n", progname);
		return EXIT_USAGE;
	}
	rc = absolute(progname, path, abs, sizeof(abs));
	return rc ? rc : set(progname, GRAPH_ENV, abs);
}

int observe_run_option(const char *progname, const char *arg)
{
	if (!strcmp(arg, "--trace"))
		return trace_to(progname, "-");
	if (!strncmp(arg, "--trace=", 8))
		return trace_to(progname, arg + 8);
	if (!strncmp(arg, "--trace-format=", 15)) {
		const char *format = arg + 15;

		if (strcmp(format, "text") && strcmp(format, "json")) {
			fprintf(stderr,
				"%s: run: --trace-format is text or json, "
				"not '%s'\n",
				progname, format);
			return EXIT_USAGE;
		}
		return set(progname, TRACE_FORMAT_ENV, format);
	}
	if (!strcmp(arg, "--graph")) {
		fprintf(stderr, "%s: run: --graph=FILE names the file\n",
			progname);
		return EXIT_USAGE;
	}
	if (!strncmp(arg, "--graph=", 8))
		return graph_to(progname, arg + 8);
	return OBSERVE_NOT_MINE;
}

/* ---- iommusim graph ------------------------------------------------------- */

/* FILE.dot -> FILE.svg (FILE.dot.svg when it has no .dot suffix). */
static char *default_output(const char *input)
{
	size_t len = strlen(input);
	char *out = malloc(len + 5);

	if (!out)
		return NULL;
	memcpy(out, input, len + 1);
	if (len > 4 && !strcmp(input + len - 4, ".dot"))
		out[len - 4] = '\0';
	strcat(out, ".svg");
	return out;
}

/* -T for OUT: its suffix, svg when it has none. */
static const char *output_format(const char *out)
{
	const char *dot = strrchr(out, '.');
	const char *slash = strrchr(out, '/');

	if (!dot || (slash && slash > dot) || !dot[1])
		return "svg";
	return dot + 1;
}

/* Runs dot; its status, EXIT_NOT_FOUND when it is not installed. */
static int run_dot(const char *progname, const char *input, const char *out)
{
	char format[32];
	int status;
	pid_t pid;

	snprintf(format, sizeof(format), "-T%s", output_format(out));
	pid = fork();
	if (pid < 0) {
		perror(progname);
		return EXIT_CANNOT_RUN;
	}
	if (!pid) {
		execlp("dot", "dot", format, "-o", out, input, (char *)NULL);
		_exit(errno == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_RUN);
	}
	if (waitpid(pid, &status, 0) < 0) {
		perror(progname);
		return EXIT_CANNOT_RUN;
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return EXIT_CANNOT_RUN;
}

int observe_cmd_graph(const char *progname, int argc, char **argv)
{
	const char *input = NULL, *out = NULL;
	char *made = NULL;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-o") && i + 1 < argc)
			out = argv[++i];
		else if (!strncmp(argv[i], "-o", 2) && argv[i][2])
			out = argv[i] + 2;
		else if (argv[i][0] != '-' && !input)
			input = argv[i];
		else
			goto usage;
	}
	if (!input)
		goto usage;
	if (access(input, R_OK)) {
		fprintf(stderr, "%s: graph: %s: %s\n", progname, input,
			strerror(errno));
		return EXIT_FAILURE;
	}
	if (!out) {
		out = made = default_output(input);
		if (!out) {
			perror(progname);
			return EXIT_FAILURE;
		}
	}
	rc = run_dot(progname, input, out);
	if (rc == EXIT_NOT_FOUND)
		fprintf(stderr,
			"%s: graph: Graphviz's dot is not installed (Debian: "
			"apt-get install graphviz); %s is DOT text, which any "
			"Graphviz viewer renders\n",
			progname, input);
	else if (!rc)
		printf("%s\n", out);
	free(made);
	return rc;

usage:
	fprintf(stderr, "usage: %s graph FILE.dot [-o OUT]\n", progname);
	return EXIT_USAGE;
}
