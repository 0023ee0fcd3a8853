// SPDX-License-Identifier: MIT
/*
 * The DMA engine (dma.h): a transfer page by page, each page through the
 * device's IOTLB or a walk, its bytes moved while the unit's cache lock is
 * held, so that an invalidation (an UNMAP's among them) that returns has
 * waited for every transfer that used what it removed.
 *
 * A cached translation serves a request only when it allows it: a write
 * needs an entry made by a write (whose walk set D); anything else drops
 * the entry and walks again, as an x86 TLB does on a permission miss. A
 * walk that faults caches nothing. With the stale-IOTLB detector on, every
 * hit, and every walk that started at a cached paging-structure entry, is
 * compared with a fresh walk from the root, and a difference is reported
 * once per entry. A fault may become a page request (dma.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>

#include <iommusim/uapi/iommufd.h>
#include <iommusim/uapi/iommusim.h>

#include "iommu/dma.h"
#include "iommu/iotlb.h"
#include "base/usermem.h"

#define DMA_PAGE 4096ull
#define DMA_PAGE_MASK (~(DMA_PAGE - 1))

#define SAME_REASON(ours, uapi) _Static_assert((int)(ours) == (int)(uapi), #ours)
SAME_REASON(IOMMU_FAULT_NONE, IOMMUSIM_FAULT_NONE);
SAME_REASON(IOMMU_FAULT_BLOCKED, IOMMUSIM_FAULT_BLOCKED);
SAME_REASON(IOMMU_FAULT_NOT_PRESENT, IOMMUSIM_FAULT_NOT_PRESENT);
SAME_REASON(IOMMU_FAULT_READ, IOMMUSIM_FAULT_READ);
SAME_REASON(IOMMU_FAULT_WRITE, IOMMUSIM_FAULT_WRITE);
SAME_REASON(IOMMU_FAULT_PRIV, IOMMUSIM_FAULT_PRIV);
SAME_REASON(IOMMU_FAULT_ADDRESS, IOMMUSIM_FAULT_ADDRESS);
SAME_REASON(IOMMU_FAULT_TABLE, IOMMUSIM_FAULT_TABLE);

enum iommu_fault_reason iommu_fault_reason_of(int err,
					      const struct iommu_translation *t)
{
	switch (err) {
	case 0:
		return IOMMU_FAULT_NONE;
	case -ENOENT:
		return IOMMU_FAULT_NOT_PRESENT;
	case -EPERM:
		return t->reason;
	case -ERANGE:
		return IOMMU_FAULT_ADDRESS;
	case -EOPNOTSUPP:
		return IOMMU_FAULT_BLOCKED;
	default: /* -EFAULT, -EBADMSG */
		return IOMMU_FAULT_TABLE;
	}
}

/* One transfer's view of its device and domain. */
struct dma_walk {
	struct device *dev;
	struct iotlb *t; /* NULL: nothing cached */
	struct iommu_domain *domain;
	struct iotlb_tag tag;
	unsigned int req;
};

/* ---- the stale-IOTLB detector ------------------------------------------------ */

static const char *const reason_names[] = {
	[IOMMU_FAULT_NONE] = "none",
	[IOMMU_FAULT_BLOCKED] = "blocked",
	[IOMMU_FAULT_NOT_PRESENT] = "not-present",
	[IOMMU_FAULT_READ] = "read",
	[IOMMU_FAULT_WRITE] = "write",
	[IOMMU_FAULT_PRIV] = "privilege",
	[IOMMU_FAULT_ADDRESS] = "address",
	[IOMMU_FAULT_TABLE] = "table",
};

static const char *prot_name(int prot)
{
	static const char *const names[] = { "none", "r", "w", "rw" };

	return names[prot & (IOMMU_READ | IOMMU_WRITE)];
}

/* A fresh walk from the root, touching nothing. */
static int fresh_walk(const struct dma_walk *w, uint64_t iova,
		      struct iommu_translation *now)
{
	return iommu_domain_translate(w->domain, iova, w->req, false, now);
}

static bool same_translation(int rc, const struct iommu_translation *now,
			     int cached_rc, uint64_t cached_oa, int cached_prot)
{
	if (rc || cached_rc)
		return rc == cached_rc;
	return now->oa == cached_oa && now->prot == cached_prot;
}

static void report_stale(const struct dma_walk *w, uint64_t iova,
			 const char *what, uint64_t cached_oa, int cached_prot,
			 int rc, const struct iommu_translation *now)
{
	char current[96];

	if (rc)
		snprintf(current, sizeof(current), "fault %s (stage %u)",
			 reason_names[iommu_fault_reason_of(rc, now)],
			 now->fault_stage);
	else
		snprintf(current, sizeof(current), "0x%" PRIx64 " %s", now->oa,
			 prot_name(now->prot));
	fprintf(stderr,
		"iommusim: missing IOTLB invalidation: device %s pasid %" PRIu32
		" address 0x%" PRIx64 ": %s 0x%" PRIx64 " %s, current %s\n",
		w->dev->name, w->tag.pasid, iova, what, cached_oa,
		prot_name(cached_prot), current);
}

