// SPDX-License-Identifier: MIT
/*
 * The object graph as Graphviz DOT. See graph.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/fork_gate.h"
#include "iommufd/access.h"
#include "iommufd/device.h"
#include "iommufd/eventq.h"
#include "iommufd/graph.h"
#include "iommufd/veventq.h"
#include "iommufd/viommu.h"
#include "iommufd/hw_pagetable.h"
#include "iommufd/ioas.h"

/* How many of an IOAS's areas and ranges the graph lists. */
#define GRAPH_AREAS_SHOWN 8
#define GRAPH_RANGES_SHOWN 4

bool graph_on;
static char *graph_path;

/*
 * The open contexts and the last closed ones' text. registry_lock is held
 * across a whole write, so a context cannot finish closing while the
 * graph walks it; it comes after the fork gate and before every lock of a
 * context's.
 */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct iommufd_ctx **open_contexts;
static size_t nopen, open_capacity;
static char *closed_text[GRAPH_CLOSED_KEPT];
static size_t closed_next;
static pid_t graph_pid; /* the process that writes graph_path itself */

static pthread_once_t signal_once = PTHREAD_ONCE_INIT;
static int signal_efd = -1;

/* ---- text ---------------------------------------------------------------- */

struct dot {
	char *buf;
	size_t len, cap;
	bool failed;
};

__attribute__((format(printf, 2, 3))) static void dotf(struct dot *d,
						       const char *fmt, ...)
{
	va_list ap;
	int n;

	if (d->failed)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(d->buf ? d->buf + d->len : NULL,
			      d->buf ? d->cap - d->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			d->failed = true;
			return;
		}
		if (d->buf && d->len + (size_t)n < d->cap) {
			d->len += (size_t)n;
			return;
		}
		size_t cap = (d->cap ? d->cap * 2 : 4096) + (size_t)n;
		char *grown = realloc(d->buf, cap);

		if (!grown) {
			d->failed = true;
			return;
		}
		d->buf = grown;
		d->cap = cap;
	}
}

/* ---- one context --------------------------------------------------------- */

/* The VFIO compatibility IOAS, to be named as such (compared only). */
static const struct iommufd_ioas *vfio_compat_ioas(struct iommufd_ctx *ictx)
{
	const struct iommufd_ioas *ioas;

	spin_lock(&ictx->objects.table_lock);
	ioas = ictx->vfio_ioas;
	spin_unlock(&ictx->objects.table_lock);
	return ioas;
}

static void put_objects(struct iommufd_ctx *ictx, struct iommufd_object **objs,
			size_t n)
{
	for (size_t i = 0; i < n; i++)
		object_put(ictx, objs[i]);
	free(objs);
}

static const char *prot_name(uint8_t prot)
{
	static const char *const names[] = { "-", "r", "w", "rw" };

	return names[(prot & IOPT_PROT_READ ? 1 : 0) |
		     (prot & IOPT_PROT_WRITE ? 2 : 0)];
}

/* Where an area's memory comes from, when it is not the caller's. */
static const char *source_name(const struct iopt_pages *pages)
{
	switch (pages->type) {
	case IOPT_PAGES_FILE:
		return " file";
	case IOPT_PAGES_DMABUF:
		return " dma-buf";
	}
	return "";
}

static void dot_ioas(struct dot *d, struct iommufd_ctx *ictx,
		     struct iommufd_ioas *ioas, bool vfio_compat)
{
	struct io_pagetable *iopt = &ioas->iopt;
	struct rindex_cursor cursor;
	struct iopt_area *area;
	struct itree_node *node;
	uint64_t areas = 0, bytes = 0, shown;

