/*
 * check_placement.c: rmemu places regions where Genode's core does.
 *
 * Three kinds of evidence: the worked examples of genode-semantics.md §2.3
 * and §6.2; golden sequences produced by Genode's own allocator_avl.cc and
 * avl_tree.cc (tests/data/placement-*.golden), compared address for address
 * and tree for tree; and a long randomized run with every invariant checked
 * after every operation.
 */
#include <stdio.h>
#include <string.h>

#include "testutil.h"

#include "model_internal.h"

/* A model whose quota never limits placement; bare: env without the layout regions. */
static rme_model_t *
roomy_model_of(int bare)
{
	rme_model_config_t cfg;
	rme_model_t *m = NULL;

	rme_model_config_init(&cfg);
	cfg.ram_quota = 1ULL << 50;
	cfg.cap_quota = 1ULL << 40;
	cfg.layout_regions = !bare;
	ck_assert_ok(rme_model_create(&cfg, &m));
	return m;
}

static rme_model_t *
roomy_model(void)
{
	return roomy_model_of(0);
}

/* ---- Worked examples ----------------------------------------------------------- */

START_TEST(worked_example_padding_hole_is_chosen)
{
	rme_model_t *m = roomy_model();
	rme_cap_t rm = tu_rm(m, 1 << 20);
	rme_cap_t ds4 = tu_ram(m, 4096), ds8 = tu_ram(m, 8192);

	ck_assert_uint_eq(tu_attach_any(m, rm, ds4, 0, 0), 0x0);
	/* natural 8K alignment leaves a free page at 0x1000 */
	ck_assert_uint_eq(tu_attach_any(m, rm, ds8, 0, 0), 0x2000);
	/* the tree's root is now that page, and core takes it */
	ck_assert_uint_eq(tu_attach_any(m, rm, ds4, 0, 0), 0x1000);
	tu_check(m);
	rme_model_destroy(m);
}
END_TEST

START_TEST(worked_example_rm_nested_shims)
{
	rme_model_t *m = roomy_model();
	rme_cap_t top = tu_rm(m, 40 << 10), shim1 = tu_rm(m, 24 << 10), shim2 = tu_rm(m, 16 << 10);

	ck_assert_uint_eq(tu_attach_any(m, top, rme_rm_dataspace(m, shim1), 0, 1), 0x0);
	/* 16K alignment would need 0x8000..0xc000, beyond 40K; 8K alignment fits at 0x6000 */
	ck_assert_uint_eq(tu_attach_any(m, top, rme_rm_dataspace(m, shim2), 0, 1), 0x6000);
	tu_check(m);
	rme_model_destroy(m);
}
END_TEST

/* ---- Golden sequences from Genode's allocator ------------------------------------ */

static struct rm *
rm_obj(rme_model_t *m, rme_cap_t cap)
{
	return cap_lookup(&m->caps, cap, CAP_RM);
}

/* Print the tree in pre-order as the oracle does: addr:size:U|F:depth:max_avail. */
static void
dump_subtree(const plc_block_t *b, char **pos, char *end)
{
	int n;

	if (!b)
		return;
	n = snprintf(*pos, (size_t)(end - *pos), "%s0x%llx:0x%llx:%c:%d:0x%llx",
	             (*pos)[-1] == '>' ? "" : " ",
	             (unsigned long long)b->addr, (unsigned long long)b->size,
	             b->used ? 'U' : 'F', b->depth, (unsigned long long)b->max_avail);
	if (n > 0 && n < end - *pos)
		*pos += n;
	dump_subtree(b->child[0], pos, end);
	dump_subtree(b->child[1], pos, end);
}

struct golden_run {
	unsigned ops, compared, dumps, conflicts;
};

