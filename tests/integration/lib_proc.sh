# Processes by parent, read from /proc (no pgrep needed): sourced by lib_more.sh and by the
# chaos test (tests/chaos/lib_common.sh).
#   children_of PID      the pids whose parent is PID, one per line
#   descendants_of PID   children, their children, and so on

children_of() {
	local want=$1 stat pid rest fields
	for stat in /proc/[0-9]*/stat; do
		read -r pid rest 2>/dev/null <"$stat" || continue
		rest=${rest##*) }
		read -r -a fields <<<"$rest"
		[ "${fields[1]:-}" = "$want" ] && printf '%s\n' "$pid"
	done
	return 0
}

descendants_of() {
	local c
	for c in $(children_of "$1"); do
		printf '%s\n' "$c"
		descendants_of "$c"
	done
}
