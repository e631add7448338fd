#!/usr/bin/env bash
# Uploads: each of the six types (raw body and multipart), metadata from the bytes and
# ffprobe, the bytes back unchanged; 415 for a lie about the type and for text; 413 over
# the limit (Content-Length and chunked); delete (409 while a queued video uses the file);
# an image-to-video with the local provider from an uploaded first frame.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_more.sh"

ff() { ffmpeg -hide_banner -nostdin -v error -y "$@" </dev/null; }

media=$IT_WORK/media
mkdir -p "$media"
ff -f lavfi -i color=c=red:s=64x48 -frames:v 1 "$media/a.png"
ff -f lavfi -i testsrc=s=80x60 -frames:v 1 "$media/a.jpg"
ff -f lavfi -i testsrc=s=96x54 -frames:v 1 -c:v libwebp "$media/a.webp"
ff -f lavfi -i sine=f=440:d=1 -c:a libmp3lame -b:a 64k "$media/a.mp3"
ff -f lavfi -i sine=f=440:d=1 -c:a pcm_s16le "$media/a.wav"
ff -f lavfi -i sine=f=440:d=1 -c:a libvorbis "$media/a.ogg"
printf 'just some text, not a picture\n' >"$media/a.txt"

register_user || exit 1
A_TOKEN=$TOKEN

# upload FILE TYPE WIDTH HEIGHT: one raw-body upload and its checks; sets FILE_ID.
upload() {
	local file=$1 type=$2 w=$3 h=$4 size sha
	size=$(stat -c %s "$file")
	sha=$(sha256sum "$file" | cut -d' ' -f1)
	api POST /api/v1/files "@$file" -H "Content-Type: $type"
	expect_status 201 "upload $type"
	FILE_ID=$(json .id)
	expect_header Location "^/api/v1/files/$FILE_ID\$"
	expect_json .mime_type "$type"
	expect_json .size_bytes "$size"
	expect_json .sha256 "$sha"
	if [ "$w" = - ]; then
		expect_json '.width // "none"' none
		local d
		d=$(json .duration_seconds)
		check "$type duration_seconds $d is about 1 s" awk -v d="$d" 'BEGIN { exit !(d > 0.9 && d < 1.2) }'
	else
		expect_json .width "$w"
		expect_json .height "$h"
		expect_json '.duration_seconds // "none"' none
	fi
	api GET "/api/v1/files/$FILE_ID"
	expect_status 200 "metadata of the $type"
	expect_json .sha256 "$sha"
	api GET "/api/v1/files/$FILE_ID/content"
	expect_status 200 "content of the $type"
	expect_header Content-Type "^$type"
	expect_eq "$(sha256sum <"$API_BODY" | cut -d' ' -f1)" "$sha" "$type bytes come back unchanged"
}

upload "$media/a.png" image/png 64 48
PNG_ID=$FILE_ID
upload "$media/a.jpg" image/jpeg 80 60
upload "$media/a.webp" image/webp 96 54
upload "$media/a.mp3" audio/mpeg - -
upload "$media/a.wav" audio/wav - -
WAV_ID=$FILE_ID
upload "$media/a.ogg" audio/ogg - -

# other spellings of WAV are the same type
api POST /api/v1/files "@$media/a.wav" -H 'Content-Type: audio/x-wav'
expect_status 201 "audio/x-wav is taken"
expect_json .mime_type audio/wav

# the bytes decide, not the header
api POST /api/v1/files "@$media/a.png" -H 'Content-Type: image/jpeg'
expect_problem 415 "a PNG sent as image/jpeg"
check "the 415 says what the bytes are" grep -q 'a PNG image, not image/jpeg' "$API_BODY"
api POST /api/v1/files "@$media/a.txt" -H 'Content-Type: image/png'
expect_problem 415 "text sent as image/png"
api POST /api/v1/files "@$media/a.txt" -H 'Content-Type: text/plain'
expect_problem 415 "text/plain"
check "the 415 lists the accepted types" grep -q 'image/png, image/jpeg' "$API_BODY"
head -c 40 "$media/a.png" >"$media/cut.png"
api POST /api/v1/files "@$media/cut.png" -H 'Content-Type: image/png'
expect_problem 415 "a PNG cut after its header"
api POST /api/v1/files "" -H 'Content-Type: image/png' --data-binary ''
expect_problem 400 "an empty body"
ff -f lavfi -i color=c=blue:s=8200x16 -frames:v 1 "$media/wide.png"
api POST /api/v1/files "@$media/wide.png" -H 'Content-Type: image/png'
expect_problem 422 "an image wider than 8192 pixels"
expect_field_errors file

