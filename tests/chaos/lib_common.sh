# Sourced by tests/chaos/run.sh: output, clocks, SQL, the stack's processes.
# shellcheck shell=bash

say() { printf 'chaos: %s\n' "$*"; }

# violation TEXT: one broken promise; the run fails at the end (background loops too).
violation() {
	printf '%s\n' "$*" >>"$VIOLATIONS"
	printf 'chaos: VIOLATION %s\n' "$*"
}

now_s() { printf '%s' "${EPOCHREALTIME%.*}"; }
now_ms() {
	local t=${EPOCHREALTIME/./}
	printf '%s' "${t:0:-3}"
}
# seconds since the run started, one decimal
elapsed() { awk -v a="$1" -v b="${2:-$(now_ms)}" 'BEGIN { printf "%.1f", (b - a) / 1000 }'; }

# rand_between LOW HIGH: a whole number in [LOW, HIGH].
rand_between() { printf '%s' $(($1 + RANDOM % ($2 - $1 + 1))); }

# sql QUERY: rows of the stack's database, tab-separated; fails fast while it is down.
sql() {
	PGCONNECT_TIMEOUT=3 psql -X -q -At -F $'\t' -v ON_ERROR_STOP=1 "$VEOGEN_DB_CONNINFO" -c "$1" 2>>"$WORK/psql.err"
}

stack() {
	VEOGEN_NO_INSTALL=1 VEOGEN_NO_BUILD=1 "$VEOGEN_DEVSTACK" "$@" >>"$WORK/devstack.log" 2>&1
}

# component_up NAME: devstack says it runs.
component_up() {
	local st
	st=$(VEOGEN_NO_INSTALL=1 VEOGEN_NO_BUILD=1 "$VEOGEN_DEVSTACK" status 2>/dev/null)
	grep -q "^$1 *up " <<<"$st"
}

# runner_master: the pid devstack recorded, when it runs.
runner_master() {
	local pid
	pid=$(head -n1 "$VEOGEN_STATE/run/runner.pid" 2>/dev/null) || return 1
	[[ $pid =~ ^[0-9]+$ ]] && alive "$pid" && printf '%s\n' "$pid"
}

# alive PID: exists and is not a zombie.
alive() {
	local st
	st=$(sed -e 's/^.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "${st%% *}" != Z ]
}

# children_of, descendants_of
# shellcheck source=tests/integration/lib_proc.sh
. "$(dirname "${BASH_SOURCE[0]}")/../integration/lib_proc.sh"

# stop_tree PID: one of our own background loops and what it started, by pid.
stop_tree() {
	local p kids
	alive "$1" || return 0
	kids=$(descendants_of "$1")
	kill -TERM "$1" 2>/dev/null
	for p in $kids; do kill -TERM "$p" 2>/dev/null; done
	wait "$1" 2>/dev/null
	return 0
}

# restore_stack: PostgreSQL, Redis and the runner up again (after a failure mid-fault).
restore_stack() {
	local c
	for c in postgres redis runner; do
		component_up "$c" && continue
		say "restoring $c"
		stack up "$c" || say "could not start $c again: see $VEOGEN_LOG_DIR and $WORK/devstack.log"
	done
}
