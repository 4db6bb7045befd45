/*
 * region_demo.c: the bundled example: Genode's sub_rm steps and a few
 * placements, run against the model, printing each result and the quota.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rmemu/rmemu.h>

static rme_model_t *model;

static void
show_quota(const char *when)
{
	rme_quota_t q;

	rme_quota(model, &q);
	printf("  quota %-28s RAM %8" PRIu64 " of %8" PRIu64 " bytes, caps %3" PRIu64 " of %3" PRIu64 "\n",
	       when, q.ram_used, q.ram_quota, q.cap_used, q.cap_quota);
}

static void
show_attach(const char *what, rme_err_t err, const rme_range_t *r)
{
	if (err == RME_OK)
		printf("  %-44s -> 0x%" PRIx64 " (%" PRIu64 " bytes)\n", what, r->start, r->num_bytes);
	else
		printf("  %-44s -> error %s\n", what, rme_err_name(err));
}

static int
fail(const char *what, rme_err_t err)
{
	fprintf(stderr, "region_demo: %s: %s\n", what, rme_err_name(err));
	rme_model_destroy(model);
	return 1;
}

int
main(void)
{
	static const char pattern[] = "Pattern to verify dataspace content";
	rme_model_config_t cfg;
	rme_cap_t sub, ds, sub_ds;
	rme_range_t r, base;
	rme_attr_t attr;
	rme_access_t acc;
	rme_err_t err;
	char buf[sizeof(pattern)];

	rme_model_config_init(&cfg);
	cfg.ram_quota = 4 << 20;
	cfg.cap_quota = 100;
	if ((err = rme_model_create(&cfg, &model)) != RME_OK)
		return fail("creating the model", err);
	printf("rmemu region demo: kernel %s, %s, Genode %u.%02u\n",
	       rme_kernel_name(cfg.kernel), rme_arch_name(cfg.arch),
	       cfg.genode_release / 100, cfg.genode_release % 100);
	show_quota("at start");

	printf("Genode's sub_rm test, step by step:\n");
	if ((err = rme_rm_create(model, 1 << 20, &sub)) != RME_OK)
		return fail("rm-create", err);
	if ((err = rme_ram_alloc(model, 16 << 10, &ds)) != RME_OK)
		return fail("ram-alloc", err);
	if ((err = rme_ds_write(model, ds, 0, pattern, sizeof(pattern))) != RME_OK)
		return fail("writing the pattern", err);
	show_quota("after rm-create, ram-alloc");

	attr = (rme_attr_t){ .use_at = 1, .at = 0x1000 };
	err = rme_attach(model, sub, ds, &attr, &r);
	show_attach("attach ds into sub at 0x1000", err, &r);

	sub_ds = rme_rm_dataspace(model, sub);
	attr = (rme_attr_t){ .use_at = 1, .at = 0x70000000, .writeable = 1 };
	err = rme_attach(model, rme_env(model), sub_ds, &attr, &base);
	show_attach("attach sub's dataspace into env at 0x70000000", err, &base);
	if (err != RME_OK)
		return fail("attaching the sub region map", err);

	memset(buf, 0, sizeof(buf));
	for (size_t i = 0; i < sizeof(buf); i++) {
		if (rme_read(model, base.start + 0x1000 + i, &acc) != RME_OK ||
		    acc.outcome != RME_ACCESS_DONE)
			break;
		buf[i] = (char)acc.byte;
	}
	printf("  read through env at 0x%" PRIx64 ": \"%s\"\n", base.start + 0x1000, buf);

	attr = (rme_attr_t){ .use_at = 1, .at = 0xff000 };
	err = rme_attach(model, sub, ds, &attr, &r);
	show_attach("attach beyond the sub map's end (0xff000)", err, &r);
	attr = (rme_attr_t){ .use_at = 1, .at = 0x2000 };
	err = rme_attach(model, sub, ds, &attr, &r);
	show_attach("attach over the first region (0x2000)", err, &r);
	attr = (rme_attr_t){ .use_at = 1, .at = 0x80000, .offset = 4096 };
	err = rme_attach(model, sub, ds, &attr, &r);
	show_attach("attach at 0x80000 with offset 4K", err, &r);

	if ((err = rme_detach(model, sub, 0x1000)) != RME_OK)
		return fail("detach", err);
	if ((err = rme_read(model, base.start + 0x1000, &acc)) != RME_OK)
		return fail("read", err);
	printf("  read 0x%" PRIx64 " after detach: %s fault at sub+0x%" PRIx64 "\n",
	       base.start + 0x1000,
	       acc.outcome == RME_ACCESS_UNHANDLED ? "unhandled" : "handled", acc.fault.addr);

	printf("Placement without an address (core's Allocator_avl):\n");
	{
		rme_cap_t rm, a, b;
		if ((err = rme_rm_create(model, 1 << 20, &rm)) != RME_OK ||
		    (err = rme_ram_alloc(model, 4096, &a)) != RME_OK ||
		    (err = rme_ram_alloc(model, 8192, &b)) != RME_OK)
			return fail("setting up", err);
		err = rme_attach(model, rm, a, NULL, &r);
		show_attach("attach 4 KiB", err, &r);
		err = rme_attach(model, rm, b, NULL, &r);
		show_attach("attach 8 KiB (8 KiB aligned)", err, &r);
		err = rme_attach(model, rm, a, NULL, &r);
		show_attach("attach 4 KiB (fills the padding hole)", err, &r);
		show_quota("with everything attached");
		(void)rme_rm_destroy(model, rm);
		(void)rme_ram_free(model, a);
		(void)rme_ram_free(model, b);
	}
	(void)rme_detach(model, rme_env(model), base.start);
	(void)rme_rm_destroy(model, sub);
	(void)rme_ram_free(model, ds);
	/* the region maps went back to the RM session, which keeps the PD's donation */
	show_quota("after destroying it all");
	rme_model_teardown(model);   /* closes the RM session */
	show_quota("after closing the RM session");
	rme_model_destroy(model);
	return 0;
}
