/* object.c: resolved objects (reference-counted buffers) and object type names. */
#include <string.h>

#include "pack/internal.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/banned.h"

static const char *const type_names[] = {
	NULL, "commit", "tree", "blob", "tag", NULL, "ofs-delta", "ref-delta"
};

const char *pw_object_type_name(pw_object_t type)
{
	return type >= 0 && type <= PW_OBJ_REF_DELTA ? type_names[type] : NULL;
}

pw_object_t pw_object_type_fromstr(const char *name)
{
	int t;

	for (t = PW_OBJ_COMMIT; t <= PW_OBJ_TAG; t++)
		if (!strcmp(name, type_names[t]))
			return (pw_object_t)t;
	return PW_OBJ_BAD;
}

int pw__object_alloc(pw_object **out, pw_object_t type, uint64_t size)
{
	pw_object *obj;

	if (size > SIZE_MAX - sizeof(*obj) - 1)
		return pw__error_set(PW_ELIMIT, "object of %llu bytes cannot be held in memory",
			(unsigned long long)size);
	if (!(obj = pw__malloc(sizeof(*obj) + (size_t)size + 1)))
		return pw__error_set(PW_ENOMEM, "out of memory for an object of %llu bytes",
			(unsigned long long)size);
	atomic_init(&obj->refs, 1);
	obj->type = type;
	obj->size = (size_t)size;
	obj->data[size] = '\0';
	*out = obj;
	return 0;
}

pw_object *pw__object_ref(pw_object *obj)
{
	atomic_fetch_add_explicit(&obj->refs, 1, memory_order_relaxed);
	return obj;
}

void pw_object_free(pw_object *obj)
{
	if (obj && atomic_fetch_sub_explicit(&obj->refs, 1, memory_order_acq_rel) == 1)
		pw__free(obj);
}

pw_object_t pw_object_type(const pw_object *obj)
{
	return obj->type;
}

size_t pw_object_size(const pw_object *obj)
{
	return obj->size;
}

const unsigned char *pw_object_data(const pw_object *obj)
{
	return obj->data;
}
