#!/usr/bin/env bash
# assemble.sh: veogen's film assembly (vg_assemble_film, through tests/bench/assemble_bench)
# against the equivalent hand-written ffmpeg command, on the same takes in the same run:
#   cut   veogen (stream copy when the takes match)  vs  ffmpeg -f concat … -c copy
#   fade  veogen (a video piece per take, each one ffmpeg of at most two inputs that
#         normalises it and xfades into the next take's head; then the pieces joined by
#         stream copy with the audio crossfaded in one audio-only graph)
#         vs  one xfade/acrossfade graph over every take
# Prints both times and veogen/ffmpeg (target ≤ 1.1).  With --e2e, also the end-to-end time
# of a 10-scene local-provider movie through the API of the running dev stack
# (eval "$(contrib/devstack env)" first).  See tests/bench/README.md.
#
#   tests/bench/assemble.sh [--e2e]
#
# Knobs: BENCH_TAKES (30), BENCH_TAKE_SECONDS (8), BENCH_TRANSITION_SECONDS (1),
# BENCH_REPEAT (1: each command runs that many times, the best time counts),
# BENCH_E2E_SCENES (10), ASSEMBLE_BENCH (default $VEOGEN_BUILD/tests/bench/assemble_bench,
# else /tmp/build-movietests/…; built with make when missing).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
N=${BENCH_TAKES:-30}
D=${BENCH_TAKE_SECONDS:-8}
T=${BENCH_TRANSITION_SECONDS:-1}
REPEAT=${BENCH_REPEAT:-1}
E2E=0
[ "${1:-}" = --e2e ] && E2E=1

build=${VEOGEN_BUILD:-/tmp/build-movietests}
DRIVER=${ASSEMBLE_BENCH:-$build/tests/bench/assemble_bench}
if [ ! -x "$DRIVER" ]; then
	make -s -C "$build" tests/bench/assemble_bench >&2 || {
		echo "assemble.sh: no $DRIVER: build veogen in \$VEOGEN_BUILD first" >&2
		exit 1
	}
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/veogen-bench-assemble.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
: >"$WORK/rss.raw"
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
best() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b < a) ? b : a }'; }
# rss COMMAND...: runs it under GNU time; the peak RSS (MB) of it and its children goes to
# $WORK/rss.raw, appended.
rss() {
	/usr/bin/time -f '%M' -a -o "$WORK/rss.raw" "$@"
}
peak() { # the largest peak RSS recorded since the last call, in MB
	local m
	m=$(awk '/^[0-9]+$/ { if ($1 > m) m = $1 } END { printf "%.0f", m / 1024 }' "$WORK/rss.raw")
	: >"$WORK/rss.raw"
	printf '%s' "$m"
}

# ---- the takes: what the local provider writes (H.264 yuv420p ultrafast, 1 thread, 48-frame
# GOP, AAC 96k 48 kHz stereo, faststart), each a different picture and tone
echo "making $N takes of $D s at 1280x720 ..."
t0=$(now)
takes=()
for ((i = 0; i < N; i++)); do
	f=$WORK/take_$(printf %03d "$i").mp4
	ffmpeg -nostdin -loglevel error -f lavfi -i "testsrc2=size=1280x720:rate=24:duration=$D" \
		-f lavfi -i "sine=frequency=$((220 + 20 * i)):sample_rate=48000:duration=$D" \
		-filter_complex "[0:v]hue=h=$((i * 12))[v];[1:a]aformat=channel_layouts=stereo[a]" \
		-map '[v]' -map '[a]' -c:v libx264 -preset ultrafast -crf 23 -threads 1 -pix_fmt yuv420p \
		-g 48 -c:a aac -b:a 96k -ar 48000 -movflags +faststart -y "$f"
	takes+=("$f")
done
echo "  done in $(elapsed "$t0" "$(now)") s ($(du -sh "$WORK" | cut -f1))"

# ---- cut
printf '' >"$WORK/list.txt"
for f in "${takes[@]}"; do printf "file '%s'\n" "$f" >>"$WORK/list.txt"; done
vg_cut="" ff_cut=""
for ((r = 0; r < REPEAT; r++)); do
	out=$(rss "$DRIVER" cut 0 "$WORK/vg_cut.mp4" "${takes[@]}")
	copy=$(awk '/stream copy possible/ { print $4 }' <<<"$out")
	vg_cut=$(best "$vg_cut" "$(awk '/^assemble/ { print $3 }' <<<"$out")")
	t0=$(now)
	rss ffmpeg -nostdin -loglevel error -f concat -safe 0 -i "$WORK/list.txt" -map 0:v:0 -map 0:a:0 \
		-c copy -movflags +faststart -y "$WORK/ff_cut.mp4"
	sync "$WORK/ff_cut.mp4" # veogen fsyncs its film before the rename: the same durable write
	ff_cut=$(best "$ff_cut" "$(elapsed "$t0" "$(now)")")
done
cut_mb=$(peak)

