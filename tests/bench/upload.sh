#!/usr/bin/env bash
# upload.sh [--runs R] [--mib M]: a 100 MiB upload through the dev stack's nginx to
# POST /api/v1/files, against dd writing the same bytes to the storage directory in the same
# invocation (README.md in this directory: "upload.sh").
#
#   the file    a WAV (pink noise from ffmpeg's anoisesrc, 48 kHz stereo s16) of exactly
#               M MiB (default 100 = limits.max_upload_bytes' default; never more than the
#               stack's limit): random bytes would fail the type sniffing and ffprobe.
#   upload      curl --data-binary @file -H 'Content-Type: audio/wav' with a fresh user's
#               access token, through the stack's nginx (the shipped site file: the body
#               streams to veogen-fcgi, fastcgi_request_buffering off), which writes it to
#               storage while hashing it, fsyncs it, probes it with ffprobe and inserts the
#               row.  curl's time_total (the file is in curl's memory before the clock
#               starts).  Checked: 201, size_bytes and sha256 equal the file's.
#   dd          dd if=FILE of=STORAGE_DIR/.upload-bench-dd bs=1M conv=fsync: the same bytes to
#               the same directory and disk, fsynced as the upload is; dd's own figure.
#   RSS         VmRSS (and VmHWM, the peak) of every veogen-fcgi responder of the stack, from
#               /proc/PID/status, before and after each upload: the upload streams in 64 KiB
#               chunks, so the responders' RSS should not move.
#
# R = 3 runs (dd then upload each time); MB/s are 10^6 bytes per second.  Target: upload >=
# 0.5 x dd (median of the runs), responder RSS unchanged.  Exits 1 when the measurement
# itself fails (no stack, an upload not answered 201 or stored wrong, dd failing); a missed
# target is a finding and exits 0.  The uploaded files are deleted again.
#
# Environment (as `contrib/devstack env` prints it): VEOGEN_BASE_URL, VEOGEN_STATE,
# VEOGEN_CONF.  BENCH_KEEP=1 keeps the work directory (the WAV, curl's answers).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

die() {
	printf 'upload: %s\n' "$*" >&2
	exit 1
}
say() { printf '%s\n' "$*"; }

runs=3
mib=100
while [ $# -gt 0 ]; do
	case $1 in
	--runs)
		[ $# -ge 2 ] || die "--runs needs a number"
		runs=$2
		shift 2
		;;
	--mib)
		[ $# -ge 2 ] || die "--mib needs a number"
		mib=$2
		shift 2
		;;
	-h | --help)
		sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
		exit 0
		;;
	*) die "unknown argument $1 (see --help)" ;;
	esac
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "--runs wants a positive number, not $runs"
[[ $mib =~ ^[1-9][0-9]*$ ]] || die "--mib wants a positive number, not $mib"