# over the limit: told up front by Content-Length, and found while streaming (chunked)
limit=$(conf_value "$VEOGEN_CONF" limits max_upload_bytes)
limit=${limit:-104857600}
big=$IT_WORK/big.bin
{ cat "$media/a.png"; head -c $((limit + 1 - $(stat -c %s "$media/a.png"))) /dev/zero; } >"$big"
access_log_mark
api POST /api/v1/files "@$big" -H 'Content-Type: image/png'
expect_problem 413 "limit + 1 bytes with Content-Length"
check "the 413 names the limit" grep -q "$limit bytes" "$API_BODY"
api POST /api/v1/files "@$big" -H 'Content-Type: image/png' -H 'Transfer-Encoding: chunked'
expect_problem 413 "limit + 1 bytes chunked"
expect_no_5xx
rm -f "$big"
check "no temp files are left in storage" test -z "$(find "$STORAGE_DIR/files" -name '*.tmp.*' 2>/dev/null)"

# multipart/form-data, as a browser form or curl -F sends it
api POST /api/v1/files "" -F "title=ignored" -F "file=@$media/a.jpg;type=image/jpeg"
expect_status 201 "multipart upload"
expect_json .mime_type image/jpeg
expect_json .sha256 "$(sha256sum "$media/a.jpg" | cut -d' ' -f1)"
expect_json .width 80
api POST /api/v1/files "" -F "file=@$media/a.png;type=application/octet-stream"
expect_status 201 "multipart with a generic part type: the bytes decide"
expect_json .mime_type image/png
api POST /api/v1/files "" -F "file=@$media/a.png;type=image/webp"
expect_problem 415 "multipart part type that lies"
api POST /api/v1/files "" -F "other=@$media/a.png"
expect_problem 400 "multipart without a part named file"

# another user sees none of it
new_user B
TOKEN=$B_TOKEN api GET "/api/v1/files/$PNG_ID"
expect_problem 404 "B reads A's file"
TOKEN=$B_TOKEN api GET "/api/v1/files/$PNG_ID/content"
expect_status 404 "B downloads A's file"
TOKEN=$B_TOKEN api DELETE "/api/v1/files/$PNG_ID"
expect_status 404 "B deletes A's file"

# delete: gone from the API and from storage
path=$(find "$STORAGE_DIR/files" -name "$WAV_ID.wav" | head -n 1)
check "the WAV is in storage" test -n "$path"
api DELETE "/api/v1/files/$WAV_ID"
expect_status 204 "delete"
api GET "/api/v1/files/$WAV_ID"
expect_status 404 "deleted file"
check "the WAV left storage" test ! -e "$path"

# 409 while a queued video uses the file (the runner is stopped so it stays queued)
api POST /api/v1/files "@$media/a.png" -H 'Content-Type: image/png'
IN_USE=$(json .id)
on_exit stack up runner
stack down runner
create_video "{\"prompt\": \"a red square\", \"duration_seconds\": 4, \"image_id\": \"$IN_USE\"}"
QUEUED=$VIDEO_ID
api DELETE "/api/v1/files/$IN_USE"
expect_problem 409 "delete while a queued video uses it as image_id"
api POST "/api/v1/videos/$QUEUED/cancel"
expect_status 202 "cancel the queued video"
api DELETE "/api/v1/files/$IN_USE"
expect_status 204 "delete once that video is cancelled"
api GET "/api/v1/videos/$QUEUED"
expect_json .image_id null
stack up runner

# image-to-video with the local provider, starting from the uploaded red frame
api POST /api/v1/files "@$media/a.png" -H 'Content-Type: image/png'
FIRST=$(json .id)
create_video "{\"prompt\": \"a red square turns\", \"duration_seconds\": 4, \"image_id\": \"$FIRST\"}" || exit 1
wait_video_done "$VIDEO_ID" 300 || exit 1
expect_eq "$VIDEO_STATUS" succeeded "image-to-video with the local provider"
api GET "/api/v1/videos/$VIDEO_ID/content"
expect_status 200 "its clip"
ff -i "$API_BODY" -frames:v 1 -vf scale=1:1 -f rawvideo -pix_fmt rgb24 "$IT_WORK/px.rgb"
rgb=$(od -An -tu1 "$IT_WORK/px.rgb" | tr -s ' ' | sed 's/^ //')
check "its first frame is the red upload (mean rgb $rgb)" \
	awk -v c="$rgb" 'BEGIN { split(c, p, " "); exit !(p[1] > 180 && p[2] < 90 && p[3] < 90) }'
# a finished video does not pin its input
api DELETE "/api/v1/files/$FIRST"
expect_status 204 "delete the first frame of a finished video"
