#!/usr/bin/env bash
# The chaos test: videos (mostly the local provider, a share on the fake Gemini API) and
# movies are submitted at a steady pace while the runner is SIGKILLed at random moments,
# PostgreSQL is restarted once and Redis is stopped for a while.  At the end every video,
# movie and job must be in a terminal state, every succeeded output must exist with its
# recorded sha256 and size, no generation may have reached a provider twice, and after
# veogen-cleanup no orphan file may remain.  Prints the figures; exits 1 on any violation.
#
#   eval "$(contrib/devstack env)"; tests/chaos/run.sh [--videos N] [--movies M] ...
#   (contrib/devstack test runs it with --videos 40 --movies 1, test --long with 500 and 5)
#
# Options (defaults in brackets):
#   --videos N         videos to submit [40]
#   --movies M         movies of 3-4 hand-written scenes to render [1]
#   --gemini-percent P share of the videos sent to the fake Gemini API [10]; needs the
#                      stack's fake (contrib/devstack up fake); 0 runs without it
#   --users U          accounts the work is spread over [3 + videos / 200]
#   --kills K          SIGKILLs of the runner (worker, master or the whole runner) [3 + videos / 50]
#   --deadline S       seconds until everything must have ended [240 + 2 * videos + 60 * movies];
#                      sooner, when nothing moved for 300 s once the faults are over
#   --seed N           seed of the random schedule, to replay a run [random, printed]
#   --keep             keep the work directory (its files list every request and event)
# See tests/chaos/README.md for what is checked and why.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

usage() {
	sed -n '2,/^set -uo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
	exit 2
}

VIDEOS=40 MOVIES=1 GEMINI_PCT=10 USERS="" KILLS="" DEADLINE="" SEED="" KEEP=0
while [ $# -gt 0 ]; do
	case $1 in
	--videos | --movies | --gemini-percent | --users | --kills | --deadline | --seed)
		[ $# -ge 2 ] && [[ $2 =~ ^[0-9]+$ ]] || {
			echo "chaos: $1 needs a whole number (got '${2:-}')" >&2
			exit 2
		}
		case $1 in
		--videos) VIDEOS=$2 ;;
		--movies) MOVIES=$2 ;;
		--gemini-percent) GEMINI_PCT=$2 ;;
		--users) USERS=$2 ;;
		--kills) KILLS=$2 ;;
		--deadline) DEADLINE=$2 ;;
		--seed) SEED=$2 ;;
		esac
		shift 2
		;;
	--keep)
		KEEP=1
		shift
		;;
	-h | --help) usage ;;
	*)
		echo "chaos: unknown option '$1' (see --help)" >&2
		exit 2
		;;
	esac
done
[ "$GEMINI_PCT" -le 100 ] || {
	echo "chaos: --gemini-percent must be 0 to 100 (got $GEMINI_PCT)" >&2
	exit 2
}
[ $((VIDEOS + MOVIES)) -gt 0 ] || {
	echo "chaos: nothing to do: give --videos or --movies more than 0" >&2
	exit 2
}
USERS=${USERS:-$((3 + VIDEOS / 200))}
[ "$USERS" -ge 1 ] || USERS=1
KILLS=${KILLS:-$((3 + VIDEOS / 50))}
DEADLINE=${DEADLINE:-$((240 + 2 * VIDEOS + 60 * MOVIES))}
STALL_S=300
SEED=${SEED:-$(((RANDOM << 15) | RANDOM))}
RANDOM=$SEED

for v in VEOGEN_BASE_URL VEOGEN_STATE VEOGEN_CONF VEOGEN_BIN_DIR VEOGEN_DB_CONNINFO \
	VEOGEN_STORAGE_DIR VEOGEN_LOG_DIR VEOGEN_DEVSTACK; do
	[ -n "${!v:-}" ] || {
		echo "chaos: $v is not set: run eval \"\$(contrib/devstack env)\" first (or contrib/devstack test)" >&2
		exit 2
	}
done
for tool in curl jq psql sha256sum find; do
	command -v "$tool" >/dev/null || {
		echo "chaos: $tool is missing (contrib/devstack up installs what the stack needs)" >&2
		exit 2
	}
done
[ -x "$VEOGEN_BIN_DIR/veogen-cleanup" ] || {
	echo "chaos: $VEOGEN_BIN_DIR/veogen-cleanup is missing: build the stack first (contrib/devstack up)" >&2
	exit 2
}
if [ "$GEMINI_PCT" -gt 0 ] && [ -z "${VEOGEN_FAKE_URL:-}" ]; then
	echo "chaos: the Gemini share needs the stack's fake Google APIs: contrib/devstack up fake (or --gemini-percent 0)" >&2
	exit 2
fi

BASE=$VEOGEN_BASE_URL
STORAGE=$VEOGEN_STORAGE_DIR
RUN=chaos$(date +%s)$((RANDOM % 1000))
WORK=$(mktemp -d "${TMPDIR:-/tmp}/veogen-chaos.XXXXXX")
VIOLATIONS=$WORK/violations
: >"$VIOLATIONS"
BG_PIDS=()

# shellcheck source=tests/chaos/lib_common.sh
. "$here/lib_common.sh"
# shellcheck source=tests/chaos/lib_client.sh
. "$here/lib_client.sh"
# shellcheck source=tests/chaos/lib_faults.sh
. "$here/lib_faults.sh"
# shellcheck source=tests/chaos/lib_verify.sh
. "$here/lib_verify.sh"

# Whatever happens, the stack is left as it was found: the background loops stop, and
# PostgreSQL, Redis and the runner run again.
finish() {
	local rc=$? p
	trap - EXIT INT TERM
	for p in "${BG_PIDS[@]}"; do stop_tree "$p"; done
	restore_stack
	if [ "$KEEP" = 1 ]; then
		say "work files kept in $WORK"
	else
		rm -rf -- "$WORK"
	fi
	exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "run $RUN (seed $SEED): $VIDEOS videos ($GEMINI_PCT % gemini), $MOVIES movies, $USERS users, $KILLS kills, deadline ${DEADLINE}s"
preflight || exit 1
make_users || exit 1

T0=$(now_s)
START_DB=$(sql "SELECT now()") || {
	say "cannot read the database clock"
	exit 1
}
touch -d "@$((T0 - 2))" "$WORK/start"
LOG_OFFSET=$(stat -c %s "$VEOGEN_LOG_DIR/runner.log" 2>/dev/null || echo 0)
FAKE_SEQ=0
[ -z "${VEOGEN_FAKE_URL:-}" ] || FAKE_SEQ=$(curl -s --max-time 5 "$VEOGEN_FAKE_URL/_fake/stats" | jq -r '.last_seq // 0')

plan_work
submitter &
SUBMITTER=$!
BG_PIDS+=("$SUBMITTER")
chaos_loop &
CHAOS=$!
BG_PIDS+=("$CHAOS")

wait_for_the_end
T_END=$(now_s)
verify_all
print_figures

if [ -s "$VIOLATIONS" ]; then
	printf '\nchaos: %d violation(s):\n' "$(wc -l <"$VIOLATIONS")"
	sed 's/^/  VIOLATION  /' "$VIOLATIONS"
	printf 'chaos: FAILED (seed %s; --keep keeps the work files)\n' "$SEED"
	exit 1
fi
printf 'chaos: passed (seed %s)\n' "$SEED"
exit 0
