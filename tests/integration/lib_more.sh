# Sourced after lib.sh by the integration tests that go beyond the first flow (errors,
# idempotency, cancel, crashes, outages, the FastCGI master).  Helpers only; no checks run
# here on their own.
#
#   on_exit COMMAND...        runs COMMAND (eval'd) when the test ends, however it ends, in
#                             reverse order of registration, before lib.sh's summary
#   stack ARGS...             contrib/devstack for the stack under test (down/up COMPONENT)
#   sqlv SQL [NAME=VALUE...]  SQL with psql variables (:'NAME' quotes), prints unaligned rows
#   wait_until SECONDS COMMAND...  polls COMMAND every 0.2 s; false after SECONDS
#   new_user PREFIX           register_user, then PREFIX_TOKEN PREFIX_ID PREFIX_EMAIL
#                             PREFIX_PASSWORD PREFIX_REFRESH ($TOKEN is left as it was)
#   expect_problem CODE [WHAT]  status CODE and an RFC 9457 body (Content-Type, type, title,
#                             status, detail, request_id = X-Request-Id)
#   expect_field_errors FIELD...  the last problem's errors[] names every FIELD
#   access_log_mark / expect_no_5xx [ALLOWED_REGEX]  no 5xx answered by nginx since the mark
#   jwt_hs256 HEADER_JSON CLAIMS_JSON KEY   a signed token (KEY is the secret's bytes)
#   jwt_secret                the stack's HS256 secret as veogen-fcgi reads it
#   children_of PID / descendants_of PID   process ids, from /proc
#   conf_set FILE GROUP KEY VALUE   sets (or adds) GROUP.KEY in a libconfig file copy
#   conf_value FILE GROUP KEY   the value of GROUP.KEY (quotes removed), empty when unset
#   private_fcgi_start CONF [ENV=VALUE...] / private_fcgi_stop   a veogen-fcgi of our own
#   fcgi_request SOCKET METHOD URI [ENV=VALUE...]   one request with cgi-fcgi; sets FC_STATUS,
#                             FC_HEADERS (file), FC_BODY (file)
#   stored_files ID           files under the storage dir whose name holds ID
#   probe_video FILE SECONDS WIDTH HEIGHT   ffprobe checks: duration within a frame, size,
#                             h264 + aac

STORAGE_DIR=${VEOGEN_STORAGE_DIR:-$VEOGEN_STATE/storage}
LOG_DIR=${VEOGEN_LOG_DIR:-$VEOGEN_STATE/log}

# ---------------------------------------------------------------- cleanup on exit

EXIT_HOOKS=()
on_exit() { EXIT_HOOKS+=("$*"); }

