#!/usr/bin/env bash
# veogenctl user and apikey against the running stack: list (table and JSON), set-role
# (the API then sees an admin), disable/enable (an existing token and key fail and work
# again at once), the last enabled admin kept, unknown emails and keys (exit 66,
# EX_NOINPUT), API keys created, used with X-API-Key and revoked, the audit rows; and the
# command line itself: every --help exits 0 with "Usage:", wrong usage exits 64.
here=$(dirname "$0")
. "$here/lib.sh"
. "$here/lib_more.sh"

# ctl ARGS: runs veogenctl; $CTL_RC, $CTL_OUT (stdout) and $CTL_ERR (stderr) afterwards.
ctl() {
	CTL_OUT=$(veogenctl "$@" 2>"$IT_WORK/ctl.err")
	CTL_RC=$?
	CTL_ERR=$(cat "$IT_WORK/ctl.err")
}

# expect_ctl RC WHAT ARGS...: runs veogenctl ARGS and checks its exit status.
expect_ctl() {
	local want=$1 what=$2
	shift 2
	ctl "$@"
	if [ "$CTL_RC" = "$want" ]; then
		ok "veogenctl $* -> $want${what:+ ($what)}"
	else
		fail "veogenctl $*: expected exit $want, got $CTL_RC${what:+ ($what)}: ${CTL_ERR:0:300}"
	fi
}

# has TEXT PART...: TEXT contains every PART, in any order.
has() {
	local text=$1 part
	shift
	for part in "$@"; do [[ $text == *"$part"* ]] || return 1; done
}

# me_as TOKEN: GET /api/v1/me as TOKEN.
me_as() { TOKEN=$1 api GET /api/v1/me; }
# me_with_key KEY: GET /api/v1/me with X-API-Key.
me_with_key() { TOKEN="" api GET /api/v1/me "" -H "X-API-Key: $1"; }
audit_last() {
	sqlv "SELECT details->>'via' || ' ' || (details->$3)::text FROM audit_log
	      WHERE action = :'a' AND target_id = :'t' ORDER BY id DESC LIMIT 1" a="$1" t="$2"
}

echo "--help: every command and subcommand"
helps=("--help" "help" "migrate --help" "config --help" "config check --help" "provider --help"
	"user --help" "user add --help" "user list --help" "user set-role --help"
	"user disable --help" "user enable --help" "user set-quota --help"
	"apikey --help" "apikey create --help" "apikey list --help" "apikey revoke --help"
	"job --help" "job list --help" "job show --help" "job retry --help" "job cancel --help")
for h in "${helps[@]}"; do
	# shellcheck disable=SC2086 # the words of $h are the arguments
	ctl $h
	if [ "$CTL_RC" = 0 ] && [[ $CTL_OUT == Usage:* ]] && [ "$(wc -l <<<"$CTL_OUT")" -ge 5 ]; then
		ok "veogenctl $h: exit 0, starts with Usage:"
	else
		fail "veogenctl $h: exit $CTL_RC, output starts '${CTL_OUT:0:60}'"
	fi
done
ctl --help
for c in "user list" "user set-role" "user disable" "user enable" "apikey create" \
	"apikey list" "apikey revoke" "job list" "job show" "job retry" "job cancel"; do
	check "veogenctl --help names '$c'" grep -q "^  $c" <<<"$CTL_OUT"
done

new_user A || exit 1
new_user B || exit 1
NOBODY="it-t_ctl-nobody-$(date +%s%N)@example.com"

echo "wrong usage: exit 64 and nothing changes"
expect_ctl 64 "no subcommand" user
expect_ctl 64 "" user frobnicate
expect_ctl 64 "" user list --role boss
expect_ctl 64 "" user list --bogus
expect_ctl 64 "" user list extra
expect_ctl 64 "no role" user set-role "$A_EMAIL"
expect_ctl 64 "" user set-role "$A_EMAIL" superuser
expect_ctl 64 "" user disable
expect_ctl 64 "" user enable "$A_EMAIL" "$B_EMAIL"
expect_ctl 64 "" user set-quota "$A_EMAIL"
expect_ctl 64 "" user set-quota "$A_EMAIL" --video-seconds -5
expect_ctl 64 "" user set-quota "$A_EMAIL" --cost-usd 1e3
expect_ctl 64 "" apikey
expect_ctl 64 "" apikey rotate
expect_ctl 64 "no --name" apikey create "$A_EMAIL"
expect_ctl 64 "" apikey create --name x
expect_ctl 64 "" apikey list
expect_ctl 64 "" apikey revoke
check "the message says what is wrong and where help is (${CTL_ERR%%$'\n'*})" \
	has "$CTL_ERR" "needs the key's ID" "--help"
expect_eq "$(sqlv "SELECT role || disabled::text || coalesce(quota_video_seconds_month::text, '-') \
	FROM users WHERE id = :'u'" u="$A_ID")" "userfalse-" "A unchanged by the wrong command lines"
expect_eq "$(sqlv "SELECT count(*) FROM api_keys WHERE user_id = :'u'" u="$A_ID")" 0 \
	"no key made by the wrong command lines"

