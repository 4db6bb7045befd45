/*
 * testutil.h: helpers shared by the Check suites.
 */
#ifndef RMEMU_TESTUTIL_H
#define RMEMU_TESTUTIL_H

#include <check.h>
#include <stdlib.h>

#include <rmemu/rmemu.h>

/* Assert that an rme_err_t is what is expected, naming both on failure. */
#define ck_assert_err(X, Y) do { \
	rme_err_t _x = (X), _y = (Y); \
	ck_assert_msg(_x == _y, "%s is %s, expected %s", #X, rme_err_name(_x), rme_err_name(_y)); \
} while (0)

#define ck_assert_ok(X) ck_assert_err(X, RME_OK)

/* A model with the given quota on hw/x86_64, or the defaults for 0. */
static inline rme_model_t *
tu_model(uint64_t ram, uint64_t caps)
{
	rme_model_config_t cfg;
	rme_model_t *m = NULL;

	rme_model_config_init(&cfg);
	if (ram)
		cfg.ram_quota = ram;
	if (caps)
		cfg.cap_quota = caps;
	ck_assert_ok(rme_model_create(&cfg, &m));
	return m;
}

static inline rme_cap_t
tu_ram(rme_model_t *m, uint64_t size)
{
	rme_cap_t ds = 0;
	ck_assert_ok(rme_ram_alloc(m, size, &ds));
	return ds;
}

static inline rme_cap_t
tu_rm(rme_model_t *m, uint64_t size)
{
	rme_cap_t rm = 0;
	ck_assert_ok(rme_rm_create(m, size, &rm));
	return rm;
}

/* Attach with use_at; returns the error and the start in *start. */
static inline rme_err_t
tu_attach_at(rme_model_t *m, rme_cap_t rm, rme_cap_t ds, uint64_t at,
             uint64_t size, uint64_t offset, int writeable, rme_addr_t *start)
{
	rme_attr_t a = { .size = size, .offset = offset, .use_at = 1, .at = at,
	                 .writeable = writeable };
	rme_range_t r;
	rme_err_t err = rme_attach(m, rm, ds, &a, &r);
	if (start)
		*start = r.start;
	return err;
}

/* Attach anywhere; returns the start, failing the test on an error. */
static inline rme_addr_t
tu_attach_any(rme_model_t *m, rme_cap_t rm, rme_cap_t ds, uint64_t size, int writeable)
{
	rme_attr_t a = { .size = size, .writeable = writeable };
	rme_range_t r;
	ck_assert_ok(rme_attach(m, rm, ds, &a, &r));
	return r.start;
}

/*
 * The quota that the model's objects hold: what is in use, less what the
 * PD donated to the RM session and the blocks of core's slab of dataspace
 * metadata. That donation stays with the session when core frees the
 * session's region maps, and core keeps up to two slab blocks when every
 * dataspace is freed (as on real Genode), so a test that wants
 * "everything is back" compares this.
 */
static inline void
tu_quota_held(const rme_model_t *m, rme_quota_t *q)
{
	rme_model_stats_t s;

	rme_quota(m, q);
	rme_model_stats(m, &s);
	q->ram_used -= s.rm_session_ram + s.ds_md_ram;
	q->cap_used -= s.rm_session_caps + s.ds_md_caps;
}

static inline void
tu_check(const rme_model_t *m)
{
	char msg[256];
	rme_err_t err = rme_model_check(m, msg, sizeof(msg));
	ck_assert_msg(err == RME_OK, "model check: %s", msg);
}

/* Run a suite and return the process exit status. */
static inline int
tu_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* A small deterministic PRNG (xorshift64*), so that random tests are reproducible. */
static inline uint64_t
tu_rand(uint64_t *state)
{
	uint64_t x = *state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

#endif
