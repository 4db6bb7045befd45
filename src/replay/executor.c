/*
 * executor.c: a trace operation turned into calls of the Genode-level
 * interface or of the mmap layer, and their outcome into the operation's
 * result (rmemu/executor.h). Portable: no libc allocation, no stdio.
 */
#include <string.h>

#include <rmemu/executor.h>

/* ---- Decoding --------------------------------------------------------------- */

/* The trace's rights (RME_TRACE_RIGHT_*) as PROT_* bits. */
static int
prot_of(unsigned rights)
{
	return ((rights & RME_TRACE_RIGHT_R) ? RME_PROT_READ : 0) |
	       ((rights & RME_TRACE_RIGHT_W) ? RME_PROT_WRITE : 0) |
	       ((rights & RME_TRACE_RIGHT_X) ? RME_PROT_EXEC : 0);
}

/* The trace's mmap flags (RME_TRACE_MAP_*) as MAP_* bits. */
static int
map_flags_of(unsigned f)
{
	static const struct { unsigned trace; int map; } table[] = {
		{ RME_TRACE_MAP_PRIVATE, RME_MAP_PRIVATE },
		{ RME_TRACE_MAP_SHARED, RME_MAP_SHARED },
		{ RME_TRACE_MAP_ANON, RME_MAP_ANONYMOUS },
		{ RME_TRACE_MAP_FIXED, RME_MAP_FIXED },
		{ RME_TRACE_MAP_NOREPLACE, RME_MAP_FIXED_NOREPLACE },
		{ RME_TRACE_MAP_NORESERVE, RME_MAP_NORESERVE },
		{ RME_TRACE_MAP_POPULATE, RME_MAP_POPULATE },
		{ RME_TRACE_MAP_STACK, RME_MAP_STACK },
		{ RME_TRACE_MAP_GROWSDOWN, RME_MAP_GROWSDOWN },
		{ RME_TRACE_MAP_SHARED_VALIDATE, RME_MAP_SHARED_VALIDATE },
		{ RME_TRACE_MAP_LOCKED, RME_MAP_LOCKED },
	};
	int map = 0;

	for (size_t i = 0; i < sizeof(table) / sizeof(*table); i++)
		if (f & table[i].trace)
			map |= table[i].map;
	return map;
}

static int
advice_of(rme_trace_advice_t a)
{
	switch (a) {
	case RME_TRACE_ADVICE_DONTNEED: return RME_MADV_DONTNEED;
	case RME_TRACE_ADVICE_FREE: return RME_MADV_FREE;
	case RME_TRACE_ADVICE_WILLNEED: return RME_MADV_WILLNEED;
	case RME_TRACE_ADVICE_NORMAL: break;
	}
	return RME_MADV_NORMAL;
}

static void
decode_attach(const rme_trace_op_t *op, const uint64_t *slots, rme_executor_call_t *c)
{
	c->rm = slots[op->u.attach.rm];
	c->ds = slots[op->u.attach.ds];
	c->attr.size = op->u.attach.has_size ? op->u.attach.size : 0;
	c->attr.offset = op->u.attach.has_offset ? op->u.attach.offset : 0;
	c->attr.use_at = op->u.attach.has_at;
	c->attr.at = op->u.attach.has_at ? rme_trace_addr_eval(&op->u.attach.at, slots) : 0;
	c->attr.writeable = (op->u.attach.rights & RME_TRACE_RIGHT_W) != 0;
	c->attr.executable = (op->u.attach.rights & RME_TRACE_RIGHT_X) != 0;
}

