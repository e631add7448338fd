/* The user-status cache: a small direct-mapped table, invalidated by NOTIFY veogen_users. */
#include "config.h"

#include <string.h>
#include <time.h>

#include "fcgi_usercache.h"
#include "vg_log.h"
#include "vg_str.h"

#define SLOTS   1024
#define TTL_S   60 /* a safety net only: NOTIFY is what keeps entries right */
#define CHANNEL "veogen_users"

struct slot {
	char user_id[40];
	struct vg_user_status st;
	time_t at;
};

static struct slot slots[SLOTS];
static unsigned listening_generation; /* 0: not listening, cache unusable */

static unsigned slot_of(const char *user_id)
{
	unsigned h = 2166136261u; /* FNV-1a */

	for (const char *p = user_id; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return h % SLOTS;
}

static void forget_all(void)
{
	memset(slots, 0, sizeof slots);
}

/* LISTENs on a new connection and applies the notifications that arrived.  false when the
 * cache cannot be trusted now (no connection, LISTEN failed). */
static bool sync_with_database(struct vg_req *r)
{
	PGconn *conn = vg_db_conn(r->db);
	PGnotify *n;

	if (!conn) {
		listening_generation = 0;
		return false;
	}
	if (vg_db_generation(r->db) != listening_generation) {
		struct vg_err e;

		forget_all();
		listening_generation = 0;
		vg_err_clear(&e);
		if (!vg_db_q0(r->db, r->a, &e, "LISTEN " CHANNEL))
			return false;
		listening_generation = vg_db_generation(r->db);
	}
	if (!PQconsumeInput(conn)) { /* the connection broke: the next statement reconnects */
		listening_generation = 0;
		return false;
	}
	while ((n = PQnotifies(conn))) {
		struct slot *s = &slots[slot_of(n->extra)];
		if (strcmp(s->user_id, n->extra) == 0)
			s->user_id[0] = '\0';
		PQfreemem(n);
	}
	return true;
}

bool vg_usercache_get(struct vg_req *r, const char *user_id, struct vg_user_status *out)
{
	struct slot *s = &slots[slot_of(user_id)];

	if (!sync_with_database(r))
		return false;
	if (strcmp(s->user_id, user_id) != 0 || time(NULL) - s->at > TTL_S)
		return false;
	*out = s->st;
	return true;
}

void vg_usercache_put(struct vg_req *r, const char *user_id, const struct vg_user_status *st)
{
	struct slot *s = &slots[slot_of(user_id)];

	/* only while listening on this very connection: else a change could go unseen */
	if (listening_generation == 0 || listening_generation != vg_db_generation(r->db))
		return;
	vg_strlcpy(s->user_id, user_id, sizeof s->user_id);
	s->st = *st;
	s->at = time(NULL);
}
