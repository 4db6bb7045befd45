/*
 * bench.c: rmemu bench, a benchmark (never a test): time per operation and
 * metadata per live mapping for each workload at a chosen number of live
 * mappings n, printed as text or JSON.
 *
 * Each workload first builds up n live mappings, then runs a steady state
 * in which every operation removes one mapping and adds one, so n stays
 * constant while it is measured. Every operation is timed on its own
 * (CLOCK_MONOTONIC, whose cost is part of the figure), which gives the
 * median and the 99th percentile. Metadata bytes come from the counting
 * allocator the model allocates through, not from estimates.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rmemu/rmemu.h>

#include "bench.h"
#include "cli.h"

uint64_t
bench_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

uint64_t
bench_rand(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

void
bench_summarize(uint64_t *samples, size_t n, struct bench_result *res)
{
	if (!n)
		return;
	qsort(samples, n, sizeof(*samples), cmp_u64);
	res->ns_median = (double)samples[n / 2];
	res->ns_p99 = (double)samples[(size_t)((double)(n - 1) * 0.99)];
}

/* ---- Workload: region-map attach and detach --------------------------------------- */

/*
 * A sub region map with room for n regions of 4 to 64 KiB; the steady state
 * detaches a random region and attaches one, anywhere (core's placement)
 * three times out of four and at a random free-looking address otherwise.
 */
static int
bench_region_map(uint64_t live, uint64_t ops, struct bench_result *res)
{
	rme_counting_allocator_t ca;
	rme_model_config_t cfg;
	rme_model_t *m = NULL;
	rme_cap_t rm, ds;
	rme_addr_t *addrs = malloc(live * sizeof(*addrs));
	uint64_t *samples = malloc(ops * sizeof(*samples));
	uint64_t seed = 0x1234, map_size = live * 0x40000, md_empty, done = 0;
	int rc = -1;

	if (!addrs || !samples)
		goto out;
	rme_counting_init(&ca, NULL);
	rme_model_config_init(&cfg);
	cfg.ram_quota = UINT64_MAX / 2;
	cfg.cap_quota = UINT64_MAX / 2;
	cfg.allocator = &ca.iface;
	if (rme_model_create(&cfg, &m) != RME_OK || rme_rm_create(m, map_size, &rm) != RME_OK ||
	    rme_ram_alloc(m, 0x10000, &ds) != RME_OK)
		goto out;
	md_empty = ca.live_bytes;

	for (uint64_t i = 0; i < live; i++) {
		rme_attr_t a = { .size = 4096 * (1 + bench_rand(&seed) % 16) };
		rme_range_t r;
		if (rme_attach(m, rm, ds, &a, &r) != RME_OK)
			goto out;
		addrs[i] = r.start;
	}
	res->bytes_per_mapping = (double)(ca.live_bytes - md_empty) / (double)live;

	while (done < ops) {
		uint64_t k = bench_rand(&seed) % live, r = bench_rand(&seed);
		rme_attr_t a = { .size = 4096 * (1 + r % 16) };
		rme_range_t range;
		uint64_t t0, t1, t2;
		rme_err_t err;

		if (r % 4 == 0) {
			a.use_at = 1;
			a.at = (bench_rand(&seed) % (map_size / 4096)) * 4096;
		}
		t0 = bench_now_ns();
		(void)rme_detach(m, rm, addrs[k]);
		t1 = bench_now_ns();
		err = rme_attach(m, rm, ds, &a, &range);
		t2 = bench_now_ns();
		if (err == RME_ERR_REGION_CONFLICT && a.use_at) {
			/* the address was taken: place it anywhere instead, as a user would */
			a.use_at = 0;
			t1 = t2 - (t1 - t0);
			err = rme_attach(m, rm, ds, &a, &range);
			t2 = bench_now_ns();
		}
		if (err != RME_OK)
			goto out;
		addrs[k] = range.start;
		samples[done++] = t1 - t0;
		if (done < ops)
			samples[done++] = t2 - t1;
	}
	bench_summarize(samples, ops, res);
	res->ops = ops;
	rc = 0;
out:
	rme_model_destroy(m);
	free(addrs);
	free(samples);
	return rc;
}

