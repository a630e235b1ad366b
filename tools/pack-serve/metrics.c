/* metrics.c: pack-serve's counters and their exposition in Prometheus' text format. */
#include <stdio.h>
#include <string.h>

#include "metrics.h"

#include "util/banned.h"

void ps_metrics_response(struct ps_metrics *m, int status, int bundle)
{
	if (!m)
		return;
	if (status < 0 || status >= PS_METRICS_CODES)
		status = 0;
	atomic_fetch_add_explicit(&m->requests[status], 1, memory_order_relaxed);
	if (bundle)
		atomic_fetch_add_explicit(&m->bundles, 1, memory_order_relaxed);
}

/* One "# HELP", "# TYPE" pair. */
static int meta(struct ps_buf *out, const char *name, const char *type, const char *help)
{
	char line[512];
	int n = snprintf(line, sizeof(line), "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);

	return n < 0 || (size_t)n >= sizeof(line) ? PW_ELIMIT : ps_buf_add(out, line, (size_t)n);
}

static int sample(struct ps_buf *out, const char *name, const char *labels, unsigned long long v)
{
	char line[256];
	int n = snprintf(line, sizeof(line), "%s%s %llu\n", name, labels, v);

	return n < 0 || (size_t)n >= sizeof(line) ? PW_ELIMIT : ps_buf_add(out, line, (size_t)n);
}

/* A metric with one sample and no labels. */
static int single(struct ps_buf *out, const char *name, const char *type, const char *help,
	unsigned long long v)
{
	int err = meta(out, name, type, help);

	return err ? err : sample(out, name, "", v);
}

int ps_metrics_format(struct ps_buf *out, struct ps_metrics *m, unsigned int conns,
	struct ps_site *site)
{
	struct ps_site_stats st;
	char labels[32];
	unsigned long long v;
	int err, code;

	ps_site_get_stats(&st, site);
	if ((err = meta(out, "pack_serve_requests_total", "counter", "Responses, by status code.")))
		return err;
	for (code = 0; code < PS_METRICS_CODES; code++) {
		v = atomic_load_explicit(&m->requests[code], memory_order_relaxed);
		if (!v)
			continue;
		snprintf(labels, sizeof(labels), "{code=\"%d\"}", code);
		if ((err = sample(out, "pack_serve_requests_total", labels, v)))
			return err;
	}
	if ((err = meta(out, "pack_serve_sent_bytes_total", "counter",
		"Body bytes sent, by how: sendfile(2), or copied from user space.")) ||
	    (err = sample(out, "pack_serve_sent_bytes_total", "{method=\"sendfile\"}",
		atomic_load_explicit(&m->sent_sendfile, memory_order_relaxed))) ||
	    (err = sample(out, "pack_serve_sent_bytes_total", "{method=\"copy\"}",
		atomic_load_explicit(&m->sent_copy, memory_order_relaxed))))
		return err;
	if ((err = single(out, "pack_serve_connections", "gauge", "Connections open now.", conns)) ||
	    (err = single(out, "pack_serve_bundles_served_total", "counter",
		"Bundle responses begun (GET, 200 or 206).",
		atomic_load_explicit(&m->bundles, memory_order_relaxed))) ||
	    (err = single(out, "pack_serve_wm_fds", "gauge",
		"Descriptors of served files open now (window manager).", st.fds)) ||
	    (err = single(out, "pack_serve_wm_fds_peak", "gauge",
		"Most descriptors of served files open at once so far.", st.fds_peak)) ||
	    (err = single(out, "pack_serve_wm_fd_limit", "gauge",
		"The descriptor budget of served files (--fd-limit).", st.fd_limit)) ||
	    (err = single(out, "pack_serve_wm_windows", "gauge", "Windows mapped now.", st.windows)) ||
	    (err = single(out, "pack_serve_wm_mapped_bytes", "gauge", "Bytes mapped now.", st.mapped)) ||
	    (err = single(out, "pack_serve_bundle_proof_sets", "gauge",
		"Pack sets whose bundle proofs are cached.", st.bundle_sets)) ||
	    (err = single(out, "pack_serve_bundle_proof_tips", "gauge",
		"Ref tips whose closure proof is cached.", st.bundle_tips)) ||
	    (err = single(out, "pack_serve_bundle_proof_hits_total", "counter",
		"Bundle requests whose pack set was already proved.", st.proof_hits)) ||
	    (err = single(out, "pack_serve_bundle_proof_misses_total", "counter",
		"Pack sets proved (packs read once, trailer hashed).", st.proof_misses)) ||
	    (err = single(out, "pack_serve_bundle_tip_walks_total", "counter",
		"Ref tips whose closure was walked.", st.tip_walks)) ||
	    (err = single(out, "pack_serve_bundle_proof_bitmap_hits_total", "counter",
		"Objects of closure walks proved by a pack's reachability bitmap.",
		st.proof_bitmap_hits)) ||
	    (err = single(out, "pack_serve_bundle_proof_objects_read_total", "counter",
		"Commits, trees and tags read by closure walks.", st.proof_objects_read)) ||
	    (err = single(out, "pack_serve_bundle_proof_bitmaps_ignored_total", "counter",
		"Closure walks that found a pack's bitmap unusable and walked instead.",
		st.proof_bitmaps_ignored)) ||
	    (err = single(out, "pack_serve_bundle_retries_total", "counter",
		"Bundles made again on a repository opened afresh: a repack deleted their packs.",
		st.bundle_retries)))
		return err;
	return 0;
}
