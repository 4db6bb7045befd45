/*
 * mmap.c: the mmap layer's front end: configuration defaults, the choice
 * of implementation by policy name, the lock around every call, errno
 * names, and the text builder the implementations use instead of stdio.
 */
#include <string.h>

#include "mmap_internal.h"

/* The implementations that can be named in rme_mmap_config_t.policy. */
static const mmap_ops_t *const policies[] = {
	&mmap_area_ops,
	&mmap_genode_libc_ops,
	&mmap_libc_alloc_at_ops,
};

const char *
rme_mmap_policy_name(size_t i)
{
	return i < sizeof(policies) / sizeof(policies[0]) ? policies[i]->name : NULL;
}

/* ---- Text -------------------------------------------------------------------- */

void
mm_text_init(mm_text_t *t, char *buf, size_t cap)
{
	t->buf = buf;
	t->len = 0;
	t->cap = buf ? cap : 0;
	if (t->cap)
		buf[0] = '\0';
}

static void
text_char(mm_text_t *t, char c)
{
	if (t->len + 1 < t->cap) {
		t->buf[t->len++] = c;
		t->buf[t->len] = '\0';
	}
}

void
mm_text_str(mm_text_t *t, const char *s)
{
	while (*s)
		text_char(t, *s++);
}

static void
text_digits(mm_text_t *t, uint64_t v, unsigned base)
{
	char digits[20];
	unsigned n = 0;

	do {
		digits[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (n)
		text_char(t, digits[--n]);
}

void
mm_text_hex(mm_text_t *t, uint64_t v)
{
	mm_text_str(t, "0x");
	text_digits(t, v, 16);
}

void
mm_text_dec(mm_text_t *t, uint64_t v)
{
	text_digits(t, v, 10);
}

/* ---- errno ------------------------------------------------------------------- */

static const struct {
	int num;
	const char *name, *desc;
} errnos[] = {
#define ERRNO_ENTRY(name, num, desc) { num, #name, desc },
	RME_ERRNOS(ERRNO_ENTRY)
#undef ERRNO_ENTRY
};

const char *
rme_errno_name(int err)
{
	if (err == 0)
		return "0";
	for (size_t i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
		if (errnos[i].num == err)
			return errnos[i].name;
	return "UNKNOWN";
}

const char *
rme_errno_str(int err)
{
	if (err == 0)
		return "success";
	for (size_t i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
		if (errnos[i].num == err)
			return errnos[i].desc;
	return "unknown error";
}

int
rme_errno_from_name(const char *name, int *out)
{
	if (!name || !out)
		return -1;
	if (strcmp(name, "0") == 0) {
		*out = 0;
		return 0;
	}
	for (size_t i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++) {
		if (strcmp(errnos[i].name, name) == 0) {
			*out = errnos[i].num;
			return 0;
		}
	}
	return -1;
}

int
rme_errno_from_err(rme_err_t err)
{
	switch (err) {
	case RME_OK:                    return 0;
	case RME_ERR_OUT_OF_RAM:        /* quota: the mapping cannot be backed */
	case RME_ERR_OUT_OF_CAPS:
	case RME_ERR_HOST_NO_MEMORY:    /* the metadata heap */
	case RME_ERR_DENIED:            /* core found no physical memory */
	case RME_ERR_REGION_CONFLICT:   /* no room where the registry saw room */
		return RME_ENOMEM;
	case RME_ERR_INVALID_DATASPACE: return RME_EFAULT;
	case RME_ERR_INVALID_ARGUMENT:  return RME_EINVAL;
	case RME_ERR_UNSUPPORTED:       return RME_EOPNOTSUPP;
	case RME_ERR_COUNT_:            break;
	}
	/* no default above: a new rme_err_t without an errno is a compiler warning */
	return RME_EIO;
}

/* ---- Instances ---------------------------------------------------------------- */

void
rme_mmap_config_init(rme_mmap_config_t *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->chunk_size = RME_MMAP_CHUNK_DEFAULT;
	cfg->map_count_max = RME_MMAP_MAP_COUNT_DEFAULT;
}

rme_err_t
rme_mmap_create(const rme_genode_prims_t *prims, const rme_mmap_config_t *cfg,
                rme_mmap_t **out, rme_mmap_setup_error_t *why)
{
	const char *name = cfg && cfg->policy ? cfg->policy : mmap_area_ops.name;
	mm_text_t t;

	if (why) {
		why->err = RME_OK;
		why->message[0] = '\0';
	}
	mm_text_init(&t, why ? why->message : NULL, why ? sizeof(why->message) : 0);
	if (!out || !cfg || !prims) {
		mm_text_str(&t, "no configuration, primitives or result pointer");
		if (why)
			why->err = RME_ERR_INVALID_ARGUMENT;
		return RME_ERR_INVALID_ARGUMENT;
	}
	*out = NULL;
	for (size_t i = 0; i < sizeof(policies) / sizeof(policies[0]); i++)
		if (strcmp(policies[i]->name, name) == 0)
			return policies[i]->create(prims, cfg, out, why);
	mm_text_str(&t, "unknown mmap policy \"");
	mm_text_str(&t, name);
	mm_text_str(&t, "\"");
	if (why)
		why->err = RME_ERR_UNSUPPORTED;
	return RME_ERR_UNSUPPORTED;
}

void
rme_mmap_destroy(rme_mmap_t *mm)
{
	if (mm)
		mm->ops->destroy(mm);
}

const char *
rme_mmap_policy(const rme_mmap_t *mm)
{
	return mm ? mm->ops->name : NULL;
}

/*
 * Call an operation with the instance locked; an instance is needed. The
 * calls of the API go through CALL, which forgets the last call's cause first.
 */
#define LOCKED_CALL(mm, none, call) do { \
	int _rc; \
	if (!(mm)) \
		return (none); \
	(mm)->prims.lock((mm)->prims.ctx); \
	_rc = (call); \
	(mm)->prims.unlock((mm)->prims.ctx); \
	return _rc; \
} while (0)

#define CALL(mm, none, call) \
	LOCKED_CALL(mm, none, ((mm)->cause = RME_MMAP_CAUSE_NONE, (call)))

int
rme_mmap(rme_mmap_t *mm, uint64_t addr, uint64_t len, int prot, int flags, int fd,
         uint64_t offset, uint64_t *out_addr)
{
	uint64_t ignored;

	CALL(mm, RME_EINVAL, mm->ops->mmap(mm, addr, len, prot, flags, fd, offset,
	                                          out_addr ? out_addr : &ignored));
}

int
rme_munmap(rme_mmap_t *mm, uint64_t addr, uint64_t len)
{
	CALL(mm, RME_EINVAL, mm->ops->munmap(mm, addr, len));
}

int
rme_mprotect(rme_mmap_t *mm, uint64_t addr, uint64_t len, int prot)
{
	CALL(mm, RME_EINVAL, mm->ops->mprotect(mm, addr, len, prot));
}

int
rme_mremap(rme_mmap_t *mm, uint64_t old_addr, uint64_t old_len, uint64_t new_len,
           int flags, uint64_t new_addr, uint64_t *out_addr)
{
	uint64_t ignored;

	CALL(mm, RME_EINVAL, mm->ops->mremap(mm, old_addr, old_len, new_len, flags,
	                                            new_addr, out_addr ? out_addr : &ignored));
}

int
rme_madvise(rme_mmap_t *mm, uint64_t addr, uint64_t len, int advice)
{
	CALL(mm, RME_EINVAL, mm->ops->madvise(mm, addr, len, advice));
}

int
rme_msync(rme_mmap_t *mm, uint64_t addr, uint64_t len, int flags)
{
	CALL(mm, RME_EINVAL, mm->ops->msync(mm, addr, len, flags));
}

int
rme_mlock(rme_mmap_t *mm, uint64_t addr, uint64_t len, int flags)
{
	CALL(mm, RME_EINVAL, mm->ops->mlock(mm, addr, len, flags));
}

int
rme_munlock(rme_mmap_t *mm, uint64_t addr, uint64_t len)
{
	CALL(mm, RME_EINVAL, mm->ops->munlock(mm, addr, len));
}

int
rme_mlockall(rme_mmap_t *mm, int flags)
{
	CALL(mm, RME_EINVAL, mm->ops->mlockall(mm, flags));
}

int
rme_munlockall(rme_mmap_t *mm)
{
	CALL(mm, RME_EINVAL, mm->ops->munlockall(mm));
}

int
rme_mmap_foreach(rme_mmap_t *mm, int (*fn)(void *ctx, const rme_mmap_vma_t *vma), void *ctx)
{
	if (!fn)
		return 0;
	LOCKED_CALL(mm, 0, mm->ops->foreach(mm, 0, UINT64_MAX, fn, ctx));
}

int
rme_mmap_foreach_range(rme_mmap_t *mm, uint64_t start, uint64_t end,
                       int (*fn)(void *ctx, const rme_mmap_vma_t *vma), void *ctx)
{
	if (!fn || start >= end)
		return 0;
	LOCKED_CALL(mm, 0, mm->ops->foreach(mm, start, end, fn, ctx));
}

int
rme_mmap_pieces_in(rme_mmap_t *mm, uint64_t lo, uint64_t hi,
                   int (*fn)(void *ctx, const rme_mmap_piece_t *p), void *ctx)
{
	if (!fn || (mm && !mm->ops->pieces_in))
		return -1;
	LOCKED_CALL(mm, 0, mm->ops->pieces_in(mm, lo, hi, fn, ctx));
}

int
rme_mmap_foreach_ram(rme_mmap_t *mm, int (*fn)(void *ctx, rme_prim_cap_t ds, uint64_t size),
                     void *ctx)
{
	if (!fn)
		return 0;
	LOCKED_CALL(mm, 0, mm->ops->foreach_ram(mm, fn, ctx));
}

void
rme_mmap_stats(rme_mmap_t *mm, rme_mmap_stats_t *out)
{
	memset(out, 0, sizeof(*out));
	if (!mm)
		return;
	mm->prims.lock(mm->prims.ctx);
	mm->ops->stats(mm, out);
	mm->prims.unlock(mm->prims.ctx);
}

uint64_t
rme_mmap_count(rme_mmap_t *mm)
{
	rme_mmap_stats_t st;

	rme_mmap_stats(mm, &st);
	return st.vmas;
}

int
rme_mmap_foreach_metadata(rme_mmap_t *mm, int (*fn)(void *ctx, uint64_t addr, uint64_t len),
                          void *ctx)
{
	if (!fn || !mm || !mm->ops->foreach_metadata)
		return 0;
	LOCKED_CALL(mm, 0, mm->ops->foreach_metadata(mm, fn, ctx));
}

rme_mmap_cause_t
rme_mmap_last_cause(const rme_mmap_t *mm)
{
	return mm ? mm->cause : RME_MMAP_CAUSE_NONE;
}

static const struct {
	const char *name, *desc;
} causes[] = {
#define CAUSE_ENTRY(name, str, desc) { str, desc },
	RME_MMAP_CAUSES(CAUSE_ENTRY)
#undef CAUSE_ENTRY
};

const char *
rme_mmap_cause_name(rme_mmap_cause_t cause)
{
	return (unsigned)cause < RME_MMAP_CAUSE_COUNT_ ? causes[cause].name : "?";
}

const char *
rme_mmap_cause_desc(rme_mmap_cause_t cause)
{
	return (unsigned)cause < RME_MMAP_CAUSE_COUNT_ ? causes[cause].desc : "?";
}

rme_err_t
rme_mmap_check(rme_mmap_t *mm, char *msg, size_t msglen)
{
	rme_err_t err;

	if (!mm)
		return RME_ERR_INVALID_ARGUMENT;
	mm->prims.lock(mm->prims.ctx);
	err = mm->ops->check(mm, msg, msglen);
	mm->prims.unlock(mm->prims.ctx);
	return err;
}