	dotf(d, "\t\tc%u_%u [shape=folder, label=\"IOAS %u%s", ictx->serial,
	     ioas->obj.id, ioas->obj.id,
	     vfio_compat ? " (VFIO compat)" : "");
	down_read(&iopt->iova_rwsem);
	iopt_for_each_area(area, iopt, &cursor) {
		areas++;
		bytes += iopt_area_length(area);
	}
	dotf(d, "\\n%llu area%s, 0x%llx bytes", (unsigned long long)areas,
	     areas == 1 ? "" : "s", (unsigned long long)bytes);
	shown = 0;
	iopt_for_each_area(area, iopt, &cursor) {
		if (shown++ == GRAPH_AREAS_SHOWN) {
			dotf(d, "\\n...");
			break;
		}
		dotf(d, "\\n0x%llx..0x%llx %s%s",
		     (unsigned long long)iopt_area_iova(area),
		     (unsigned long long)iopt_area_last_iova(area),
		     prot_name(area->iommu_prot), source_name(area->pages));
	}
	shown = 0;
	for (node = itree_first(&iopt->allowed_itree); node;
	     node = itree_next(node)) {
		if (shown++ == GRAPH_RANGES_SHOWN) {
			dotf(d, "\\nallowed ...");
			break;
		}
		dotf(d, "\\nallowed 0x%llx..0x%llx",
		     (unsigned long long)node->start,
		     (unsigned long long)node->last);
	}
	shown = 0;
	for (node = itree_first(&iopt->reserved_itree); node;
	     node = itree_next(node))
		shown++;
	if (shown)
		dotf(d, "\\n%llu reserved range%s", (unsigned long long)shown,
		     shown == 1 ? "" : "s");
	up_read(&iopt->iova_rwsem);
	dotf(d, "\"];\n");
}

static void dot_hwpt(struct dot *d, struct iommufd_ctx *ictx,
		     struct iommufd_hw_pagetable *hwpt)
{
	unsigned int c = ictx->serial, id = hwpt->obj.id;

	if (hwpt->fault)
		dotf(d, "\t\tc%u_%u -> c%u_%u [label=\"faults\", style=dotted];\n",
		     c, id, c, iommufd_fault_obj(hwpt->fault)->id);

	if (hwpt_is_paging(hwpt)) {
		struct iommufd_hwpt_paging *p = to_hwpt_paging(hwpt);

		dotf(d, "\t\tc%u_%u [shape=box, label=\"HWPT %u\\npaging%s%s%s%s\"];\n",
		     c, id, id, p->auto_domain ? ", automatic" : "",
		     p->nest_parent ? "\\nNEST_PARENT" : "",
		     atomic_load_explicit(&p->dirty_tracking,
					  memory_order_relaxed) ?
			     "\\ndirty tracking on" :
			     "",
		     hwpt->pasid_compat ? "\\nPASID" : "");
		dotf(d, "\t\tc%u_%u -> c%u_%u [label=\"maps\"];\n", c, id, c,
		     p->ioas->obj.id);
		return;
	}
	dotf(d, "\t\tc%u_%u [shape=box, style=rounded, label=\"HWPT %u\\nnested%s\"];\n",
	     c, id, id, hwpt->pasid_compat ? "\\nPASID" : "");
	if (to_hwpt_nested(hwpt)->viommu)
		dotf(d, "\t\tc%u_%u -> c%u_%u [label=\"vIOMMU\"];\n", c, id, c,
		     to_hwpt_nested(hwpt)->viommu->obj.id);
	else
		dotf(d, "\t\tc%u_%u -> c%u_%u [label=\"parent\"];\n", c, id, c,
		     to_hwpt_nested(hwpt)->parent->common.obj.id);
}

/* The vIOMMU objects: each a node with its edges to what it holds. */
static void dot_viommu_object(struct dot *d, struct iommufd_ctx *ictx,
			      struct iommufd_object *obj)
{
	unsigned int c = ictx->serial, id = obj->id;

