/* site.h: what pack-serve serves — ROOT's repositories, the allowlisted files in them, generated indexes, and the descriptor cache. */
#ifndef PACKSERVE_SITE_H
#define PACKSERVE_SITE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* ROOT, its repositories, and the descriptor cache (one per server, shared by all workers). */
struct ps_site;

/*
 * Open ROOT: one repository (served at "/") when ROOT is a repository (a
 * bare one, or a work tree with .git), else a folder of repositories
 * (bare NAME.git served at /NAME.git/, NAME/.git at /NAME/ and also at
 * /NAME.git/), looked up per request so repositories may come and go.
 * `fd_limit` is the hard budget of files open at once (0: 64); every file
 * served, every pack the generators read, goes through one window manager
 * with that budget. Returns 0, or -1 with a message in `err` (one line:
 * the path and what is wrong).
 */
int ps_site_open(struct ps_site **out, const char *root, unsigned int fd_limit,
	char *err, size_t errlen);

/* Close every file and free the site. No body may still be held. Accepts NULL. */
void ps_site_free(struct ps_site *site);

/* One piece of a body made of several: bytes of a descriptor, or bytes in memory. */
struct ps_piece {
	int fd;                   /* >= 0: bytes [off, off + len) of this descriptor */
	const char *mem;          /* fd < 0: these `len` bytes (`off` unused) */
	uint64_t off, len;
};

/*
 * A response body: a file lent from the descriptor cache, bytes in memory,
 * or (a bundle) pieces of both sent end to end as one virtual file.
 */
struct ps_body {
	int fd;                   /* >= 0: send bytes [0, size) of this descriptor (do not close it) */
	const char *mem;          /* fd < 0: the bytes, owned by the body */
	uint64_t size;
	time_t mtime;             /* Last-Modified */
	char etag[72];            /* strong ETag with its quotes: a pack's/idx's/rev's own checksum in hex, else derived from identity or content */
	const char *content_type; /* static string */
	int immutable;            /* packs, idx, rev files and loose objects: Cache-Control: public, max-age=31536000, immutable */
	int weak_date;            /* mtime is only a hint (a generated bundle): If-Range needs the ETag */
	const struct ps_piece *pieces; /* npieces > 0: the body is these, end to end (fd < 0, mem NULL); size is their sum */
	size_t npieces;
	void *priv_file;          /* private to site.c */
	void *priv_bundle;        /* private to bundle.c */
	char *priv_mem;           /* private to site.c */
};

/*
 * Find what `path` (a decoded path as ps_http_decode_path gives: starts
 * with '/', no empty, "." or ".." segments) names, and make it a body.
 * Thread-safe. Only the allowlist of CLI.md is ever served: regular files,
 * whose real location (symbolic links resolved) is inside ROOT; info/refs
 * and objects/info/packs are generated from the repository when the file
 * is absent or older than the refs/packs. While held, a file's descriptor
 * stays open on the same file, so a pack replaced on disk meanwhile is sent
 * whole from the old one; the next lookup sees the new one.
 * Returns 0, or a negated HTTP status: -404 (not there, not allowed),
 * -503 (every descriptor of the budget is in use: try again shortly),
 * -500 (anything else; a one-line message is in *why, static or NULL).
 */
int ps_site_lookup(struct ps_body *out, struct ps_site *site, const char *path, const char **why);

/*
 * ps_site_lookup with the request's Host header (`host`, `host_len`; NULL
 * when absent), which the bundle-list needs: git before 2.40 takes only
 * absolute URIs there. A 404 may then also come with a reason in *why
 * (why a repository has no bundle), for the access log.
 */
int ps_site_lookup_host(struct ps_body *out, struct ps_site *site, const char *path,
	const char *host, size_t host_len, const char **why);

/*
 * How long (seconds; default 60) a pack named by objects/info/packs stays
 * servable under its name after a repack deleted it. Call before serving.
 */
void ps_site_set_keep(struct ps_site *site, unsigned int seconds);

/*
 * Let go of what the disk no longer has: kept packs past their time, the
 * descriptors of files deleted or replaced, repository handles whose packs
 * changed (with their windows), then give freed memory back to the
 * system. Cheap when called often: it does the work once a second at
 * most. Thread-safe; the workers call it every turn of their loop.
 */
void ps_site_sweep(struct ps_site *site);

/* What the site holds and did, for the metrics endpoint. */
struct ps_site_stats {
	uint64_t fds, fds_peak;       /* descriptors of the window manager open now, at most so far */
	uint64_t fd_limit;
	uint64_t windows, mapped;     /* windows alive, bytes mapped */
	uint64_t bundle_sets;         /* pack sets whose proofs are remembered */
	uint64_t bundle_tips;         /* ref tips whose closure is remembered */
	uint64_t proof_hits;          /* bundle requests that found their pack set proved */
	uint64_t proof_misses;        /* pack sets proved (packs read, trailer hashed) */
	uint64_t tip_walks;           /* tips whose closure was walked */
	uint64_t proof_bitmap_hits;   /* objects those walks found proved by a reachability bitmap */
	uint64_t proof_objects_read;  /* commits, trees and tags those walks read */
	uint64_t proof_bitmaps_ignored; /* proofs that found a pack's bitmap unusable */
	uint64_t bundle_retries;      /* bundles made again after a repack deleted their packs */
};

/* Thread-safe. */
void ps_site_get_stats(struct ps_site_stats *out, struct ps_site *site);

/* Give a body back (return its descriptor to the cache, free its memory). Accepts a zeroed body. */
void ps_body_release(struct ps_site *site, struct ps_body *body);

#endif
