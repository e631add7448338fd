#!/usr/bin/env bash
# Movies, rendering with the local provider: a 3-scene film with continuity, fade
# transitions, a title card and a soundtrack checked with ffprobe (durations within a
# frame, audio = video, H.264/AAC with faststart, VP9/Opus WebM, HLS through the API, poster,
# contact sheet, one subtitle cue per scene); continuity measured (PSNR of scene k's last
# frame against scene k+1's first, against scenes without continuity); a `cut` film made by
# stream copy; regenerate; cancel mid-render and resume; budget and quota refusals.
here=$(dirname "$0")
. "$here/lib.sh"
. "$here/lib_more.sh"
. "$here/lib_movie.sh"

# PSNR (dB) that a continuity join must reach: both frames went through H.264 once more
# than the PNG in between, so they are close but not identical.
PSNR_MIN=${MOVIE_PSNR_MIN:-30}

access_log_mark
new_user A || exit 1
TOKEN=$A_TOKEN

echo "a soundtrack"
ffmpeg -nostdin -loglevel error -f lavfi -i "sine=frequency=330:sample_rate=44100:duration=20" \
	-c:a pcm_s16le -y "$IT_WORK/music.wav"
api POST /api/v1/files "@$IT_WORK/music.wav" -H 'Content-Type: audio/wav'
expect_status 201 "upload a WAV"
expect_json .mime_type audio/wav
MUSIC=$(json .id)

echo "R1: 3 scenes, continuity, fades, title card, soundtrack"
create_movie "$(jq -cn --arg m "$MUSIC" '{title: "The Red Kite", continuity: true, transition: "fade",
	title_card: true, soundtrack_id: $m, scenes: [
	{prompt: "Render one: a red kite rises over a green hill", duration_seconds: 4, caption: "It rises"},
	{prompt: "Render two: the kite loops against white clouds", duration_seconds: 6, caption: "It loops"},
	{prompt: "Render three: the kite drifts down into tall grass", duration_seconds: 4, caption: "It lands"}]}')" || exit 1
R1=$MOVIE_ID
# 4 + 6 + 4 − 2 fades of 1 s, + the 3 s title card − its 1 s fade into scene 1
WANT=14
expect_json .total_duration_seconds $WANT

echo "R2: 3 scenes, no continuity, cut"
create_movie '{"title": "Cuts", "continuity": false, "transition": "cut", "scenes": [
	{"prompt": "Cut one: a yellow tram in the rain", "duration_seconds": 4},
	{"prompt": "Cut two: a violet sunset over a desert", "duration_seconds": 4},
	{"prompt": "Cut three: blue neon signs in an alley at night", "duration_seconds": 4}]}' || exit 1
R2=$MOVIE_ID
expect_json .total_duration_seconds 12

render_movie "$R1"
expect_json .status rendering
expect_header Content-Type '^application/json'
render_movie "$R2"

# ---- refusals, while those render
echo "budget: a gemini movie whose estimate is over budget_usd"
create_movie '{"title": "Too dear", "provider": "gemini", "budget_usd": 1, "scenes": [
	{"prompt": "Dear one: a castle at noon", "duration_seconds": 8},
	{"prompt": "Dear two: the castle at night", "duration_seconds": 8}]}'
DEAR=$MOVIE_ID
est=$(json .estimated_cost_usd)
check "the estimate (\$$est) is over the budget (\$1)" awk -v e="$est" 'BEGIN { exit !(e > 1) }'
api POST "/api/v1/movies/$DEAR/render"
expect_problem 403 "render over budget"
expect_json .code budget_exceeded
check "the 403 names the budget" grep -q "budget" "$API_BODY"
expect_eq "$(sqlv "SELECT count(*) FROM videos WHERE movie_id = :'m'" m="$DEAR")" 0 "no take was queued"
expect_eq "$(movie_json "$DEAR" .status)" draft "the movie stays a draft"
api PATCH "/api/v1/movies/$DEAR" '{"budget_usd": 100}'
expect_status 200 "raise the budget"
api DELETE "/api/v1/movies/$DEAR"

