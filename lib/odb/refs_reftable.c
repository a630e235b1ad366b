/* refs_reftable.c: the ref store over a reftable stack: one ref read, and listing the merged view. */
#include <string.h>

#include "odb/reftable.h"
#include "odb/refs.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/banned.h"

int pw__refdb_stack(struct pw__rt_stack **out, pw_refdb *db)
{
	int error;

	if (!db->rt && (error = pw__rt_stack_get(&db->rt, db->repo)) < 0)
		return error;
	*out = db->rt;
	return 0;
}

/*
 * Read ref `name` from the reftable stack, as read_loose reads a loose
 * one; an id comes with its peeled value in db->found (*pe).
 */
int pw__refdb_reftable_read(pw__ref_kind *kind, pw_oid *id, char **target,
	const pw_packed_ref **pe, pw_refdb *db, const char *name)
{
	pw__rt_stack *st;
	pw__rt_ref r;
	char *t;
	int rc;

	*kind = PW__REF_ABSENT;
	*target = NULL;
	*pe = NULL;
	if ((rc = pw__refdb_stack(&st, db)) < 0 || (rc = pw__rt_stack_find(&r, st, name)) <= 0)
		return rc;
	if (r.vtype == PW_RT_SYMREF) {
		if (memchr(r.target, '\0', r.target_len))
			return pw__error_set(PW_ECORRUPT,
				"%s/reftable: symbolic ref %.200s: target holds a NUL byte",
				db->repo->commondir, name);
		if ((t = pw__malloc(r.target_len + 1)) == NULL)
			return pw__error_nomem();
		memcpy(t, r.target, r.target_len);
		t[r.target_len] = '\0';
		if (!pw__refname_is_valid(t, 1)) {
			pw__error_set(PW_ECORRUPT,
				"%s/reftable: %.200s: symbolic ref to an invalid ref name '%.200s'",
				db->repo->commondir, name, t);
			pw__free(t);
			return PW_ECORRUPT;
		}
		*target = t;
		*kind = PW__REF_SYMREF;
		return 0;
	}
	memset(&db->found, 0, sizeof(db->found));
	db->found.name = name;
	db->found.id = r.id;
	db->found.peeled = r.peeled;
	db->found.has_peeled = r.vtype == PW_RT_VAL2;
	*id = r.id;
	*pe = &db->found;
	*kind = PW__REF_OID;
	return 0;
}

/* foreach_refs over a reftable stack's merged view. */
int pw__refdb_foreach_reftable(pw_refdb *db, const char *prefix, int check_objects, pw_ref_cb cb,
	pw_ref_warn_cb warn, void *payload)
{
	pw__rt_stack *st;
	pw__rt_ref *refs = NULL;
	char *names = NULL;
	size_t n = 0, i;
	int error;

	if ((error = pw__refdb_stack(&st, db)) < 0 ||
	    (error = pw__rt_stack_list(&refs, &n, &names, st, prefix)) < 0)
		return error;
	for (i = 0; i < n; i++) {
		const char *name = refs[i].name;
		pw_ref_result res;

		if (!pw__refname_is_valid(name, 0)) {
			pw__ref_warn(warn, name, PW_REF_BAD_NAME, "reftable: not a valid ref name", payload);
			continue;
		}
		memset(&res, 0, sizeof(res));
		if (refs[i].vtype == PW_RT_SYMREF) {
			if ((error = pw__refdb_resolve_listed(&res, db, name, warn, payload)) < 0)
				break;
			if (error > 0) {
				error = 0;
				continue;
			}
		} else {
			memset(&db->found, 0, sizeof(db->found));
			db->found.name = name;
			db->found.id = res.id = refs[i].id;
			db->found.peeled = refs[i].peeled;
			db->found.has_peeled = refs[i].vtype == PW_RT_VAL2;
			res.packed = &db->found;
		}
		if ((error = pw__refdb_report_ref(db, name, &res, check_objects, cb, warn, payload)) != 0)
			break;
	}
	pw__free(names);
	pw__free(refs);
	return error;
}