/* mmap ... msync */
static void
decode_libc(const rme_trace_op_t *op, const uint64_t *slots, rme_executor_call_t *c)
{
	switch (op->kind) {
	case RME_TRACE_OP_MMAP:
		c->addr = rme_trace_addr_eval(&op->u.mmap.addr, slots);
		c->len = op->u.mmap.len;
		c->prot = prot_of(op->u.mmap.prot);
		/* the bits without a name go as they are, for the layer to judge as Linux does */
		c->flags = map_flags_of(op->u.mmap.flags) | (int)op->u.mmap.other;
		c->fd = op->u.mmap.has_fd ? op->u.mmap.fd : -1;
		c->offset = op->u.mmap.off;
		return;
	case RME_TRACE_OP_MREMAP:
		c->addr = rme_trace_addr_eval(&op->u.mremap.addr, slots);
		c->len = op->u.mremap.old_len;
		c->new_len = op->u.mremap.new_len;
		c->flags = (op->u.mremap.maymove ? RME_MREMAP_MAYMOVE : 0) |
		           (op->u.mremap.has_fixed ? RME_MREMAP_FIXED : 0);
		/* a target that is not known ("fixed" alone) is 0: it only comes without maymove, EINVAL */
		c->new_addr = op->u.mremap.has_fixed && !op->u.mremap.fixed_unknown
		              ? rme_trace_addr_eval(&op->u.mremap.fixed, slots) : 0;
		return;
	case RME_TRACE_OP_MLOCKALL:
		c->flags = (int)op->u.range.flags;
		return;
	case RME_TRACE_OP_MUNLOCKALL:
		return;
	default:
		/* munmap, mprotect, madvise, msync, mlock, munlock: a range */
		c->addr = rme_trace_addr_eval(&op->u.range.addr, slots);
		c->len = op->u.range.len;
		if (op->kind == RME_TRACE_OP_MPROTECT)
			c->prot = prot_of(op->u.range.prot);
		else if (op->kind == RME_TRACE_OP_MADVISE)
			c->advice = advice_of(op->u.range.advice);
		else
			c->flags = (int)op->u.range.flags;   /* msync's MS_*, mlock's MLOCK_* */
		return;
	}
}

int
rme_executor_is_libc(rme_trace_op_kind_t kind)
{
	switch (kind) {
	case RME_TRACE_OP_MMAP:
	case RME_TRACE_OP_MUNMAP:
	case RME_TRACE_OP_MPROTECT:
	case RME_TRACE_OP_MREMAP:
	case RME_TRACE_OP_MADVISE:
	case RME_TRACE_OP_MSYNC:
	case RME_TRACE_OP_MLOCK:
	case RME_TRACE_OP_MUNLOCK:
	case RME_TRACE_OP_MLOCKALL:
	case RME_TRACE_OP_MUNLOCKALL:
		return 1;
	default:
		return 0;
	}
}

void
rme_executor_decode(const rme_trace_op_t *op, const uint64_t *slots, rme_executor_call_t *c)
{
	memset(c, 0, sizeof(*c));
	c->kind = op->kind;
	c->fd = -1;
	switch (op->kind) {
	case RME_TRACE_OP_RAM_ALLOC:
	case RME_TRACE_OP_ROM:
	case RME_TRACE_OP_RM_CREATE:
		c->size = op->u.size;
		return;
	case RME_TRACE_OP_RAM_FREE:
		c->ds = slots[op->u.slot];
		return;
	case RME_TRACE_OP_RM_DESTROY:
	case RME_TRACE_OP_RM_DATASPACE:
	case RME_TRACE_OP_FAULT_HANDLER:
	case RME_TRACE_OP_FAULT:
		c->rm = slots[op->u.slot];
		return;
	case RME_TRACE_OP_ATTACH:
		decode_attach(op, slots, c);
		return;
	case RME_TRACE_OP_DETACH:
		c->rm = slots[op->u.detach.rm];
		c->addr = rme_trace_addr_eval(&op->u.detach.addr, slots);
		return;
	case RME_TRACE_OP_READ:
	case RME_TRACE_OP_WRITE:
	case RME_TRACE_OP_EXEC:
		c->access = op->kind == RME_TRACE_OP_READ ? RME_FAULT_READ
		          : op->kind == RME_TRACE_OP_WRITE ? RME_FAULT_WRITE : RME_FAULT_EXEC;
		c->addr = rme_trace_addr_eval(&op->u.access.addr, slots);
		c->byte = (uint8_t)op->u.access.byte;
		return;
	default:
		if (rme_executor_is_libc(op->kind))
			decode_libc(op, slots, c);
		return;   /* the checks have nothing to decode */
	}
}

