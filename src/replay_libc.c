/*
 * replay_libc.c: the libc-level operations of a trace. This build has no
 * mmap layer yet, so a trace that declares an mmap-area is refused with a
 * message that says so, before anything runs.
 */
#include <stdio.h>

#include "replay_libc.h"

rme_err_t
replay_libc_create(rme_model_t *model, const rme_trace_directives_t *d,
                   const rme_allocator_t *alloc, struct replay_libc **out,
                   uint64_t *area_rm, char *msg, size_t msglen)
{
	(void)model;
	(void)d;
	(void)alloc;
	(void)area_rm;
	*out = NULL;
	snprintf(msg, msglen, "libc-level operations (mmap-area) are not supported yet: "
	         "this build has no mmap layer");
	return RME_ERR_UNSUPPORTED;
}

void
replay_libc_destroy(struct replay_libc *libc)
{
	(void)libc;
}

rme_err_t
replay_libc_execute(struct replay_libc *libc, const rme_trace_op_t *op, uint64_t *slots,
                    rme_trace_result_t *res, char *msg, size_t msglen)
{
	(void)libc;
	(void)slots;
	(void)res;
	snprintf(msg, msglen, "%s is not supported yet", rme_trace_op_name(op->kind));
	return RME_ERR_UNSUPPORTED;
}

uint64_t
replay_libc_mappings(const struct replay_libc *libc)
{
	(void)libc;
	return 0;
}

int
replay_libc_leak_free(const struct replay_libc *libc, char *msg, size_t msglen)
{
	(void)libc;
	(void)msg;
	(void)msglen;
	return 1;
}

int
replay_libc_check(const struct replay_libc *libc, char *msg, size_t msglen)
{
	(void)libc;
	(void)msg;
	(void)msglen;
	return 1;
}
