// SPDX-License-Identifier: MIT
/*
 * The iommusim command.
 *
 *   iommusim run [--cap NAME]... [--device SPEC]... [--check-iotlb] [--warn-unmap]
 *                [--fail-nth N | --fail-rate P[,seed=S]] [--] PROGRAM [ARGS...]
 *        run PROGRAM against the emulated /dev/iommu (the preload shim);
 *        --cap makes the emulated kernel see capability NAME held;
 *        --device puts a device on the platform (/dev/vfio/devices/vfioN);
 *        --check-iotlb reports DMA through stale IOTLB entries;
 *        --warn-unmap reports munmap() of memory pinned for DMA;
 *        --fail-nth and --fail-rate make the library's allocations fail
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
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <iommusim/iommusim.h>

#include "base/capability.h"
#include "base/fault_inject.h"
#include "iommu/iotlb.h"
#include "iommu/platform_config.h"
#include "iommufd/iommufd.h"
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
		"Usage: %s run [--cap NAME]... [--device SPEC]... "
		"[--check-iotlb] [--warn-unmap]\n"
		"                    [--fail-nth N | --fail-rate P[,seed=S]] "
		"[--] PROGRAM [ARGS...]\n"
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
		"              (sys_resource, ipc_lock, ...) held; repeatable\n"
		"  --device SPEC\n"
		"              a device behind an emulated IOMMU, served as\n"
		"              /dev/vfio/devices/vfioN in the order given;\n"
		"              repeatable. SPEC is vtd[,pasid=BITS][,dirty=on|off]\n"
		"              [,prs=on|off][,sre=on|off][,levels=4|5]\n"
		"              [,iotlb=ENTRIES]; a bare vtd has everything on\n"
		"              (pasid=20,dirty=on,prs=on,sre=on,levels=5,\n"
		"              iotlb=%u)\n"
		"  --check-iotlb\n"
		"              re-walk the tables at every IOTLB hit and report\n"
		"              a stale one on stderr (\"missing IOTLB\n"
		"              invalidation\"), once per entry\n"
		"  --warn-unmap\n"
		"              report on stderr each munmap(), mremap() or\n"
		"              mmap(MAP_FIXED) that takes away memory still\n"
		"              pinned for DMA (the devices keep those pages)\n"
		"  --fail-nth N\n"
		"              the N-th allocation the library makes in the\n"
		"              process fails, once, as if memory ran out: the\n"
		"              call returns what the kernel returns then (ENOMEM)\n"
		"  --fail-rate P[,seed=S]\n"
		"              each allocation fails with probability P (0 to 1),\n"
		"              the same ones for the same seed (0 by default)\n",
		progname, progname, progname, PRELOAD_NAME, IOMMUSIM_LIBDIR,
		INTEL_IOTLB_DEFAULT);
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

/* Appends value to the list in the environment variable name, after sep;
 * 0, or an exit status. */
static int append_to_env_list(const char *name, char sep, const char *value)
{
	const char *old = getenv(name);
	char *list;
	int rc;

	if (old && *old)
		rc = asprintf(&list, "%s%c%s", old, sep, value);
	else
		rc = asprintf(&list, "%s", value);
	if (rc < 0) {
		perror(progname);
		return EXIT_CANNOT_RUN;
	}
	rc = setenv(name, list, 1);
	free(list);
	if (rc) {
		perror(progname);
		return EXIT_CANNOT_RUN;
	}
	return 0;
}

/* Adds one --cap NAME to IOMMUSIM_CAPS, after whatever it held. */
static int grant_capability(const char *name)
{
	if (!*name || strchr(name, ',') ||
	    capability_from_name(name, strlen(name)) < 0)
		return usage_error("run: unknown capability '%s'", name);
	return append_to_env_list(CAPABILITY_ENV, ',', name);
}

/* Adds one --device SPEC to IOMMUSIM_DEVICES, after whatever it held. */
static int add_device(const char *spec)
{
	struct platform_device_spec parsed;
	const char *bad;
	size_t bad_len;

	if (strchr(spec, ';') ||
	    platform_parse_device_spec(spec, strlen(spec), &parsed, &bad,
				       &bad_len))
		return usage_error("run: bad device spec '%s'", spec);
	return append_to_env_list(PLATFORM_DEVICES_ENV, ';', spec);
}

