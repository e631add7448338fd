# Sourced by every tests/integration/t_*.sh.  The tests talk to a real stack (nginx,
# veogen-fcgi, veogen-runner, PostgreSQL, Redis) started by contrib/devstack, over HTTP.
#
# The stack is described by the environment (`contrib/devstack env` prints it):
#   VEOGEN_BASE_URL  VEOGEN_CONF  VEOGEN_STATE  VEOGEN_BIN_DIR (veogenctl, veogen-fcgi, ...)
#   VEOGEN_DB_CONNINFO  VEOGEN_PG_HOST  VEOGEN_PG_PORT  VEOGEN_REDIS_SOCKET
#   VEOGEN_FCGI_SOCKET  VEOGEN_STORAGE_DIR  VEOGEN_LOG_DIR  VEOGEN_DEVSTACK
# A test may stop and start parts of it: "$VEOGEN_DEVSTACK" down redis; ... up redis.
# It must leave the stack running as it found it.
#
# Requests:
#   api METHOD PATH [BODY] [CURL ARGS...]
#       BODY is JSON text, @FILE for a file's bytes, or "" for none; JSON bodies get
#       Content-Type: application/json unless CURL ARGS set one.  $TOKEN, when set, is sent
#       as a Bearer token (`TOKEN=$OTHER api GET ...` acts as someone else for one call).
#       Afterwards: $API_STATUS, $API_BODY (file), $API_HEADERS (file), `header NAME`,
#       `json FILTER` (jq -r on the body).
# Checks (each counts once in the summary; a failing check does not stop the test):
#   expect_status CODE [WHAT]    expect_json FILTER VALUE    expect_header NAME REGEX
#   expect_eq ACTUAL EXPECTED WHAT    check WHAT COMMAND...    ok WHAT    fail WHAT
# Helpers:
#   register_user     new account; sets TOKEN USER_ID USER_EMAIL USER_PASSWORD REFRESH_TOKEN
#   create_video JSON queues a video as $TOKEN; sets VIDEO_ID (empty on failure)
#   wait_video_done ID [SECONDS]  polls until a final status; sets VIDEO_STATUS
#   psql_veogen SQL   runs SQL in the stack's database, prints unaligned rows
#   veogenctl ARGS    the stack's veogenctl with its config
# The counts reach run.sh through $VEOGEN_IT_RESULT; the script's exit status is 1 when a
# check failed.

# shellcheck disable=SC2034 # USER_ID, VIDEO_ID, ... are for the tests that source this file
set -uo pipefail

: "${VEOGEN_BASE_URL:?run integration tests with tests/integration/run.sh or contrib/devstack test}"
BASE=$VEOGEN_BASE_URL
TEST_NAME=$(basename "$0" .sh)
IT_WORK=$(mktemp -d "${TMPDIR:-/tmp}/veogen-it.XXXXXX")
API_BODY=$IT_WORK/body
API_HEADERS=$IT_WORK/headers
API_STATUS=000
LAST_REQUEST=""
TOKEN=${TOKEN:-}
PASSED=0
FAILED=0

it_finish() {
	local rc=$?
	[ -n "${VEOGEN_IT_RESULT:-}" ] && printf '%s %s\n' "$PASSED" "$FAILED" >"$VEOGEN_IT_RESULT"
	rm -rf "$IT_WORK"
	if [ "$FAILED" -gt 0 ]; then exit 1; fi
	exit "$rc"
}
trap it_finish EXIT

ok() {
	PASSED=$((PASSED + 1))
	printf '  ok    %s\n' "$*"
}

# fail WHAT: counts a failure and shows the last response, which usually says why.
fail() {
	FAILED=$((FAILED + 1))
	printf '  FAIL  %s\n' "$*"
	if [ -n "$LAST_REQUEST" ]; then
		printf '        last request: %s -> %s\n' "$LAST_REQUEST" "$API_STATUS"
		if [ -s "$API_BODY" ] && head -c 1 "$API_BODY" | grep -q '[{[]'; then
			printf '        body: %s\n' "$(head -c 600 "$API_BODY")"
		fi
	fi
}

