/* bundle.h: pack-serve's bundles — a generated git bundle header over a repository's existing packs, sent as pieces — and the bundle-list naming it. */
#ifndef PACKSERVE_BUNDLE_H
#define PACKSERVE_BUNDLE_H

#include <stddef.h>

#include "packwin.h"
#include "fcache.h"
#include "site.h"

/*
 * What each pack set (a repository's packs, named by their checksums)
 * proved once: whether it can make a bundle at all, the pack header and
 * trailer of the stream when there are several packs, and which ref tips
 * have their whole closure in it. Thread-safe; one per site.
 */
struct ps_bundles;

int ps_bundles_new(struct ps_bundles **out);
/* Accepts NULL. */
void ps_bundles_free(struct ps_bundles *bs);

/* Fill the bundle_* / proof_* / tip_walks fields of `out`. */
void ps_bundles_get_stats(struct ps_site_stats *out, struct ps_bundles *bs);

/*
 * Make `out` the bundle of `repo` (whose common dir is `commondir`): a v2
 * header (v3 with @object-format=sha256 for SHA-256) listing HEAD and the
 * refs whose closure is in the packs, then one pack's bytes, or for
 * several packs a new pack header, each pack's entries and a trailer.
 * The packs' descriptors are lent from `fc` for as long as the body is
 * held; `wm` reads the packs once per pack set to hash the trailer.
 * Returns 0, or a negated HTTP status: -404 with the reason in *why (no
 * packs, shallow, partial clone, alternates, a thin pack, no ref whose
 * closure is whole), -503 (packs changing underneath: *why is then
 * ps_bundle_packs_gone, and a handle of `repo` opened afresh may succeed;
 * descriptors all lent), -500 (*why says what failed).
 */
extern const char ps_bundle_packs_gone[];
int ps_bundle_make(struct ps_body *out, struct ps_bundles *bs, struct ps_fcache *fc, pw_wm *wm,
	pw_repo *repo, const char *commondir, const char **why);

/* Give back what a bundle body holds (its packs' descriptors, its memory). */
void ps_bundle_release(struct ps_fcache *fc, struct ps_body *body);

/*
 * The bundle-list (git config format, bundle.version=1, bundle.mode=all,
 * bundle.heuristic=creationToken) naming one bundle, `bundle` (just made
 * by ps_bundle_make), at http://HOST`bundle_path`: an absolute URI, since
 * git before 2.40 takes nothing else there. `host` must be a plain host
 * name or address with an optional port (else -404). Fills `out` with a
 * memory body (priv_mem). Returns 0, -404 (with *why) or -503.
 */
int ps_bundle_list_make(struct ps_body *out, const struct ps_body *bundle, const char *host,
	size_t host_len, const char *bundle_path, const char **why);

#endif