run_exit_hooks() {
	local rc=$? i
	trap - EXIT
	for ((i = ${#EXIT_HOOKS[@]} - 1; i >= 0; i--)); do
		eval "${EXIT_HOOKS[$i]}" || printf '  note  cleanup "%s" failed\n' "${EXIT_HOOKS[$i]}"
	done
	(exit "$rc")
	it_finish
}
trap run_exit_hooks EXIT
# run.sh's timeout sends TERM: still clean up (restart what we stopped).
trap 'exit 143' TERM INT

# ---------------------------------------------------------------- the stack

stack() {
	VEOGEN_NO_INSTALL=1 VEOGEN_NO_BUILD=1 "$VEOGEN_DEVSTACK" "$@"
}

# pid_of NAME: the master pid devstack recorded for fcgi, runner, nginx or redis.
pid_of() {
	local pid
	pid=$(head -n1 "$VEOGEN_STATE/run/$1.pid" 2>/dev/null) || return 1
	[[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && printf '%s\n' "$pid"
}

sqlv() {
	local sql=$1 v args=()
	shift
	for v in "$@"; do args+=(-v "$v"); done
	psql -X -q -At -v ON_ERROR_STOP=1 "${args[@]}" "$VEOGEN_DB_CONNINFO" <<<"$sql"
}

wait_until() {
	local limit=$1 deadline
	shift
	deadline=$((SECONDS + limit))
	while :; do
		"$@" && return 0
		[ $SECONDS -ge $deadline ] && return 1
		sleep 0.2
	done
}

new_user() {
	local p=$1 caller_token=$TOKEN
	register_user || return 1
	printf -v "${p}_TOKEN" '%s' "$TOKEN"
	TOKEN=$caller_token # the caller's identity does not change behind its back
	printf -v "${p}_ID" '%s' "$USER_ID"
	printf -v "${p}_EMAIL" '%s' "$USER_EMAIL"
	printf -v "${p}_PASSWORD" '%s' "$USER_PASSWORD"
	printf -v "${p}_REFRESH" '%s' "$REFRESH_TOKEN"
}

# ---------------------------------------------------------------- problem+json

# problem_shape_ok CODE: the last response is an RFC 9457 problem with status CODE.
problem_shape_ok() {
	local code=$1 ct rid
	# both headers in one pass: this runs after hundreds of requests
	{
		IFS= read -r ct
		IFS= read -r rid
	} < <(tr -d '\r' <"$API_HEADERS" | awk '
		BEGIN { FS = ": " }
		tolower($1) == "content-type" { ct = substr($0, length($1) + 3) }
		tolower($1) == "x-request-id" { rid = substr($0, length($1) + 3) }
		END { print ct; print rid }')
	[[ ${ct,,} == application/problem+json* ]] || {
		PROBLEM_WHY="Content-Type '$ct'"
		return 1
	}
	jq -e --argjson s "$code" --arg rid "$rid" '
		(.type | type == "string" and length > 0) and
		(.title | type == "string" and length > 0) and
		(.status == $s) and
		(.detail | type == "string" and length > 0) and
		(.request_id | type == "string" and length > 0) and
		(.request_id == $rid)' <"$API_BODY" >/dev/null 2>&1 || {
		PROBLEM_WHY="body $(head -c 300 "$API_BODY") (X-Request-Id '$rid')"
		return 1
	}
}

expect_problem() {
	local code=$1 what=${2:-}
	if [ "$API_STATUS" != "$code" ]; then
		fail "$LAST_REQUEST${what:+ ($what)}: expected HTTP $code, got $API_STATUS"
	elif problem_shape_ok "$code"; then
		ok "$LAST_REQUEST -> $code problem+json${what:+ ($what)}"
	else
		fail "$LAST_REQUEST${what:+ ($what)}: $code is not a proper problem+json: $PROBLEM_WHY"
	fi
}

# expect_field_errors FIELD...: every FIELD named in errors[] (as itself, FIELD[i] or FIELD.x).
expect_field_errors() {
	local f
	for f in "$@"; do
		if jq -e --arg f "$f" 'any(.errors[]?.field; . == $f or startswith($f + "[") or startswith($f + "."))' \
			<"$API_BODY" >/dev/null 2>&1; then
			ok "$LAST_REQUEST: errors names $f"
		else
			fail "$LAST_REQUEST: errors does not name $f (it names: $(jq -r '[.errors[]?.field] | join(" ")' <"$API_BODY" 2>/dev/null))"
		fi
	done
}

# ---------------------------------------------------------------- no 5xx

access_log_mark() {
	ACCESS_LOG=$LOG_DIR/${VEOGEN_WEB:-nginx}-access.log
	ACCESS_MARK=$(wc -l <"$ACCESS_LOG" 2>/dev/null || echo 0)
}

# expect_no_5xx [ALLOWED_REGEX]: nginx answered no 5xx since access_log_mark, except for
# requests whose log line matches ALLOWED_REGEX.
expect_no_5xx() {
	local allowed=${1:-} bad
	bad=$(tail -n +"$((ACCESS_MARK + 1))" "$ACCESS_LOG" |
		awk '{ for (i = 1; i < NF; i++) if ($i ~ /^HTTP\/[0-9.]+"$/) { if ($(i + 1) ~ /^5/) print; break } }')
	[ -n "$allowed" ] && bad=$(grep -Ev -- "$allowed" <<<"$bad")
	if [ -z "$bad" ]; then
		ok "no 5xx answered during $TEST_NAME"
	else
		fail "5xx answered during $TEST_NAME: $(head -n 5 <<<"$bad")"
	fi
}

# ---------------------------------------------------------------- tokens

b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }

jwt_hs256() {
	local h p s
	h=$(printf '%s' "$1" | b64url)
	p=$(printf '%s' "$2" | b64url)
	s=$(printf '%s.%s' "$h" "$p" | openssl dgst -sha256 -mac HMAC -macopt "key:$3" -binary | b64url)
	printf '%s.%s.%s\n' "$h" "$p" "$s"
}

# jwt_claims SUB MERGE: the claims the server mints for user SUB (issuer and audience from
# the stack's config), with MERGE (a jq object expression that may use $now) applied.
jwt_claims() {
	local iss aud
	iss=$(conf_value "$VEOGEN_CONF" auth issuer)
	aud=$(conf_value "$VEOGEN_CONF" auth audience)
	jq -cn --arg iss "${iss:-veogen}" --arg aud "${aud:-veogen-api}" --arg sub "$1" \
		--arg jti "$(uuid)" --argjson now "$(date +%s)" \
		"{iss: \$iss, aud: \$aud, sub: \$sub, jti: \$jti, role: \"user\", iat: \$now, exp: (\$now + 600)} * ($2)"
}

jwt_secret() {
	local file
	file=$(conf_value "$VEOGEN_CONF" auth jwt_secret_file)
	[ -n "$file" ] || file=$VEOGEN_STATE/jwt.secret
	tr -d '\r\n' <"$file"
}

# ---------------------------------------------------------------- processes

# shellcheck source=tests/integration/lib_proc.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib_proc.sh"

# ---------------------------------------------------------------- config copies

# conf_set FILE GROUP KEY VALUE: VALUE is libconfig syntax ("text" quoted by the caller).
conf_set() {
	local file=$1 group=$2 key=$3 value=$4 tmp
	tmp=$(mktemp "$file.XXXXXX")
	awk -v g="$group" -v k="$key" -v v="$value" '
		BEGIN { ing = 0; done = 0 }
		$0 ~ "^[[:space:]]*" g "[[:space:]]*[:=][[:space:]]*\\{" { ing = 1; print; next }
		ing && $0 ~ "^[[:space:]]*" k "[[:space:]]*=" { print "  " k " = " v ";"; done = 1; next }
		ing && $0 ~ "^[[:space:]]*}" { if (!done) print "  " k " = " v ";"; done = 1; ing = 0 }
		{ print }
		END { if (!done) print g ": {\n  " k " = " v ";\n};" }' "$file" >"$tmp" && mv "$tmp" "$file"
}

conf_value() {
	awk -v g="$2" -v k="$3" '
		$0 ~ "^[[:space:]]*" g "[[:space:]]*[:=][[:space:]]*\\{" { ing = 1; next }
		ing && $0 ~ "^[[:space:]]*}" { ing = 0 }
		ing && $0 ~ "^[[:space:]]*" k "[[:space:]]*=" {
			sub(/^[^=]*=[[:space:]]*/, ""); sub(/;.*/, ""); sub(/[[:space:]]+$/, "")
			gsub(/^"|"$/, ""); print; exit
		}' "$1"
}

# ---------------------------------------------------------------- a veogen-fcgi of our own

PRIVATE_FCGI_PID=""

# private_fcgi_start CONF [ENV=VALUE...]: in its own session, log in $IT_WORK/fcgi.log.
private_fcgi_start() {
	local conf=$1
	shift
	(exec env "$@" setsid "$VEOGEN_BIN_DIR/veogen-fcgi" -c "$conf" -F \
		>>"$IT_WORK/fcgi.log" 2>&1 </dev/null) &
	PRIVATE_FCGI_PID=$!
}

private_fcgi_stop() {
	local pid=$PRIVATE_FCGI_PID
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || true
	wait_until 15 eval "! kill -0 $pid 2>/dev/null" || kill -KILL -- "-$pid" 2>/dev/null || true
	kill -KILL -- "-$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null
	PRIVATE_FCGI_PID=""
}

# fcgi_request SOCKET METHOD URI [ENV=VALUE...]: straight to a FastCGI socket, no nginx.
fcgi_request() {
	local sock=$1 method=$2 uri=$3 raw=$IT_WORK/fcgi.raw query=""
	shift 3
	[[ $uri == *\?* ]] && query=${uri#*\?}
	FC_HEADERS=$IT_WORK/fcgi.headers
	FC_BODY=$IT_WORK/fcgi.body
	env -i PATH="$PATH" REQUEST_METHOD="$method" REQUEST_URI="$uri" SCRIPT_NAME= \
		QUERY_STRING="$query" REMOTE_ADDR=127.0.0.1 SERVER_SOFTWARE=cgi-fcgi "$@" \
		timeout 10 cgi-fcgi -bind -connect "$sock" >"$raw" 2>/dev/null </dev/null
	# headers end at the first empty line (CRLF or LF)
	awk 'BEGIN { h = 1 } h { sub(/\r$/, ""); if ($0 == "") { h = 0; next }; print > "/dev/stderr"; next } { print }' \
		"$raw" 2>"$FC_HEADERS" >"$FC_BODY"
	FC_STATUS=$(awk '/^Status:/ { print $2; exit }' "$FC_HEADERS")
	[ -n "$FC_STATUS" ] || FC_STATUS=000
}

fc_header() {
	awk -v n="${1,,}" 'BEGIN { FS = ": " } tolower($1) == n { v = substr($0, length($1) + 3) } END { if (v != "") print v }' "$FC_HEADERS"
}

# ---------------------------------------------------------------- storage and media

stored_files() {
	find "$STORAGE_DIR" -name "*$1*" 2>/dev/null | sort
}

# probe_video FILE SECONDS WIDTH HEIGHT: one check per property.
probe_video() {
	local f=$1 want_d=$2 want_w=$3 want_h=$4 info d
	info=$(ffprobe -v error -show_entries format=duration:stream=codec_type,codec_name,width,height \
		-of json "$f" 2>&1) || {
		fail "ffprobe $f: $info"
		return 1
	}
	d=$(jq -r '.format.duration' <<<"$info")
	if awk -v d="$d" -v w="$want_d" 'BEGIN { x = d - w; if (x < 0) x = -x; exit !(x <= 1 / 24 + 1e-6) }'; then
		ok "duration $d s is within one frame of $want_d s"
	else
		fail "duration $d s is not within one frame (1/24 s) of $want_d s"
	fi
	expect_eq "$(jq -r '[.streams[] | select(.codec_type == "video")][0] | "\(.width)x\(.height)"' <<<"$info")" \
		"${want_w}x${want_h}" "video size"
	expect_eq "$(jq -r '[.streams[] | select(.codec_type == "video")][0].codec_name' <<<"$info")" h264 "video codec"
	expect_eq "$(jq -r '[.streams[] | select(.codec_type == "audio")][0].codec_name' <<<"$info")" aac "audio codec"
}
