# Sourced by the movie tests (t_movie_*.sh) after lib.sh and lib_more.sh.  Helpers only.
#
#   create_movie JSON          POST /api/v1/movies as $TOKEN; sets MOVIE_ID (empty unless 201)
#   movie_json ID FILTER       jq FILTER on GET /api/v1/movies/ID
#   wait_movie ID [SECONDS] [STATUS...]  polls until the movie's status is one of STATUS
#                              (default: succeeded failed cancelled draft — the ends of a
#                              render or a plan); sets MOVIE_STATUS
#   scene_ids                  the scene ids of the last movie object, in position order
#   scene_field FILTER         FILTER on each scene of the last movie object, space separated
#   render_movie ID            POST …/render, expects 202
#   take_ids ID                the current take (video_id) of every scene, space separated
#   fetch URL_PATH FILE        GET through nginx as $TOKEN into FILE; prints the HTTP status
#   within_frame A B           |A − B| ≤ 1/24 s (+1 µs)
#   frame_psnr A.png B.png     average PSNR (dB) of two images, "inf" when identical
#   last_frame MP4 PNG / first_frame MP4 PNG   the clip's last / first decoded frame
#   uuid                       a random UUID (no uuidgen on every host)

create_movie() {
	MOVIE_ID=""
	api POST /api/v1/movies "$1"
	if [ "$API_STATUS" != 201 ]; then
		fail "create movie: expected HTTP 201, got $API_STATUS"
		return 1
	fi
	MOVIE_ID=$(json .id)
}

movie_json() {
	api GET "/api/v1/movies/$1"
	json "$2"
}

wait_movie() {
	local id=$1 limit=${2:-300} last="" now deadline want
	shift
	[ $# -gt 0 ] && shift
	want=" ${*:-succeeded failed cancelled draft} "
	deadline=$((SECONDS + limit))
	MOVIE_STATUS=""
	while [ $SECONDS -lt $deadline ]; do
		api GET "/api/v1/movies/$id"
		if [ "$API_STATUS" = 200 ]; then
			MOVIE_STATUS=$(json .status)
			now="$MOVIE_STATUS $(json .stage) $(json .progress)% [$(json '[.scenes[].status] | join(" ")')]"
			[ "$now" != "$last" ] && printf '        movie %s: %s\n' "$id" "$now"
			last=$now
			[[ $want == *" $MOVIE_STATUS "* ]] && return 0
		fi
		sleep 0.5
	done
	fail "movie $id not $want after ${limit}s (last: ${last:-HTTP $API_STATUS})"
	return 1
}

scene_ids() { json '[.scenes[].id] | join(" ")'; }
scene_field() { json "[.scenes[] | $1 | tostring] | join(\" \")"; }

render_movie() {
	api POST "/api/v1/movies/$1/render"
	expect_status 202 "render"
}

take_ids() {
	api GET "/api/v1/movies/$1"
	json '[.scenes[].video_id] | join(" ")'
}

fetch() {
	curl -s -o "$2" -w '%{http_code}' --max-time 120 -H "Authorization: Bearer $TOKEN" "$BASE$1" || echo 000
}

within_frame() { awk -v v="$1" -v t="$2" 'BEGIN { d = v - t; if (d < 0) d = -d; exit !(v != "" && d <= 1 / 24 + 1e-6) }'; }

frame_psnr() {
	ffmpeg -nostdin -hide_banner -i "$1" -i "$2" -lavfi "[0:v]format=yuv420p[a];[1:v]format=yuv420p[b];[a][b]psnr" \
		-f null - 2>&1 | sed -n 's/.*PSNR.* average:\([0-9.inf]*\).*/\1/p' | tail -n 1
}

last_frame() {
	ffmpeg -nostdin -loglevel error -sseof -0.5 -i "$1" -update 1 -y "$2"
}

first_frame() {
	ffmpeg -nostdin -loglevel error -i "$1" -frames:v 1 -y "$2"
}

uuid() { cat /proc/sys/kernel/random/uuid; }