/* ---- Workload: trace replay from text ---------------------------------------------- */

struct text {
	char *buf;
	size_t len, cap;
};

static int
text_printf(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
text_printf(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			return -1;
		if ((size_t)n < t->cap - t->len) {
			t->len += (size_t)n;
			return 0;
		}
		size_t cap = t->cap * 2 + (size_t)n + 4096;
		char *grown = realloc(t->buf, cap);
		if (!grown)
			return -1;
		t->buf = grown;
		t->cap = cap;
	}
}

/*
 * A trace that builds up n attachments in a sub region map and then churns
 * (detach one, attach one) for ops lines; lines per second include parsing.
 * Attachment k always goes to its own 256 KiB cell (at=), so the figure
 * measures the replay and not core's search for a free place, whose cost
 * the region-map workload shows.
 */
static int
bench_replay(uint64_t live, uint64_t ops, struct bench_result *res)
{
	struct text t = { 0 };
	rme_trace_t *trace = NULL;
	rme_trace_error_t perr;
	rme_replay_report_t rep;
	uint64_t seed = 99, lines = 0, t0, t1, *names = NULL;
	int rc = -1;

	if (text_printf(&t, "rmemu-trace 1\nquota ram=0x7fffffffffff caps=1000000000\n"
	                "rm = rm-create 0x%" PRIx64 "\nds = ram-alloc 64K\n", live * 0x40000) != 0)
		goto out;
	for (uint64_t i = 0; i < live; i++, lines++)
		if (text_printf(&t, "a%" PRIu64 " = attach rm ds size=%" PRIu64 "K at=0x%" PRIx64 "\n",
		                i, 4 * (1 + bench_rand(&seed) % 16), i * 0x40000) != 0)
			goto out;
	/* name[k]: the number of the name now bound to attachment k ("a" + number) */
	names = malloc(live * sizeof(*names));
	if (!names)
		goto out;
	for (uint64_t k = 0; k < live; k++)
		names[k] = k;
	for (uint64_t i = 0; i < ops / 2; i++, lines += 2) {
		uint64_t k = bench_rand(&seed) % live, fresh = live + i;

		if (text_printf(&t, "detach rm a%" PRIu64 "\na%" PRIu64 " = attach rm ds size=%" PRIu64
		                "K at=0x%" PRIx64 "\n", names[k], fresh,
		                4 * (1 + bench_rand(&seed) % 16), k * 0x40000) != 0)
			goto out;
		names[k] = fresh;
	}
	t0 = bench_now_ns();
	if (rme_trace_parse("bench", t.buf, t.len, NULL, &trace, &perr) != RME_OK) {
		fprintf(stderr, "rmemu bench: %s\n", perr.msg);
		goto out;
	}
	if (rme_replay(trace, NULL, &rep, NULL, NULL) != RME_OK)
		goto out;
	t1 = bench_now_ns();
	res->ops = lines + 4;
	res->lines_per_sec = (double)res->ops / ((double)(t1 - t0) / 1e9);
	res->ns_median = res->ns_p99 = (double)(t1 - t0) / (double)res->ops;
	rc = 0;
out:
	rme_trace_free(trace);
	free(t.buf);
	free(names);
	return rc;
}

/* ---- The command -------------------------------------------------------------------- */

static const struct bench_workload workloads[] = {
	{ "region-map", "region-map attach (anywhere and at an address) and detach",
	  bench_region_map },
	{ "replay", "trace replay from text, parsing included", bench_replay },
};

