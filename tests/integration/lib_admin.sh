# Sourced (after lib.sh) by the integration tests of the admin API.  Admins cannot register
# through the API, so an admin account is made the way an operator makes one: with the
# stack's `veogenctl user add --admin`, then a login over HTTP for its tokens.
#
#   new_admin    makes a fresh admin; sets ADMIN_TOKEN ADMIN_ID ADMIN_EMAIL ADMIN_PASSWORD
#                (call it directly, not in $(...), to keep the variables)
#   make_admin   prints the access token of a fresh admin account:  TOKEN=$(make_admin)
# Both say on stderr what went wrong and return 1 on failure.

# shellcheck disable=SC2034 # ADMIN_* are for the tests that source this file
ADMIN_TOKEN="" ADMIN_ID="" ADMIN_EMAIL="" ADMIN_PASSWORD=""

new_admin() {
	ADMIN_EMAIL="it-admin-$TEST_NAME-$(date +%s%N)-$RANDOM@example.com"
	ADMIN_PASSWORD="pw-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
	ADMIN_TOKEN="" ADMIN_ID=""
	if ! ADMIN_ID=$(VEOGEN_PASSWORD=$ADMIN_PASSWORD veogenctl user add --admin "$ADMIN_EMAIL" </dev/null); then
		echo "new_admin: veogenctl user add --admin $ADMIN_EMAIL failed (is the stack's config $VEOGEN_CONF readable?)" >&2
		return 1
	fi
	local body
	body=$(jq -cn --arg e "$ADMIN_EMAIL" --arg p "$ADMIN_PASSWORD" '{email: $e, password: $p}')
	TOKEN="" api POST /api/v1/auth/login "$body"
	if [ "$API_STATUS" != 200 ]; then
		echo "new_admin: login as $ADMIN_EMAIL: expected HTTP 200, got $API_STATUS: $(head -c 300 "$API_BODY")" >&2
		return 1
	fi
	ADMIN_TOKEN=$(json .access_token)
}

make_admin() {
	new_admin || return 1
	printf '%s\n' "$ADMIN_TOKEN"
}
