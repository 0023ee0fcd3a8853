// SPDX-License-Identifier: MIT
/*
 * The trace and the graph in a running program (IOMMUSIM_TRACE,
 * IOMMUSIM_TRACE_FORMAT, IOMMUSIM_GRAPH, which `iommusim run --trace` and
 * `--graph` set): lines from several threads and from a forked child come
 * out whole, one per call, each with its thread; JSON lines parse; SIGUSR2
 * makes the graph file appear while the program runs.
 *
 * The library reads these variables once, as it loads, so each case runs
 * in a fresh process: this program execs itself with the case's
 * environment and checks the file the child left.
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "iommufd_utils.h"
#include "json_lines.h"

#define CHILD_CALLS "child-calls"
#define CHILD_GRAPH "child-graph"
#define CHILD_FAILED 200

#define THREADS 4
#define PAIRS 100   /* MAP + UNMAP pairs per thread */
#define FORKED_PAIRS 10

struct worker {
	int fd;
	__u32 ioas_id;
	int index;
	int failed;
};

static int map_unmap(int fd, __u32 ioas_id, uint64_t iova)
{
	if (_test_ioctl_ioas_map_fixed(fd, ioas_id, buffer, PSZ, iova,
				       MAP_RW))
		return -1;
	return _test_ioctl_ioas_unmap(fd, ioas_id, iova, PSZ, NULL);
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	uint64_t iova = APERTURE_START + (uint64_t)w->index * 0x100000;

	for (int i = 0; i < PAIRS; i++)
		w->failed |= map_unmap(w->fd, w->ioas_id, iova + i * PSZ) != 0;
	return NULL;
}

/* THREADS threads of MAP+UNMAP pairs, then a forked child's. */
static int run_calls(void)
{
	struct worker workers[THREADS];
	pthread_t threads[THREADS];
	__u32 ioas_id;
	int fd = iommufd_open(), status, failed = 0;
	pid_t pid;

	if (fd < 0 || _test_ioctl_ioas_alloc(fd, &ioas_id))
		return CHILD_FAILED;
	for (int i = 0; i < THREADS; i++) {
		workers[i] = (struct worker){ fd, ioas_id, i, 0 };
		if (pthread_create(&threads[i], NULL, worker_run, &workers[i]))
			return CHILD_FAILED;
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(threads[i], NULL);
		failed |= workers[i].failed;
	}
	pid = fork();
	if (pid < 0)
		return CHILD_FAILED;
	if (!pid) {
		for (int i = 0; i < FORKED_PAIRS; i++)
			if (map_unmap(fd, ioas_id, APERTURE_LAST + 1 -
							   (i + 1) * PSZ))
				_exit(1);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		failed = 1;
	close(fd);
	return failed ? CHILD_FAILED : 0;
}

/* An IOAS with a mapping, then SIGUSR2; waits for the graph file. */
static int run_graph(void)
{
	const char *path = getenv("IOMMUSIM_GRAPH");
	__u32 ioas_id;
	int fd = iommufd_open();
	struct stat st;

	if (!path || fd < 0 || _test_ioctl_ioas_alloc(fd, &ioas_id) ||
	    _test_ioctl_ioas_map_fixed(fd, ioas_id, buffer, PSZ,
				       APERTURE_START, MAP_RW))
		return CHILD_FAILED;
	raise(SIGUSR2);
	for (int i = 0; i < 500; i++) { /* 5 s */
		if (!stat(path, &st) && st.st_size > 0)
			return 0; /* exit writes it again; the context is open */
		usleep(10000);
	}
	return CHILD_FAILED + 2;
}

/* Runs this program as a child doing what, with the environment variable
 * name set to value (and format when not NULL); its exit status or -1. */
static int child_status(const char *what, const char *name,
			const char *value, const char *format)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		char *argv[] = { "trace_run", (char *)what, NULL };

		unsetenv("IOMMUSIM_TRACE");
		unsetenv("IOMMUSIM_GRAPH");
		setenv(name, value, 1);
		if (format)
			setenv("IOMMUSIM_TRACE_FORMAT", format, 1);
		execv("/proc/self/exe", argv);
		_exit(CHILD_FAILED + 1);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *text;
	long size;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)size + 1);
	if (text && fread(text, 1, (size_t)size, f) != (size_t)size) {
		free(text);
		text = NULL;
	}
	fclose(f);
	return text;
}