port=${VEOGEN_PORT:-8080}
base=${VEOGEN_BASE_URL:-http://127.0.0.1:$port}
state=${VEOGEN_STATE:-$top/.devstack}
conf=${VEOGEN_CONF:-$state/veogen.conf}
for t in curl ffmpeg dd sha256sum; do
	command -v "$t" > /dev/null || die "$t is missing"
done
[ -r "$conf" ] || die "no $conf: set VEOGEN_CONF (contrib/devstack env)"
curl -fsS -o /dev/null "$base/healthz" || die "no dev stack at $base (contrib/devstack up)"

# shellcheck source=tests/bench/lib_nginx.sh
. "$here/lib_nginx.sh" # conf_get GROUP KEY: a scalar of the stack's libconfig file ($conf)
storage=$(conf_get storage dir)
{ [ -d "$storage" ] && [ -w "$storage" ]; } || die "storage.dir of $conf ($storage) is not a writable directory"
limit=$(conf_get limits max_upload_bytes)
limit=${limit:-104857600} # etc/veogen.conf's default
size=$((mib * 1048576))
[ "$size" -le "$limit" ] || die "$mib MiB is over the stack's limits.max_upload_bytes ($limit)"

# The stack's veogen-fcgi master: its pid file (contrib/devstack), else the process whose
# command line names the stack's config.
master=
[ -r "$state/run/fcgi.pid" ] && master=$(cat "$state/run/fcgi.pid")
if [ -z "$master" ] || ! kill -0 "$master" 2> /dev/null; then
	master=$(pgrep -o -f "veogen-fcgi -c $conf" || true)
fi
{ [ -n "$master" ] && kill -0 "$master" 2> /dev/null; } || die "cannot find the stack's veogen-fcgi master"

work=$(mktemp -d /tmp/veogen-upload.XXXXXX)
ddout=$storage/.upload-bench-dd.$$
ids=()
token=
cleanup() {
	rm -f "$ddout"
	local id
	for id in "${ids[@]}"; do
		curl -fsS -o /dev/null -X DELETE -H "Authorization: Bearer $token" "$base/api/v1/files/$id" ||
			echo "upload: could not delete file $id" >&2
	done
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		echo "upload: work directory kept: $work" >&2
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the file: a WAV of exactly SIZE bytes (44-byte header + 4-byte stereo frames) ----
wav=$work/upload.wav
frames=$(((size - 44) / 4))
[ $((44 + frames * 4)) = "$size" ] || die "$size bytes is not a whole number of stereo frames plus the header"
ffmpeg -nostdin -v error -f lavfi -i "anoisesrc=r=48000:c=pink:a=0.3:seed=8" \
	-af "aformat=channel_layouts=stereo,atrim=end_sample=$frames" -c:a pcm_s16le \
	-map_metadata -1 -fflags +bitexact -flags:a +bitexact -y "$wav" ||
	die "ffmpeg could not make the WAV"
[ "$(stat -c %s "$wav")" = "$size" ] || die "the WAV is $(stat -c %s "$wav") bytes, not $size"
sha=$(sha256sum "$wav" | cut -d' ' -f1)

# ---- a throw-away user ----
email="bench-upload-$(date +%s)-$$@example.com"
password="bench-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
token=$(auth_token register "$email" "$password")

# rss: "pid:VmRSS:VmHWM " (KiB) of each responder
rss() {
	local p
	for p in $(ps -o pid= --ppid "$master" | sort -n); do
		awk -v p="$p" '$1 == "VmRSS:" { r = $2 } $1 == "VmHWM:" { h = $2 }
			END { if (r != "") printf "%s:%s:%s ", p, r, h }' "/proc/$p/status" 2> /dev/null || true
	done
}
# rss_delta BEFORE AFTER: "same processes: yes|NO; largest RSS change +N KiB; largest peak change +N KiB"
rss_delta() {
	printf '%s\n%s\n' "$1" "$2" | awk '
		NR == 1 { n = split($0, a, " "); for (i = 1; i <= n; i++) { split(a[i], f, ":"); r[f[1]] = f[2]; h[f[1]] = f[3] } }
		NR == 2 {
			n = split($0, a, " "); same = 1; dr = 0; dh = 0; seen = 0
			for (i = 1; i <= n; i++) {
				split(a[i], f, ":")
				if (!(f[1] in r)) { same = 0; continue }
				seen++
				d = f[2] - r[f[1]]; if (d < 0 ? -d > (dr < 0 ? -dr : dr) : d > (dr < 0 ? -dr : dr)) dr = d
				d = f[3] - h[f[1]]; if (d > dh) dh = d
			}
			if (seen != length(r)) same = 0
			printf "same processes: %s; largest RSS change %+d KiB; largest peak (VmHWM) change %+d KiB\n", same ? "yes" : "NO", dr, dh
		}'
}
load() { cut -d' ' -f1-3 /proc/loadavg; }
# ticks PID…: CPU clock ticks used by the processes and their reaped children (ffprobe)
ticks() {
	local p
	for p in "$@"; do
		cat "/proc/$p/stat" 2> /dev/null || true
	done | awk '{ r = substr($0, index($0, ") ") + 2); split(r, f, " "); t += f[12] + f[13] + f[14] + f[15] } END { print t + 0 }'
}
nginx_master=
[ -r "$state/run/nginx.pid" ] && nginx_master=$(cat "$state/run/nginx.pid")
nginx_procs() { [ -n "$nginx_master" ] && echo "$nginx_master $(ps -o pid= --ppid "$nginx_master" | tr '\n' ' ')"; }
responders() { ps -o pid= --ppid "$master" | tr '\n' ' '; }
hz=$(getconf CLK_TCK)
secs() { awk -v t="$1" -v hz="$hz" 'BEGIN { printf "%.2f", t / hz }'; }
mbps() { awk -v b="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.1f", b / s / 1e6; else print "?" }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

fs=$(df -P "$storage" | awk 'NR == 2 { print $1 " mounted on " $6 }')
say "# upload $(date -u +%Y-%m-%dT%H:%M:%SZ): $size bytes (WAV), $runs runs; $(nproc) cores; load $(load)"
say "# through $base (nginx) to POST /api/v1/files; storage $storage ($fs); responders of veogen-fcgi $master: $(ps -o pid= --ppid "$master" | wc -l)"
say "# MB/s = 10^6 bytes/s"
say ""

# Warm-up: small uploads (1 s of the same WAV's format), two per responder, so that every
# responder has served an upload (its first request connects to PostgreSQL and Redis and
# grows its heap once) before RSS is compared.
small=$work/small.wav
ffmpeg -nostdin -v error -f lavfi -i "anoisesrc=r=48000:c=pink:a=0.3:seed=9:d=1" \
	-af "aformat=channel_layouts=stereo" -c:a pcm_s16le -map_metadata -1 -fflags +bitexact \
	-flags:a +bitexact -y "$small" || die "ffmpeg could not make the warm-up WAV"
nresp=$(ps -o pid= --ppid "$master" | wc -l)
for ((i = 0; i < 2 * nresp; i++)); do
	ans=$(curl -fsS -H "Authorization: Bearer $token" -H 'Content-Type: audio/wav' \
		--data-binary @"$small" "$base/api/v1/files") || die "the warm-up upload failed"
	id=$(printf '%s' "$ans" | sed -n 's/.*"id": *"\([^"]*\)".*/\1/p' | head -1)
	[ -n "$id" ] || die "no id in the warm-up upload's answer: $ans"
	ids+=("$id")
done

failed=0
up_rates=()
dd_rates=()
rss_first=$(rss)
for ((run = 1; run <= runs; run++)); do
	# dd: the same bytes, the same directory, fsynced
	rm -f "$ddout"
	dd if="$wav" of="$ddout" bs=1M conv=fsync 2> "$work/dd.txt" || {
		cat "$work/dd.txt" >&2
		die "dd failed"
	}
	dd_s=$(awk '/bytes/ && /copied/ { for (i = 1; i <= NF; i++) if ($(i + 1) ~ /^s,?$/) { print $i; exit } }' "$work/dd.txt")
	rm -f "$ddout"
	dd_rate=$(mbps "$size" "$dd_s")
	dd_rates+=("$dd_rate")

	ld=$(load)
	before=$(rss)
	# shellcheck disable=SC2046
	{ c_resp0=$(ticks $(responders)); c_ngx0=$(ticks $(nginx_procs)); }
	res=$(curl -sS -o "$work/answer-$run.json" -w '%{http_code} %{time_total}' \
		-H "Authorization: Bearer $token" -H 'Content-Type: audio/wav' \
		--data-binary @"$wav" "$base/api/v1/files") || die "curl failed on upload $run"
	after=$(rss)
	# shellcheck disable=SC2046
	{ c_resp1=$(ticks $(responders)); c_ngx1=$(ticks $(nginx_procs)); }
	read -r code up_s <<< "$res"
	answer=$(cat "$work/answer-$run.json")
	id=$(printf '%s' "$answer" | sed -n 's/.*"id": *"\([^"]*\)".*/\1/p' | head -1)
	[ -n "$id" ] && ids+=("$id")
	got_size=$(printf '%s' "$answer" | sed -n 's/.*"size_bytes": *\([0-9]*\).*/\1/p')
	got_sha=$(printf '%s' "$answer" | sed -n 's/.*"sha256": *"\([0-9a-f]*\)".*/\1/p')
	check=ok
	if [ "$code" != 201 ] || [ "$got_size" != "$size" ] || [ "$got_sha" != "$sha" ]; then
		check="FAILED (HTTP $code, size_bytes ${got_size:-?}, sha256 $([ "$got_sha" = "$sha" ] && echo matches || echo differs)): $(head -c 300 "$work/answer-$run.json")"
		failed=1
	fi
	up_rate=$(mbps "$size" "$up_s")
	up_rates+=("$up_rate")
	printf 'run %d: dd %6s MB/s (%s s)   upload %6s MB/s (%s s)   ratio %s   load %s   %s\n' \
		"$run" "$dd_rate" "$dd_s" "$up_rate" "$up_s" \
		"$(awk -v a="$up_rate" -v b="$dd_rate" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')" "$ld" "$check"
	say "       responders pid:VmRSS:VmHWM KiB before: $before"
	say "       responders pid:VmRSS:VmHWM KiB after:  $after"
	say "       $(rss_delta "$before" "$after")"
	say "       CPU s during the upload: responders $(secs $((c_resp1 - c_resp0))) (ffprobe included), nginx $(secs $((c_ngx1 - c_ngx0))); wall $up_s s"
done
rss_last=$(rss)

# Pieces of the responder's work on the same file, each alone (CPU seconds, user + system):
# the SHA-256 it computes while writing (OpenSSL, as the responder's EVP calls) and the
# ffprobe it runs before the row is inserted.
piece() { # piece COMMAND…: "wall cpu" seconds
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f '%e %U %S' -o "$work/time.txt" "$@" > /dev/null 2>&1 || true
		awk '{ printf "%.2f s wall, %.2f s CPU", $1, $2 + $3 }' "$work/time.txt"
	else
		echo "? (no /usr/bin/time)"
	fi
}
say ""
say "pieces, alone on the same file: SHA-256 (openssl dgst -sha256) $(piece openssl dgst -sha256 "$wav");" \
	"ffprobe $(piece ffprobe -v error -show_format -show_streams "$wav")"

dd_med=$(printf '%s\n' "${dd_rates[@]}" | median)
up_med=$(printf '%s\n' "${up_rates[@]}" | median)
r=$(awk -v a="$up_med" -v b="$dd_med" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
say ""
say "median: upload $up_med MB/s, dd $dd_med MB/s: upload / dd = $r   (target >= 0.5: $(awk -v r="$r" 'BEGIN { print (r != "n/a" && r + 0 >= 0.5) ? "met" : "MISSED" }'))"
say "responders over all runs: $(rss_delta "$rss_first" "$rss_last")"
say "# load $(load) at the end"
[ "$failed" = 0 ] || die "FAILED: an upload was not stored as sent (see above)"