echo "quota: a user with 10 s a month renders 16 s"
new_user C || exit 1
out=$(veogenctl user set-quota "$C_EMAIL" --video-seconds 10 2>&1)
check "set-quota ($out)" eval '[[ $out == *"video_seconds_month=10"* ]]'
TOKEN=$C_TOKEN
create_movie '{"title": "Too long", "scenes": [{"prompt": "q one", "duration_seconds": 8}, {"prompt": "q two", "duration_seconds": 8}]}'
api POST "/api/v1/movies/$MOVIE_ID/render"
expect_problem 403 "render past the quota"
expect_json .code quota_exceeded
expect_eq "$(sqlv "SELECT count(*) FROM videos WHERE movie_id = :'m'" m="$MOVIE_ID")" 0 "no take was queued"
TOKEN=$A_TOKEN

# ---------------------------------------------------------------- R1
wait_movie "$R1" 900 succeeded failed cancelled || exit 1
expect_eq "$MOVIE_STATUS" succeeded "R1 succeeds"
expect_json .progress 100
expect_json .stage null
expect_json .error null
expect_json '[.scenes[].status] | join(" ")' "succeeded succeeded succeeded"
expect_json .result.width 1280
expect_json .result.height 720
expect_json .result.has_audio true
expect_json .result.scenes 3
check "result.duration_seconds $(json .result.duration_seconds) is $WANT s within a frame" \
	within_frame "$(json .result.duration_seconds)" $WANT
for l in "content:content" "webm:content?format=webm" "hls:hls/index.m3u8" "poster:poster" \
	"contact_sheet:contact-sheet" "subtitles:subtitles.vtt"; do
	expect_json ".links.${l%%:*}" "/api/v1/movies/$R1/${l#*:}"
done
size=$(json .result.size_bytes)
sha=$(json .result.sha256)
segments=$(json .result.hls_segments)
read -r -a T1 <<<"$(json '[.scenes[].video_id] | join(" ")')"

echo "R1: the MP4"
F=$IT_WORK/film.mp4
expect_eq "$(fetch "/api/v1/movies/$R1/content" "$F")" 200 "download the film"
expect_eq "$(stat -c %s "$F")" "$size" "size = result.size_bytes"
expect_eq "$(sha256sum "$F" | cut -d' ' -f1)" "$sha" "sha256 = result.sha256"
api GET "/api/v1/movies/$R1/content" "" -H 'Range: bytes=0-99'
expect_status 206 "byte ranges on the film"
expect_header Content-Type '^video/mp4'
ffprobe -v error -of json -show_format -show_streams "$F" >"$IT_WORK/p.json" || fail "ffprobe cannot read the film"
vs='[.streams[] | select(.codec_type == "video")][0]'
as='[.streams[] | select(.codec_type == "audio")][0]'
expect_eq "$(jq -r "$vs.codec_name" "$IT_WORK/p.json")" h264 "video codec"
expect_eq "$(jq -r "$vs.pix_fmt" "$IT_WORK/p.json")" yuv420p "pixel format"
expect_eq "$(jq -r "$as.codec_name" "$IT_WORK/p.json")" aac "audio codec"
expect_eq "$(jq -r "$vs | \"\(.width)x\(.height)\"" "$IT_WORK/p.json")" 1280x720 "frame size"
fd=$(jq -r .format.duration "$IT_WORK/p.json")
vd=$(jq -r "$vs.duration" "$IT_WORK/p.json")
ad=$(jq -r "$as.duration" "$IT_WORK/p.json")
check "film $fd s = Σ scenes − Σ fades + title card − its fade = $WANT s, within a frame" within_frame "$fd" $WANT
check "video $vd s = $WANT s within a frame" within_frame "$vd" $WANT
check "audio $ad s = video $vd s within a frame" within_frame "$ad" "$vd"
first_box=$(ffprobe -v trace "$F" 2>&1 | grep -o "type:'\(moov\|mdat\)' parent:'root'" | head -n 1)
expect_eq "$first_box" "type:'moov' parent:'root'" "faststart: moov before mdat"
vol=$(ffmpeg -nostdin -hide_banner -t 1.5 -i "$F" -af volumedetect -f null - 2>&1 | sed -n 's/.*mean_volume: \(-\{0,1\}[0-9.]*\) dB/\1/p')
check "the soundtrack plays under the title card (mean volume ${vol:-?} dB > -40 dB)" \
	awk -v v="$vol" 'BEGIN { exit !(v != "" && v > -40) }'

