/*
 * replay_libc.h: how the replay drives the mmap layer for the libc-level
 * operations of a trace (mmap, munmap, mprotect, mremap, madvise, msync).
 */
#ifndef RMEMU_REPLAY_LIBC_H
#define RMEMU_REPLAY_LIBC_H

#include <rmemu/model.h>
#include <rmemu/trace.h>

struct replay_libc;

/*
 * Set up the mmap layer on model as the directives say (mmap-area,
 * map-count-max, policy); *area_rm receives the area's region map. On an
 * error msg says why.
 */
rme_err_t replay_libc_create(rme_model_t *model, const rme_trace_directives_t *d,
                             const rme_allocator_t *alloc, struct replay_libc **out,
                             uint64_t *area_rm, char *msg, size_t msglen);
void replay_libc_destroy(struct replay_libc *libc);

/* Execute one libc-level operation, binding its result slot where it has one. */
rme_err_t replay_libc_execute(struct replay_libc *libc, const rme_trace_op_t *op,
                              uint64_t *slots, rme_trace_result_t *res,
                              char *msg, size_t msglen);

/* The mmap layer instance, for observers. */
struct rme_mmap *replay_libc_instance(const struct replay_libc *libc);

/* The number of mappings, as Linux counts them. */
uint64_t replay_libc_mappings(const struct replay_libc *libc);

/* Whether the layer holds nothing (1), else 0 with a message. */
int replay_libc_leak_free(const struct replay_libc *libc, char *msg, size_t msglen);

/* The layer's invariant checker: 1 if all is well, else 0 with a message. */
int replay_libc_check(const struct replay_libc *libc, char *msg, size_t msglen);

#endif
