/*
 * error.c: names and descriptions of rme_err_t, generated from the one
 * table in rmemu/error.h.
 */
#include <rmemu/error.h>

static const char *const err_names[] = {
#define NAME(name, desc) #name,
	RME_ERRORS(NAME)
#undef NAME
};

static const char *const err_descs[] = {
#define DESC(name, desc) desc,
	RME_ERRORS(DESC)
#undef DESC
};

const char *
rme_err_name(rme_err_t err)
{
	if ((unsigned)err >= RME_ERR_COUNT_)
		return "UNKNOWN";
	return err_names[err];
}

const char *
rme_err_str(rme_err_t err)
{
	if ((unsigned)err >= RME_ERR_COUNT_)
		return "unknown error";
	return err_descs[err];
}

static int
str_eq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

int
rme_err_from_name(const char *name, rme_err_t *out)
{
	for (unsigned i = 0; i < RME_ERR_COUNT_; i++) {
		if (str_eq(name, err_names[i])) {
			*out = (rme_err_t)i;
			return 0;
		}
	}
	return -1;
}
