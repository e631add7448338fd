#!/usr/bin/env bash
# Hostile input on every endpoint that GET /api/v1/openapi.json documents, with the queue
# idle and a snapshot of the database (pg_dump) and of the storage directory taken first:
#   - SQL injection, path traversal, bad escapes, NUL, invalid UTF-8, unicode and very long
#     values in every {id} path segment (and /movies/{id}/hls/{name});
#   - the same in every query parameter of every GET;
#   - the same in every string field of every JSON body, with an unknown field next to
#     them so that nothing may be created;
#   - malformed and oversize bodies on every POST and PATCH (truncated JSON, wrong types,
#     invalid UTF-8, NUL bytes, deep nesting, duplicate keys, huge numbers, wrong or no
#     Content-Type, empty bodies, multipart garbage on /files).
# No answer may be a 5xx other than 503, every 4xx is problem+json with a detail (except
# what the web server refuses before the API sees it: nginx's own 400 and 414), no probe
# may succeed, none may be slow (pg_sleep payloads), no responder may crash, and the dump
# and the storage listing are identical afterwards.
# Then the injection strings as VALID values (prompt, movie and scene title, display name,
# API key name, an upload's file name) are accepted and read back byte for byte.
# shellcheck disable=SC2153 # P_TOKEN, P_ID … come from new_user
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_more.sh"
. "$(dirname "$0")/lib_movie.sh"
. "$(dirname "$0")/lib_admin.sh"

WEB=${VEOGEN_WEB:-nginx}
shopt -u patsub_replacement 2>/dev/null # ${x/{id}/VALUE}: an & in VALUE stays an &
printf '        web server: %s\n' "$WEB"
ff() { ffmpeg -hide_banner -nostdin -v error -y "$@" </dev/null; }

# ---------------------------------------------------------------- the victim's resources

new_user P || exit 1
new_admin || {
	fail "cannot make an admin (see above)"
	exit 1
}
TOKEN=$P_TOKEN
PNG=$IT_WORK/a.png
ff -f lavfi -i color=c=blue:s=32x24 -frames:v 1 "$PNG"

create_video '{"prompt": "t_probes: a finished clip", "duration_seconds": 4}' || exit 1
V=$VIDEO_ID
api POST /api/v1/files "@$PNG" -H 'Content-Type: image/png'
expect_status 201 "P's file"
F=$(json .id)
api POST /api/v1/api-keys '{"name": "t_probes"}'
expect_status 201 "P's API key"
K=$(json .id)
POOL=("$P_TOKEN")
for i in $(seq 12); do
	api POST /api/v1/api-keys "{\"name\": \"t_probes pool $i\"}"
	POOL+=("$(json .key)")
done
# an assembled movie: its output directory exists, so hls/{name} traversal has a target
create_movie '{"title": "t_probes", "continuity": false, "scenes": [{"prompt": "a red kite", "duration_seconds": 4}]}' || exit 1
M=$MOVIE_ID
S=$(scene_ids)
render_movie "$M"
wait_video_done "$V" 120
wait_movie "$M" 150 succeeded failed cancelled
expect_eq "$MOVIE_STATUS" succeeded "P's movie is assembled"
J=$(sqlv "SELECT job_id FROM videos WHERE id = :'id'" id="$V")
# a session of its own for the logout probes (an empty body would end all of P's sessions)
TOKEN="" api POST /api/v1/auth/login "$(jq -cn --arg e "$P_EMAIL" --arg p "$P_PASSWORD" '{email: $e, password: $p}')"
LOGOUT_TOKEN=$(json .access_token)
now=$(date +%s)
EXPIRED_TOKEN=$(jwt_hs256 '{"alg":"HS256","typ":"JWT"}' "$(jq -cn --arg s "$P_ID" --arg j "$(uuid)" \
	--arg iss "$(conf_value "$VEOGEN_CONF" auth issuer)" --arg aud "$(conf_value "$VEOGEN_CONF" auth audience)" \
	--argjson now "$now" '{iss: ($iss | if . == "" then "veogen" else . end),
		aud: ($aud | if . == "" then "veogen-api" else . end), sub: $s, jti: $j,
		iat: ($now - 7200), exp: ($now - 3600)}')" "$(jwt_secret)")

