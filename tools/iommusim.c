// SPDX-License-Identifier: MIT
/*
 * The iommusim command.
 *
 *   iommusim run [--cap NAME]... [--] PROGRAM [ARGS...]
 *        run PROGRAM against the emulated /dev/iommu (the preload shim);
 *        --cap makes the emulated kernel see capability NAME held
 *   iommusim run [--trace[=FILE]] [--trace-format=json] [--graph=FILE] ...
 *        the same, traced and/or drawing the object graph (observe.h)
 *   iommusim graph FILE.dot [-o OUT]
 *        renders a graph with Graphviz
 *   iommusim --version | --help
 *
 * Exit status: run replaces itself with PROGRAM, so PROGRAM's status is
 * ours; 127 when PROGRAM is not found, 126 when it cannot be run (as
 * env(1)) or is statically linked (the shim cannot reach it); 2 for a
 * usage error.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <iommusim/iommusim.h>

#include "base/capability.h"
#include "observe.h"
#include "program.h"

#ifndef IOMMUSIM_VERSION
#error "IOMMUSIM_VERSION is defined by the Makefile"
#endif
#ifndef IOMMUSIM_LIBDIR
#define IOMMUSIM_LIBDIR "/usr/local/lib"
#endif

#define PRELOAD_NAME "libiommusim-preload.so"
#define EXIT_USAGE 2
#define EXIT_CANNOT_RUN 126
#define EXIT_NOT_FOUND 127

static const char *progname = "iommusim";

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: %s run [--cap NAME]... [--] PROGRAM [ARGS...]\n"
		"       %s --version\n"
		"       %s --help\n"
		"\n"
		"Commands:\n"
		"  run    run PROGRAM with /dev/iommu emulated in its process\n"
		"         (the preload shim %s, found next to this\n"
		"         command or in %s)\n"
		"\n"
		"Options of run:\n"
		"  --cap NAME  the emulated kernel's checks see capability NAME\n"
		"              (sys_resource, ipc_lock, ...) held; repeatable\n",
		progname, progname, progname, PRELOAD_NAME, IOMMUSIM_LIBDIR);
	fprintf(out, "%s\nOther commands:\n%s", observe_run_usage,
		observe_graph_usage);
}

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: ", progname);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	usage(stderr);
	return EXIT_USAGE;
}

/*
 * Where the shim is: next to this executable (a build tree), in ../lib
 * beside it (an install, wherever PREFIX and DESTDIR put it), else in the
 * library directory the build was configured with.
 * Writes it to buf; 0, or -1 when neither exists.
 */
static int find_preload(char *buf, size_t size)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n > 0) {
		char *slash;

		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			if ((size_t)snprintf(buf, size, "%s/%s", self,
					     PRELOAD_NAME) < size &&
			    access(buf, R_OK) == 0)
				return 0;
			/* an install moved as a whole: PREFIX/bin, PREFIX/lib */
			if ((size_t)snprintf(buf, size, "%s/../lib/%s", self,
					     PRELOAD_NAME) < size &&
			    access(buf, R_OK) == 0)
				return 0;
		}
	}
	if ((size_t)snprintf(buf, size, "%s/%s", IOMMUSIM_LIBDIR,
			     PRELOAD_NAME) < size &&
	    access(buf, R_OK) == 0)
		return 0;
	return -1;
}

/* LD_PRELOAD with the shim first, so its symbols win over every other
 * preloaded library's; any earlier value is kept after it. */
static int set_ld_preload(const char *preload)
{
	const char *old = getenv("LD_PRELOAD");
	char *value;
	int rc;

	/* ld.so splits LD_PRELOAD at spaces and colons, with no escape. */
	if (strpbrk(preload, " :")) {
		fprintf(stderr, "%s: cannot preload %s: the path has a space "
				"or a colon\n",
			progname, preload);
		return -1;
	}
	if (old && *old) {
		size_t len = strlen(preload) + 1 + strlen(old) + 1;

		value = malloc(len);
		if (!value) {
			perror(progname);
			return -1;
		}
		snprintf(value, len, "%s:%s", preload, old);
	} else {
		value = strdup(preload);
		if (!value) {
			perror(progname);
			return -1;
		}
	}
	rc = setenv("LD_PRELOAD", value, 1);
	free(value);
	if (rc) {
		perror(progname);
		return -1;
	}
	return 0;
}

