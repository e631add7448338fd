#!/usr/bin/env bash
# The authorization matrix: every path × method that GET /api/v1/openapi.json documents,
# called as each of nine identities, each answer checked against a rule:
#   anonymous, revoked API key, expired token, `alg: none` token, token signed with another
#   key → 401 with WWW-Authenticate: Bearer; a disabled account → 403;
#   public endpoints (health, openapi, styles, register/login/refresh, metrics) answer all;
#   resources are per user: user B and the admin on A's video/file/movie/scene/key → 404
#   (API.md: never leak existence; admins have their own endpoints, not a view of A's);
#   non-admins on /api/v1/admin/* → 403; A on its own resources → the success (or the 409
#   of its state).
# A documented endpoint without a rule fails the test, so a new one cannot slip through;
# every /api/v1/me/* is per user (the webhook-secret and webhook-deliveries endpoints land
# there).  Destructive calls (deletes, render + cancel, logout) run last, on throwaway
# resources, with A last in each row.  The matrix is printed at the end.
# shellcheck disable=SC2153 # A_TOKEN, B_ID … come from new_user
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_more.sh"
. "$(dirname "$0")/lib_movie.sh"
. "$(dirname "$0")/lib_admin.sh"

ff() { ffmpeg -hide_banner -nostdin -v error -y "$@" </dev/null; }

# ---------------------------------------------------------------- the cast

new_user A || exit 1
new_user B || exit 1
new_user C || exit 1 # only logs in and refreshes (the public rows)
new_user D || exit 1 # disabled below
new_admin || {
	fail "cannot make an admin (see above)"
	exit 1
}
TOKEN=$A_TOKEN

PNG=$IT_WORK/a.png
ff -f lavfi -i color=c=green:s=32x24 -frames:v 1 "$PNG"

create_video '{"prompt": "t_authz: A keeps this one", "duration_seconds": 4}' || exit 1
V=$VIDEO_ID
create_video '{"prompt": "t_authz: A deletes this one", "duration_seconds": 4}' || exit 1
VDEL=$VIDEO_ID
wait_video_done "$V" 120
expect_eq "$VIDEO_STATUS" succeeded "A's video is done (its content and thumbnail exist)"
V_JOB=$(sqlv "SELECT job_id FROM videos WHERE id = :'id'" id="$V")

api POST /api/v1/files "@$PNG" -H 'Content-Type: image/png'
expect_status 201 "A's file"
F=$(json .id)
api POST /api/v1/files "@$PNG" -H 'Content-Type: image/png'
expect_status 201 "A's throwaway file"
FDEL=$(json .id)

create_movie '{"title": "t_authz: A keeps this", "scenes": [{"prompt": "a cat"}, {"prompt": "a dog"}]}' || exit 1
M=$MOVIE_ID
read -r S1 S2 <<<"$(scene_ids)"
create_movie '{"title": "t_authz: A deletes this", "scenes": [{"prompt": "a fox"}]}' || exit 1
MDEL=$MOVIE_ID

api POST /api/v1/api-keys '{"name": "t_authz kept"}'
expect_status 201 "A's API key"
api POST /api/v1/api-keys '{"name": "t_authz deleted in the matrix"}'
KDEL=$(json .id)
api POST /api/v1/api-keys '{"name": "t_authz revoked"}'
REVOKED_KEY=$(json .key)
api DELETE "/api/v1/api-keys/$(json .id)"
expect_status 204 "the revoked key is revoked"

TOKEN=$ADMIN_TOKEN api PATCH "/api/v1/admin/users/$D_ID" '{"disabled": true}'
expect_status 200 "the admin disables D"
on_exit "sqlv \"UPDATE users SET disabled = false WHERE id = :'id'\" id=$D_ID >/dev/null"

# Tokens for A that must all fail: shaped exactly like the server's, but expired, unsigned,
# or signed with a key the server does not have.
secret=$(jwt_secret)
# claims MERGE: A's claims as the server mints them, with MERGE (jq) applied.
claims() { jwt_claims "$A_ID" "$1"; }
HS256='{"alg":"HS256","typ":"JWT"}'
GOOD_TOKEN=$(jwt_hs256 "$HS256" "$(claims '{}')" "$secret")
EXPIRED_TOKEN=$(jwt_hs256 "$HS256" "$(claims '{iat: ($now - 7200), exp: ($now - 3600)}')" "$secret")
NONE_TOKEN="$(printf '%s' '{"alg":"none","typ":"JWT"}' | b64url).$(claims '{}' | b64url)."
OTHER_TOKEN=$(jwt_hs256 "$HS256" "$(claims '{}')" "$(openssl rand -hex 32)")
TOKEN=$GOOD_TOKEN api GET /api/v1/me
expect_status 200 "a token signed like the server's works (so the refusals mean something)"