TOKEN="" api GET /api/v1/openapi.json
expect_status 200 "the openapi document"
cp "$API_BODY" "$IT_WORK/openapi.json"
oa() { jq -r "$@" "$IT_WORK/openapi.json"; }
mapfile -t ENDPOINTS < <(oa '.paths | to_entries[] | .key as $p | .value | keys[]
	| select(IN("get", "post", "put", "patch", "delete")) | "\(ascii_upcase) \($p)"')
# GET /api/v1/me/webhook-secret creates the secret on first use: before the snapshot
for e in "${ENDPOINTS[@]}"; do
	[ "$e" = "GET /api/v1/me/webhook-secret" ] && api GET /api/v1/me/webhook-secret
done

# ---------------------------------------------------------------- the snapshot

# Idle: nothing running, nothing queued that could start during the probes (a webhook
# retry deferred for hours may stay queued: it cannot run before the second snapshot).
# Webhook deliveries are left out (below).
queue_busy() {
	sqlv "SELECT count(*) FROM jobs WHERE kind <> 'webhook' AND (state = 'running' OR
		(state IN ('queued', 'blocked') AND run_at < now() + interval '10 minutes'))"
}
check "the queue is idle (nothing running or due within 10 minutes)" \
	wait_until 120 eval '[ "$(queue_busy)" = 0 ]'

# The database, less what a request legitimately writes or what changes on its own:
#   runners       the runners' heartbeats (seen_at every few seconds), no request's doing;
#   api_keys.last_used_at  authenticating with a key stamps it (once a minute), and the
#                 probes go out with P's API keys (their budgets for creating work);
#   audit_log rows of failed logins, and audit_log_id_seq: a wrong password is audited by
#                 design (the probes send one, with an injection in the email);
#   webhook deliveries (webhook_events, webhook_attempts, jobs of kind webhook, and the
#                 users' webhook_secret* columns, which the first delivery fills in): earlier
#                 tests' events keep being retried for a day on their own schedule.  An event
#                 only starts with a change of a video or movie, which the dump still sees,
#                 and a rotation of a secret is audited.
db_dump() {
	pg_dump --data-only --inserts --exclude-table-data=runners --exclude-table-data=api_keys \
		--exclude-table-data=audit_log --exclude-table-data=users --exclude-table-data=jobs \
		--exclude-table-data='webhook_*' -d "$VEOGEN_DB_CONNINFO" 2>/dev/null |
		grep -Ev "^(--|SET |SELECT pg_catalog.set_config|\\\\(un)?restrict|$)|setval\('public.audit_log_id_seq'" | sort
	sqlv "SELECT id, user_id, name, prefix, key_hash, created_at, revoked_at FROM api_keys ORDER BY id"
	sqlv "SELECT * FROM audit_log WHERE action <> 'auth.login_failed' ORDER BY id"
	sqlv "SELECT to_jsonb(u) - 'webhook_secret' - 'webhook_secret_created_at' - 'webhook_secret_previous'
		- 'webhook_secret_rotated_at' FROM users u ORDER BY id"
	sqlv "SELECT to_jsonb(j) FROM jobs j WHERE kind <> 'webhook' ORDER BY id"
}
# The storage: every file with its size and hash.  Not directories: an upload makes its
# shard directory (files/ab/) before the body arrives, and a refused one leaves it empty.
storage_list() {
	(cd "$STORAGE_DIR" && find . -type f -printf '%p %s\n' | sort &&
		find . -type f -print0 | sort -z | xargs -0 -r sha256sum)
}
db_dump >"$IT_WORK/db.before"
storage_list >"$IT_WORK/storage.before"
check "the dump has data ($(wc -l <"$IT_WORK/db.before") lines)" test "$(wc -l <"$IT_WORK/db.before")" -gt 10
FCGI_LOG=$LOG_DIR/fcgi.log
FCGI_MARK=$(wc -l <"$FCGI_LOG" 2>/dev/null || echo 0)
access_log_mark

# ---------------------------------------------------------------- probing