/* Adds one --cap NAME to IOMMUSIM_CAPS, after whatever it held. */
static int grant_capability(const char *name)
{
	const char *old = getenv(CAPABILITY_ENV);
	char *value;
	int rc;

	if (!*name || strchr(name, ',') ||
	    capability_from_name(name, strlen(name)) < 0)
		return usage_error("run: unknown capability '%s'", name);
	if (old && *old)
		rc = asprintf(&value, "%s,%s", old, name);
	else
		rc = asprintf(&value, "%s", name);
	if (rc < 0) {
		perror(progname);
		return EXIT_CANNOT_RUN;
	}
	rc = setenv(CAPABILITY_ENV, value, 1);
	free(value);
	if (rc) {
		perror(progname);
		return EXIT_CANNOT_RUN;
	}
	return 0;
}

/*
 * The options before PROGRAM; returns the index of PROGRAM's name, or
 * -status to exit with. "--cap NAME" and "--cap=NAME" both work.
 */
static int parse_run_options(int argc, char **argv)
{
	int i = 1, rc;

	while (i < argc && argv[i][0] == '-') {
		const char *arg = argv[i];

		if (!strcmp(arg, "--"))
			return i + 1;
		rc = observe_run_option(progname, arg);
		if (rc != OBSERVE_NOT_MINE) {
			/* --trace, --trace-format, --graph */
		} else if (!strncmp(arg, "--cap=", 6)) {
			rc = grant_capability(arg + 6);
		} else if (!strcmp(arg, "--cap")) {
			if (++i >= argc)
				return -usage_error("run: %s",
						    "--cap needs a NAME");
			rc = grant_capability(argv[i]);
		} else {
			return -usage_error("run: unknown option '%s'", arg);
		}
		if (rc)
			return -rc;
		i++;
	}
	return i;
}

static int cmd_run(int argc, char **argv)
{
	char preload[PATH_MAX], program[PATH_MAX];
	int i = parse_run_options(argc, argv);

	if (i < 0)
		return -i;
	if (i >= argc)
		return usage_error("run: %s", "no PROGRAM given");

	if (find_preload(preload, sizeof(preload))) {
		fprintf(stderr,
			"%s: cannot find %s next to this command or in %s\n",
			progname, PRELOAD_NAME, IOMMUSIM_LIBDIR);
		return EXIT_NOT_FOUND;
	}
	if (set_ld_preload(preload))
		return EXIT_CANNOT_RUN;
	/* Without the dynamic loader LD_PRELOAD is never read: the program
	 * would run against the real kernel and fail in ways that point
	 * nowhere near the cause. */
	if (!program_resolve(argv[i], program, sizeof(program)) &&
	    program_is_static(program)) {
		fprintf(stderr,
			"%s: %s is statically linked; the shim cannot reach "
			"it\n",
			progname, argv[i]);
		return EXIT_CANNOT_RUN;
	}

	execvp(argv[i], &argv[i]);
	fprintf(stderr, "%s: %s: %s\n", progname, argv[i], strerror(errno));
	return errno == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_RUN;
}

static int cmd_version(void)
{
	printf("iommusim %s\n", IOMMUSIM_VERSION);
	printf("library %s\n", iommusim_version());
	return ferror(stdout) || fflush(stdout) ? EXIT_FAILURE : EXIT_SUCCESS;
}

static int cmd_help(void)
{
	usage(stdout);
	return ferror(stdout) || fflush(stdout) ? EXIT_FAILURE : EXIT_SUCCESS;
}

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
};

static int cmd_graph(int argc, char **argv)
{
	return observe_cmd_graph(progname, argc, argv);
}

static const struct command commands[] = {
	{ "run", cmd_run },
	{ "graph", cmd_graph },
};

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2)
		return usage_error("%s", "no command given");
	if (!strcmp(argv[1], "--version"))
		return cmd_version();
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help"))
		return cmd_help();
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	return usage_error("unknown command '%s'", argv[1]);
}