# Identities in the order they run in a row (A last: its call may delete the resource).
RUN_ORDER=(anon revoked expired none otherkey disabled B admin A)
SHOW_ORDER=(anon A B admin revoked expired none otherkey disabled)
declare -A TOK=([anon]="" [A]=$A_TOKEN [B]=$B_TOKEN [admin]=$ADMIN_TOKEN
	[revoked]=$REVOKED_KEY [expired]=$EXPIRED_TOKEN [none]=$NONE_TOKEN
	[otherkey]=$OTHER_TOKEN [disabled]=$D_TOKEN)

# ---------------------------------------------------------------- the rules

# rule METHOD TEMPLATE: sets
#   R_CLASS  public (anyone) | user (any signed-in user) | owner (A's resource) | admin
#   R_EXPECT the status (ERE) of those allowed: everyone for public, A, B and the admin for
#            user, A for owner, the admin for admin
#   R_PATH   the template with A's ids
#   R_RANK   0, or the position among the destructive rows that run last
#   R_BODY   a static body ("" for none); bodies that differ per call come from body_for
# Returns 1 when no rule covers the endpoint.
rule() {
	local m=$1 t=$2
	R_RANK=0 R_BODY="" R_PATH=$t
	case "$m $t" in
	"GET /healthz" | "GET /readyz" | "GET /api/v1/openapi.json" | "GET /api/v1/styles" | "GET /metrics")
		R_CLASS=public R_EXPECT=200 ;;
	"POST /api/v1/auth/register") R_CLASS=public R_EXPECT=201 ;;
	"POST /api/v1/auth/login") R_CLASS=public R_EXPECT=200 ;;
	"POST /api/v1/auth/refresh") R_CLASS=public R_EXPECT=200 ;;
	"POST /api/v1/auth/logout") R_CLASS=user R_EXPECT=204 R_RANK=9 ;; # fresh sessions
	"GET /api/v1/me") R_CLASS=user R_EXPECT=200 ;;
	"GET /api/v1/providers") R_CLASS=user R_EXPECT=200 ;;
	"GET /api/v1/me/"*) R_CLASS=user R_EXPECT=200 ;;
	"POST /api/v1/me/"* | "PATCH /api/v1/me/"* | "PUT /api/v1/me/"*)
		R_CLASS=user R_EXPECT='20[01]' ;;
	"GET /api/v1/api-keys") R_CLASS=user R_EXPECT=200 ;;
	"POST /api/v1/api-keys") R_CLASS=user R_EXPECT=201 R_BODY='{"name": "t_authz matrix"}' ;;
	"DELETE /api/v1/api-keys/{id}") R_CLASS=owner R_EXPECT=204 R_RANK=8 R_PATH=${t/\{id\}/$KDEL} ;;
	"GET /api/v1/videos") R_CLASS=user R_EXPECT=200 ;;
	"POST /api/v1/videos")
		R_CLASS=user R_EXPECT=202 R_BODY='{"prompt": "t_authz matrix", "duration_seconds": 4}' ;;
	"GET /api/v1/videos/{id}" | "GET /api/v1/videos/{id}/content" | "GET /api/v1/videos/{id}/thumbnail")
		R_CLASS=owner R_EXPECT=200 R_PATH=${t/\{id\}/$V} ;;
	"POST /api/v1/videos/{id}/cancel") R_CLASS=owner R_EXPECT=409 R_PATH=${t/\{id\}/$V} ;; # done
	"DELETE /api/v1/videos/{id}") R_CLASS=owner R_EXPECT=204 R_RANK=6 R_PATH=${t/\{id\}/$VDEL} ;;
	"POST /api/v1/files") R_CLASS=user R_EXPECT=201 ;;
	"GET /api/v1/files/{id}" | "GET /api/v1/files/{id}/content")
		R_CLASS=owner R_EXPECT=200 R_PATH=${t/\{id\}/$F} ;;
	"DELETE /api/v1/files/{id}") R_CLASS=owner R_EXPECT=204 R_RANK=7 R_PATH=${t/\{id\}/$FDEL} ;;
	"GET /api/v1/movies") R_CLASS=user R_EXPECT=200 ;;
	"POST /api/v1/movies")
		R_CLASS=user R_EXPECT=201 R_BODY='{"title": "t_authz matrix", "scenes": [{"prompt": "a hen"}]}' ;;
	"GET /api/v1/movies/{id}") R_CLASS=owner R_EXPECT=200 R_PATH=${t/\{id\}/$M} ;;
	"PATCH /api/v1/movies/{id}")
		R_CLASS=owner R_EXPECT=200 R_PATH=${t/\{id\}/$M} R_BODY='{"title": "t_authz renamed"}' ;;
	"DELETE /api/v1/movies/{id}") R_CLASS=owner R_EXPECT=204 R_RANK=5 R_PATH=${t/\{id\}/$MDEL} ;;
	"POST /api/v1/movies/{id}/scenes")
		R_CLASS=owner R_EXPECT=201 R_PATH=${t/\{id\}/$M} R_BODY='{"prompt": "an owl"}' ;;
	"POST /api/v1/movies/{id}/scenes/reorder") R_CLASS=owner R_EXPECT=200 R_PATH=${t/\{id\}/$M} ;;
	"PATCH /api/v1/movies/{id}/scenes/{scene_id}")
		R_CLASS=owner R_EXPECT=200 R_PATH=/api/v1/movies/$M/scenes/$S1 R_BODY='{"title": "t_authz"}' ;;
	"DELETE /api/v1/movies/{id}/scenes/{scene_id}")
		R_CLASS=owner R_EXPECT=200 R_RANK=2 R_PATH=/api/v1/movies/$M/scenes/$S2 ;; # the movie
	# no scene has a take before the render: 409, after the ownership check
	"POST /api/v1/movies/{id}/scenes/{scene_id}/regenerate")
		R_CLASS=owner R_EXPECT=409 R_PATH=/api/v1/movies/$M/scenes/$S1/regenerate ;;
	"POST /api/v1/movies/{id}/render") R_CLASS=owner R_EXPECT=202 R_RANK=3 R_PATH=${t/\{id\}/$M} ;;
	"POST /api/v1/movies/{id}/cancel") R_CLASS=owner R_EXPECT=202 R_RANK=4 R_PATH=${t/\{id\}/$M} ;;
	# never assembled: 409 not_ready for the owner
	"GET /api/v1/movies/{id}/content" | "GET /api/v1/movies/{id}/poster" | \
		"GET /api/v1/movies/{id}/contact-sheet" | "GET /api/v1/movies/{id}/subtitles.vtt")
		R_CLASS=owner R_EXPECT=409 R_PATH=${t/\{id\}/$M} ;;
	"GET /api/v1/movies/{id}/hls/{name}")
		R_CLASS=owner R_EXPECT=409 R_PATH=/api/v1/movies/$M/hls/index.m3u8 ;;
	"GET /api/v1/admin/users/{id}") R_CLASS=admin R_EXPECT=200 R_PATH=${t/\{id\}/$A_ID} ;;
	"PATCH /api/v1/admin/users/{id}")
		R_CLASS=admin R_EXPECT=200 R_PATH=${t/\{id\}/$A_ID} R_BODY='{"disabled": false}' ;;
	"GET /api/v1/admin/jobs/{id}") R_CLASS=admin R_EXPECT=200 R_PATH=${t/\{id\}/$V_JOB} ;;
	# the job succeeded: neither retry nor cancel applies (409), after the role check
	"POST /api/v1/admin/jobs/{id}/retry" | "POST /api/v1/admin/jobs/{id}/cancel")
		R_CLASS=admin R_EXPECT=409 R_PATH=${t/\{id\}/$V_JOB} ;;
	"GET /api/v1/admin/"*)
		[[ $t == *"{"* ]] && return 1
		R_CLASS=admin R_EXPECT=200 ;;
	*) return 1 ;;
	esac
	return 0
}