static void check_hit(const struct dma_walk *w, struct iotlb_entry *e,
		      uint64_t iova)
{
	uint64_t cached = e->oa + (iova - e->iova);
	struct iommu_translation now = { 0 };
	int rc = fresh_walk(w, iova, &now);

	if (same_translation(rc, &now, 0, cached, e->prot))
		return;
	e->reported = true;
	report_stale(w, iova, "cached", cached, e->prot, rc, &now);
}

/* A walk that began at a cached paging-structure entry found rc, *got. */
static void check_cached_start(const struct dma_walk *w, struct psc_entry *p,
			       uint64_t iova, int rc,
			       const struct iommu_translation *got)
{
	struct iommu_translation now = { 0 };
	int now_rc = fresh_walk(w, iova, &now);

	if (same_translation(now_rc, &now, rc, got->oa, got->prot))
		return;
	p->reported = true;
	report_stale(w, iova, "cached table walk gives", rc ? 0 : got->oa,
		     rc ? 0 : got->prot, now_rc, &now);
}

/* ---- one page ------------------------------------------------------------------ */

/* A miss: the domain's walk, from the deepest cached table entry where the
 * domain has such a cache, which the walk then fills. */
static int walk_page(const struct dma_walk *w, uint64_t iova,
		     struct iommu_translation *out)
{
	const struct iommu_domain_ops *ops = w->domain->ops;
	struct iommu_walk_start deepest = { 0 };
	struct psc_entry *p;
	int rc;

	if (!w->t || !ops->translate_from)
		return iommu_domain_translate(w->domain, iova, w->req, true,
					      out);
	out->fault_stage = 0;
	out->reason = IOMMU_FAULT_NONE;
	p = psc_lookup(w->t, w->domain, w->tag.pasid, iova);
	rc = ops->translate_from(w->domain, iova, w->req, true,
				 p ? &p->start : NULL, &deepest, out);
	if (p && !p->reported && iotlb_checking())
		check_cached_start(w, p, iova, rc, out);
	if (!rc && deepest.valid)
		psc_insert(w->t, w->domain, w->tag.pasid, iova, &deepest);
	return rc;
}

static bool entry_serves(const struct iotlb_entry *e, unsigned int req)
{
	if (req & IOMMU_REQ_WRITE)
		return (e->prot & IOMMU_WRITE) && e->dirty;
	return e->prot & IOMMU_READ;
}

/* Translates the page of iova; out->oa is iova's output, out->leaf_size
 * the page the translation covers. w->t's lock held. */
static int translate_page(const struct dma_walk *w, uint64_t iova,
			  struct iommu_translation *out)
{
	struct iotlb_entry *e = NULL;
	int rc;

	if (w->t)
		e = iotlb_lookup(w->t, &w->tag, iova);
	if (e && entry_serves(e, w->req)) {
		if (!e->reported && iotlb_checking())
			check_hit(w, e, iova);
		out->oa = e->oa + (iova - e->iova);
		out->leaf_size = 1ull << e->size_lg2;
		out->prot = e->prot;
		return 0;
	}
	if (e)
		iotlb_drop(e);
	rc = walk_page(w, iova, out);
	if (!rc && w->t)
		iotlb_insert(w->t, &w->tag, iova, out,
			     w->req & IOMMU_REQ_WRITE);
	return rc;
}

/* ---- moving the bytes ------------------------------------------------------------ */

static int move_bytes(const struct usermem *mm, const struct dma_request *rq,
		      uint64_t oa, uint64_t offset, uint64_t n)
{
	if (rq->req & IOMMU_REQ_WRITE)
		return usermem_copy_user(mm, oa, rq->buf + offset, n);
	return usermem_copy_user(mm, rq->buf + offset, oa, n);
}

static int fault(struct dma_result *res, uint64_t iova, int err,
		 const struct iommu_translation *t)
{
	res->fault_iova = iova & DMA_PAGE_MASK;
	res->reason = iommu_fault_reason_of(err, t);
	res->stage = t->fault_stage;
	return -EIO;
}

/* ---- page requests ----------------------------------------------------------------- */

/* The transfers waiting for an answer; fork() waits them out (they are
 * inside the library's entry points). */
static pthread_mutex_t pri_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pri_answered = PTHREAD_COND_INITIALIZER;
static struct dma_pri_wait *pri_waits;
static uint32_t pri_groups; /* __atomic: the next group index */

