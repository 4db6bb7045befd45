/*
 * replay_mmap.h: the mmap layer of a replay on the model: set up as the
 * trace's directives say, on the model's Genode primitives, and what the
 * replay's checks ask of it. The executor runs the libc-level operations
 * on it (rmemu/executor.h).
 */
#ifndef RMEMU_REPLAY_MMAP_H
#define RMEMU_REPLAY_MMAP_H

#include <rmemu/model.h>
#include <rmemu/trace.h>

struct replay_mmap;

/*
 * Set up the mmap layer on model as the directives say (mmap-area,
 * map-count-max, policy, which 'policy' overrides unless NULL); *area_rm
 * receives the area's region map (0 for a policy without one). On an
 * error msg says why.
 */
rme_err_t replay_mmap_create(rme_model_t *model, const rme_trace_directives_t *d,
                             const char *policy, const rme_allocator_t *alloc,
                             struct replay_mmap **out,
                             uint64_t *area_rm, char *msg, size_t msglen);
void replay_mmap_destroy(struct replay_mmap *rm);

/* The mmap layer instance, for the executor and for observers. */
struct rme_mmap *replay_mmap_instance(const struct replay_mmap *rm);

/* The number of mappings, as Linux counts them. */
uint64_t replay_mmap_mappings(const struct replay_mmap *rm);

/* Whether the layer holds nothing (1), else 0 with a message. */
int replay_mmap_leak_free(const struct replay_mmap *rm, char *msg, size_t msglen);

/* The layer's invariant checker: 1 if all is well, else 0 with a message. */
int replay_mmap_check(const struct replay_mmap *rm, char *msg, size_t msglen);

#endif
