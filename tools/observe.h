/* SPDX-License-Identifier: MIT */
/*
 * Seeing inside a run: the options of `iommusim run` that switch on the
 * trace and the object graph (they set the library's environment
 * variables), and `iommusim graph`, which renders a graph with Graphviz.
 */
#ifndef IOMMUSIM_TOOLS_OBSERVE_H
#define IOMMUSIM_TOOLS_OBSERVE_H

/* What observe_run_option() says of an argument that is not its own. */
#define OBSERVE_NOT_MINE (-1)

/*
 * One argument of run: --trace, --trace=FILE, --trace-format=text|json,
 * --graph=FILE. 0 when applied, an exit status when it is bad, or
 * OBSERVE_NOT_MINE.
 */
int observe_run_option(const char *progname, const char *arg);

/* The options' lines of the usage text. */
extern const char observe_run_usage[];

/* iommusim graph FILE.dot [-o OUT]; argv[0] is "graph". */
int observe_cmd_graph(const char *progname, int argc, char **argv);
extern const char observe_graph_usage[];

#endif /* IOMMUSIM_TOOLS_OBSERVE_H */