# Injection strings: raw text, URI-encoded for paths and queries, JSON strings in bodies.
SQLI=(
	"' OR 1=1--"
	"'; DROP TABLE users;--"
	"1' UNION SELECT id, email, password_hash FROM users--"
	'" OR ""="'
	'$$; DROP TABLE videos; $$'
	"1; SELECT pg_sleep(3)--"
	"'||(SELECT pg_sleep(3))||'"
	"\\x00\\' OR 1=1"
	"%00' OR '1'='1"
	"$(uuid)' OR '1'='1"
	"00000000-0000-0000-0000-000000000000"
	'$1'
	"-1"
	"ünï ✓ 𝕏 😀 ＇ OR 1=1 ‮ﷺ"
	"../../etc/passwd"
	"..\\..\\windows\\win.ini"
	"$(head -c 300 /dev/zero | tr '\0' "'")"
	"$(head -c 2500 /dev/zero | tr '\0' x)"
)
mapfile -t SQLI_URI < <(for s in "${SQLI[@]}"; do jq -rn --arg s "$s" '$s | @uri'; done)
# Already encoded, inserted as they are: escapes, NUL, invalid UTF-8, traversal in all its
# spellings (percent, double percent, overlong UTF-8, backslash, raw ../ segments).
RAW=(
	"%00" "abc%00def" "%ff%fe" "%C0%AE%C0%AE" "%" "%zz" "%2" "+" "%20" "%0d%0aX-Injected:%20yes"
	".." "." "%2e%2e" "%2e%2e%2f%2e%2e%2fetc%2fpasswd" "..%2F..%2F..%2Fetc%2Fpasswd"
	"%252e%252e%252fetc%252fpasswd" "..%5C..%5Cetc%5Cpasswd" "..%255c..%255cetc" "%2Fetc%2Fpasswd"
	"....%2F%2F....%2F%2Fetc%2Fpasswd" "../../../../etc/passwd" "x/../../../../etc/passwd"
	"%u002e%u002e" "%c0%2e%c0%2e%c0%af"
)
# hls/{name}: the names the assembly writes, bent towards the film and out of the movie
HLS=(
	"../film.mp4" "..%2Ffilm.mp4" "../../x.mp4" "..%2F..%2Fx.mp4" "seg_000.ts%2F..%2F..%2Ffilm.mp4"
	"seg_000.ts/../../film.mp4" "index.m3u8%00" "index.m3u8%2F..%2F..%2Ffilm.mp4" "seg_%2e%2e.ts"
	"seg_000.ts%00.mp4" "%2e%2e%2ffilm.mp4" "..%5Cfilm.mp4" "seg_99999.ts" "seg_000.ts.." "seg_-01.ts"
	"seg_000.ts%2F" "index.m3u8.." ".index.m3u8" "seg_000.ts%3B.mp4"
)