void
rme_executor_mmap_config(const rme_trace_directives_t *d, rme_mmap_config_t *cfg)
{
	rme_mmap_config_init(cfg);
	cfg->area_base = d->mmap_area_base;
	cfg->area_size = d->mmap_area_size;
	if (d->has_policy)
		cfg->policy = d->policy;
	if (d->has_map_count_max)
		cfg->map_count_max = d->map_count_max;
}

/* ---- Results ---------------------------------------------------------------- */

static void
set_error(rme_trace_result_t *res, rme_err_t err)
{
	res->kind = RME_TRACE_RESULT_ERROR;
	res->error = err;
}

/* An address (or 0) for rc 0, else errno ENAME. */
static void
set_libc_result(rme_trace_result_t *res, int rc, uint64_t value)
{
	memset(res, 0, sizeof(*res));
	if (rc == 0) {
		res->kind = RME_TRACE_RESULT_VALUE;
		res->value = value;
		return;
	}
	res->kind = RME_TRACE_RESULT_ERRNO;
	/* every name rme_errno_name gives fits; "EIO" guards against one that would not */
	if (rme_trace_result_set_errno(res, rme_errno_name(rc)) != RME_OK &&
	    rme_trace_result_set_errno(res, "EIO") != RME_OK)
		res->kind = RME_TRACE_RESULT_NONE;
}