echo "user list"
expect_ctl 0 "" user list
check "the table has a header" grep -q '^EMAIL  *ROLE  *STATUS  *CREATED  *ID$' <<<"$CTL_OUT"
check "the table shows A as an enabled user" \
	grep -Eq "^$A_EMAIL +user +enabled +[0-9T:-]+Z +$A_ID\$" <<<"$CTL_OUT"
expect_ctl 0 "" user list --json
expect_eq "$(jq -r --arg e "$A_EMAIL" '.[] | select(.email == $e) |
	[.id, .role, .disabled, .display_name, .quota.video_seconds_month,
	 (.created_at | test("^[0-9-]+T[0-9:]+Z$"))] | map(tostring) | join(" ")' <<<"$CTL_OUT")" \
	"$A_ID user false null null true" "user list --json: A's object"
expect_eq "$(jq 'length' <<<"$CTL_OUT")" "$(sqlv 'SELECT count(*) FROM users')" \
	"user list --json: every account"
expect_ctl 0 "" user list --role admin --json
expect_eq "$(jq -r --arg e "$A_EMAIL" '[.[] | select(.email == $e)] | length' <<<"$CTL_OUT")" 0 \
	"--role admin leaves the user A out"
expect_eq "$(jq -r '[.[] | select(.role != "admin")] | length' <<<"$CTL_OUT")" 0 \
	"--role admin lists admins only"

echo "set-role: A becomes an admin"
expect_ctl 0 "" user set-role "$A_EMAIL" admin
expect_eq "$CTL_OUT" "$A_ID role=admin" "set-role prints the id and the role"
me_as "$A_TOKEN"
expect_status 200 "A's existing token"
expect_json .role admin
expect_eq "$(audit_last user.update "$A_ID" "'after'")" 'veogenctl {"role": "admin"}' \
	"audit user.update via veogenctl"
expect_ctl 0 "email in other case, role it has" user set-role "${A_EMAIL^^}" admin
expect_eq "$(sqlv "SELECT count(*) FROM audit_log WHERE action = 'user.update' AND target_id = :'t'" \
	t="$A_ID")" 1 "no audit row for a change that changes nothing"

echo "disable / enable: B's token and API key stop and work again at once"
expect_ctl 0 "" apikey create "$B_EMAIL" --name "t_ctl key"
B_KEY=$(awk '$1 == "key:" { print $2 }' <<<"$CTL_OUT")
B_KEY_ID=$(awk '$1 == "id:" { print $2 }' <<<"$CTL_OUT")
check "apikey create prints a key ($B_KEY)" grep -q '^vg_' <<<"$B_KEY"
check "apikey create says to store the key" grep -q "cannot be shown again" <<<"$CTL_ERR"
me_with_key "$B_KEY"
expect_status 200 "X-API-Key of the new key"
expect_json .id "$B_ID"
me_as "$B_TOKEN"
expect_status 200 "B's token before disable"
expect_ctl 0 "" user disable "$B_EMAIL"
expect_eq "$CTL_OUT" "$B_ID disabled=true" "disable prints the id and the state"
me_as "$B_TOKEN"
expect_problem 403 "B's existing token right after disable"
expect_json .code account_disabled
me_with_key "$B_KEY"
expect_problem 403 "B's API key right after disable"
expect_ctl 0 "" user list --disabled --json
expect_eq "$(jq -r --arg e "$B_EMAIL" '.[] | select(.email == $e) | .disabled' <<<"$CTL_OUT")" true \
	"user list --disabled shows B"
expect_eq "$(jq -r '[.[] | select(.disabled | not)] | length' <<<"$CTL_OUT")" 0 \
	"user list --disabled lists disabled accounts only"
expect_eq "$(audit_last user.update "$B_ID" "'after'")" 'veogenctl {"disabled": true}' \
	"audit user.update of the disable"
expect_ctl 0 "" user enable "$B_EMAIL"
expect_eq "$CTL_OUT" "$B_ID disabled=false" "enable prints the id and the state"
me_as "$B_TOKEN"
expect_status 200 "B's token right after enable"
me_with_key "$B_KEY"
expect_status 200 "B's API key right after enable"