echo "R1: the WebM"
W=$IT_WORK/film.webm
expect_eq "$(fetch "/api/v1/movies/$R1/content?format=webm" "$W")" 200 "download the WebM"
ffprobe -v error -of json -show_format -show_streams "$W" >"$IT_WORK/w.json" || fail "ffprobe cannot read the WebM"
check "the container is WebM ($(jq -r .format.format_name "$IT_WORK/w.json"))" grep -q webm <<<"$(jq -r .format.format_name "$IT_WORK/w.json")"
expect_eq "$(jq -r "$vs.codec_name" "$IT_WORK/w.json")" vp9 "WebM video codec"
expect_eq "$(jq -r "$as.codec_name" "$IT_WORK/w.json")" opus "WebM audio codec"
wd=$(jq -r .format.duration "$IT_WORK/w.json")
check "WebM $wd s = $WANT s within a frame" within_frame "$wd" $WANT
expect_eq "$(stat -c %s "$W")" "$(movie_json "$R1" .result.webm_size_bytes)" "WebM size = result.webm_size_bytes"

echo "R1: HLS"
api GET "/api/v1/movies/$R1/hls/index.m3u8"
expect_status 200 "the playlist"
cp "$API_BODY" "$IT_WORK/index.m3u8"
expect_eq "$(head -n 1 "$IT_WORK/index.m3u8" | tr -d '\r')" "#EXTM3U" "a playlist"
check "a VOD playlist (ENDLIST)" grep -q '^#EXT-X-ENDLIST' "$IT_WORK/index.m3u8"
expect_eq "$(grep -c '^#EXTINF' "$IT_WORK/index.m3u8")" "$segments" "segments = result.hls_segments"
sum=$(awk -F'[:,]' '/^#EXTINF/ { s += $2 } END { printf "%.3f", s }' "$IT_WORK/index.m3u8")
check "the segments last $sum s = $WANT s within a frame" within_frame "$sum" $WANT
seg=$(grep -v '^#' "$IT_WORK/index.m3u8" | head -n 1 | tr -d '\r')
api GET "/api/v1/movies/$R1/hls/$seg"
expect_status 200 "a segment through the API"
want_frames=$(ffprobe -v error -select_streams v -count_packets -show_entries stream=nb_read_packets -of csv=p=0 "$F")
hls_frames=$(ffprobe -v error -headers "Authorization: Bearer $TOKEN"$'\r\n' -select_streams v -count_packets \
	-show_entries stream=nb_read_packets -of csv=p=0 "$BASE/api/v1/movies/$R1/hls/index.m3u8" 2>&1 | grep -m 1 .)
expect_eq "$hls_frames" "$want_frames" "ffprobe plays the HLS through the API to every frame of the film"
hd=$(ffprobe -v error -headers "Authorization: Bearer $TOKEN"$'\r\n' -show_entries format=duration -of csv=p=0 \
	"$BASE/api/v1/movies/$R1/hls/index.m3u8" 2>&1 | grep -m 1 .)
check "HLS duration $hd s = $WANT s within a frame" within_frame "$hd" $WANT

echo "R1: poster, contact sheet, subtitles"
for p in poster contact-sheet; do
	expect_eq "$(fetch "/api/v1/movies/$R1/$p" "$IT_WORK/$p.jpg")" 200 "download the $p"
	expect_eq "$(head -c 3 "$IT_WORK/$p.jpg" | od -An -tx1 | tr -d ' \n')" ffd8ff "the $p is a JPEG"
	expect_eq "$(ffprobe -v error -show_entries stream=codec_name -of csv=p=0 "$IT_WORK/$p.jpg")" mjpeg "ffprobe: the $p is a JPEG"
