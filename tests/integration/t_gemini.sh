#!/usr/bin/env bash
# The gemini provider against the fake Gemini API: a real generation end to end (request
# body on the wire, download redirected to another host that must not see the key, cost),
# and every fault of the issue ending in the right video state and error.code.
here=$(dirname "$0")
. "$here/lib.sh"
. "$here/lib_more.sh"
. "$here/lib_fake.sh"

new_user A || exit 1
TOKEN=$A_TOKEN
RUN=$RANDOM$RANDOM
leaks_before=$(fake_get /_fake/stats | jq -r .storage_key_leaks)
storage_before=$(fake_get /_fake/stats | jq -r .storage_requests)

# ---- many at once: each fault is a marker in its own prompt
declare -A V
gemini() { # NAME PROMPT [EXTRA JSON FIELDS]
	create_video "$(jq -cn --arg p "$2 [$1-$RUN]" --argjson x "${3:-{\}}" \
		'{prompt: $p, provider: "gemini", duration_seconds: 6} + $x')" && V[$1]=$VIDEO_ID
}
gemini ok "a lighthouse at dusk, waves crash" '{"negative_prompt": "watermark", "aspect_ratio": "9:16"}'
expect_json .estimated_cost_usd 0.6
expect_json .model veo-3.1-fast-generate-preview
gemini filtered "fake:filtered a forbidden scene"
gemini rejected "fake:error=3 a prompt the model refuses"
gemini quota "fake:submit429=2 rate limited at first"
gemini unavailable "fake:submit500=1 fake:submit503=1 the service hiccups"
gemini polls "fake:poll500=2 fake:poll503=1 fake:poll429=1 polls fail for a while"
gemini slow "fake:slowpoll=2500 polls answer slowly"
gemini malformed "fake:malformed=2 polls answer garbage twice"
gemini truncated "fake:truncated=1 the first download breaks off"
gemini bad "fake:submit400 a request the API refuses"
gemini denied "fake:submit403 a key without permission"
gemini lost "fake:lostsubmit the answer to the submit never arrives"
gemini retired "a retired model" '{"model": "veo-3.1-lite-generate-preview"}'
gemini enhanced "fake:answer={\"prompt\": \"A slow dolly shot of a red lighthouse at dusk, gulls crying $RUN\"} lighthouse" \
	'{"enhance_prompt": true}'

expect_video "${V[ok]}" succeeded
expect_json .result.width 1280
expect_json .result.height 720
expect_json .result.mime_type video/mp4
expect_json .result.has_audio true
expect_json .spent_cost_usd 0.6
check "the result has a sha256" test "$(json .result.sha256 | wc -c)" = 65
body=$(submits_of "ok-$RUN" | head -n1)
expect_eq "$(jq -r '.parameters.durationSeconds | type' <<<"$body")" number "durationSeconds is a JSON number"
expect_eq "$(jq -r '.parameters.durationSeconds' <<<"$body")" 6 "durationSeconds is 6"
expect_eq "$(jq -r '.parameters.aspectRatio' <<<"$body")" 9:16 "aspectRatio"
expect_eq "$(jq -r '.parameters.negativePrompt' <<<"$body")" watermark "negativePrompt"
expect_eq "$(jq -r '.parameters.sampleCount' <<<"$body")" 1 "sampleCount"
expect_eq "$(jq -r '.parameters | has("seed") or has("personGeneration") or has("generateAudio")' <<<"$body")" false \
	"no parameter the Gemini API refuses"
expect_eq "$(jq -r '.instances | length' <<<"$body")" 1 "exactly one instance"
curl -s -o "$IT_WORK/ok.mp4" -H "Authorization: Bearer $A_TOKEN" "$BASE/api/v1/videos/${V[ok]}/content"
check "the stored clip is the bytes the fake generated" cmp -s "$IT_WORK/ok.mp4" "$VEOGEN_FAKE_DIR/sample.mp4"
stats=$(fake_get /_fake/stats)
check "the download went through the other host" test "$(jq -r .storage_requests <<<"$stats")" -gt "$storage_before"
expect_eq "$(jq -r .storage_key_leaks <<<"$stats")" "$leaks_before" "the other host never saw the API key"
api GET "/api/v1/videos/${V[ok]}/thumbnail"
expect_status 200 "a thumbnail of the provider's clip"

