#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang (AddressSanitizer, UndefinedBehavior-
# Sanitizer, leak detection) in an out-of-tree build directory and runs each one:
#
#   tests/fuzz/run.sh [--build DIR] [--long] [--time SECONDS] [--runs N] [TARGET...]
#
#   --build DIR     the build directory (default ${TMPDIR:-/tmp}/veogen-build-fuzz); it is
#                   configured with CC=clang --enable-sanitizers and the fuzzer's CFLAGS
#   (default)       short: a fixed number of executions per target (RUNS below, or --runs N)
#   --long          each target for a fixed time: --time SECONDS, else $VEOGEN_FUZZ_SECONDS,
#                   else 120
#   TARGET          run only these (names as in tests/fuzz: route, multipart, fuzz_conf …)
#
# Seeds come from tests/fuzz/corpus/<target> (read only); what a run discovers is kept in
# DIR/fuzz/corpus/<target>, so later runs start from there.  One line of figures per target,
# a table at the end.  Exit status 1 when a target crashed, leaked, timed out, ran out of
# memory or a sanitizer reported anything: the input that did it is named (DIR/fuzz/artifacts/
# <target>/crash-…), and `DIR/tests/fuzz/fuzz_<target> FILE` replays it.
set -u

SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${TMPDIR:-/tmp}/veogen-build-fuzz
LONG=0
SECONDS_EACH=${VEOGEN_FUZZ_SECONDS:-120}
RUNS_OVERRIDE=
ONLY=()

# Short mode's executions per target: a few seconds each on one core, half a minute to a
# minute in all once built (more while other work loads the machine).
declare -A RUNS=(
	[video_req]=25000 [movie_req]=30000 [route]=50000 [multipart]=40000 [query]=30000
	[headers]=60000 [conf]=10000 [veo]=60000 [gtext]=100000
)
TARGETS=(video_req movie_req route multipart query headers conf veo gtext)
# Targets whose code under test leaks inside a system library on most inputs (lsan.supp):
# a leak check after each such input makes libFuzzer scan the whole heap every time (100
# times slower), so they run without it and rely on LeakSanitizer's check at exit, which
# sees every leak of the run; when it finds one, the corpus is replayed to name the input.
LEAKS_AFTER=" conf "

die() {
	echo "fuzz: $*" >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--build)
		[ $# -ge 2 ] || die "--build needs a directory"
		BUILD=$2
		shift
		;;
	--long) LONG=1 ;;
	--time)
		[ $# -ge 2 ] || die "--time needs a number of seconds"
		SECONDS_EACH=$2
		shift
		;;
	--runs)
		[ $# -ge 2 ] || die "--runs needs a number of executions"
		RUNS_OVERRIDE=$2
		shift
		;;
	-h | --help)
		sed -n '2,/^set -u/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
		exit 0
		;;
	-*) die "unknown option $1 (see --help)" ;;
	*) ONLY+=("${1#fuzz_}") ;;
	esac
	shift
done
[[ $SECONDS_EACH =~ ^[1-9][0-9]*$ ]] ||
	die "the time per target must be a whole number of seconds, not \"$SECONDS_EACH\""
[ -z "$RUNS_OVERRIDE" ] || [[ $RUNS_OVERRIDE =~ ^[1-9][0-9]*$ ]] ||
	die "--runs must be a whole number, not \"$RUNS_OVERRIDE\""