api() {
	local method=$1 path=$2 body=${3-}
	shift 2
	[ $# -gt 0 ] && shift
	local args=(-s -S -o "$API_BODY" -D "$API_HEADERS" -w '%{http_code}' --max-time 60 -X "$method")
	[ -n "$TOKEN" ] && args+=(-H "Authorization: Bearer $TOKEN")
	if [ -n "$body" ]; then
		args+=(--data-binary "$body")
		local a has_type=0
		for a in "$@"; do
			[[ ${a,,} == content-type:* ]] && has_type=1
		done
		[ $has_type = 1 ] || args+=(-H 'Content-Type: application/json')
	fi
	: >"$API_BODY"
	: >"$API_HEADERS"
	LAST_REQUEST="$method $path"
	API_STATUS=$(curl "${args[@]}" "$@" "$BASE$path") || API_STATUS=000
}

# header NAME: the value of a response header of the last request (last one if repeated).
header() {
	local name=${1,,}
	tr -d '\r' <"$API_HEADERS" | awk -v n="$name" '
		BEGIN { FS = ": " }
		tolower($1) == n { v = substr($0, length($1) + 3) }
		END { if (v != "") print v }'
}

# header_count NAME: how often a header appears in the last response.
header_count() {
	tr -d '\r' <"$API_HEADERS" | awk -v n="${1,,}" 'BEGIN { FS = ":" } tolower($1) == n { c++ } END { print c + 0 }'
}

json() { jq -r "$1" <"$API_BODY" 2>/dev/null; }

expect_eq() {
	if [ "$1" = "$2" ]; then
		ok "$3 ($1)"
	else
		fail "$3: expected '$2', got '$1'"
	fi
}

expect_status() {
	if [ "$API_STATUS" = "$1" ]; then
		ok "$LAST_REQUEST -> $1${2:+ ($2)}"
	else
		fail "$LAST_REQUEST: expected HTTP $1, got $API_STATUS${2:+ ($2)}"
	fi
}

expect_json() {
	local actual
	actual=$(json "$1")
	if [ "$actual" = "$2" ]; then
		ok "$LAST_REQUEST: $1 = $2"
	else
		fail "$LAST_REQUEST: $1 expected '$2', got '$actual'"
	fi
}

expect_header() {
	local actual
	actual=$(header "$1")
	if [[ $actual =~ $2 ]]; then
		ok "$LAST_REQUEST: $1: $actual"
	else
		fail "$LAST_REQUEST: header $1 expected to match /$2/, got '$actual'"
	fi
}

# check WHAT COMMAND...: passes when the command succeeds.
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else fail "$what"; fi
}

register_user() {
	USER_EMAIL="it-$TEST_NAME-$(date +%s%N)-$RANDOM@example.com"
	USER_PASSWORD="pw-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
	local body
	body=$(jq -cn --arg e "$USER_EMAIL" --arg p "$USER_PASSWORD" '{email: $e, password: $p}')
	TOKEN="" api POST /api/v1/auth/register "$body"
	if [ "$API_STATUS" != 201 ]; then
		fail "register $USER_EMAIL: expected HTTP 201, got $API_STATUS"
		TOKEN="" USER_ID="" REFRESH_TOKEN=""
		return 1
	fi
	TOKEN=$(json .access_token)
	REFRESH_TOKEN=$(json .refresh_token)
	USER_ID=$(json .user.id)
}

create_video() {
	VIDEO_ID=""
	api POST /api/v1/videos "$1"
	if [ "$API_STATUS" != 202 ]; then
		fail "create video $1: expected HTTP 202, got $API_STATUS"
		return 1
	fi
	VIDEO_ID=$(json .id)
}

wait_video_done() {
	local id=$1 limit=${2:-300} last="" now deadline
	deadline=$((SECONDS + limit))
	VIDEO_STATUS=""
	while [ $SECONDS -lt $deadline ]; do
		api GET "/api/v1/videos/$id"
		if [ "$API_STATUS" = 200 ]; then
			VIDEO_STATUS=$(json .status)
			now="$VIDEO_STATUS $(json .stage) $(json .progress)%"
			[ "$now" != "$last" ] && printf '        video %s: %s\n' "$id" "$now"
			last=$now
			case $VIDEO_STATUS in succeeded | failed | cancelled) return 0 ;; esac
		fi
		sleep 0.5
	done
	fail "video $id not finished after ${limit}s (last: ${last:-HTTP $API_STATUS})"
	return 1
}

psql_veogen() { psql -X -q -At -v ON_ERROR_STOP=1 "$VEOGEN_DB_CONNINFO" -c "$1"; }

veogenctl() { "$VEOGEN_BIN_DIR/veogenctl" -c "$VEOGEN_CONF" "$@"; }