echo "the last enabled admin stays one"
# Alone for a moment: the other enabled admins are disabled behind veogenctl's back.
others=$(sqlv "SELECT string_agg(id::text, ',') FROM users WHERE role = 'admin' AND NOT disabled
	AND id <> :'a'" a="$A_ID")
restore_admins() {
	[ -n "$others" ] && sqlv "UPDATE users SET disabled = false WHERE id = ANY(string_to_array(:'o', ',')::uuid[])" \
		o="$others" >/dev/null
	others=""
}
on_exit restore_admins
[ -n "$others" ] && sqlv "UPDATE users SET disabled = true WHERE id = ANY(string_to_array(:'o', ',')::uuid[])" \
	o="$others" >/dev/null
expect_ctl 65 "demoting the last admin" user set-role "$A_EMAIL" user
check "it says why and what to do ($CTL_ERR)" \
	has "$CTL_ERR" "last enabled admin" "set-role EMAIL admin"
expect_ctl 65 "disabling the last admin" user disable "$A_EMAIL"
restore_admins
expect_eq "$(sqlv "SELECT role || ' ' || disabled::text FROM users WHERE id = :'u'" u="$A_ID")" \
	"admin false" "A still an enabled admin"
expect_ctl 0 "" user set-role "$B_EMAIL" admin
expect_ctl 0 "with another admin, A may go" user set-role "$A_EMAIL" user
me_as "$A_TOKEN"
expect_json .role user
expect_ctl 0 "" user set-role "$B_EMAIL" user

echo "unknown email or key: exit 66 (EX_NOINPUT)"
expect_ctl 66 "" user set-role "$NOBODY" admin
check "it names the email and says what to do ($CTL_ERR)" \
	has "$CTL_ERR" "$NOBODY" "veogenctl user add"
expect_ctl 66 "" user disable "$NOBODY"
expect_ctl 66 "" user enable "$NOBODY"
expect_ctl 66 "" user set-quota "$NOBODY" --video-seconds 5
expect_ctl 66 "" apikey create "$NOBODY" --name x
expect_ctl 66 "" apikey list "$NOBODY"
expect_ctl 66 "no such key" apikey revoke "$(cat /proc/sys/kernel/random/uuid)"
expect_ctl 65 "not a key id" apikey revoke "$B_KEY"
check "the key itself is refused as an id ($CTL_ERR)" grep -q "not an API key id" <<<"$CTL_ERR"
expect_ctl 65 "a name too long" apikey create "$B_EMAIL" --name "$(printf 'n%.0s' {1..101})"

echo "set-quota goes through the same path"
expect_ctl 0 "" user set-quota "$B_EMAIL" --video-seconds 600 --cost-usd 12.5
expect_eq "$CTL_OUT" "$B_ID video_seconds_month=600 cost_usd_month=12.5" "set-quota prints the quotas"
expect_eq "$(audit_last user.update "$B_ID" "'after'")" \
	'veogenctl {"quota_cost_usd_month": 12.5, "quota_video_seconds_month": 600}' "audit of set-quota"
expect_ctl 0 "" user set-quota "$B_EMAIL" --video-seconds default
expect_eq "$CTL_OUT" "$B_ID video_seconds_month=default cost_usd_month=12.5" "default again"

echo "apikey list and revoke"
expect_ctl 0 "" apikey list "$B_EMAIL" --json
expect_eq "$(jq -r '[.[] | .id + " " + .name + " " + (.prefix | length | tostring) + " " +
	(.last_used_at != null | tostring)] | join(",")' <<<"$CTL_OUT")" "$B_KEY_ID t_ctl key 12 true" \
	"apikey list --json: the key, its name, prefix and last use"
expect_ctl 0 "" apikey list "$B_EMAIL"
check "the table shows the key" grep -Eq "^$B_KEY_ID +${B_KEY:0:12} +.*t_ctl key\$" <<<"$CTL_OUT"
expect_eq "$(audit_last apikey.create "$B_KEY_ID" "'user_id'")" "veogenctl \"$B_ID\"" \
	"audit apikey.create via veogenctl, for B"
expect_ctl 0 "" apikey revoke "$B_KEY_ID"
expect_eq "$CTL_OUT" "revoked $B_KEY_ID" "revoke prints the id"
me_with_key "$B_KEY"
expect_problem 401 "the revoked key right away"
expect_json .code invalid_api_key
expect_eq "$(audit_last apikey.revoke "$B_KEY_ID" "'prefix'")" "veogenctl \"${B_KEY:0:12}\"" \
	"audit apikey.revoke via veogenctl"
expect_ctl 66 "revoking twice" apikey revoke "$B_KEY_ID"
expect_ctl 0 "" apikey list "$B_EMAIL" --json
expect_eq "$(jq length <<<"$CTL_OUT")" 0 "the revoked key is no longer listed"

echo "the API's own keys (same library) behave as before"
TOKEN=$B_TOKEN api POST /api/v1/api-keys '{"name": "  from the api "}'
expect_status 201
expect_json .name "from the api"
api_key=$(json .key) api_key_id=$(json .id)
me_with_key "$api_key"
expect_status 200 "the API-made key works"
TOKEN=$B_TOKEN api GET /api/v1/api-keys
expect_json '.items | map(.id) | join(",")' "$api_key_id"
expect_eq "$(audit_last apikey.create "$api_key_id" "'name'")" "" \
	"the API's audit row has no via (unchanged details)"
TOKEN=$A_TOKEN api DELETE "/api/v1/api-keys/$api_key_id"
expect_problem 404 "another user's key"
TOKEN=$B_TOKEN api POST /api/v1/api-keys '{"name": ""}'
expect_problem 422 "an empty name"
TOKEN=$B_TOKEN api DELETE "/api/v1/api-keys/$api_key_id"
expect_status 204
TOKEN=$B_TOKEN api DELETE "/api/v1/api-keys/$api_key_id"
expect_problem 404 "revoked already"