static void
replay_golden(const char *name, struct golden_run *run)
{
	static char line[1 << 20], dump[1 << 20];
	const char *srcdir = getenv("top_srcdir");
	char path[4096];
	FILE *f;
	rme_model_t *m = NULL;
	rme_cap_t rm = 0, big = 0;
	unsigned lineno = 0;

	snprintf(path, sizeof(path), "%s/tests/data/%s", srcdir ? srcdir : "..", name);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	memset(run, 0, sizeof(*run));

	while (fgets(line, sizeof(line), f)) {
		char op[32] = "", *arrow = strstr(line, " -> "), *expect = NULL, got[64];
		unsigned long long a = 0, b = 0;

		lineno++;
		line[strcspn(line, "\n")] = 0;
		if (line[0] == '#' || line[0] == 0)
			continue;
		if (arrow) {
			*arrow = 0;
			expect = arrow + 4;
		}
		ck_assert_msg(sscanf(line, "%31s %lli %lli", op, &a, &b) >= 1,
		              "%s:%u: unreadable line", name, lineno);
		run->ops++;
		if (strcmp(op, "range") == 0) {
			ck_assert_msg(m == NULL, "%s:%u: a second range", name, lineno);
			/* the oracle's allocator knows nothing of Genode's layout regions */
			m = roomy_model_of(1);
			if (a == 0) {
				rm = tu_rm(m, b);
			} else {
				/* only hw/x86_64's address space starts elsewhere */
				rme_rm_info_t info;
				rm = rme_env(m);
				ck_assert_ok(rme_rm_info(m, rm, &info));
				ck_assert_uint_eq(info.base, a);
				ck_assert_uint_eq(info.size, b);
			}
			/* a managed dataspace as large as anything attached: only the size sets the alignment */
			big = rme_rm_dataspace(m, tu_rm(m, 1ULL << 40));
			continue;
		}
		ck_assert_msg(m != NULL, "%s:%u: no range yet", name, lineno);
		if (strcmp(op, "attach") == 0 || strcmp(op, "attach_at") == 0) {
			rme_attr_t attr = { .size = a, .use_at = op[6] == '_', .at = b };
			rme_range_t r;
			rme_err_t err = rme_attach(m, rm, big, &attr, &r);

			if (err == RME_OK)
				snprintf(got, sizeof(got), "0x%llx", (unsigned long long)r.start);
			else if (err == RME_ERR_REGION_CONFLICT)
				snprintf(got, sizeof(got), "CONFLICT"), run->conflicts++;
			else
				snprintf(got, sizeof(got), "%s", rme_err_name(err));
			ck_assert_msg(expect && strcmp(got, expect) == 0,
			              "%s:%u: %s: Genode gives %s, rmemu %s", name, lineno, line,
			              expect ? expect : "(nothing)", got);
			run->compared++;
		} else if (strcmp(op, "detach") == 0) {
			ck_assert_ok(rme_detach(m, rm, a));
		} else if (strcmp(op, "dump") == 0) {
			char *pos = dump + 1, *end = dump + sizeof(dump);
			const plc_block_t *first = rm_obj(m, rm)->map.root.child[0];

			dump[0] = '>';
			dump[1] = 0;
			if (first)
				dump_subtree(first, &pos, end);
			else
				snprintf(pos, (size_t)(end - pos), "(empty)");
			ck_assert_msg(expect && strcmp(dump + 1, expect) == 0,
			              "%s:%u: the tree differs from Genode's:\n genode %s\n rmemu  %s",
			              name, lineno, expect ? expect : "", dump + 1);
			run->dumps++;
		} else {
			ck_abort_msg("%s:%u: unknown operation '%s'", name, lineno, op);
		}
		tu_check(m);
	}
	fclose(f);
	ck_assert_msg(m != NULL, "%s holds no operations", name);
	rme_model_destroy(m);
}

static const char *const golden_files[] = {
	"placement-worked.golden",
	"placement-nested.golden",
	"placement-small.golden",
	"placement-large.golden",
	"placement-env.golden",
	"placement-churn.golden",
};

START_TEST(golden_sequences_match_genode)
{
	struct golden_run run;

	replay_golden(golden_files[_i], &run);
	ck_assert_uint_gt(run.compared, 0);
	ck_assert_uint_gt(run.dumps, 0);
	printf("%s: %u operations, %u placements and %u tree dumps identical to Genode's "
	       "(%u conflicts)\n", golden_files[_i], run.ops, run.compared, run.dumps, run.conflicts);
}
END_TEST

/* ---- Randomized sequences with invariants ----------------------------------------- */

enum { RANDOM_OPS = 100000, POOL = 64, MAX_LIVE = 4096 };

