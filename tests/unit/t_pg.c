/* What the database suites share: one statement on the server's admin connection, for
 * creating and dropping their scratch databases. */
#include <libpq-fe.h>
#include <stdio.h>

#include "tests.h"

bool vg_test_pg_exec(const char *conninfo, const char *sql)
{
	PGconn *c = PQconnectdb(conninfo);
	bool ok = false;

	if (PQstatus(c) == CONNECTION_OK) {
		PGresult *r = PQexec(c, sql);

		ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		if (!ok)
			fprintf(stderr, "\n%s: %s", sql, PQerrorMessage(c));
		PQclear(r);
	} else {
		fprintf(stderr, "\ncannot connect to %s: %s", conninfo, PQerrorMessage(c));
	}
	PQfinish(c);
	return ok;
}