#define PRI_GRPID_MASK 0x1ffu /* PCIe's 9-bit page request group index */

static bool fault_can_be_paged(enum iommu_fault_reason reason)
{
	return reason == IOMMU_FAULT_NOT_PRESENT ||
	       reason == IOMMU_FAULT_READ || reason == IOMMU_FAULT_WRITE;
}

static void pri_arm(struct dma_pri_wait *wait, struct device *dev,
		    uint32_t grpid)
{
	*wait = (struct dma_pri_wait){ .dev = dev, .grpid = grpid,
				       .code = -1, .armed = true };
	pthread_mutex_lock(&pri_lock);
	wait->next = pri_waits;
	pri_waits = wait;
	pthread_mutex_unlock(&pri_lock);
}

/* The page of the fault in res, to the domain's fault handler. */
static void send_page_request(struct device *dev, const struct dma_request *rq,
			      const struct dma_result *res,
			      struct dma_pri_wait *wait)
{
	uint32_t grpid = __atomic_fetch_add(&pri_groups, 1, __ATOMIC_RELAXED) &
			 PRI_GRPID_MASK;
	struct iommu_fault_page_request prm = {
		.flags = IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE,
		.grpid = grpid,
		.perm = ((rq->req & IOMMU_REQ_WRITE) ? IOMMU_PGFAULT_PERM_WRITE :
						       IOMMU_PGFAULT_PERM_READ) |
			((rq->req & IOMMU_REQ_PRIV) ? IOMMU_PGFAULT_PERM_PRIV : 0),
		.addr = res->fault_iova,
	};

	if (rq->pasid != IOMMU_NO_PASID) {
		prm.flags |= IOMMU_FAULT_PAGE_REQUEST_PASID_VALID;
		prm.pasid = rq->pasid;
	}
	if (wait)
		pri_arm(wait, dev, grpid);
	iommu_report_device_fault(dev, &prm);
}

enum iommu_page_response_code iommu_dma_pri_wait(struct dma_pri_wait *wait)
{
	struct dma_pri_wait **link;
	int code;

	pthread_mutex_lock(&pri_lock);
	while (wait->code < 0)
		pthread_cond_wait(&pri_answered, &pri_lock);
	code = wait->code;
	for (link = &pri_waits; *link != wait; link = &(*link)->next)
		;
	*link = wait->next;
	pthread_mutex_unlock(&pri_lock);
	wait->armed = false;
	return (enum iommu_page_response_code)code;
}

void iommu_dma_page_response(struct device *dev,
			     const struct iommu_fault_page_request *last,
			     enum iommu_page_response_code code)
{
	struct dma_pri_wait *wait;

	pthread_mutex_lock(&pri_lock);
	for (wait = pri_waits; wait; wait = wait->next) {
		if (wait->dev == dev && wait->grpid == last->grpid &&
		    wait->code < 0) {
			wait->code = code;
			pthread_cond_broadcast(&pri_answered);
			break;
		}
	}
	pthread_mutex_unlock(&pri_lock);
}

/* ---- the transfer ---------------------------------------------------------------- */

int iommu_dma(struct device *dev, struct iommu_domain *domain,
	      const struct usermem *mm, const struct dma_request *rq,
	      struct dma_result *res, struct dma_pri_wait *wait)
{
	struct dma_walk w = {
		.dev = dev,
		.t = dev->iotlb,
		.domain = domain,
		.tag = { domain, rq->pasid, rq->req & IOMMU_REQ_PRIV },
		.req = rq->req,
	};

	*res = (struct dma_result){ 0 };
	if (!domain) {
		struct iommu_translation none = { .fault_stage = 0 };

		return fault(res, rq->iova, -EOPNOTSUPP, &none);
	}
	while (res->done < rq->length) {
		uint64_t iova = rq->iova + res->done;
		struct iommu_translation t = { 0 };
		uint64_t n = 0;
		int rc, copied = 0;

		if (w.t)
			iotlb_lock(w.t);
		rc = translate_page(&w, iova, &t);
		if (!rc) {
			/* to the end of the 4 KiB page, whatever the leaf:
			 * a fault in memory stops the transfer at a page */
			n = DMA_PAGE - (iova & (DMA_PAGE - 1));
			if (n > rq->length - res->done)
				n = rq->length - res->done;
			copied = move_bytes(mm, rq, t.oa, res->done, n);
		}
		if (w.t)
			iotlb_unlock(w.t);
		if (rc) {
			rc = fault(res, iova, rc, &t);
			if (domain->iopf_handler && fault_can_be_paged(res->reason))
				send_page_request(dev, rq, res,
						  rq->wait_pri ? wait : NULL);
			return rc;
		}
		if (copied)
			return copied;
		res->done += n;
	}
	return 0;
}
