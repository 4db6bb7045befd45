/*
 * quota.c: what the model charges and where: the PD's RAM and capability
 * quota, the RM session that region maps of core kernels take their
 * memory from (with the donations the client makes to it), and the
 * metadata slabs of region maps. costs.h has the figures.
 */
#include <string.h>

#include "costs.h"
#include "model_internal.h"

uint64_t
ram_avail(const rme_model_t *m)
{
	return m->quota.ram_quota - m->quota.ram_used;
}

uint64_t
caps_avail(const rme_model_t *m)
{
	return m->quota.cap_quota - m->quota.cap_used;
}

/* Take ram bytes and caps capabilities from the PD, or neither. */
rme_err_t
quota_charge(rme_model_t *m, uint64_t ram, uint64_t caps)
{
	if (ram_avail(m) < ram)
		return RME_ERR_OUT_OF_RAM;
	if (caps_avail(m) < caps)
		return RME_ERR_OUT_OF_CAPS;
	m->quota.ram_used += ram;
	m->quota.cap_used += caps;
	return RME_OK;
}

void
quota_refund(rme_model_t *m, uint64_t ram, uint64_t caps)
{
	m->quota.ram_used -= ram;
	m->quota.cap_used -= caps;
}

static uint64_t
donations(uint64_t short_by, uint64_t step)
{
	return (short_by + step - 1) / step * step;
}

/*
 * Take ram bytes and caps capabilities from the RM session (core kernels),
 * opening it first if need be. Core allocates region maps and their
 * metadata from the session's quota; when that is short, the client
 * donates COST_RM_SESSION_UPGRADE_* steps of its PD's quota until it is
 * not (Rm_connection::create does so, and so does rmemu_replay for
 * attaches). The PD sees only the donations. All or nothing: when the PD
 * cannot fund every donation needed, nothing is donated. (A real client
 * would have donated the steps its PD could fund before it failed.)
 */
rme_err_t
session_take(rme_model_t *m, uint64_t ram, uint64_t caps)
{
	uint64_t have_ram = m->rm_session.avail_ram, have_caps = m->rm_session.avail_caps;
	uint64_t open_ram = 0, open_caps = 0, up_ram = 0, up_caps = 0;

	if (!m->rm_session.open) {
		open_ram = COST_RM_SESSION_RAM;
		open_caps = COST_RM_SESSION_CAPS;
		have_ram = COST_RM_SESSION_RAM - COST_RM_SESSION_OWN_RAM;
		have_caps = COST_RM_SESSION_CAPS - COST_RM_SESSION_OWN_CAPS;
	}
	if (have_ram < ram)
		up_ram = donations(ram - have_ram, COST_RM_SESSION_UPGRADE_RAM);
	if (have_caps < caps)
		up_caps = donations(caps - have_caps, COST_RM_SESSION_UPGRADE_CAPS);
	if (ram_avail(m) < open_ram + up_ram)
		return RME_ERR_OUT_OF_RAM;
	if (caps_avail(m) < open_caps + up_caps)
		return RME_ERR_OUT_OF_CAPS;
	(void)quota_charge(m, open_ram + up_ram, open_caps + up_caps);
	m->rm_session.open = true;
	m->rm_session.donated_ram += open_ram + up_ram;
	m->rm_session.donated_caps += open_caps + up_caps;
	m->rm_session.avail_ram = have_ram + up_ram - ram;
	m->rm_session.avail_caps = have_caps + up_caps - caps;
	return RME_OK;
}

/* Core freed ram bytes and caps of the RM session: they stay with the session. */
static void
session_give_back(rme_model_t *m, uint64_t ram, uint64_t caps)
{
	m->rm_session.avail_ram += ram;
	m->rm_session.avail_caps += caps;
}

/* Close the RM session: the PD gets back everything it donated. */
void
session_close(rme_model_t *m)
{
	if (!m->rm_session.open)
		return;
	quota_refund(m, m->rm_session.donated_ram, m->rm_session.donated_caps);
	memset(&m->rm_session, 0, sizeof(m->rm_session));
}

/*
 * Region metadata lives in core's slab; on base-linux the region maps are
 * the process's own (Region_map_mmap) and their metadata costs core nothing.
 * Core takes the slab blocks of env and the layout's maps from the PD's
 * quota, those of the RM session's maps from the session's.
 */
bool
slab_charged(const rme_model_t *m)
{
	return !model_is_linux(m);
}

rme_err_t
slab_grow(void *ctx)
{
	struct rm *rm = ctx;

	if (!slab_charged(rm->model))
		return RME_OK;
	if (!rm->internal)
		return session_take(rm->model, COST_MD_SLAB_RAM, COST_MD_SLAB_CAPS);
	return quota_charge(rm->model, COST_MD_SLAB_RAM, COST_MD_SLAB_CAPS);
}

void
slab_shrink(void *ctx)
{
	struct rm *rm = ctx;

	if (!slab_charged(rm->model))
		return;
	if (!rm->internal)
		session_give_back(rm->model, COST_MD_SLAB_RAM, COST_MD_SLAB_CAPS);
	else
		quota_refund(rm->model, COST_MD_SLAB_RAM, COST_MD_SLAB_CAPS);
}

/* A created region map is gone: what it cost goes back to the PD (base-linux) or the session. */
void
rm_uncharge(rme_model_t *m)
{
	if (model_is_linux(m))
		quota_refund(m, COST_LINUX_RM_CREATE_RAM, COST_LINUX_RM_CREATE_CAPS);
	else
		session_give_back(m, COST_RM_CREATE_RAM, COST_RM_CREATE_CAPS);
}

void
rme_quota(const rme_model_t *m, rme_quota_t *out)
{
	*out = m->quota;
}