	switch (obj->type) {
	case IOMMUFD_OBJ_VIOMMU: {
		struct iommufd_viommu *viommu =
			container_of(obj, struct iommufd_viommu, obj);

		dotf(d, "\t\tc%u_%u [shape=component, label=\"vIOMMU %u\\ntype 0x%x\"];\n",
		     c, id, id, viommu->hw->type);
		dotf(d, "\t\tc%u_%u -> c%u_%u [label=\"parent\"];\n", c, id, c,
		     viommu->hwpt->common.obj.id);
		break;
	}
	case IOMMUFD_OBJ_VDEVICE: {
		struct iommufd_vdevice *vdev =
			container_of(obj, struct iommufd_vdevice, obj);

		dotf(d, "\t\tc%u_%u [shape=ellipse, style=dashed, label=\"vDEVICE %u\\nvirt_id 0x%llx\"];\n",
		     c, id, id, (unsigned long long)vdev->entry.virt_id);
		dotf(d, "\t\tc%u_%u -> c%u_%u [label=\"on\"];\n", c, id, c,
		     vdev->viommu->obj.id);
		dotf(d, "\t\tc%u_%u -> c%u_%u [label=\"is\"];\n", c, id, c,
		     vdev->idev->obj.id);
		break;
	}
	case IOMMUFD_OBJ_VEVENTQ:
		dotf(d, "\t\tc%u_%u [shape=note, label=\"vEVENTQ %u\"];\n", c,
		     id, id);
		dotf(d, "\t\tc%u_%u -> c%u_%u [label=\"events of\"];\n", c, id,
		     c, iommufd_veventq_viommu_id(obj));
		break;
	case IOMMUFD_OBJ_HW_QUEUE: {
		struct iommufd_hw_queue *hw_queue =
			container_of(obj, struct iommufd_hw_queue, obj);

		dotf(d, "\t\tc%u_%u [shape=cds, label=\"HW queue %u\\n0x%llx +0x%llx\"];\n",
		     c, id, id, (unsigned long long)hw_queue->hw->base_addr,
		     (unsigned long long)hw_queue->hw->length);
		dotf(d, "\t\tc%u_%u -> c%u_%u [label=\"on\"];\n", c, id, c,
		     hw_queue->viommu->obj.id);
		if (hw_queue->depends_on)
			dotf(d, "\t\tc%u_%u -> c%u_%u [label=\"after\", style=dotted];\n",
			     c, id, c, hw_queue->depends_on->obj.id);
		break;
	}
	default:
		break;
	}
}

static void dot_device(struct dot *d, struct iommufd_ctx *ictx,
		       struct iommufd_device *idev)
{
	unsigned int c = ictx->serial, id = idev->obj.id;
	struct iommufd_pasid_attach *pa;

	dotf(d, "\t\tc%u_%u [shape=ellipse, label=\"device %u\"];\n", c, id,
	     id);
	mutex_lock(&idev->lock);
	if (idev->hwpt)
		dotf(d, "\t\tc%u_%u -> c%u_%u [label=\"RID\"];\n", c, id, c,
		     idev->hwpt->obj.id);
	for (pa = idev->pasids; pa; pa = pa->next)
		dotf(d, "\t\tc%u_%u -> c%u_%u [label=\"pasid %u\"];\n", c, id,
		     c, pa->hwpt->obj.id, pa->pasid);
	mutex_unlock(&idev->lock);
}

static void dot_access(struct dot *d, struct iommufd_ctx *ictx,
		       struct iommufd_access *access)
{
	unsigned int c = ictx->serial, id = access->obj.id;

	dotf(d, "\t\tc%u_%u [shape=cds, label=\"access %u\"];\n", c, id, id);
	mutex_lock(&access->ioas_lock);
	if (access->ioas)
		dotf(d, "\t\tc%u_%u -> c%u_%u [label=\"pins\"];\n", c, id, c,
		     access->ioas->obj.id);
	mutex_unlock(&access->ioas_lock);
}

/* Any other type: a node with its name. */
static void dot_other(struct dot *d, struct iommufd_ctx *ictx,
		      struct iommufd_object *obj)
{
	dotf(d, "\t\tc%u_%u [shape=note, label=\"%s %u\"];\n", ictx->serial,
	     obj->id, object_type_name(obj->type), obj->id);
}

static void dot_object(struct dot *d, struct iommufd_ctx *ictx,
		       struct iommufd_object *obj,
		       const struct iommufd_ioas *vfio_ioas)
{
	switch (obj->type) {
	case IOMMUFD_OBJ_IOAS:
		dot_ioas(d, ictx, to_ioas(obj), to_ioas(obj) == vfio_ioas);
		break;
	case IOMMUFD_OBJ_HWPT_PAGING:
	case IOMMUFD_OBJ_HWPT_NESTED:
		dot_hwpt(d, ictx, to_hwpt(obj));
		break;
	case IOMMUFD_OBJ_DEVICE:
		dot_device(d, ictx,
			   container_of(obj, struct iommufd_device, obj));
		break;
	case IOMMUFD_OBJ_ACCESS:
		dot_access(d, ictx,
			   container_of(obj, struct iommufd_access, obj));
		break;
	case IOMMUFD_OBJ_VIOMMU:
	case IOMMUFD_OBJ_VDEVICE:
	case IOMMUFD_OBJ_VEVENTQ:
	case IOMMUFD_OBJ_HW_QUEUE:
		dot_viommu_object(d, ictx, obj);
		break;
	case IOMMUFD_OBJ_SELFTEST:
		dot_other(d, ictx, obj);
		dotf(d, "\t\tc%u_%u -> c%u_%u [label=\"mock device\", style=dashed];\n",
		     ictx->serial, obj->id, ictx->serial,
		     iommufd_selftest_device_id(obj));
		break;
	default:
		dot_other(d, ictx, obj);
		break;
	}
}

