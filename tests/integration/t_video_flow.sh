#!/usr/bin/env bash
# One video end to end with the local provider: register, create, poll to success, download
# through nginx (X-Accel-Redirect) and check the file with ffprobe; byte ranges; thumbnail;
# another user sees none of it.
. "$(dirname "$0")/lib.sh"

# within_frame VALUE TARGET: |VALUE - TARGET| <= one frame at 24 fps.
within_frame() { awk -v v="$1" -v t="$2" 'BEGIN { d = v - t; if (d < 0) d = -d; exit !(v != "" && d <= 1 / 24 + 1e-9) }'; }

register_user || exit 1
TOKEN_A=$TOKEN

TOKEN="" api GET /api/v1/videos
expect_status 401 "no credentials"
expect_header WWW-Authenticate '^Bearer'

create_video '{"prompt": "A paper boat drifting down a rain-soaked street", "style": "cinematic", "duration_seconds": 4}' || exit 1
expect_status 202
expect_header Location "^/api/v1/videos/$VIDEO_ID\$"
expect_header X-Request-Id '^[0-9a-f]{32}$'
expect_json .duration_seconds 4
expect_json .style cinematic
expect_json .provider local
status=$(json .status)
check "new video is queued or already running ($status)" test "$status" = queued -o "$status" = running

wait_video_done "$VIDEO_ID" 300 || exit 1
expect_eq "$VIDEO_STATUS" succeeded "final status"
expect_json .progress 100
expect_json .stage "done"
expect_json .error null
expect_json .result.width 1280
expect_json .result.height 720
expect_json .result.mime_type video/mp4
expect_json .result.has_audio true
expect_json .links.content "/api/v1/videos/$VIDEO_ID/content"
expect_json .links.thumbnail "/api/v1/videos/$VIDEO_ID/thumbnail"
size=$(json .result.size_bytes)
sha=$(json .result.sha256)

api GET "/api/v1/videos/$VIDEO_ID/content"
expect_status 200 "content through nginx"
expect_header Content-Type '^video/mp4'
expect_header X-Request-Id '^[0-9a-f]{32}$'
expect_eq "$(header_count X-Request-Id)" 1 "one X-Request-Id on the download"
video=$IT_WORK/video.mp4
cp "$API_BODY" "$video"
expect_eq "$(stat -c %s "$video")" "$size" "downloaded size equals result.size_bytes"
expect_eq "$(sha256sum "$video" | cut -d' ' -f1)" "$sha" "downloaded sha256 equals result.sha256"

probe=$IT_WORK/probe.json
if ffprobe -v error -of json -show_format -show_streams "$video" >"$probe"; then
	ok "ffprobe reads the file"
else
	fail "ffprobe cannot read the file"
fi
vstream='[.streams[] | select(.codec_type == "video")][0]'
astream='[.streams[] | select(.codec_type == "audio")][0]'
expect_eq "$(jq -r "$vstream.codec_name" "$probe")" h264 "video codec"
expect_eq "$(jq -r "$vstream | \"\(.width)x\(.height)\"" "$probe")" 1280x720 "frame size"
expect_eq "$(jq -r "$astream.codec_name" "$probe")" aac "audio codec"
fdur=$(jq -r .format.duration "$probe")
vdur=$(jq -r "$vstream.duration" "$probe")
check "container duration $fdur s is 4 s within one frame" within_frame "$fdur" 4
check "video stream duration $vdur s is 4 s within one frame" within_frame "$vdur" 4

api GET "/api/v1/videos/$VIDEO_ID/content" "" -H 'Range: bytes=0-99'
expect_status 206 "byte range"
expect_eq "$(stat -c %s "$API_BODY")" 100 "range body length"
expect_header Content-Range "^bytes 0-99/$size\$"
expect_eq "$(head -c 100 "$video" | sha256sum)" "$(sha256sum <"$API_BODY")" "range bytes equal the file's first 100"

api GET "/api/v1/videos/$VIDEO_ID/thumbnail"
expect_status 200 thumbnail
expect_header Content-Type '^image/jpeg'
expect_eq "$(head -c 3 "$API_BODY" | od -An -tx1 | tr -d ' \n')" ffd8ff "thumbnail starts with the JPEG marker"

# The storage location is internal: nobody fetches files around the access check.
path=$(find "$VEOGEN_STORAGE_DIR" -name "$VIDEO_ID.mp4" -printf '%P\n' | head -n 1)
check "video file is in the storage directory" test -n "$path"
api GET "/_veogen_storage/$path"
expect_status 404 "storage is not reachable directly"

# Another user learns nothing about A's video.
register_user || exit 1
api GET "/api/v1/videos/$VIDEO_ID"
expect_status 404 "B reads A's video"
expect_header Content-Type '^application/problem\+json'
api GET "/api/v1/videos/$VIDEO_ID/content"
expect_status 404 "B downloads A's video"
api GET "/api/v1/videos/$VIDEO_ID/thumbnail"
expect_status 404 "B downloads A's thumbnail"
api POST "/api/v1/videos/$VIDEO_ID/cancel"
expect_status 404 "B cancels A's video"
api GET /api/v1/videos
expect_status 200 "B lists videos"
expect_json '.items | length' 0

# A's video is untouched by all that.
TOKEN=$TOKEN_A api GET "/api/v1/videos/$VIDEO_ID"
expect_json .status succeeded
