# Sourced by the provider tests after lib.sh and lib_more.sh: the stack's gemini and vertex
# providers talk to tests/fakes/google_fake.mjs (contrib/devstack up fake), whose faults are
# chosen by `fake:NAME[=N]` markers in the prompt (tests/fakes/README.md).
#
#   fake_get PATH              GET on the fake's control API, body on stdout
#   submits_of TAG             the submit bodies (JSON lines) whose prompt contains TAG
#   fake_op TAG FILTER         jq FILTER on the fake's operation whose prompt contains TAG
#   video_json ID FILTER       jq FILTER on GET /api/v1/videos/ID
#   expect_video ID STATUS [ERROR_CODE]   waits for the end, checks status and error.code

: "${VEOGEN_FAKE_URL:?the provider tests need the fake Google APIs: contrib/devstack up fake}"

fake_get() { curl -s --max-time 10 "$VEOGEN_FAKE_URL$1"; }

submits_of() {
	fake_get "/_fake/requests?prefix=/v1" | jq -c --arg t "$1" \
		'.[] | select(.method == "POST" and (.path | endswith(":predictLongRunning")))
		 | select((.body.instances[0].prompt // "") | contains($t)) | .body'
}

fake_op() {
	fake_get "/_fake/operations?prompt=$(jq -rn --arg t "$1" '$t | @uri')" | jq -r ".[0] | $2"
}

video_json() {
	api GET "/api/v1/videos/$1"
	json "$2"
}

expect_video() {
	local id=$1 status=$2 code=${3:-}
	wait_video_done "$id" "${WAIT_LIMIT:-120}" || return 1
	expect_eq "$VIDEO_STATUS" "$status" "video $id ends $status"
	if [ -n "$code" ]; then
		expect_eq "$(json .error.code)" "$code" "video $id error.code"
	fi
}