START_TEST(random_attach_detach_keeps_invariants)
{
	rme_model_t *m = roomy_model();
	rme_cap_t rm = tu_rm(m, 1 << 30), pool[POOL];
	rme_addr_t live[MAX_LIVE], base;
	unsigned nlive = 0, placed = 0, conflicts = 0;
	uint64_t seed = 0x5eed, stale_max = 0;
	char msg[256];

	base = tu_attach_any(m, rme_env(m), rme_rm_dataspace(m, rm), 0, 1);
	for (unsigned i = 0; i < POOL; i++) {
		/* sizes from 4 KiB to 4 MiB, each dataspace marked by its index */
		uint8_t mark = (uint8_t)(i + 1);
		pool[i] = tu_ram(m, 4096ULL << (tu_rand(&seed) % 11));
		ck_assert_ok(rme_ds_write(m, pool[i], 0, &mark, 1));
	}

	for (unsigned op = 0; op < RANDOM_OPS; op++) {
		uint64_t r = tu_rand(&seed);

		if (nlive > 0 && (nlive == MAX_LIVE || r % 100 < 45)) {
			/* detach a live region, at its start or somewhere inside */
			unsigned k = (unsigned)(tu_rand(&seed) % nlive);
			rme_addr_t at = live[k];
			rme_access_t acc;

			ck_assert_ok(rme_detach(m, rm, at + (r % 3 == 0 ? 4095 : 0)));
			live[k] = live[--nlive];
			/* nothing stale stays visible */
			ck_assert_ok(rme_read(m, base + at, &acc));
			ck_assert_int_eq(acc.outcome, RME_ACCESS_UNHANDLED);
		} else {
			unsigned d = (unsigned)(tu_rand(&seed) % POOL);
			uint64_t ds_size = rme_ds_size(m, pool[d]);
			rme_attr_t a = { .writeable = 1 };
			rme_range_t range;
			rme_access_t acc;
			rme_err_t err;

			if (r % 4 == 0) {
				a.use_at = 1;
				a.at = (tu_rand(&seed) % (1 << 18)) * 4096;
			}
			if (r % 8 == 1)
				a.size = ds_size / 2 ? ds_size / 2 : ds_size;
			err = rme_attach(m, rm, pool[d], &a, &range);
			if (err == RME_ERR_REGION_CONFLICT) {
				conflicts++;
				continue;
			}
			ck_assert_err(err, RME_OK);
			placed++;
			/* core never places a region below page alignment */
			ck_assert_msg((range.start & 4095) == 0, "unaligned placement 0x%llx",
			              (unsigned long long)range.start);
			live[nlive++] = range.start;
			ck_assert_ok(rme_read(m, base + range.start, &acc));
			ck_assert_int_eq(acc.outcome, RME_ACCESS_DONE);
			ck_assert_uint_eq(acc.byte, d + 1);
		}
		if (plc_check(&rm_obj(m, rm)->map, msg, sizeof(msg), NULL) != 0)
			ck_abort_msg("after operation %u: %s", op, msg);
		if (op % 1000 == 0) {
			uint64_t stale = 0;
			tu_check(m);
			(void)plc_check(&rm_obj(m, rm)->map, msg, sizeof(msg), &stale);
			if (stale > stale_max)
				stale_max = stale;
		}
	}
	tu_check(m);
	printf("random placement: %u operations, %u placed, %u conflicts, up to %llu live regions "
	       "tracked, tree height %u, at most %llu stale max_avail fields seen\n",
	       RANDOM_OPS, placed, conflicts, (unsigned long long)MAX_LIVE,
	       plc_height(&rm_obj(m, rm)->map), (unsigned long long)stale_max);
	ck_assert_uint_gt(placed, RANDOM_OPS / 3);
	ck_assert_uint_gt(conflicts, 0);
	rme_model_destroy(m);
}
END_TEST

static Suite *
placement_suite(void)
{
	Suite *s = suite_create("placement");
	TCase *worked = tcase_create("worked_examples"), *golden = tcase_create("golden"),
	      *random = tcase_create("random");

	tcase_add_test(worked, worked_example_padding_hole_is_chosen);
	tcase_add_test(worked, worked_example_rm_nested_shims);
	tcase_add_loop_test(golden, golden_sequences_match_genode, 0,
	                    sizeof(golden_files) / sizeof(*golden_files));
	tcase_add_test(random, random_attach_detach_keeps_invariants);
	tcase_set_timeout(golden, 120);
	tcase_set_timeout(random, 300);
	suite_add_tcase(s, worked);
	suite_add_tcase(s, golden);
	suite_add_tcase(s, random);
	return s;
}

int
main(void)
{
	return tu_run(placement_suite());
}