done
cw=$(ffprobe -v error -show_entries stream=width -of csv=p=0 "$IT_WORK/contact-sheet.jpg")
check "the contact sheet has a width ($cw px)" test "${cw:-0}" -gt 0
api GET "/api/v1/movies/$R1/subtitles.vtt"
expect_status 200 subtitles
expect_header Content-Type '^text/vtt'
cp "$API_BODY" "$IT_WORK/subs.vtt"
expect_eq "$(head -n 1 "$IT_WORK/subs.vtt" | tr -d '\r\357\273\277')" WEBVTT "a WebVTT file"
expect_eq "$(grep -c -- '-->' "$IT_WORK/subs.vtt")" 3 "one cue per scene"
expect_eq "$(grep -v -- '-->' "$IT_WORK/subs.vtt" | grep -E 'It (rises|loops|lands)' | tr '\n' '|')" \
	"It rises|It loops|It lands|" "the captions in scene order"
cue_ok=$(awk -v want=$WANT '
	function sec(t,  p, k) { k = split(t, p, ":"); return (k == 3 ? p[1] * 3600 + p[2] * 60 + p[3] : p[1] * 60 + p[2]) }
	/-->/ { s = sec($1); e = sec($3); if (s < last || e <= s || e > want + 0.05) bad = 1; last = e - 1.01; n++ }
	END { print (bad || n != 3) ? "no" : "yes" }' "$IT_WORK/subs.vtt")
expect_eq "$cue_ok" yes "cues in order, each inside the film"
first_start=$(awk '/-->/ { print $1; exit }' "$IT_WORK/subs.vtt")
check "scene 1's cue starts after the title card ($first_start)" eval '[[ $first_start > "00:00:01.9" ]]'

echo "R1: continuity — scene k+1 starts from scene k's last frame"
for k in 0 1 2; do
	expect_eq "$(fetch "/api/v1/videos/${T1[$k]}/content" "$IT_WORK/t1_$k.mp4")" 200 "download take $((k + 1))"
done
expect_eq "$(sqlv "SELECT continue_from FROM videos WHERE id = :'v'" v="${T1[1]}")" "${T1[0]}" "take 2 continues from take 1"
expect_eq "$(sqlv "SELECT continue_from FROM videos WHERE id = :'v'" v="${T1[2]}")" "${T1[1]}" "take 3 continues from take 2"
expect_eq "$(sqlv "SELECT count(*) FROM videos v JOIN files f ON f.id = v.image_id WHERE v.id IN (:'a', :'b') AND f.movie_id = :'m'" \
	a="${T1[1]}" b="${T1[2]}" m="$R1")" 2 "takes 2 and 3 start from frame files of the movie"
expect_eq "$(sqlv "SELECT coalesce(image_id::text, 'none') FROM videos WHERE id = :'v'" v="${T1[0]}")" none "take 1 starts from nothing"
psnr_cont=()
for k in 0 1; do
	last_frame "$IT_WORK/t1_$k.mp4" "$IT_WORK/last_$k.png"
	first_frame "$IT_WORK/t1_$((k + 1)).mp4" "$IT_WORK/first_$((k + 1)).png"
	p=$(frame_psnr "$IT_WORK/last_$k.png" "$IT_WORK/first_$((k + 1)).png")
	psnr_cont+=("$p")
	check "join $((k + 1))→$((k + 2)): PSNR $p dB ≥ $PSNR_MIN dB" awk -v p="$p" -v m="$PSNR_MIN" 'BEGIN { exit !(p == "inf" || p + 0 >= m) }'
done

# ---------------------------------------------------------------- R2: cut, stream copy
wait_movie "$R2" 900 succeeded failed cancelled || exit 1
expect_eq "$MOVIE_STATUS" succeeded "R2 succeeds"
read -r -a T2 <<<"$(json '[.scenes[].video_id] | join(" ")')"
F2=$IT_WORK/cut.mp4
expect_eq "$(fetch "/api/v1/movies/$R2/content" "$F2")" 200 "download the cut film"
d2=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$F2")
check "cut film $d2 s = 4 + 4 + 4 s within a frame" within_frame "$d2" 12
# Stream copy, checked two ways: the decoded frames of the film are bit-identical to the
# takes' (a re-encode is lossy and never is), and the stored video packets are the takes'
# byte for byte, except that each keyframe may carry the SPS/PPS in-band (the concat
# demuxer's h264_mp4toannexb puts them there; the coded slices stay as they were).
sum_frames=0 keyframes=0
: >"$IT_WORK/takes.md5"
: >"$IT_WORK/takes.frames"
for k in 0 1 2; do
	expect_eq "$(fetch "/api/v1/videos/${T2[$k]}/content" "$IT_WORK/t2_$k.mp4")" 200 "download cut take $((k + 1))"
	n=$(ffprobe -v error -select_streams v -count_packets -show_entries stream=nb_read_packets -of csv=p=0 "$IT_WORK/t2_$k.mp4")
	sum_frames=$((sum_frames + n))
	keyframes=$((keyframes + $(ffprobe -v error -select_streams v -show_entries packet=flags -of csv=p=0 "$IT_WORK/t2_$k.mp4" | grep -c K)))
	ffmpeg -nostdin -loglevel error -i "$IT_WORK/t2_$k.mp4" -map 0:v -c copy -f framemd5 - |
		awk -F', *' '!/^#/ { print $5, $6 }' >>"$IT_WORK/takes.md5"
	ffmpeg -nostdin -loglevel error -i "$IT_WORK/t2_$k.mp4" -map 0:v -f framemd5 - |
		awk -F', *' '!/^#/ { print $6 }' >>"$IT_WORK/takes.frames"
done
film_frames=$(ffprobe -v error -select_streams v -count_packets -show_entries stream=nb_read_packets -of csv=p=0 "$F2")
expect_eq "$film_frames" "$sum_frames" "the cut film has exactly Σ frames of its takes"
ffmpeg -nostdin -loglevel error -i "$F2" -map 0:v -f framemd5 - | awk -F', *' '!/^#/ { print $6 }' >"$IT_WORK/film.frames"
check "stream copy: every decoded frame of the film is bit-identical to its take's" cmp -s "$IT_WORK/film.frames" "$IT_WORK/takes.frames"
ffmpeg -nostdin -loglevel error -i "$F2" -map 0:v -c copy -f framemd5 - | awk -F', *' '!/^#/ { print $5, $6 }' >"$IT_WORK/film.md5"
differ=$(paste -d' ' "$IT_WORK/takes.md5" "$IT_WORK/film.md5" | awk '$2 != $4 { n++ } END { print n + 0 }')
check "stream copy: the video packets are the takes' except $differ of $keyframes keyframes (in-band SPS/PPS)" \
	test "$(wc -l <"$IT_WORK/film.md5")" = "$sum_frames" -a "$differ" -le "$keyframes"
a2=$(ffprobe -v error -select_streams a -show_entries stream=duration -of csv=p=0 "$F2")
v2=$(ffprobe -v error -select_streams v -show_entries stream=duration -of csv=p=0 "$F2")
check "cut film: audio $a2 s = video $v2 s within a frame" within_frame "$a2" "$v2"

echo "without continuity neighbouring scenes do not match"
psnr_free=()
for k in 0 1; do
	last_frame "$IT_WORK/t2_$k.mp4" "$IT_WORK/flast_$k.png"
	first_frame "$IT_WORK/t2_$((k + 1)).mp4" "$IT_WORK/ffirst_$((k + 1)).png"
	p=$(frame_psnr "$IT_WORK/flast_$k.png" "$IT_WORK/ffirst_$((k + 1)).png")
	psnr_free+=("$p")
	check "unrelated join $((k + 1))→$((k + 2)): PSNR $p dB is clearly lower (≤ $PSNR_MIN − 10 dB)" \
		awk -v p="$p" -v m="$PSNR_MIN" 'BEGIN { exit !(p != "inf" && p != "" && p + 0 <= m - 10) }'
done
printf '        PSNR with continuity: %s dB; without: %s dB\n' "${psnr_cont[*]}" "${psnr_free[*]}"

# ---------------------------------------------------------------- regenerate
echo "regenerate scene 2 of R2"
old_dir=$(sqlv "SELECT output_dir FROM movies WHERE id = :'m'" m="$R2")
read -r -a sid2 <<<"$(movie_json "$R2" '[.scenes[].id] | join(" ")')"
api POST "/api/v1/movies/$R2/scenes/${sid2[1]}/regenerate"
expect_status 202 regenerate
new_take=$(json '.scenes[1].video_id')
check "a new take ($new_take)" test -n "$new_take" -a "$new_take" != null -a "$new_take" != "${T2[1]}"
expect_json '.scenes[0].video_id' "${T2[0]}"
expect_json '.scenes[2].video_id' "${T2[2]}"
check "the movie is busy again ($(json .status))" eval '[[ $(json .status) =~ ^(rendering|assembling)$ ]]'
wait_movie "$R2" 600 succeeded failed cancelled || exit 1
expect_eq "$MOVIE_STATUS" succeeded "R2 re-assembled"
expect_json '.scenes[1].video_id' "$new_take"
api GET "/api/v1/videos/${T2[1]}"
expect_status 200 "the old take is kept"
expect_json .status succeeded
new_dir=$(sqlv "SELECT output_dir FROM movies WHERE id = :'m'" m="$R2")
check "a new output directory ($new_dir)" test -n "$new_dir" -a "$new_dir" != "$old_dir"
check "the previous output directory is removed" test ! -e "$STORAGE_DIR/$old_dir"
check "the new film is on disk" test -s "$STORAGE_DIR/$new_dir/film.mp4"
expect_eq "$(fetch "/api/v1/movies/$R2/content" "$IT_WORK/cut2.mp4")" 200 "download the re-assembled film"
d2=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$IT_WORK/cut2.mp4")
check "re-assembled film $d2 s = 12 s within a frame" within_frame "$d2" 12

# ---------------------------------------------------------------- cancel and resume
echo "R3: cancel mid-render, then render again"
create_movie '{"title": "Cancelled", "continuity": true, "scenes": [
	{"prompt": "Cancel one: a train leaves the station", "duration_seconds": 4},
	{"prompt": "Cancel two: the train crosses a bridge", "duration_seconds": 8},
	{"prompt": "Cancel three: the train enters a tunnel", "duration_seconds": 8}]}' || exit 1