# ---- fade: one graph, offsets cumulative: join k starts at (k+1)·(D−T)
graph="" v="0:v" a="0:a"
for ((k = 0; k < N - 1; k++)); do
	off=$(awk -v k="$k" -v d="$D" -v t="$T" 'BEGIN { print (k + 1) * (d - t) }')
	graph+="[$v][$((k + 1)):v]xfade=transition=fade:duration=$T:offset=$off[v$k];"
	graph+="[$a][$((k + 1)):a]acrossfade=d=$T[a$k];"
	v=v$k a=a$k
done
graph=${graph%;}
inputs=()
for f in "${takes[@]}"; do inputs+=(-i "$f"); done
vg_fade="" ff_fade=""
for ((r = 0; r < REPEAT; r++)); do
	out=$(rss "$DRIVER" fade "$T" "$WORK/vg_fade.mp4" "${takes[@]}")
	vg_fade=$(best "$vg_fade" "$(awk '/^assemble/ { print $3 }' <<<"$out")")
	vg_fade_mb=$(peak)
	t0=$(now)
	# the same encoder settings as veogen's film (vg_assemble.c add_mp4_encode)
	rss ffmpeg -nostdin -loglevel error "${inputs[@]}" -filter_complex "$graph" -map "[$v]" -map "[$a]" \
		-c:v libx264 -preset veryfast -crf 20 -pix_fmt yuv420p -g 48 -c:a aac -b:a 128k -ar 48000 \
		-ac 2 -movflags +faststart -y "$WORK/ff_fade.mp4"
	sync "$WORK/ff_fade.mp4"
	ff_fade=$(best "$ff_fade" "$(elapsed "$t0" "$(now)")")
	ff_fade_mb=$(peak)
done

dur() { ffprobe -v error -show_entries format=duration -of csv=p=0 "$1"; }
want_fade=$(awk -v n="$N" -v d="$D" -v t="$T" 'BEGIN { print n * d - (n - 1) * t }')
echo
echo "$N takes × $D s, 1280x720, 24 fps; fade transitions of $T s; best of $REPEAT"
printf '%-6s %12s %12s %8s   %s\n' join "veogen (s)" "ffmpeg (s)" ratio "durations (veogen / ffmpeg / expected)"
printf '%-6s %12s %12s %8s   %s / %s / %s   stream copy: %s\n' cut "$vg_cut" "$ff_cut" \
	"$(ratio "$vg_cut" "$ff_cut")" "$(dur "$WORK/vg_cut.mp4")" "$(dur "$WORK/ff_cut.mp4")" $((N * D)) "$copy"
printf '%-6s %12s %12s %8s   %s / %s / %s\n' fade "$vg_fade" "$ff_fade" \
	"$(ratio "$vg_fade" "$ff_fade")" "$(dur "$WORK/vg_fade.mp4")" "$(dur "$WORK/ff_fade.mp4")" "$want_fade"
# GNU time on the driver: wait4's maxrss includes the ffmpeg children it waited for.
echo "peak RSS (process and children): cut (both) $cut_mb MB; fade veogen $vg_fade_mb MB, ffmpeg $ff_fade_mb MB"
echo "target: ratio ≤ 1.1"

[ "$E2E" = 1 ] || exit 0

# ---- end to end: a movie of BENCH_E2E_SCENES local scenes through the API
: "${VEOGEN_BASE_URL:?--e2e needs a running stack: eval \"\$(contrib/devstack env)\"}"
S=${BENCH_E2E_SCENES:-10}
req() { # METHOD PATH [BODY] → body on stdout
	local args=(-s -X "$1" --max-time 60 -H 'Content-Type: application/json')
	[ -n "${TOKEN:-}" ] && args+=(-H "Authorization: Bearer $TOKEN")
	[ -n "${3:-}" ] && args+=(--data-binary "$3")
	curl "${args[@]}" "$VEOGEN_BASE_URL$2"
}
email="bench-movie-$(date +%s%N)@example.com"
TOKEN=$(req POST /api/v1/auth/register "$(jq -cn --arg e "$email" '{email: $e, password: "bench-password-1"}')" |
	jq -r .access_token)
scenes=$(jq -cn --argjson n "$S" '[range($n) | {prompt: "Bench scene \(. + 1): a harbour at dawn, boats leaving one by one"}]')
movie=$(req POST /api/v1/movies "$(jq -cn --argjson s "$scenes" \
	'{title: "bench", scenes: $s, provider: "local", continuity: true, transition: "fade"}')")
id=$(jq -r .id <<<"$movie")
[ -n "$id" ] && [ "$id" != null ] || {
	echo "assemble.sh: could not create the movie: $movie" >&2
	exit 1
}
t0=$(now)
req POST "/api/v1/movies/$id/render" >/dev/null
status=""
while :; do
	m=$(req GET "/api/v1/movies/$id")
	status=$(jq -r .status <<<"$m")
	case $status in succeeded | failed | cancelled) break ;; esac
	sleep 1
done
t1=$(now)
echo
echo "end to end: $S scenes × 8 s, local provider, continuity, fade: $status in $(elapsed "$t0" "$t1") s" \
	"(render → succeeded; film $(jq -r .result.duration_seconds <<<"$m") s)"
[ "$status" = succeeded ]