static void scratch_path(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/iommusim-trace-run-%d-%s",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid(),
		 name);
	unlink(buf);
}

/* Counts the lines of text, and of them those that contain what. */
struct tally {
	int lines, matching, bad;
	int tids[THREADS + 8];
	int ntids;
};

static void tally_tid(struct tally *t, int tid)
{
	for (int i = 0; i < t->ntids; i++)
		if (t->tids[i] == tid)
			return;
	if (t->ntids < (int)(sizeof(t->tids) / sizeof(t->tids[0])))
		t->tids[t->ntids++] = tid;
}

TEST(threads_and_a_forked_child_write_whole_lines)
{
	char path[256];
	char *text, *line, *save;
	struct tally t = { 0 };

	scratch_path(path, sizeof(path), "text");
	ASSERT_EQ(0, child_status(CHILD_CALLS, "IOMMUSIM_TRACE", path, NULL));
	text = read_file(path);
	ASSERT_TRUE(text != NULL);
	ASSERT_TRUE(text[0] && text[strlen(text) - 1] == '\n');
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		unsigned long sec, usec;
		int tid, n = 0;

		t.lines++;
		/* TIME TID fd=N NAME {...} = RESULT ... or TIME TID event */
		if (sscanf(line, "%lu.%6lu %d %n", &sec, &usec, &tid, &n) !=
			    3 ||
		    !n || (strncmp(line + n, "fd=", 3) &&
			   strncmp(line + n, "event ", 6))) {
			printf("# a broken line: %s\n", line);
			t.bad++;
			continue;
		}
		if (strstr(line, " IOMMU_IOAS_MAP {") ||
		    strstr(line, " IOMMU_IOAS_UNMAP {")) {
			t.matching++;
			tally_tid(&t, tid);
			if (!strstr(line, "} = 0 {"))
				t.bad++;
		}
	}
	EXPECT_EQ(0, t.bad);
	EXPECT_EQ(2 * (THREADS * PAIRS + FORKED_PAIRS), t.matching);
	/* each worker thread, and the child */
	EXPECT_EQ(THREADS + 1, t.ntids);
	free(text);
	unlink(path);
}

TEST(json_lines_parse)
{
	char path[256];
	char *text, *line, *save;
	int lines = 0, calls = 0, bad = 0;

	scratch_path(path, sizeof(path), "json");
	ASSERT_EQ(0, child_status(CHILD_CALLS, "IOMMUSIM_TRACE", path, "json"));
	text = read_file(path);
	ASSERT_TRUE(text != NULL);
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		lines++;
		if (!json_line_valid(line)) {
			printf("# not JSON: %s\n", line);
			bad++;
		}
		calls += strstr(line, "\"call\":\"IOMMU_IOAS_MAP\"") != NULL;
	}
	EXPECT_EQ(0, bad);
	EXPECT_EQ(THREADS * PAIRS + FORKED_PAIRS, calls);
	EXPECT_TRUE(lines > calls);
	free(text);
	unlink(path);
}

TEST(sigusr2_writes_the_graph)
{
	char path[256];
	char *text;

	scratch_path(path, sizeof(path), "graph.dot");
	ASSERT_EQ(0, child_status(CHILD_GRAPH, "IOMMUSIM_GRAPH", path, NULL));
	text = read_file(path);
	ASSERT_TRUE(text != NULL);
	EXPECT_TRUE(!strncmp(text, "digraph iommusim {", 18));
	EXPECT_TRUE(strstr(text, "subgraph cluster_ctx1 {") != NULL);
	EXPECT_TRUE(strstr(text, "c1_1 [shape=folder, label=\"IOAS 1\\n"
				 "1 area, ") != NULL);
	free(text);
	unlink(path);
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], CHILD_CALLS))
		return run_calls();
	if (argc == 2 && !strcmp(argv[1], CHILD_GRAPH))
		return run_graph();
	return __harness_main(argc, argv);
}