expect_video "${V[filtered]}" failed safety_filtered
check "the filter's reason reaches the user" grep -q "charged" <<<"$(json .error.message)"
expect_json .error.retryable false
expect_json .spent_cost_usd 0
expect_video "${V[rejected]}" failed provider_rejected
check "the operation's error message reaches the user" grep -q "INVALID_ARGUMENT" <<<"$(json .error.message)"
expect_video "${V[quota]}" succeeded
expect_eq "$(submits_of "quota-$RUN" | wc -l)" 3 "two 429 answers, then a submit that worked"
expect_video "${V[unavailable]}" succeeded
expect_video "${V[polls]}" succeeded
expect_video "${V[slow]}" succeeded
expect_video "${V[malformed]}" succeeded
expect_video "${V[truncated]}" succeeded
expect_eq "$(fake_op "truncated-$RUN" .downloads)" 2 "the broken download was fetched again"
curl -s -o "$IT_WORK/tr.mp4" -H "Authorization: Bearer $A_TOKEN" "$BASE/api/v1/videos/${V[truncated]}/content"
check "the retried download is whole" cmp -s "$IT_WORK/tr.mp4" "$VEOGEN_FAKE_DIR/sample.mp4"
expect_video "${V[bad]}" failed provider_rejected
check "the API's 400 message reaches the user" grep -qi "invalid_argument" <<<"$(json .error.message)"
expect_json .attempts 1
expect_video "${V[denied]}" failed provider_rejected
expect_video "${V[lost]}" failed provider_unavailable
check "the user learns the answer was lost and nothing was re-sent" grep -q "answer was lost" <<<"$(json .error.message)"
expect_eq "$(submits_of "lost-$RUN" | wc -l)" 1 "a submit whose answer was lost is not sent again"
expect_video "${V[retired]}" failed provider_rejected
check "a retired model is named as such" grep -q "not found" <<<"$(json .error.message)"
expect_video "${V[enhanced]}" succeeded
check "the user's prompt is kept" grep -q "^fake:answer=" <<<"$(json .prompt)"
expect_json .enhanced_prompt "A slow dolly shot of a red lighthouse at dusk, gulls crying $RUN"
expect_json .enhance_prompt true
expect_eq "$(fake_get "/_fake/operations?prompt=gulls%20crying%20$RUN" | jq -r 'length')" 1 \
	"the provider received the enhanced prompt"

# ---- first and last frame and reference images travel inside instances[0]
upload() { # FILE TYPE → FILE_ID
	api POST /api/v1/files "@$1" -H "Content-Type: $2"
	FILE_ID=$(json .id)
}
ffmpeg -nostdin -loglevel error -f lavfi -i color=c=red:s=64x36 -frames:v 1 -y "$IT_WORK/first.png"
ffmpeg -nostdin -loglevel error -f lavfi -i color=c=blue:s=64x36 -frames:v 1 -y "$IT_WORK/last.jpg"
ffmpeg -nostdin -loglevel error -f lavfi -i color=c=green:s=64x36 -frames:v 1 -y "$IT_WORK/ref.webp"
upload "$IT_WORK/first.png" image/png
first=$FILE_ID
upload "$IT_WORK/last.jpg" image/jpeg
last=$FILE_ID
upload "$IT_WORK/ref.webp" image/webp
webp=$FILE_ID
gemini frames "the red frame turns blue" "$(jq -cn --arg f "$first" --arg l "$last" \
	'{image_id: $f, last_frame_id: $l, reference_image_ids: [$f], duration_seconds: 8,
	  model: "veo-3.1-generate-preview"}')"
