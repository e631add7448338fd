#!/usr/bin/env bash
# The vertex provider against the fake Vertex AI: a service-account key signed into an
# access token at the fake OAuth endpoint, predictLongRunning + fetchPredictOperation, the
# result inline (base64) or in Cloud Storage, a safety-filtered result, and a token the
# server stopped accepting.
here=$(dirname "$0")
. "$here/lib.sh"
. "$here/lib_more.sh"
. "$here/lib_fake.sh"

new_user A || exit 1
TOKEN=$A_TOKEN
RUN=$RANDOM$RANDOM
declare -A V
vertex() { # NAME PROMPT [EXTRA JSON FIELDS]
	create_video "$(jq -cn --arg p "$2 [$1-$RUN]" --argjson x "${3:-{\}}" \
		'{prompt: $p, provider: "vertex", duration_seconds: 8} + $x')" && V[$1]=$VIDEO_ID
}
tokens_before=$(fake_get /_fake/stats | jq -r .tokens)

vertex inline "a paper boat drifts on a pond" '{"seed": 42}'
expect_json .provider vertex
vertex gcs "fake:gcs a result written to Cloud Storage"
vertex filtered "fake:filtered something the filters block"

expect_video "${V[inline]}" succeeded
expect_json .result.mime_type video/mp4
curl -s -o "$IT_WORK/inline.mp4" -H "Authorization: Bearer $A_TOKEN" "$BASE/api/v1/videos/${V[inline]}/content"
check "an inline (base64) result is stored byte for byte" cmp -s "$IT_WORK/inline.mp4" "$VEOGEN_FAKE_DIR/sample.mp4"
body=$(submits_of "inline-$RUN" | head -n1)
expect_eq "$(jq -r '.parameters.seed' <<<"$body")" 42 "Vertex gets the seed"
expect_eq "$(jq -r '.parameters.durationSeconds | type' <<<"$body")" number "durationSeconds is a JSON number"
check "an access token came from the OAuth endpoint" test "$(fake_get /_fake/stats | jq -r .tokens)" -gt "$tokens_before"
auth=$(fake_get "/_fake/requests?prefix=/v1/projects" | jq -r '[.[] | select(.path | endswith(":predictLongRunning"))][-1].headers.authorization // ""')
check "Vertex requests carry the Bearer token" grep -q '^Bearer ' <<<"$auth"

expect_video "${V[gcs]}" succeeded
curl -s -o "$IT_WORK/gcs.mp4" -H "Authorization: Bearer $A_TOKEN" "$BASE/api/v1/videos/${V[gcs]}/content"
check "a Cloud Storage result is fetched byte for byte" cmp -s "$IT_WORK/gcs.mp4" "$VEOGEN_FAKE_DIR/sample.mp4"
gauth=$(fake_get "/_fake/requests?prefix=/download/storage" | jq -r '.[-1].headers.authorization // ""')
check "Cloud Storage is read with the Bearer token" grep -q '^Bearer ' <<<"$gauth"

expect_video "${V[filtered]}" failed safety_filtered

# A token the server no longer accepts: the runner fetches a new one and goes on.
curl -s -X POST "$VEOGEN_FAKE_URL/_fake/expire-tokens" >/dev/null
tokens_before=$(fake_get /_fake/stats | jq -r .tokens)
vertex renewed "after the token was revoked"
expect_video "${V[renewed]}" succeeded
check "a new access token was fetched" test "$(fake_get /_fake/stats | jq -r .tokens)" -gt "$tokens_before"
