#!/usr/bin/env bash
# Runs the integration tests (tests/integration/t_*.sh, or the names given) against a running
# stack and ends with one line "N passed, M failed" counting checks.  Exits 1 on any failure.
#
#   contrib/devstack test                       starts a fresh stack and runs all of them
#   tests/integration/run.sh [t_video_flow ...] against the stack that `contrib/devstack env`
#                                               describes (your dev stack), or $VEOGEN_BASE_URL
#
# A test that exits non-zero without a failed check (it crashed) counts as one failure;
# one that runs longer than $VEOGEN_IT_TIMEOUT seconds (default 900) is stopped.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ -z "${VEOGEN_BASE_URL:-}" ]; then
	eval "$("$here/../../contrib/devstack" env)"
fi

tests=()
if [ $# -gt 0 ]; then
	for name in "$@"; do
		name=$(basename "$name" .sh)
		[ -f "$here/$name.sh" ] || {
			echo "no such test: $here/$name.sh" >&2
			exit 2
		}
		tests+=("$here/$name.sh")
	done
else
	tests=("$here"/t_*.sh)
fi

passed=0 failed=0 bad_tests=()
result=$(mktemp)
trap 'rm -f "$result"' EXIT
for t in "${tests[@]}"; do
	name=$(basename "$t" .sh)
	printf '%s\n' "$name"
	: >"$result"
	start=$SECONDS
	VEOGEN_IT_RESULT=$result timeout --kill-after=10 "${VEOGEN_IT_TIMEOUT:-900}" bash "$t"
	rc=$?
	read -r p f <"$result" || { p=0 f=0; }
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		[ "$rc" -eq 124 ] && echo "  FAIL  $name timed out" || echo "  FAIL  $name exited with status $rc"
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$f" -gt 0 ]; then
		bad_tests+=("$name")
		printf 'FAIL %s: %d of %d checks failed (%ds)\n\n' "$name" "$f" $((p + f)) $((SECONDS - start))
	else
		printf 'PASS %s: %d checks (%ds)\n\n' "$name" "$p" $((SECONDS - start))
	fi
done

[ ${#bad_tests[@]} -eq 0 ] || echo "failed tests: ${bad_tests[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