static void
bench_usage(FILE *out)
{
	fputs("usage: rmemu bench [--json] [--workload NAME] [--live N[,N...]] [--ops N]\n"
	      "\n"
	      "Time per operation at each number of live mappings (default 1000,10000,\n"
	      "100000,1000000); a benchmark, not a test. Workloads:\n", out);
	for (size_t i = 0; i < sizeof(workloads) / sizeof(*workloads); i++)
		fprintf(out, "  %-12s %s\n", workloads[i].name, workloads[i].what);
}

static void
print_result(int json, int *first, const struct bench_workload *w, uint64_t live,
             const struct bench_result *r)
{
	if (json) {
		printf("%s\n  {\"workload\": \"%s\", \"live\": %" PRIu64 ", \"ops\": %" PRIu64
		       ", \"ns_per_op_median\": %.1f, \"ns_per_op_p99\": %.1f, "
		       "\"bytes_per_mapping\": %.1f",
		       *first ? "" : ",", w->name, live, r->ops, r->ns_median, r->ns_p99,
		       r->bytes_per_mapping);
		if (r->lines_per_sec > 0)
			printf(", \"lines_per_sec\": %.0f", r->lines_per_sec);
		if (r->linux_ns_median > 0)
			printf(", \"linux_ns_per_op_median\": %.1f, \"linux_ratio\": %.1f",
			       r->linux_ns_median, r->linux_ns_median / r->ns_median);
		printf("}");
	} else {
		printf("%-12s %10" PRIu64 " %10.0f %10.0f %10.1f", w->name, live, r->ns_median,
		       r->ns_p99, r->bytes_per_mapping);
		if (r->lines_per_sec > 0)
			printf("   %.2fM lines/s", r->lines_per_sec / 1e6);
		if (r->linux_ns_median > 0)
			printf("   linux %.0f ns, %.1fx", r->linux_ns_median,
			       r->linux_ns_median / r->ns_median);
		putchar('\n');
	}
	fflush(stdout);
	*first = 0;
}

int
cmd_bench(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "workload", required_argument, NULL, 'w' },
		{ "live", required_argument, NULL, 'n' },
		{ "ops", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t lives[32] = { 1000, 10000, 100000, 1000000 }, ops = 200000;
	size_t nlives = 4;
	const char *only = NULL;
	int json = 0, first = 1, c, status = EXIT_OK;

	optind = 1;
	while ((c = getopt_long(argc, argv, "jw:n:o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'w': only = optarg; break;
		case 'n': {
			char *p = optarg, *end;
			nlives = 0;
			while (*p && nlives < 32) {
				lives[nlives++] = strtoull(p, &end, 10);
				if (end == p || lives[nlives - 1] == 0 || (*end && *end != ',')) {
					fprintf(stderr, "rmemu bench: bad --live list '%s'\n", optarg);
					return EXIT_USAGE;
				}
				p = *end ? end + 1 : end;
			}
			break;
		}
		case 'o':
			ops = strtoull(optarg, NULL, 10);
			if (ops < 2) {
				fprintf(stderr, "rmemu bench: --ops needs at least 2\n");
				return EXIT_USAGE;
			}
			break;
		case 'h': bench_usage(stdout); return EXIT_OK;
		default: bench_usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		bench_usage(stderr);
		return EXIT_USAGE;
	}
	if (json)
		printf("[");
	else
		printf("%-12s %10s %10s %10s %10s\n", "workload", "live", "median ns", "p99 ns",
		       "bytes/map");
	for (size_t w = 0; w < sizeof(workloads) / sizeof(*workloads); w++) {
		if (only && strcmp(only, workloads[w].name) != 0)
			continue;
		for (size_t i = 0; i < nlives; i++) {
			struct bench_result r = { 0 };
			if (workloads[w].run(lives[i], ops, &r) != 0) {
				fprintf(stderr, "rmemu bench: %s at %" PRIu64 " live mappings failed\n",
				        workloads[w].name, lives[i]);
				status = EXIT_DIVERGED;
				continue;
			}
			print_result(json, &first, &workloads[w], lives[i], &r);
		}
	}
	if (json)
		printf("\n]\n");
	return status;
}