# call_as WHO METHOD TEMPLATE: one call of the matrix (after rule), with the body and the
# token that row and identity need.
REFRESH_CHAIN=$C_REFRESH
call_as() {
	local who=$1 m=$2 t=$3 tok=${TOK[$1]} body=$R_BODY args=()
	case "$m $t" in
	"POST /api/v1/auth/register")
		body=$(jq -cn --arg e "it-t_authz-$who-$(date +%s%N)@example.com" \
			'{email: $e, password: "t_authz password"}') ;;
	"POST /api/v1/auth/login")
		body=$(jq -cn --arg e "$C_EMAIL" --arg p "$C_PASSWORD" '{email: $e, password: $p}') ;;
	"POST /api/v1/auth/refresh") body=$(jq -cn --arg r "$REFRESH_CHAIN" '{refresh_token: $r}') ;;
	"POST /api/v1/auth/logout")
		# a session of its own, so the identity's main token keeps working
		case $who in
		A) tok=$(session "$A_EMAIL" "$A_PASSWORD") ;;
		B) tok=$(session "$B_EMAIL" "$B_PASSWORD") ;;
		admin) tok=$(session "$ADMIN_EMAIL" "$ADMIN_PASSWORD") ;;
		esac ;;
	"POST /api/v1/files") body=@$PNG args=(-H 'Content-Type: image/png') ;;
	"POST /api/v1/movies/{id}/scenes/reorder")
		# the full current order, reversed (read as A: the others must not learn it)
		body=$(TOKEN=$A_TOKEN api GET "/api/v1/movies/$M" && json '{scene_ids: ([.scenes[].id] | reverse)}') ;;
	esac
	TOKEN=$tok api "$m" "$R_PATH" "$body" "${args[@]}"
	[ "$m $t" = "POST /api/v1/auth/refresh" ] && [ "$API_STATUS" = 200 ] && REFRESH_CHAIN=$(json .refresh_token)
	return 0
}