R3=$MOVIE_ID
render_movie "$R3"
scene1_done() { [ "$(movie_json "$R3" '.scenes[0].status')" = succeeded ]; }
check "scene 1 succeeds" wait_until 300 scene1_done
api POST "/api/v1/movies/$R3/cancel"
expect_status 202 "cancel while scene 2 renders"
wait_movie "$R3" 120 cancelled failed succeeded || exit 1
expect_eq "$MOVIE_STATUS" cancelled "R3 ends cancelled"
expect_json .error.code cancelled
expect_json '.scenes[0].status' succeeded
expect_json '[.scenes[1:][].status] | map(. == "cancelled" or . == "pending") | all' true
keep=$(json '.scenes[0].video_id')
expect_eq "$(sqlv "SELECT count(*) FROM videos WHERE movie_id = :'m' AND status NOT IN ('succeeded', 'cancelled')" m="$R3")" 0 \
	"every take of R3 is succeeded or cancelled"
live_jobs() {
	sqlv "SELECT count(*) FROM jobs j WHERE j.state IN ('blocked', 'queued', 'running')
	        AND (j.id IN (SELECT job_id FROM videos WHERE movie_id = :'m' AND job_id IS NOT NULL)
	             OR j.payload->>'movie_id' = :'m'
	             OR j.id = (SELECT job_id FROM movies WHERE id = :'m'))" m="$R3"
}
expect_eq "$(live_jobs)" 0 "no job of R3 is left blocked, queued or running"
render_movie "$R3"
expect_json '.scenes[0].video_id' "$keep"
wait_movie "$R3" 600 succeeded failed cancelled || exit 1
expect_eq "$MOVIE_STATUS" succeeded "R3 resumes and succeeds"
expect_json '.scenes[0].video_id' "$keep"
expect_json '[.scenes[].status] | join(" ")' "succeeded succeeded succeeded"
check "result.duration_seconds $(json .result.duration_seconds) = 20 s within a frame" within_frame "$(json .result.duration_seconds)" 20
expect_eq "$(live_jobs)" 0 "no job of R3 is left"

expect_no_5xx
