/*
 * fuzz_model.c: libFuzzer target for the model, driven directly.
 *
 * The input is a small program: a configuration byte block, then
 * operations on tables of capabilities and addresses (so stale and bogus
 * capabilities occur naturally). After every operation the model's
 * invariant checker must pass. Host-allocation failures are injected at
 * random; a call that fails with HOST_NO_MEMORY must leave the model's
 * complete state (its digest) as it was. At the end, teardown must give
 * every resource back and the allocator must hold nothing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rmemu/rmemu.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { SLOTS = 8, MAX_OPS = 3000 };

struct input {
	const uint8_t *p;
	size_t n;
};

static unsigned
u8(struct input *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static uint64_t
u16(struct input *in)
{
	uint64_t lo = u8(in);
	return lo | ((uint64_t)u8(in) << 8);
}

struct vm {
	rme_model_t *m;
	rme_cap_t ds[SLOTS], rm[SLOTS];
	rme_addr_t at[SLOTS];        /* starts of attachments, in their map's coordinates */
	rme_addr_t env_at[SLOTS];    /* starts of attachments in env */
};

static void
check(const struct vm *vm)
{
	char msg[256];

	if (rme_model_check(vm->m, msg, sizeof(msg)) != RME_OK)
		abort();
}

/* A size: mostly whole pages, sometimes ragged, sometimes large. */
static uint64_t
size_of(struct input *in)
{
	unsigned kind = u8(in);
	uint64_t pages = (u8(in) % 16) + 1;

	if (kind % 7 == 0)
		return (u16(in) + 1) << 12;
	if (kind % 5 == 0)
		return pages * 4096 - (u8(in) % 100);
	if (kind % 11 == 0)
		return 0;
	return pages * 4096;
}

static rme_cap_t
region_map(struct vm *vm, struct input *in)
{
	unsigned i = u8(in);
	return (i % 3 == 0) ? rme_env(vm->m) : vm->rm[i % SLOTS];
}

static rme_cap_t
dataspace(struct vm *vm, struct input *in)
{
	unsigned i = u8(in);
	if (i % 4 == 0)
		return rme_rm_dataspace(vm->m, vm->rm[(i / 4) % SLOTS]);
	if (i == 0xff) {
		uint64_t high = u16(in);                      /* a bogus capability */
		return high << 40 | u16(in);
	}
	return vm->ds[i % SLOTS];
}

/* An address: near an earlier attachment, near 0x70000000, or anything. */
static rme_addr_t
address(struct vm *vm, struct input *in, int in_env)
{
	unsigned kind = u8(in);
	uint64_t off = u16(in);

	switch (kind % 4) {
	case 0: return (in_env ? vm->env_at : vm->at)[(kind / 4) % SLOTS] + off;
	case 1: return 0x70000000 + (off << 12);
	case 2: return off << 12;
	default: return ((uint64_t)u16(in) << 32) | (off << 12) | (kind & 0xf);
	}
}

