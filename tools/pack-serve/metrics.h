/* metrics.h: pack-serve's counters and their Prometheus text exposition (served on --metrics-listen). */
#ifndef PACKSERVE_METRICS_H
#define PACKSERVE_METRICS_H

#include <stdatomic.h>
#include <stdint.h>

#include "gen.h"
#include "site.h"

#define PS_METRICS_CODES 600

/* Counters shared by every worker (relaxed atomics: one add per response or per send call). */
struct ps_metrics {
	atomic_ullong requests[PS_METRICS_CODES]; /* responses by status code */
	atomic_ullong sent_sendfile;  /* body bytes moved by sendfile(2) */
	atomic_ullong sent_copy;      /* body bytes sent from user space (memory bodies, --no-sendfile) */
	atomic_ullong bundles;        /* bundle bodies begun (GET, 200 or 206) */
};

/* Count one response of `status`. */
void ps_metrics_response(struct ps_metrics *m, int status, int bundle);

/*
 * The exposition (text format 0.0.4) of `m`, `conns` connections open now
 * and the site's statistics into `out`. 0, or a PW_E… code.
 */
int ps_metrics_format(struct ps_buf *out, struct ps_metrics *m, unsigned int conns,
	struct ps_site *site);

#endif