expect_video "${V[frames]}" succeeded
body=$(submits_of "frames-$RUN" | head -n1)
expect_eq "$(jq -r '.instances[0].image.mimeType' <<<"$body")" image/png "the first frame is instances[0].image"
# the fake records a shortened copy of inline images: compare the start
sent=$(jq -r '.instances[0].image.bytesBase64Encoded' <<<"$body")
expect_eq "${sent:0:40}" "$(base64 -w0 "$IT_WORK/first.png" | head -c 40)" "the first frame's bytes are sent as uploaded"
expect_eq "$(jq -r '.instances[0].lastFrame.mimeType' <<<"$body")" image/jpeg "the last frame is instances[0].lastFrame"
expect_eq "$(jq -r '.instances[0].referenceImages[0].referenceType' <<<"$body")" asset "reference images are assets"
expect_eq "$(jq -r '.parameters | has("lastFrame") or has("referenceImages")' <<<"$body")" false \
	"nothing of the inputs in parameters"
api POST /api/v1/videos "$(jq -cn --arg f "$webp" '{prompt: "x", provider: "gemini", image_id: $f}')"
expect_status 422 "Veo takes no WebP"
expect_json '.errors[0].field' image_id
api POST /api/v1/videos "$(jq -cn --arg f "$first" \
	'{prompt: "x", provider: "gemini", model: "veo-3.1-lite-generate-preview", reference_image_ids: [$f], duration_seconds: 8}')"
expect_status 422 "the lite model takes no reference images"
check "the 422 names the model's limit" grep -q "reference" "$API_BODY"

# ---- what a model cannot do is refused before anything is queued
api POST /api/v1/videos '{"prompt": "x", "provider": "gemini", "model": "veo-9"}'
expect_status 422 "an unknown model"
check "the 422 lists the models" grep -q "veo-3.1-generate-preview" "$API_BODY"
api POST /api/v1/videos '{"prompt": "x", "provider": "gemini", "resolution": "1080p", "duration_seconds": 4}'
expect_status 422 "1080p needs 8 s"
expect_json '.errors[0].field' duration_seconds

# ---- never done: provider_timeout (the limit shortened for the test); cancel mid-generation
conf=$VEOGEN_CONF
cp "$conf" "$IT_WORK/conf.orig"
restore() {
	cp "$IT_WORK/conf.orig" "$conf"
	kill -HUP "$(pid_of runner)"
}
on_exit restore
conf_set "$conf" providers operation_timeout_s 4
kill -HUP "$(pid_of runner)"
sleep 2
gemini never "fake:never an operation that never finishes"
gemini cancel "fake:never an operation the user cancels"
sleep 1
api POST "/api/v1/videos/${V[cancel]}/cancel"
expect_status 202 "cancel while generating"
expect_video "${V[never]}" failed provider_timeout
expect_json .error.retryable true
expect_video "${V[cancel]}" cancelled
polls=$(fake_op "cancel-$RUN" .polls)
sleep 3
expect_eq "$(fake_op "cancel-$RUN" .polls)" "$polls" "a cancelled operation is no longer polled"

# ---- veogenctl provider check: the retired model is reported, the others answer
out=$(veogenctl provider check 2>&1)
rc=$?
check "provider check fails while a configured model is retired (exit $rc)" test "$rc" -ne 0
check "provider check reports the retired model" grep -q "veo-3.1-lite-generate-preview.*FAILED" <<<"$out"
check "provider check reports the served models" grep -q "veo-3.1-fast-generate-preview.*ok" <<<"$out"
check "provider check asks Vertex too (with an access token)" grep -q "^vertex .*veo-3.1-fast-generate-001 .*ok" <<<"$out"
check "provider check never prints the key" bash -c '! grep -qF "$1" <<<"$2"' _ "$(cat "$VEOGEN_FAKE_DIR/gemini.key")" "$out"
printf '%s\n' "$out" | sed 's/^/        /'