static rme_err_t
step(struct vm *vm, struct input *in)
{
	unsigned op = u8(in) % 12, slot = u8(in) % SLOTS;
	rme_access_t acc;
	rme_err_t err = RME_OK;

	switch (op) {
	case 0:
		err = rme_ram_alloc(vm->m, size_of(in), &vm->ds[slot]);
		break;
	case 1:
		err = rme_ram_free(vm->m, vm->ds[slot]);
		break;
	case 2: {
		static const uint8_t code[] = { 0x7f, 'E', 'L', 'F', 0x90, 0xc3 };
		int with_code = u8(in) & 1;
		err = rme_rom_create(vm->m, with_code ? code : NULL,
		                     with_code ? sizeof(code) : size_of(in), &vm->ds[slot]);
		break;
	}
	case 3:
		err = rme_rm_create(vm->m, size_of(in) << (u8(in) % 8), &vm->rm[slot]);
		break;
	case 4:
		err = rme_rm_destroy(vm->m, vm->rm[slot]);
		break;
	case 5: {
		rme_cap_t rm = region_map(vm, in), ds = dataspace(vm, in);
		unsigned flags = u8(in);
		int env = rm == rme_env(vm->m);
		rme_attr_t attr = {
			.size = flags & 1 ? size_of(in) : 0,
			.offset = flags & 2 ? (uint64_t)(u8(in) % 8) << (flags & 64 ? 0 : 12) : 0,
			.use_at = (flags & 4) != 0,
			.writeable = (flags & 8) != 0,
			.executable = (flags & 16) != 0,
		};
		rme_range_t r;

		if (attr.use_at)
			attr.at = address(vm, in, env);
		err = rme_attach(vm->m, rm, ds, &attr, &r);
		if (err == RME_OK)
			(env ? vm->env_at : vm->at)[slot] = r.start;
		break;
	}
	case 6: {
		rme_cap_t rm = region_map(vm, in);
		err = rme_detach(vm->m, rm, address(vm, in, rm == rme_env(vm->m)));
		break;
	}
	case 7: {
		rme_addr_t a = address(vm, in, 1);
		unsigned kind = u8(in) % 3;
		err = kind == 0 ? rme_read(vm->m, a, &acc)
		    : kind == 1 ? rme_write(vm->m, a, (uint8_t)u8(in), &acc)
		    : rme_exec(vm->m, a, &acc);
		break;
	}
	case 8: {
		rme_fault_t f;
		rme_cap_t rm = region_map(vm, in);
		err = u8(in) & 1 ? rme_fault_handler(vm->m, rm) : rme_rm_fault(vm->m, rm, &f);
		break;
	}
	case 9: {
		uint8_t buf[64];
		uint64_t off = u16(in) << (u8(in) % 13);
		size_t len = u8(in) % sizeof(buf);

		memset(buf, (int)u8(in), sizeof(buf));
		err = u8(in) & 1 ? rme_ds_write(vm->m, vm->ds[slot], off, buf, len)
		                 : rme_ds_read(vm->m, vm->ds[slot], off, buf, len);
		break;
	}
	case 10: {
		rme_rm_info_t info;
		rme_model_stats_t stats;
		err = rme_rm_info(vm->m, region_map(vm, in), &info);
		rme_model_stats(vm->m, &stats);
		break;
	}
	default:
		if (u8(in) == 0x42)
			rme_model_teardown(vm->m);
		break;
	}
	return err;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned releases[] = { 2005, 2305, 2311, 2402, 2505, 2602 };
	struct input in = { data, size };
	rme_counting_allocator_t ca;
	rme_model_config_t cfg;
	rme_model_stats_t stats;
	rme_quota_t q;
	struct vm vm;
	unsigned c;

	memset(&vm, 0, sizeof(vm));
	rme_counting_init(&ca, NULL);
	rme_model_config_init(&cfg);
	c = u8(&in);
	cfg.kernel = (rme_kernel_t)(c % 6);
	cfg.arch = (rme_arch_t)((c / 6) % 4);
	cfg.layout_regions = (c & 0x80) == 0;
	cfg.genode_release = releases[u8(&in) % 6];
	cfg.ram_quota = (u16(&in) + 1) << 12;
	cfg.cap_quota = u8(&in) + 1;
	cfg.allocator = &ca.iface;
	if (rme_model_create(&cfg, &vm.m) != RME_OK) {
		cfg.kernel = RME_KERNEL_HW;
		cfg.arch = RME_ARCH_X86_64;
		if (rme_model_create(&cfg, &vm.m) != RME_OK)
			abort();
	}

	for (unsigned n = 0; in.n && n < MAX_OPS; n++) {
		unsigned inject = u8(&in);
		uint64_t before = 0;
		rme_err_t err;

		if (inject < 24) {
			/* fail the k-th allocation of this call, once or from then on */
			before = rme_model_digest(vm.m);
			rme_counting_fail(&ca, 1 + inject % 6, inject & 8);
		}
		err = step(&vm, &in);
		if (inject < 24) {
			rme_counting_fail(&ca, 0, 0);
			if (err == RME_ERR_HOST_NO_MEMORY && rme_model_digest(vm.m) != before)
				abort();
		}
		check(&vm);
	}

	rme_model_teardown(vm.m);
	check(&vm);
	rme_quota(vm.m, &q);
	rme_model_stats(vm.m, &stats);
	if (q.ram_used || q.cap_used || stats.dataspaces || stats.region_maps || stats.regions)
		abort();
	rme_model_destroy(vm.m);
	if (ca.live_bytes || ca.live_blocks)
		abort();
	return 0;
}
