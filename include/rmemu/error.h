/*
 * rmemu/error.h: the one error type of the library.
 *
 * The values mirror Genode's Alloc_error and Region_map::Attach_error, so
 * that a result of the model reads like the result real Genode gives. The
 * few values Genode has no name for (a bad argument, the host running out
 * of memory for the model's own bookkeeping) come last.
 */
#ifndef RMEMU_ERROR_H
#define RMEMU_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define RME_EXPORT __attribute__((visibility("default")))
#define RME_NODISCARD __attribute__((warn_unused_result))
#else
#define RME_EXPORT
#define RME_NODISCARD
#endif

/* X(name, description): the single table behind the enum and its names. */
#define RME_ERRORS(X) \
	X(OK,                "success") \
	X(OUT_OF_RAM,        "RAM quota exhausted") \
	X(OUT_OF_CAPS,       "capability quota exhausted") \
	X(REGION_CONFLICT,   "region conflict") \
	X(INVALID_DATASPACE, "invalid dataspace") \
	X(DENIED,            "denied") \
	X(INVALID_ARGUMENT,  "invalid argument") \
	X(HOST_NO_MEMORY,    "the host could not allocate the model's metadata") \
	X(UNSUPPORTED,       "not supported")

typedef enum {
#define RME__ERR_ENUM(name, desc) RME_ERR_##name,
	RME_ERRORS(RME__ERR_ENUM)
#undef RME__ERR_ENUM
	RME_ERR_COUNT_
} rme_err_t;

/* RME_OK reads better than RME_ERR_OK at call sites. */
#define RME_OK RME_ERR_OK

/* The Genode-style name ("OUT_OF_RAM"), or "UNKNOWN" for a value out of range. */
RME_EXPORT const char *rme_err_name(rme_err_t err);

/* A short description for humans. */
RME_EXPORT const char *rme_err_str(rme_err_t err);

/* Parse a Genode-style name back into the enum; returns 0 on success. */
RME_EXPORT int rme_err_from_name(const char *name, rme_err_t *out);

#ifdef __cplusplus
}
#endif
#endif