/* Which of --fail-nth and --fail-rate was given: one per run. */
static const char *fail_option;

/* Sets one of the injection variables, and clears the other: the option
 * given is the one that counts, whatever the environment held. */
static int set_fail_option(const char *option, const char *var,
			   const char *other_var, const char *value)
{
	if (fail_option && strcmp(fail_option, option))
		return usage_error("run: %s", "--fail-nth and --fail-rate "
					      "cannot be used together");
	fail_option = option;
	if (unsetenv(other_var) || setenv(var, value, 1)) {
		perror(progname);
		return EXIT_CANNOT_RUN;
	}
	return 0;
}

/* --fail-nth N: IOMMUSIM_FAIL_NTH, checked before the program runs. */
static int fail_nth(const char *value)
{
	uint32_t n;

	if (fault_parse_nth(value, &n))
		return usage_error("run: --fail-nth wants a number from 1 to "
				   "4294967295, not '%s'",
				   value);
	return set_fail_option("--fail-nth", FAULT_NTH_ENV, FAULT_RATE_ENV,
			       value);
}

/* --fail-rate P[,seed=S]: IOMMUSIM_FAIL_RATE, checked likewise. */
static int fail_rate(const char *value)
{
	uint64_t threshold, seed;

	if (fault_parse_rate(value, &threshold, &seed))
		return usage_error("run: --fail-rate wants P[,seed=S], P from "
				   "0 to 1, not '%s'",
				   value);
	return set_fail_option("--fail-rate", FAULT_RATE_ENV, FAULT_NTH_ENV,
			       value);
}

/* "--NAME VALUE" or "--NAME=VALUE" at argv[*i]: the value, *i moved past
 * it; NULL when arg is not that option. *missing is set when it is but has
 * no value. */
static const char *option_value(int argc, char **argv, int *i,
				const char *name, bool *missing)
{
	size_t len = strlen(name);
	const char *arg = argv[*i];

	if (strncmp(arg, name, len))
		return NULL;
	if (arg[len] == '=')
		return arg + len + 1;
	if (arg[len])
		return NULL;
	if (++*i >= argc) {
		*missing = true;
		return NULL;
	}
	return argv[*i];
}

/* The options of run that take a value. */
static const struct run_option {
	const char *name;
	const char *metavar;
	int (*apply)(const char *value);
} run_options[] = {
	{ "--cap", "NAME", grant_capability },
	{ "--device", "SPEC", add_device },
	{ "--fail-nth", "N", fail_nth },
	{ "--fail-rate", "P[,seed=S]", fail_rate },
};

/*
 * The options before PROGRAM; returns the index of PROGRAM's name, or
 * -status to exit with. "--cap NAME" and "--cap=NAME" both work, and so
 * for every option.
 */
static int parse_run_options(int argc, char **argv)
{
	int i = 1, rc;

	while (i < argc && argv[i][0] == '-') {
		const struct run_option *opt = NULL;
		const char *value = NULL;
		bool missing = false;

		if (!strcmp(argv[i], "--"))
			return i + 1;
		if (!strcmp(argv[i], "--warn-unmap")) {
			if (setenv(IOMMUFD_WARN_UNMAP_ENV, "1", 1)) {
				perror(progname);
				return -EXIT_CANNOT_RUN;
			}
			i++;
			continue;
		}
		if (!strcmp(argv[i], "--check-iotlb")) {
			if (setenv(IOTLB_CHECK_ENV, "1", 1)) {
				perror(progname);
				return -EXIT_CANNOT_RUN;
			}
			i++;
			continue;
		}
		/* --trace, --trace-format, --graph */
		rc = observe_run_option(progname, argv[i]);
		if (rc != OBSERVE_NOT_MINE) {
			if (rc)
				return -rc;
			i++;
			continue;
		}
		for (size_t k = 0; !value && !missing &&
				   k < sizeof(run_options) / sizeof(*run_options);
		     k++) {
			opt = &run_options[k];
			value = option_value(argc, argv, &i, opt->name,
					     &missing);
		}
		if (missing) {
			fprintf(stderr, "%s: run: %s needs a %s\n", progname,
				opt->name, opt->metavar);
			usage(stderr);
			return -EXIT_USAGE;
		}
		if (!value)
			return -usage_error("run: unknown option '%s'",
					    argv[i]);
		rc = opt->apply(value);
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