if [ ${#ONLY[@]} -gt 0 ]; then
	for t in "${ONLY[@]}"; do
		[ -n "${RUNS[$t]:-}" ] || die "no target $t: the targets are ${TARGETS[*]}"
	done
	TARGETS=("${ONLY[@]}")
fi
command -v clang >/dev/null || die "clang is missing: apt-get install clang"
mkdir -p "$BUILD" || die "cannot create $BUILD"
BUILD=$(cd "$BUILD" && pwd)

# ---- build
configure_args=(CC=clang --enable-sanitizers "CFLAGS=-g -O1 -fsanitize=fuzzer-no-link")
build() {
	[ ! -e "$SRC/config.status" ] ||
		die "$SRC was configured in place; run 'make distclean' there (the fuzz build is out of tree)"
	if [ ! -x "$SRC/configure" ] || [ "$SRC/configure.ac" -nt "$SRC/configure" ] ||
		[ "$SRC/Makefile.am" -nt "$SRC/Makefile.in" ]; then
		echo "fuzz: autoreconf -fi in $SRC"
		(cd "$SRC" && mkdir -p m4 && autoreconf -fi) || return 1
	fi
	local stamp=$BUILD/.fuzz-configure-args
	if [ ! -f "$BUILD/Makefile" ] || [ "$(cat "$stamp" 2>/dev/null)" != "${configure_args[*]}" ]; then
		echo "fuzz: configuring $BUILD (${configure_args[*]})"
		rm -f "$stamp"
		(cd "$BUILD" && "$SRC/configure" -q "${configure_args[@]}") || return 1
		printf '%s' "${configure_args[*]}" >"$stamp"
	fi
	echo "fuzz: building the targets in $BUILD"
	make -C "$BUILD" -s -j"$(nproc)" "${TARGETS[@]/#/tests/fuzz/fuzz_}"
}
build || {
	echo "fuzz: FAILED: the fuzz targets did not build (clang -fsanitize=fuzzer; see above)" >&2
	exit 1
}

# ---- run
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# leaks inside system libraries that are known and fixed upstream (the file says which)
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$SRC/tests/fuzz/lsan.supp:print_suppressions=0}
# the environment of a dev stack must not steer the config loader under test
unset VEOGEN_RATE_LIMIT_PER_MIN VEOGEN_GEMINI_BASE_URL VEOGEN_GEMINI_API_KEY \
	VEOGEN_VERTEX_BASE_URL VEOGEN_VERTEX_TOKEN_URL VEOGEN_VERTEX_KEY_FILE

declare -a ROWS=()
failed=0

# leak_input BIN ART DIR...: the first input of the corpus DIRs that leaks when run alone,
# copied to ART as leak-…; nothing when none does (the leaking input was not kept).
leak_input() {
	local bin=$1 art=$2 f
	shift 2
	while IFS= read -r f; do
		if ! "$bin" "$f" >/dev/null 2>&1 </dev/null; then
			cp "$f" "${art%/}/leak-$(basename "$f")"
			echo "${art%/}/leak-$(basename "$f")"
			return
		fi
	done < <(find "$@" -type f)
}

# field NAME LOG: the value of "NAME: value" on libFuzzer's last status line.
field() {
	grep -E '^#[0-9]+' "$2" | grep " $1: " | tail -n 1 | sed -E "s/.* $1: ([^ ]+).*/\\1/"
}

stat() {
	sed -nE "s/^stat::$1: +([0-9]+).*/\\1/p" "$2" | tail -n 1
}

run_target() {
	local t=$1 bin=$BUILD/tests/fuzz/fuzz_$1 work=$BUILD/fuzz/corpus/$1
	local art=$BUILD/fuzz/artifacts/$1/ log=$BUILD/fuzz/logs/$1.log
	local seeds=$SRC/tests/fuzz/corpus/$1 dict=$SRC/tests/fuzz/$1.dict
	local args=(-max_len=8192 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
		-artifact_prefix="$art")
	local rc crash execs eps cov ft corp crashes status late=0

	mkdir -p "$work" "$art" "$(dirname "$log")"
	[ -f "$dict" ] && args+=(-dict="$dict")
	if [[ $LEAKS_AFTER == *" $t "* ]]; then
		late=1
		args+=(-detect_leaks=0)
	fi
	if [ "$LONG" = 1 ]; then
		args+=(-max_total_time="$SECONDS_EACH")
	else
		args+=(-runs="${RUNS_OVERRIDE:-${RUNS[$t]}}")
	fi
	local before start ms
	before=$(find "$art" -type f | wc -l)
	start=$(date +%s%N)
	"$bin" "${args[@]}" "$work" "$seeds" >"$log" 2>&1
	rc=$?
	ms=$((($(date +%s%N) - start) / 1000000))
	crash=$(sed -nE 's/.*Test unit written to (.+)$/\1/p' "$log" | tail -n 1)
	# the check at exit blames whichever input ran last: find the one that leaks
	if [ "$late" = 1 ] && [ "$rc" != 0 ] && grep -q 'ERROR: LeakSanitizer' "$log"; then
		rm -f "$crash"
		crash=$(leak_input "$bin" "$art" "$work" "$seeds")
		[ -n "$crash" ] || echo "no input of the corpus leaks alone: run $bin with" \
			"-detect_leaks=1 -runs=${RUNS[$t]} $work to catch it (slowly)" >>"$log"
	fi
	crashes=$(($(find "$art" -type f | wc -l) - before))
	execs=$(stat number_of_executed_units "$log")
	# libFuzzer's own average is in whole seconds (0 for a short run): from the wall clock
	eps=
	[ -z "$execs" ] || eps=$((execs * 1000 / (ms > 0 ? ms : 1)))
	cov=$(field cov "$log")
	ft=$(field ft "$log")
	corp=$(field corp "$log")
	status=ok
	# a sanitizer report that did not stop the run is a failure too
	if [ "$rc" != 0 ] || [ "$crashes" -gt 0 ] ||
		grep -qE 'runtime error:|ERROR: (Address|Leak|UndefinedBehavior)Sanitizer|^SUMMARY: ' "$log"; then
		status=FAILED
		failed=1
		[ "$crashes" -gt 0 ] || crashes=1
	fi
	printf 'fuzz_%s: %s executions, %s exec/s, cov %s, ft %s, corpus %s, crashes %s: %s\n' \
		"$t" "${execs:-?}" "${eps:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$crashes" "$status"
	ROWS+=("$(printf '%-16s %12s %9s %6s %7s %8s %8s  %s' "fuzz_$t" "${execs:-?}" "${eps:-?}" \
		"${cov:-?}" "${ft:-?}" "${corp:-?}" "$crashes" "$status")")
	if [ "$status" = FAILED ]; then
		echo "---- fuzz_$t failed (exit $rc); the end of $log:" >&2
		grep -vE '^#[0-9]+|^INFO: |^\s*$' "$log" | tail -n 40 >&2
		if [ -n "$crash" ]; then
			echo "---- the input: $crash" >&2
			echo "---- reproduce: $bin $crash" >&2
		else
			echo "---- no input was written; the whole log: $log" >&2
		fi
	fi
}

if [ "$LONG" = 1 ]; then
	echo "fuzz: ${#TARGETS[@]} targets, $SECONDS_EACH s each"
else
	echo "fuzz: ${#TARGETS[@]} targets, a fixed number of executions each"
fi
for t in "${TARGETS[@]}"; do
	run_target "$t"
done

echo
printf '%-16s %12s %9s %6s %7s %8s %8s  %s\n' target executions exec/s cov ft corpus crashes result
printf '%s\n' "${ROWS[@]}"
if [ "$failed" != 0 ]; then
	echo "fuzz: FAILED (the crashing inputs are named above)"
	exit 1
fi
echo "fuzz: ok"
