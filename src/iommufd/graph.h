/* SPDX-License-Identifier: MIT */
/*
 * The object graph: every context's objects and how they hang together
 * (an IOAS and its areas, the HWPTs over it, nested HWPTs over their
 * parents, devices and their PASIDs attached where, accesses, fault
 * queues) as a Graphviz DOT file.
 *
 * Switched on by IOMMUSIM_GRAPH=FILE, read once when the library loads.
 * The file is written whole (a temporary file renamed over it) when a
 * context closes (showing it as it was just before its teardown), at each
 * SIGUSR2 and at exit; it shows the contexts still open and the last
 * GRAPH_CLOSED_KEPT closed ones. A forked child writes FILE.PID instead.
 * Switched off, nothing here runs: iommusim_open() and the context's close
 * test one flag.
 *
 * SIGUSR2 gets a handler of ours when the first context opens (a program
 * that installs its own afterwards wins); a thread of ours, with every
 * signal blocked, writes the file the handler asks for, since a handler
 * may take no lock.
 */
#ifndef IOMMUSIM_IOMMUFD_GRAPH_H
#define IOMMUSIM_IOMMUFD_GRAPH_H

#include <stdbool.h>
#include <stddef.h>

#define GRAPH_ENV "IOMMUSIM_GRAPH"
#define GRAPH_CLOSED_KEPT 16

struct iommufd_ctx;

extern bool graph_on;

/* A context opened / about to be torn down (its objects still there). */
void graph_context_opened(struct iommufd_ctx *ictx);
void graph_context_closing(struct iommufd_ctx *ictx);

/*
 * The DOT text of one context's objects, a "subgraph cluster_ctxN" block,
 * appended to *buf (malloc'd, *len bytes, grown as needed). 0 or -ENOMEM.
 * For the graph file and for tests.
 */
int graph_context_dot(struct iommufd_ctx *ictx, char **buf, size_t *len);

/* Writes the file now (what SIGUSR2 does); 0 or -errno. */
int graph_write(void);

#endif /* IOMMUSIM_IOMMUFD_GRAPH_H */