session() {
	TOKEN="" api POST /api/v1/auth/login "$(jq -cn --arg e "$1" --arg p "$2" '{email: $e, password: $p}')"
	json .access_token
}

# expected WHO: the status (ERE) WHO must get on the current rule.
expected() {
	case $1 in
	anon | revoked | expired | none | otherkey) [ "$R_CLASS" = public ] && echo "$R_EXPECT" || echo 401 ;;
	disabled) [ "$R_CLASS" = public ] && echo "$R_EXPECT" || echo 403 ;;
	A) [ "$R_CLASS" = admin ] && echo 403 || echo "$R_EXPECT" ;;
	B) case $R_CLASS in admin) echo 403 ;; owner) echo 404 ;; *) echo "$R_EXPECT" ;; esac ;;
	admin) [ "$R_CLASS" = owner ] && echo 404 || echo "$R_EXPECT" ;;
	esac
}

# ---------------------------------------------------------------- the endpoints

TOKEN="" api GET /api/v1/openapi.json
expect_status 200 "the openapi document"
mapfile -t ENDPOINTS < <(json '.paths | to_entries[] | .key as $p | .value | keys[]
	| select(IN("get", "post", "put", "patch", "delete")) | "\(ascii_upcase) \($p)"')
check "the openapi document lists endpoints (${#ENDPOINTS[@]})" test "${#ENDPOINTS[@]}" -gt 30

rows=()
for e in "${ENDPOINTS[@]}"; do
	read -r m t <<<"$e"
	if rule "$m" "$t"; then
		rows+=("$R_RANK $m $t")
	else
		fail "no authorization rule for $m $t (documented in openapi.json): add one to $TEST_NAME"
	fi
done
mapfile -t rows < <(printf '%s\n' "${rows[@]}" | sort -s -n -k1,1)

declare -A CELL
access_log_mark
bad=0
for row in "${rows[@]}"; do
	read -r _ m t <<<"$row"
	rule "$m" "$t"
	for who in "${RUN_ORDER[@]}"; do
		call_as "$who" "$m" "$t"
		want=$(expected "$who")
		cell=$API_STATUS
		if ! [[ $API_STATUS =~ ^($want)$ ]]; then
			fail "$m $R_PATH as $who: expected HTTP $want, got $API_STATUS"
			cell="$cell!"
			bad=$((bad + 1))
		elif [ "$API_STATUS" = 401 ] && ! [[ $(header WWW-Authenticate) =~ ^Bearer ]]; then
			fail "$m $R_PATH as $who: 401 without WWW-Authenticate: Bearer (got '$(header WWW-Authenticate)')"
			cell="$cell!"
			bad=$((bad + 1))
		fi
		CELL["$m $t|$who"]=$cell
	done
done
check "every cell of the matrix as expected (${#rows[@]} endpoints × ${#RUN_ORDER[@]} identities, $bad wrong)" \
	test "$bad" -eq 0

# The rules were about the endpoints, not about side effects: make sure none leaked.
TOKEN=$A_TOKEN api GET "/api/v1/videos/$V"
expect_status 200 "A's video survived B's and the admin's DELETE attempts"
TOKEN=$A_TOKEN api GET "/api/v1/files/$F"
expect_status 200 "A's file survived"
expect_eq "$(sqlv "SELECT disabled FROM users WHERE id = :'id'" id="$A_ID")" f "A is still enabled"
expect_no_5xx

printf '\n        %-56s' "endpoint"
for who in "${SHOW_ORDER[@]}"; do printf ' %-8s' "$who"; done
printf '\n'
for row in "${rows[@]}"; do
	read -r _ m t <<<"$row"
	printf '        %-56s' "$m $t"
	for who in "${SHOW_ORDER[@]}"; do printf ' %-8s' "${CELL["$m $t|$who"]}"; done
	printf '\n'
done