/* The slot that names a region map, so that a fault can say where it went; -1 if none. */
static int
slot_of_rm(const rme_executor_t *x, rme_prim_cap_t rm)
{
	size_t n = rme_trace_slot_count(x->trace);

	if (rm == 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (x->slots[i] == rm &&
		    rme_trace_slot_kind(x->trace, (int)i) == RME_TRACE_SLOT_REGION_MAP)
			return (int)i;
	return -1;
}

void
rme_executor_access_result(const rme_executor_t *x, const rme_trace_op_t *op,
                           const rme_access_t *acc, rme_trace_result_t *res)
{
	int slot;

	memset(res, 0, sizeof(*res));
	switch (acc->outcome) {
	case RME_ACCESS_DONE:
		if (op->kind == RME_TRACE_OP_READ) {
			res->kind = RME_TRACE_RESULT_VALUE;
			res->value = acc->byte;
		} else {
			res->kind = RME_TRACE_RESULT_OK;
		}
		return;
	case RME_ACCESS_FAULT:
	case RME_ACCESS_UNHANDLED:
	case RME_ACCESS_TOO_DEEP:
		slot = slot_of_rm(x, acc->rm);
		if (slot < 0) {
			/* a region map the trace has no name for (a layout area), or none known */
			res->kind = acc->outcome == RME_ACCESS_FAULT ? RME_TRACE_RESULT_FAULT_ANY
			                                             : RME_TRACE_RESULT_UNHANDLED_ANY;
			return;
		}
		res->kind = acc->outcome == RME_ACCESS_FAULT ? RME_TRACE_RESULT_FAULT
		                                             : RME_TRACE_RESULT_UNHANDLED;
		res->rm_slot = slot;
		res->fault_type = acc->fault.type;
		res->addr = acc->fault.addr;
		if (acc->outcome == RME_ACCESS_FAULT) {
			/*
			 * A handled fault says what the region map's handler sees
			 * once the faulter is queued: Region_map::fault(), the oldest
			 * fault still waiting there, which is the access's own only
			 * when no earlier faulter waits at that map (rmemu-trace(5)).
			 * That is all Genode shows a program, so the model answers
			 * the same.
			 */
			rme_fault_t f = { RME_FAULT_NONE, 0 };
			if (x->genode->fault(x->genode->ctx, acc->rm, &f) == RME_OK && f.type != RME_FAULT_NONE) {
				res->fault_type = f.type;
				res->addr = f.addr;
			}
		}
		return;
	}
}

/* ---- Running ---------------------------------------------------------------- */

/* msg = a followed by b, cut short to fit; no stdio here. */
static void
say(char *msg, size_t msglen, const char *a, const char *b)
{
	size_t n = 0;

	if (!msg || !msglen)
		return;
	for (; *a && n + 1 < msglen; a++)
		msg[n++] = *a;
	for (; *b && n + 1 < msglen; b++)
		msg[n++] = *b;
	msg[n] = '\0';
}

static rme_err_t
only_host_memory(rme_err_t err)
{
	return err == RME_ERR_HOST_NO_MEMORY ? err : RME_OK;
}

/* ram-alloc, rom, rm-create: a new capability, bound to the operation's name. */
static rme_err_t
run_create(const rme_executor_genode_t *g, const rme_executor_call_t *c, uint64_t *bind,
           rme_trace_result_t *res)
{
	rme_prim_cap_t cap = 0;
	rme_err_t err;

	if (c->kind == RME_TRACE_OP_RAM_ALLOC)
		err = g->ram_alloc(g->ctx, c->size, &cap);
	else if (c->kind == RME_TRACE_OP_ROM)
		err = g->rom(g->ctx, c->size, &cap);
	else
		err = g->rm_create(g->ctx, c->size, &cap);
	if (err != RME_OK)
		set_error(res, err);
	if (bind)
		*bind = err == RME_OK ? cap : 0;
	return only_host_memory(err);
}

static rme_err_t
run_attach(const rme_executor_genode_t *g, const rme_executor_call_t *c, uint64_t *bind,
           rme_trace_result_t *res)
{
	uint64_t at = 0;
	rme_err_t err = g->attach(g->ctx, c->rm, c->ds, &c->attr, &at);

	if (err != RME_OK) {
		set_error(res, err);
	} else {
		res->kind = RME_TRACE_RESULT_VALUE;
		res->value = at;
	}
	if (bind)
		*bind = err == RME_OK ? at : 0;
	return only_host_memory(err);
}

static rme_err_t
run_access(rme_executor_t *x, const rme_trace_op_t *op, const rme_executor_call_t *c,
           rme_trace_result_t *res, rme_executor_status_t *status)
{
	const rme_executor_genode_t *g = x->genode;
	rme_access_t acc;
	rme_err_t err;

	memset(&acc, 0, sizeof(acc));
	err = g->access(g->ctx, c->access, c->addr, c->byte, &acc, status);
	if (err != RME_OK)
		return err;
	if (*status == RME_EXECUTOR_DONE)
		rme_executor_access_result(x, op, &acc, res);
	else
		memset(res, 0, sizeof(*res));   /* none yet, or none at all */
	return RME_OK;
}

/* The Genode-level operations. */
static rme_err_t
run_genode(rme_executor_t *x, const rme_trace_op_t *op, const rme_executor_call_t *c,
           uint64_t *bind, rme_trace_result_t *res, rme_executor_status_t *status)
{
	const rme_executor_genode_t *g = x->genode;
	rme_fault_t f = { RME_FAULT_NONE, 0 };

	switch (op->kind) {
	case RME_TRACE_OP_RAM_ALLOC:
	case RME_TRACE_OP_ROM:
	case RME_TRACE_OP_RM_CREATE:
		return run_create(g, c, bind, res);
	case RME_TRACE_OP_RAM_FREE:
		/* like core, a target ignores what is not RAM of this PD (a ROM too) */
		return only_host_memory(g->ram_free(g->ctx, c->ds));
	case RME_TRACE_OP_RM_DESTROY:
		return only_host_memory(g->rm_destroy(g->ctx, c->rm));
	case RME_TRACE_OP_RM_DATASPACE:
		if (bind)
			*bind = g->rm_dataspace(g->ctx, c->rm);
		return RME_OK;
	case RME_TRACE_OP_ATTACH:
		return run_attach(g, c, bind, res);
	case RME_TRACE_OP_DETACH:
		return only_host_memory(g->detach(g->ctx, c->rm, c->addr));
	case RME_TRACE_OP_FAULT_HANDLER:
		(void)g->fault_handler(g->ctx, c->rm);
		return RME_OK;
	case RME_TRACE_OP_FAULT:
		(void)g->fault(g->ctx, c->rm, &f);
		res->kind = RME_TRACE_RESULT_FAULT_STATE;
		res->fault_type = f.type;
		res->addr = f.addr;
		return RME_OK;
	default:
		/* read, write, exec */
		return run_access(x, op, c, res, status);
	}
}

/* The libc-level operations, on the mmap layer. */
static rme_err_t
run_libc(rme_executor_t *x, const rme_executor_call_t *c, uint64_t *bind,
         rme_trace_result_t *res, char *msg, size_t msglen)
{
	rme_mmap_t *mm = x->mmap;
	uint64_t out = 0;
	int rc;

	if (!mm) {
		say(msg, msglen, rme_trace_op_name(c->kind), " needs an mmap-area directive");
		memset(res, 0, sizeof(*res));
		return RME_ERR_UNSUPPORTED;
	}
	switch (c->kind) {
	case RME_TRACE_OP_MMAP:
		rc = rme_mmap(mm, c->addr, c->len, c->prot, c->flags, c->fd, c->offset, &out);
		break;
	case RME_TRACE_OP_MREMAP:
		rc = rme_mremap(mm, c->addr, c->len, c->new_len, c->flags, c->new_addr, &out);
		break;
	case RME_TRACE_OP_MUNMAP:
		rc = rme_munmap(mm, c->addr, c->len);
		break;
	case RME_TRACE_OP_MPROTECT:
		rc = rme_mprotect(mm, c->addr, c->len, c->prot);
		break;
	case RME_TRACE_OP_MADVISE:
		rc = rme_madvise(mm, c->addr, c->len, c->advice);
		break;
	case RME_TRACE_OP_MSYNC:
		rc = rme_msync(mm, c->addr, c->len, c->flags);
		break;
	case RME_TRACE_OP_MLOCK:
		rc = rme_mlock(mm, c->addr, c->len, c->flags);
		break;
	case RME_TRACE_OP_MUNLOCK:
		rc = rme_munlock(mm, c->addr, c->len);
		break;
	case RME_TRACE_OP_MLOCKALL:
		rc = rme_mlockall(mm, c->flags);
		break;
	default:
		rc = rme_munlockall(mm);
		break;
	}
	set_libc_result(res, rc, out);
	if (bind)
		*bind = rc == 0 ? out : 0;
	return RME_OK;
}

void
rme_executor_init(rme_executor_t *x, const rme_trace_t *trace, uint64_t *slots,
                  const rme_executor_genode_t *genode, struct rme_mmap *mmap)
{
	x->trace = trace;
	x->slots = slots;
	x->genode = genode;
	x->mmap = mmap;
}

/*
 * An expected address relative to a name is evaluated when the operation
 * runs (before it binds its own name); an actual address equal to it keeps
 * the expression, so that the trace prints relative again and matches.
 */
static void
keep_relative(const rme_trace_op_t *op, uint64_t want, rme_trace_result_t *res)
{
	if (op->expected.kind == RME_TRACE_RESULT_VALUE && op->expected.relative &&
	    res->kind == RME_TRACE_RESULT_VALUE && res->value == want) {
		res->relative = 1;
		res->expr = op->expected.expr;
	}
}

rme_err_t
rme_executor_run(rme_executor_t *x, const rme_trace_op_t *op, rme_trace_result_t *res,
                 rme_executor_status_t *status, char *msg, size_t msglen)
{
	uint64_t *bind = op->bind_slot >= 0 ? &x->slots[op->bind_slot] : NULL;
	/* only a relative expectation is kept, and it needs the slots as they are now */
	uint64_t want = op->expected.relative ? rme_trace_result_value(&op->expected, x->slots) : 0;
	rme_executor_call_t c;
	rme_err_t err;

	*status = RME_EXECUTOR_DONE;
	memset(res, 0, sizeof(*res));
	res->kind = RME_TRACE_RESULT_OK;
	rme_executor_decode(op, x->slots, &c);
	switch (op->kind) {
	case RME_TRACE_OP_EXPECT_QUOTA:
	case RME_TRACE_OP_EXPECT_LEAK_FREE:
	case RME_TRACE_OP_EXPECT_MAPPINGS:
		res->kind = RME_TRACE_RESULT_NONE;
		*status = RME_EXECUTOR_CHECK;
		return RME_OK;
	case RME_TRACE_OP_COUNT_:
		break;
	default:
		if (rme_executor_is_libc(op->kind))
			err = run_libc(x, &c, bind, res, msg, msglen);
		else
			err = run_genode(x, op, &c, bind, res, status);
		keep_relative(op, want, res);
		return err;
	}
	say(msg, msglen, "unknown operation", "");
	memset(res, 0, sizeof(*res));
	return RME_ERR_UNSUPPORTED;
}