section() { printf '%s (at %d s)\n' "$1" "$SECONDS"; }
declare -A PN PB PW PSTAT
SHOWN=0
POOL_I=0
QDIR=$IT_WORK/probes
mkdir -p "$QDIR"
QN=0
Q_KIND=() Q_DESC=() Q_MODE=() Q_VAL=()
# cfg KEY VALUE: a line of curl's config file
cfg() {
	local v=${2//\\/\\\\}
	printf '%s = "%s"\n' "$1" "${v//\"/\\\"}"
}
# probe KIND METHOD PATH [-H HEADER | --data-binary DATA | -F FORM]...: queues one hostile
# request as $PROBE_TOKEN: "pool" (the default) is P, by token or by one of P's API keys in
# turn (each has its own budget of requests that create work), "" is nobody.
# $PROBE_MODE "query": a GET with a filter may answer 200 with no items, or with items
# that hold the filter's text (with "query-plain", a value without SQL or path syntax,
# with any items).  Otherwise nothing may succeed.  The queue goes out in one curl, four at a time (flush_probes).
probe() {
	local kind=$1 m=$2 path=$3 tok=${PROBE_TOKEN-pool} c=$QDIR/config
	shift 3
	if [ "$tok" = pool ]; then
		tok=${POOL[POOL_I % ${#POOL[@]}]}
		POOL_I=$((POOL_I + 1))
	fi
	{
		[ $QN -gt 0 ] && printf 'next\n' # between transfers: a trailing one fails them all
		cfg url "$BASE$path"
		printf 'request = %s\npath-as-is\nmax-time = 30\n' "$m"
		printf 'output = "%s/b%d"\ndump-header = "%s/h%d"\n' "$QDIR" "$QN" "$QDIR" "$QN"
		printf 'write-out = "%%{urlnum} %%{http_code} %%{time_total}\\n"\n'
		# a connection each (what one probe leaves behind cannot touch the next), and no
		# 100-continue dance for the big bodies
		printf 'header = "Connection: close"\nheader = "Expect:"\n'
		[ -n "$tok" ] && cfg header "Authorization: Bearer $tok"
		while [ $# -gt 0 ]; do
			case $1 in
			-H) cfg header "$2" ;;
			--data-binary) cfg data-binary "$2" ;;
			-F) cfg form "$2" ;;
			*) echo "probe: unknown curl argument $1" >&2 ;;
			esac
			shift 2
		done
	} >>"$c"
	Q_KIND[QN]=$kind Q_DESC[QN]="$m ${path:0:160}" Q_MODE[QN]=${PROBE_MODE:-strict} Q_VAL[QN]=${path##*=}
	QN=$((QN + 1))
	[ $QN -lt 400 ] || flush_probes
}

flush_probes() {
	local n st t line ct body why kind
	[ $QN -gt 0 ] || return 0
	curl -s --no-progress-meter --parallel --parallel-max 4 -K "$QDIR/config" >"$QDIR/results" 2>/dev/null
	declare -A seen=()
	while read -r n st t; do
		seen[$n]=1
		kind=${Q_KIND[n]} ct="" body="" why=""
		PN[$kind]=$((${PN[$kind]:-0} + 1))
		PSTAT["$kind $st"]=$((${PSTAT["$kind $st"]:-0} + 1))
		while IFS= read -r line; do
			line=${line%$'\r'}
			[[ ${line,,} == content-type:* ]] && ct=${line#*:} ct=${ct# }
		done <"$QDIR/h$n"
		ct=${ct,,}
		[ -s "$QDIR/b$n" ] && IFS= read -r -d '' -n 4096 body <"$QDIR/b$n" 2>/dev/null
		if [ "$st" = 000 ]; then
			why="no answer (connection dropped)"
		elif [ "$st" -ge 500 ] && [ "$st" != 503 ]; then
			why="HTTP $st"
		elif [ "$st" -lt 400 ]; then
			case "${Q_MODE[n]} $st" in
			"query-plain 200") ;;
			"query 200") [[ $body =~ \"items\":\ ?\[\] ]] || query_matches_ok "$n" ||
				why="HTTP 200 with items that do not contain the filter's text: it was not taken as text" ;;
			*) why="HTTP $st: a hostile request succeeded" ;;
			esac
		elif [[ $ct == application/problem+json* ]]; then
			[[ $body =~ \"detail\":\ ?\"[^\"] ]] || why="problem+json without a detail"
		elif [[ $st =~ ^(400|414)$ && $WEB == nginx && $body == *"<center>nginx</center>"* ]]; then
			PW[$kind]=$((${PW[$kind]:-0} + 1)) # refused by nginx before the API saw it
		else
			why="HTTP $st is not problem+json (Content-Type '$ct')"
		fi
		[ -z "$why" ] && [ "${t%%.*}" -ge 3 ] && why="took ${t}s (an injected pg_sleep?)"
		[ -n "$why" ] && probe_bad "$kind" "${Q_DESC[n]}" "$why" "$body"
	done <"$QDIR/results"
	for ((n = 0; n < QN; n++)); do
		[ -n "${seen[$n]:-}" ] || probe_bad "${Q_KIND[n]}" "${Q_DESC[n]}" "curl reported nothing" ""
	done
	rm -f "$QDIR"/*
	QN=0 Q_KIND=() Q_DESC=() Q_MODE=() Q_VAL=()
}

# query_matches_ok N: every item of probe N's answer holds its filter value as text (a
# search that found earlier tests' records named like the payload, say).
query_matches_ok() {
	local v=${Q_VAL[$1]}
	v=$(printf '%b' "${v//%/\\x}")
	jq -e --arg v "${v,,}" '.items | length > 0 and all([.. | strings | ascii_downcase] | any(contains($v)))' \
		"$QDIR/b$1" >/dev/null 2>&1
}

probe_bad() {
	PB[$1]=$((${PB[$1]:-0} + 1))
	[ $SHOWN -lt 40 ] || return 0
	SHOWN=$((SHOWN + 1))
	printf '  FAIL  %s probe %s: %s\n' "$1" "$2" "$3"
	printf '        body: %s\n' "${4:0:300}"
}

# A valid value for each path parameter: P's own resources (the admin's paths get P's
# account and P's video job).
valid_param() {
	local t=$1 name=$2
	case "$name $t" in
	"id /api/v1/videos/"*) echo "$V" ;;
	"id /api/v1/files/"*) echo "$F" ;;
	"id /api/v1/movies/"*) echo "$M" ;;
	"id /api/v1/api-keys/"*) echo "$K" ;;
	"id /api/v1/admin/users/"*) echo "$P_ID" ;;
	"id /api/v1/admin/jobs/"*) echo "$J" ;;
	"scene_id "*) echo "$S" ;;
	"name "*) echo index.m3u8 ;;
	*) return 1 ;;
	esac
}

token_for() { [[ $1 == /api/v1/admin/* ]] && echo "$ADMIN_TOKEN" || echo pool; }
has_json_body() { [ "$(oa --arg p "$2" --arg m "${1,,}" '.paths[$p][$m].requestBody.content["application/json"] != null')" = true ]; }

section "path parameters"
for e in "${ENDPOINTS[@]}"; do
	read -r m t <<<"$e"
	[[ $t == *"{"* ]] || continue
	mapfile -t names < <(grep -o '{[a-z_]*}' <<<"$t" | tr -d '{}')
	pbody=()
	has_json_body "$m" "$t" && pbody=(-H 'Content-Type: application/json' --data-binary '{"zz_probe_invalid": true}')
	for n in "${names[@]}"; do
		base=$t ok=1
		for other in "${names[@]}"; do
			[ "$other" = "$n" ] && continue
			val=$(valid_param "$t" "$other") || ok=0
			base=${base/\{$other\}/$val}
		done
		if [ $ok = 0 ] || ! valid_param "$t" "$n" >/dev/null; then
			fail "no valid value known for the parameters of $m $t: add them to valid_param"
			continue
		fi
		values=("${SQLI_URI[@]}" "${RAW[@]}")
		[ "$n" = name ] && values+=("${HLS[@]}")
		for v in "${values[@]}"; do
			PROBE_TOKEN=$(token_for "$t") probe path "$m" "${base/\{$n\}/$v}" "${pbody[@]}"
		done
	done
done

flush_probes
section "query parameters"
QVALUES=("${SQLI_URI[@]}" "%00" "%ff" "%" "%zz" "a%26b%3Dc" "%0d%0a" "1e999" "-9223372036854775809"
	"99999999999999999999" "$(head -c 5000 /dev/zero | tr '\0' 9)")
for e in "${ENDPOINTS[@]}"; do
	read -r m t <<<"$e"
	[ "$m" = GET ] || continue
	mapfile -t qs < <(oa --arg p "$t" '. as $root
		| ((.paths[$p].parameters // []) + (.paths[$p].get.parameters // [])) | .[]
		| (if has("$ref") then $root.components.parameters[.["$ref"] | ltrimstr("#/components/parameters/")] else . end)
		| select(.in == "query") | .name')
	[ ${#qs[@]} -gt 0 ] || continue
	base=$t
	for n in $(grep -o '{[a-z_]*}' <<<"$t" | tr -d '{}'); do base=${base/\{$n\}/$(valid_param "$t" "$n")}; done
	for q in "${qs[@]}"; do
		for v in "${QVALUES[@]}"; do
			mode=query
			# shellcheck disable=SC2100 # a regular expression, not arithmetic
			[[ $v =~ ^[0-9a-zA-Z.-]*$ ]] && mode=query-plain
			PROBE_MODE=$mode PROBE_TOKEN=$(token_for "$t") probe query GET "$base?$q=$v"
		done
		PROBE_TOKEN=$(token_for "$t") probe query GET "$base?$q=1&$q=2"
	done
done

# The JSON bodies: each endpoint's body properties from its schema.
schema_props() { # METHOD PATH TYPE: top-level property names of that JSON type
	oa --arg p "$2" --arg m "${1,,}" --arg ty "$3" '
		. as $root | .paths[$p][$m].requestBody.content["application/json"].schema
		| if has("$ref") then $root.components.schemas[.["$ref"] | ltrimstr("#/components/schemas/")] else . end
		| (.properties // {}) | to_entries[]
		| select([.value.type] | flatten | index($ty)) | .key'
}
# target PATH: the path with P's resources (bodies are probed on real targets)
target() {
	local t=$1 n
	for n in $(grep -o '{[a-z_]*}' <<<"$t" | tr -d '{}'); do t=${t/\{$n\}/$(valid_param "$1" "$n")}; done
	echo "$t"
}
# who_for METHOD PATH: the token a body probe on that endpoint is sent with.  Register,
# login and refresh take none; logout gets its own session (P's others stay); bodyless
# POSTs without a path parameter (they would act whatever the body) get an expired token.
who_for() {
	case "$1 $2" in
	"POST /api/v1/auth/register" | "POST /api/v1/auth/login" | "POST /api/v1/auth/refresh") echo "" ;;
	"POST /api/v1/auth/logout") echo "$LOGOUT_TOKEN" ;;
	*) token_for "$2" ;;
	esac
}

flush_probes
section "injections in JSON string fields (with an unknown field: nothing may be created)"
for e in "${ENDPOINTS[@]}"; do
	read -r m t <<<"$e"
	[[ $m =~ ^(POST|PATCH|PUT)$ ]] && has_json_body "$m" "$t" || continue
	mapfile -t strs < <(schema_props "$m" "$t" string)
	[ ${#strs[@]} -gt 0 ] || strs=(value)
	path=$(target "$t")
	for s in "${SQLI[@]}"; do
		body=$(jq -cn --arg s "$s" '$ARGS.positional | map({(.): $s}) | add + {zz_probe_invalid: true}' \
			--args "${strs[@]}")
		PROBE_TOKEN=$(who_for "$m" "$t") probe fields "$m" "$path" -H 'Content-Type: application/json' \
			--data-binary "$body"
	done
done
# one wrong password: the login query sees the injection as an email, nobody logs in
TOKEN="" api POST /api/v1/auth/login '{"email": "x'"'"' OR 1=1--", "password": "'"'"' OR '"'"'1'"'"'='"'"'1"}'
expect_problem 401 "login with injections as email and password"

flush_probes
section "malformed and oversize bodies"
B=$IT_WORK/bodies
mkdir -p "$B"
printf '{"title": "abc' >"$B/truncated"
printf '[1, 2, 3]' >"$B/array"
printf '"text"' >"$B/string"
printf '12345' >"$B/number"
printf 'null' >"$B/null"
printf '{"title": "\xff\xfe\xfd"}' >"$B/utf8-value"
printf '{"\xc0\xaf": 1}' >"$B/utf8-key"
printf '{"title": "a\x00b"}' >"$B/nul-raw"
printf '{"title": "a\\u0000b", "name": "\\u0000", "prompt": "x\\u0000"}' >"$B/nul-escaped"
printf '\x00{}' >"$B/nul-first"
printf '\xef\xbb\xbf{}' >"$B/bom"
printf '{"a": 1,}' >"$B/trailing-comma"
printf "{'a': 1}" >"$B/single-quotes"
printf '/* c */ {}' >"$B/comment"
printf '{"n": NaN, "m": Infinity}' >"$B/nan"
printf '{"n": 1e999999999, "m": 123456789012345678901234567890, "k": -1e-999999}' >"$B/huge-numbers"
printf '%s' "{\"x\": $(printf '%.0s[' {1..50})1$(printf '%.0s]' {1..50})}" >"$B/deep-50"
{ head -c 100000 /dev/zero | tr '\0' '['; head -c 100000 /dev/zero | tr '\0' ']'; } >"$B/deep-100000"
{ printf '['; head -c 299998 /dev/zero | sed 's/\x0\x0/0,/g'; printf '0]'; } >"$B/array-150000"
jq -cn '[range(20000) | {key: "k\(.)", value: .}] | from_entries' >"$B/keys-20000"
{ printf '{"title": "'; head -c 150000 /dev/zero | tr '\0' a; printf '"}'; } >"$B/string-150k"
{ printf '{"title": "'; head -c 1600000 /dev/zero | tr '\0' a; printf '"}'; } >"$B/over-api-limit"
{ printf '{"title": "'; head -c 3200000 /dev/zero | tr '\0' a; printf '"}'; } >"$B/over-web-limit"
: >"$B/empty"
BODYN=0
# body_file: a new file name for a body made per probe (the queue reads it later)
body_file() {
	BODYN=$((BODYN + 1))
	echo "$B/made-$BODYN"
}
for e in "${ENDPOINTS[@]}"; do
	read -r m t <<<"$e"
	[[ $m =~ ^(POST|PATCH|PUT)$ ]] || continue
	[ "$t" = /api/v1/files ] && continue # below: raw bytes and multipart
	path=$(target "$t")
	tok=$(who_for "$m" "$t")
	if ! has_json_body "$m" "$t"; then
		# no body documented: a handler may ignore it and act, so the target does not exist
		# (or, without a path parameter, the token has expired)
		if [[ $t == *"{"* ]]; then
			path=$t
			for n in $(grep -o '{[a-z_]*}' <<<"$t" | tr -d '{}'); do path=${path/\{$n\}/$(uuid)}; done
		else
			tok=$EXPIRED_TOKEN
		fi
	fi
	mapfile -t strs < <(schema_props "$m" "$t" string)
	props=("${strs[@]}")
	[ ${#props[@]} -gt 0 ] || props=(value)
	# a wrong type in every field: strings get other JSON, the others get a string
	mapfile -t nonstr < <(schema_props "$m" "$t" integer; schema_props "$m" "$t" number
		schema_props "$m" "$t" boolean; schema_props "$m" "$t" array; schema_props "$m" "$t" object)
	for wrong in '[[]]' '{"a": {"b": 1}}' '1e400' '-99999999999999999999999999' 'true'; do
		f=$(body_file)
		jq -cn --argjson w "$wrong" '$ARGS.positional | map(if startswith("s:") then {(.[2:]): $w} else {(.[2:]): "x"} end) | add' \
			--args "${strs[@]/#/s:}" "${nonstr[@]/#/n:}" >"$f"
		PROBE_TOKEN=$tok probe bodies "$m" "$path" -H 'Content-Type: application/json' --data-binary "@$f"
	done
	f=$(body_file)
	printf '{"%s": "a", "%s": "b"}' "${props[0]}" "${props[0]}" >"$f"
	PROBE_TOKEN=$tok probe bodies "$m" "$path" -H 'Content-Type: application/json' --data-binary "@$f"
	for f in truncated array string number null utf8-value utf8-key nul-raw nul-escaped nul-first bom \
		trailing-comma single-quotes comment nan huge-numbers deep-50 deep-100000 array-150000 \
		keys-20000 string-150k over-api-limit over-web-limit; do
		PROBE_TOKEN=$tok probe bodies "$m" "$path" -H 'Content-Type: application/json' --data-binary "@$B/$f"
	done
	# an empty body is a valid logout (of every session): not a probe
	if [ "$t" != /api/v1/auth/logout ]; then
		PROBE_TOKEN=$tok probe bodies "$m" "$path" -H 'Content-Type: application/json' --data-binary "@$B/empty"
		PROBE_TOKEN=$tok probe bodies "$m" "$path"
	fi
	for ct in text/plain application/x-www-form-urlencoded 'application/json; charset=latin1' \
		'multipart/form-data; boundary=x' application/xml 'application/json, text/plain' ''; do
		PROBE_TOKEN=$tok probe bodies "$m" "$path" -H "Content-Type: $ct" --data-binary '{"a": 1}'
	done
	PROBE_TOKEN=$tok probe bodies "$m" "$path" -H 'Content-Type: application/json' \
		-H 'Transfer-Encoding: chunked' --data-binary "@$B/truncated"
done

flush_probes
section "uploads: garbage bytes and multipart garbage on /api/v1/files"
head -c 1500000 /dev/urandom >"$B/random"
png_part() { printf -- '--xyz\r\nContent-Disposition: form-data; name="%s"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n' "$1"; }
{ png_part file; head -c 40 "$PNG"; } >"$B/mp-truncated"
{ png_part other; cat "$PNG"; printf '\r\n--xyz--\r\n'; } >"$B/mp-wrong-name"
{ printf -- '--xyz\r\nContent-Disposition: form-data\r\n\r\n'; cat "$PNG"; printf '\r\n--xyz--\r\n'; } >"$B/mp-no-name"
{ printf -- '--xyz\r\nContent-Disposition: form-data; name="file"\r\nX-Long: '; head -c 100000 /dev/zero | tr '\0' a
	printf '\r\n\r\n'; cat "$PNG"; printf '\r\n--xyz--\r\n'; } >"$B/mp-long-header"
{ printf -- '--xyz\r\n\r\n--xyz--\r\n'; } >"$B/mp-empty-part"
{ printf -- '--xyz--\r\n'; } >"$B/mp-no-parts"
{ png_part file; head -c 1500000 /dev/urandom; printf '\r\n--xyz--\r\n'; } >"$B/mp-random"
printf 'garbage without any boundary' >"$B/mp-garbage"
for f in random empty truncated nul-first; do
	for ct in image/png image/jpeg audio/wav image/gif text/plain ''; do
		probe files POST /api/v1/files -H "Content-Type: $ct" --data-binary "@$B/$f"
	done
done
for f in mp-truncated mp-wrong-name mp-no-name mp-long-header mp-empty-part mp-no-parts mp-random mp-garbage; do
	for ct in 'multipart/form-data; boundary=xyz' 'multipart/form-data' 'multipart/form-data; boundary=' \
		'multipart/form-data; boundary="xyz' "multipart/form-data; boundary=$(head -c 300 /dev/zero | tr '\0' x)" \
		'multipart/mixed; boundary=xyz'; do
		probe files POST /api/v1/files -H "Content-Type: $ct" --data-binary "@$B/$f"
	done
done

flush_probes

# ---------------------------------------------------------------- the verdict

for kind in path query fields bodies files; do
	dist=$(for k in "${!PSTAT[@]}"; do [[ $k == "$kind "* ]] && printf '%s×%s\n' "${k#* }" "${PSTAT[$k]}"; done | sort | tr '\n' ' ')
	web=""
	[ "${PW[$kind]:-0}" -gt 0 ] && web=", ${PW[$kind]} refused by $WEB itself"
	if [ "${PB[$kind]:-0}" -eq 0 ]; then
		ok "$kind probes: ${PN[$kind]:-0} requests, all refused properly ($dist$web)"
	else
		fail "$kind probes: ${PB[$kind]} of ${PN[$kind]:-0} answered badly (see above; $dist$web)"
	fi
done
check "probes were sent (path ${PN[path]:-0}, query ${PN[query]:-0}, fields ${PN[fields]:-0}, bodies ${PN[bodies]:-0})" \
	test "${PN[path]:-0}" -gt 500 -a "${PN[query]:-0}" -gt 100 -a "${PN[fields]:-0}" -gt 100 -a "${PN[bodies]:-0}" -gt 200

crashes=$(tail -n +"$((FCGI_MARK + 1))" "$FCGI_LOG" | grep -E 'crashed|level=err ' | head -n 5)
expect_eq "$crashes" "" "no responder crashed and none logged an error"
expect_no_5xx
check "still idle (the probes queued nothing)" wait_until 30 eval '[ "$(queue_busy)" = 0 ]'
db_dump >"$IT_WORK/db.after"
storage_list >"$IT_WORK/storage.after"
if diff "$IT_WORK/db.before" "$IT_WORK/db.after" >"$IT_WORK/db.diff"; then
	ok "the database is unchanged ($(wc -l <"$IT_WORK/db.after") lines of dump)"
else
	fail "the database changed: $(head -c 1500 "$IT_WORK/db.diff")"
fi
if diff "$IT_WORK/storage.before" "$IT_WORK/storage.after" >"$IT_WORK/storage.diff"; then
	ok "the storage is unchanged ($(find "$STORAGE_DIR" -type f | wc -l) files)"
else
	fail "the storage changed: $(head -c 1500 "$IT_WORK/storage.diff")"
fi
expect_eq "$(sqlv "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename IN ('users', 'videos', 'movies')")" 3 \
	"users, videos and movies are still there"

# ---------------------------------------------------------------- phase 2: valid values

section "injection strings as valid values are stored as text"
VALID=()
for s in "${SQLI[@]}"; do
	[ ${#s} -le 100 ] && VALID+=("$s")
done
VALID+=('Robert'"'"'); DROP TABLE students;--' "E'\\\\x41' || chr(0)" '{{7*7}} ${jndi:ldap://x} <script>alert(1)</script>'
	'\N' "'';!--\"<XSS>=&{()}" '%s%n%x%d' "a'b\"c\\d/e")
TOKEN=$P_TOKEN
joined=$(printf '%s | ' "${VALID[@]}")
api POST /api/v1/videos "$(jq -cn --arg p "$joined" --arg n "${VALID[1]}" \
	'{prompt: ($p | rtrimstr(" | ")), negative_prompt: $n, duration_seconds: 4}')"
expect_status 202 "a video whose prompt is every injection string"
vid=$(json .id)
api GET "/api/v1/videos/$vid"
expect_eq "$(json .prompt)" "${joined% | }" "the prompt reads back byte for byte"
expect_eq "$(json .negative_prompt)" "${VALID[1]}" "the negative prompt reads back byte for byte"
api DELETE "/api/v1/videos/$vid"
expect_status 204 "that video deleted again"

bad_movie=0 bad_name=0 bad_key=0 n=0
for s in "${VALID[@]}"; do
	n=$((n + 1))
	api POST /api/v1/movies "$(jq -cn --arg s "$s" '{title: $s, scenes: [{prompt: $s, title: $s}]}')"
	if [ "$API_STATUS" != 201 ]; then
		fail "movie titled $s: expected 201, got $API_STATUS"
		bad_movie=$((bad_movie + 1))
		continue
	fi
	mid=$(json .id)
	api GET "/api/v1/movies/$mid"
	if [ "$(json .title)" != "$s" ] || [ "$(json '.scenes[0].prompt')" != "$s" ] || [ "$(json '.scenes[0].title')" != "$s" ] ||
		[ "$(sqlv "SELECT title = :'s' FROM movies WHERE id = :'id'" s="$s" id="$mid")" != t ]; then
		fail "movie $mid: title or scene text differs from '$s' (title '$(json .title)')"
		bad_movie=$((bad_movie + 1))
	fi
	api POST /api/v1/api-keys "$(jq -cn --arg s "$s" '{name: $s}')"
	kid=$(json .id)
	api GET /api/v1/api-keys
	if [ "$(jq -r --arg id "$kid" '.items[] | select(.id == $id) | .name' <"$API_BODY")" != "$s" ]; then
		fail "API key named '$s' reads back as '$(jq -r --arg id "$kid" '.items[] | select(.id == $id) | .name' <"$API_BODY")'"
		bad_key=$((bad_key + 1))
	fi
	email="it-t_probes-name$n-$(date +%s%N)@example.com"
	TOKEN="" api POST /api/v1/auth/register "$(jq -cn --arg e "$email" --arg s "$s" \
		'{email: $e, password: "t_probes password", display_name: $s}')"
	if [ "$API_STATUS" != 201 ]; then
		fail "register with display name '$s': expected 201, got $API_STATUS"
		bad_name=$((bad_name + 1))
		continue
	fi
	TOKEN=$(json .access_token) api GET /api/v1/me
	if [ "$(json .display_name)" != "$s" ]; then
		fail "display name '$s' reads back as '$(json .display_name)'"
		bad_name=$((bad_name + 1))
	fi
done
check "${#VALID[@]} movie and scene titles and prompts stored byte for byte" test $bad_movie -eq 0
check "${#VALID[@]} API key names stored byte for byte" test $bad_key -eq 0
check "${#VALID[@]} display names stored byte for byte" test $bad_name -eq 0

# An upload whose file name climbs out of the storage: the name is not a path.
outside=it-t_probes-$$-escape.png
rm -f "/tmp/$outside" "$STORAGE_DIR/../$outside"
api POST /api/v1/files "" -F "file=@$PNG;type=image/png;filename=../../../../../../tmp/$outside"
expect_status 201 "a multipart upload named ../../../../../../tmp/$outside"
fid=$(json .id)
check "nothing was written at /tmp/$outside or beside the storage" \
	test ! -e "/tmp/$outside" -a ! -e "$STORAGE_DIR/../$outside"
check "the upload is stored under the storage directory" \
	eval '[ -n "$(find "$STORAGE_DIR" -type f -newer "$IT_WORK/storage.after" -size "$(stat -c %s "$PNG")c" | head -n 1)" ]'
api DELETE "/api/v1/files/$fid"
expect_status 204 "that file deleted again"