int graph_context_dot(struct iommufd_ctx *ictx, char **buf, size_t *len)
{
	struct dot d = { .buf = *buf, .len = *len, .cap = *buf ? *len + 1 : 0 };
	const struct iommufd_ioas *vfio_ioas;
	struct iommufd_object **objs;
	size_t n;

	vfio_ioas = vfio_compat_ioas(ictx);
	objs = object_get_all(ictx, &n);
	dotf(&d, "\tsubgraph cluster_ctx%u {\n\t\tlabel=\"context %u\";\n",
	     ictx->serial, ictx->serial);
	if (!n)
		dotf(&d, "\t\tc%u_empty [shape=plaintext, label=\"(no objects)\"];\n",
		     ictx->serial);
	for (size_t i = 0; i < n; i++)
		dot_object(&d, ictx, objs[i], vfio_ioas);
	dotf(&d, "\t}\n");
	put_objects(ictx, objs, n);
	*buf = d.buf;
	*len = d.len;
	return d.failed ? -ENOMEM : 0;
}

/* ---- the file ------------------------------------------------------------ */

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = syscall(SYS_write, fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Where this process writes: the path, or path.PID in a forked child. */
static int graph_file_name(char *buf, size_t size)
{
	pid_t pid = (pid_t)syscall(SYS_getpid);
	int n;

	if (pid == graph_pid)
		n = snprintf(buf, size, "%s", graph_path);
	else
		n = snprintf(buf, size, "%s.%d", graph_path, (int)pid);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* With registry_lock held: the whole graph into the file. */
static int graph_write_locked(void)
{
	char path[4096], tmp[4200];
	char *buf = NULL;
	size_t len = 0;
	int fd, rc;

	rc = graph_file_name(path, sizeof(path));
	if (rc)
		return rc;
	{
		struct dot d = { 0 };

		dotf(&d, "digraph iommusim {\n\trankdir=LR;\n\tfontname=\"Helvetica\";\n"
			 "\tnode [fontname=\"Helvetica\", fontsize=10];\n"
			 "\tedge [fontname=\"Helvetica\", fontsize=9];\n");
		for (size_t i = 0; i < GRAPH_CLOSED_KEPT; i++) {
			const char *text =
				closed_text[(closed_next + i) % GRAPH_CLOSED_KEPT];

			if (text)
				dotf(&d, "%s", text);
		}
		buf = d.buf;
		len = d.len;
		if (d.failed)
			rc = -ENOMEM;
	}
	for (size_t i = 0; !rc && i < nopen; i++)
		rc = graph_context_dot(open_contexts[i], &buf, &len);
	if (!rc) {
		struct dot d = { .buf = buf, .len = len, .cap = len + 1 };

		dotf(&d, "}\n");
		buf = d.buf;
		len = d.len;
		rc = d.failed ? -ENOMEM : 0;
	}
	if (rc)
		goto out_free;
	snprintf(tmp, sizeof(tmp), "%s.tmp%d", path,
		 (int)syscall(SYS_gettid));
	fd = (int)syscall(SYS_openat, AT_FDCWD, tmp,
			  O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = -errno;
		goto out_free;
	}
	rc = write_all(fd, buf, len);
	syscall(SYS_close, fd);
	if (!rc && syscall(SYS_renameat, AT_FDCWD, tmp, AT_FDCWD, path))
		rc = -errno;
	if (rc)
		syscall(SYS_unlinkat, AT_FDCWD, tmp, 0);
out_free:
	free(buf);
	return rc;
}

/* The walk takes the contexts' locks, so it is inside the fork gate, as
 * a call is; the gate comes first, since fork() closes it before it takes
 * registry_lock (a context's close holds both in that order too). */
int graph_write(void)
{
	int rc;

	if (!graph_on)
		return -ENOENT;
	fork_gate_enter();
	pthread_mutex_lock(&registry_lock);
	rc = graph_write_locked();
	pthread_mutex_unlock(&registry_lock);
	fork_gate_leave();
	return rc;
}

/* ---- SIGUSR2 and exit ---------------------------------------------------- */

static void graph_on_sigusr2(int sig)
{
	uint64_t one = 1;
	int saved_errno = errno;

	(void)sig;
	syscall(SYS_write, signal_efd, &one, sizeof(one));
	errno = saved_errno;
}

static void *graph_thread(void *arg)
{
	uint64_t count;

	(void)arg;
	for (;;) {
		if (syscall(SYS_read, signal_efd, &count, sizeof(count)) ==
		    sizeof(count))
			graph_write();
	}
	return NULL;
}

static void graph_at_exit(void)
{
	graph_write();
}

/* At the first context: the thread, the handler, the exit hook. */
static void graph_start(void)
{
	struct sigaction sa = { .sa_handler = graph_on_sigusr2,
				.sa_flags = SA_RESTART };
	sigset_t all, old;
	pthread_t thread;

	atexit(graph_at_exit);
	signal_efd = (int)syscall(SYS_eventfd2, 0, EFD_CLOEXEC);
	if (signal_efd < 0)
		return;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (!pthread_create(&thread, NULL, graph_thread, NULL)) {
		pthread_detach(thread);
		sigaction(SIGUSR2, &sa, NULL);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* ---- the registry -------------------------------------------------------- */

static void graph_atfork_prepare(void)
{
	pthread_mutex_lock(&registry_lock);
}

static void graph_atfork_parent(void)
{
	pthread_mutex_unlock(&registry_lock);
}

/* The child keeps its copies of the open contexts, not the parent's
 * closed ones, and has no graph thread. */
static void graph_atfork_child(void)
{
	for (size_t i = 0; i < GRAPH_CLOSED_KEPT; i++) {
		free(closed_text[i]);
		closed_text[i] = NULL;
	}
	pthread_mutex_unlock(&registry_lock);
}

__attribute__((constructor)) static void graph_init_from_env(void)
{
	const char *path = getenv(GRAPH_ENV);

	if (!path || !*path)
		return;
	graph_path = strdup(path);
	if (!graph_path)
		return;
	graph_pid = (pid_t)syscall(SYS_getpid);
	pthread_atfork(graph_atfork_prepare, graph_atfork_parent,
		       graph_atfork_child);
	graph_on = true;
}

void graph_context_opened(struct iommufd_ctx *ictx)
{
	if (!graph_on)
		return;
	pthread_once(&signal_once, graph_start);
	pthread_mutex_lock(&registry_lock);
	if (nopen == open_capacity) {
		size_t cap = open_capacity ? open_capacity * 2 : 8;
		struct iommufd_ctx **grown =
			realloc(open_contexts, cap * sizeof(*grown));

		if (!grown)
			goto out_unlock; /* the graph goes without it */
		open_contexts = grown;
		open_capacity = cap;
	}
	open_contexts[nopen++] = ictx;
out_unlock:
	pthread_mutex_unlock(&registry_lock);
}

/* The context's last look, kept among the closed ones; then the file. */
void graph_context_closing(struct iommufd_ctx *ictx)
{
	char *text = NULL;
	size_t len = 0;

	if (!graph_on)
		return;
	pthread_mutex_lock(&registry_lock);
	for (size_t i = 0; i < nopen; i++) {
		if (open_contexts[i] == ictx) {
			/* the others keep their order: the file's is stable */
			memmove(&open_contexts[i], &open_contexts[i + 1],
				(--nopen - i) * sizeof(*open_contexts));
			break;
		}
	}
	if (!graph_context_dot(ictx, &text, &len)) {
		free(closed_text[closed_next]);
		closed_text[closed_next] = text;
		closed_next = (closed_next + 1) % GRAPH_CLOSED_KEPT;
	} else {
		free(text);
	}
	graph_write_locked();
	pthread_mutex_unlock(&registry_lock);
}
