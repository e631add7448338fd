# shellcheck shell=bash
# Sourced by the benchmarks that need a PostgreSQL cluster of their own (queue_drain.sh,
# wake_latency.sh, memory.sh): one cluster, one set of settings, one runner configuration,
# so their figures compare.  The caller defines die() and may set PGBIN.
#
#   cluster_check PORT            the server binaries and psql are there, PORT is free, and
#                                 (as root) an unprivileged user for the cluster exists;
#                                 sets pgbin, pg_user, as_pg
#   cluster_start DIR PORT TAG [EXTRA]
#                                 initdb in DIR/data, the shared settings (and the lines of
#                                 EXTRA) in its postgresql.conf, start; log in DIR/server.log;
#                                 sets cluster_data, cluster_started=1; exports PGHOST,
#                                 PGPORT, PGUSER
#   cluster_stop                  stops it (for the caller's EXIT trap; harmless when not up)
#   runner_conf FILE CONNINFO NAME WORK TAG
#                                 a veogen-runner config: etc/veogen.conf's defaults but the
#                                 database, WORK/storage and WORK/run, and runner.allow_noop
#   load                          the load average (1, 5, 15 min)

pgbin=${PGBIN:-/usr/lib/postgresql/15/bin}
pg_user=$(id -un)
as_pg=()
cluster_data=
cluster_started=0

cluster_check() {
	local port=$1 u
	[ -x "$pgbin/initdb" ] || die "PostgreSQL 15 server binaries missing in $pgbin (apt-get install postgresql-15)"
	command -v psql > /dev/null || die "psql is missing (apt-get install postgresql-client-15)"
	# PostgreSQL refuses root: as root the cluster belongs to an unprivileged user.
	if [ "$(id -u)" = 0 ]; then
		pg_user=${BENCH_PG_USER:-}
		if [ -z "$pg_user" ]; then
			for u in veogen-dev postgres; do
				if id -u "$u" > /dev/null 2>&1; then
					pg_user=$u
					break
				fi
			done
		fi
		{ [ -n "$pg_user" ] && id -u "$pg_user" > /dev/null 2>&1; } ||
			die "running as root: set BENCH_PG_USER to an unprivileged user for the cluster"
		as_pg=(runuser -u "$pg_user" --)
	fi
	if (exec 3<> "/dev/tcp/127.0.0.1/$port") 2> /dev/null; then
		die "127.0.0.1:$port is taken: set BENCH_PGPORT to a free port"
	fi
}

# The settings of shared/research/bench/pg_up.sh, with synchronous_commit and fsync on.
cluster_start() {
	local dir=$1 port=$2 tag=$3 extra=${4:-}
	mkdir -p "$dir"
	[ ${#as_pg[@]} -eq 0 ] || chown "$pg_user" "$dir"
	cluster_data=$dir/data
	"${as_pg[@]}" "$pgbin/initdb" -D "$cluster_data" -U postgres -A trust -E UTF8 --no-locale --no-sync \
		> "$dir/initdb.log" 2>&1 || {
		cat "$dir/initdb.log" >&2
		die "initdb failed"
	}
	cat >> "$cluster_data/postgresql.conf" << EOF
# --- $tag: the benchmarks' settings (tests/bench/lib_cluster.sh) ---
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 200
shared_buffers = 512MB
synchronous_commit = on
fsync = on
log_min_messages = warning
EOF
	[ -z "$extra" ] || printf '# --- %s ---\n%s\n' "$tag" "$extra" >> "$cluster_data/postgresql.conf"
	"${as_pg[@]}" "$pgbin/pg_ctl" -D "$cluster_data" -l "$dir/server.log" -w -t 60 -s start > /dev/null || {
		tail -20 "$dir/server.log" >&2
		die "PostgreSQL did not start"
	}
	cluster_started=1
	export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres
}

cluster_stop() {
	[ "$cluster_started" = 1 ] || return 0
	"${as_pg[@]}" "$pgbin/pg_ctl" -D "$cluster_data" -m fast -w -s stop > /dev/null 2>&1 || true
	cluster_started=0
}

runner_conf() {
	cat > "$1" << EOF
# $5: etc/veogen.conf defaults except where the bench must differ.
database: {
  conninfo = "$2";
};
storage: {
  dir = "$4/storage";
};
runner: {
  name = "$3";
  allow_noop = true;
  ${BENCH_RUNNER_SET:-}
};
runtime: {
  dir = "$4/run";
};
EOF
}

load() { cut -d' ' -f1-3 /proc/loadavg; }
