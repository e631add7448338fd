# Sourced by tests/chaos/run.sh: the faults.  One loop, one fault at a time, at random
# moments spread over the time the work is submitted:
#   worker  SIGKILL of one runner worker, preferably one holding a job (its render or its
#           provider operations die with it); the master forks a new one and the job comes
#           back when its lease expires;
#   master  SIGKILL of the runner master alone: its workers get SIGTERM (PR_SET_PDEATHSIG),
#           hand their jobs back and exit; once they are gone (what systemd's KillMode=mixed
#           waits for) the runner is started again;
#   group   SIGKILL of the master, every worker and their ffmpeg at once (a crash of the
#           whole service), then a start: the new master puts its old jobs back;
#   postgres  stopped (pg_ctl -m fast) for 3-8 s and started again, once;
#   redis     stopped for 10-20 s and started again, once.
# Only the kills are counted by --kills; the two outages always happen.
# Each one is a line in events.tsv: seconds since the start, kind, what, duration in ms.
# shellcheck shell=bash
# shellcheck disable=SC2086 # pid lists ($kids, $strays, $procs) are split on purpose

event() {
	printf '%s\t%s\t%s\t%s\n' "$(elapsed $((T0 * 1000)))" "$1" "$2" "${3:-0}" >>"$WORK/events.tsv"
	say "$(elapsed $((T0 * 1000)))s: $1: $2"
}

# start_runner OLD_MASTER: devstack starts the runner again; waits for its new master.
start_runner() {
	local i pid
	stack up runner || violation "contrib/devstack up runner failed after a kill: see $WORK/devstack.log"
	for ((i = 0; i < 100; i++)); do
		pid=$(runner_master) && [ "$pid" != "$1" ] && return 0
		sleep 0.1
	done
	violation "the runner did not start again after a kill (pid file $VEOGEN_STATE/run/runner.pid)"
}

# wait_gone SECONDS PID...: true when none of them runs any more within SECONDS.
wait_gone() {
	local limit=$(($(now_ms) + $1 * 1000)) p left
	shift
	while :; do
		left=0
		for p in "$@"; do alive "$p" && left=1; done
		[ "$left" = 0 ] && return 0
		[ "$(now_ms)" -lt "$limit" ] || return 1
		sleep 0.1
	done
}

kill_worker() {
	local m kids busy remote pick victim label what strays p
	m=$(runner_master) || {
		event kill-skipped "no runner master runs"
		return
	}
	kids=$(children_of "$m")
	[ -n "$kids" ] || {
		event kill-skipped "the runner master $m has no workers"
		return
	}
	# workers holding a job now: owner "<name>/<gen>.<idx>/<pid>", and the step
	busy=$(sql "SELECT split_part(locked_by, '/', 3), step, id FROM jobs WHERE state = 'running'" |
		awk -F'\t' 'NR == FNR { k[$1] = 1; next } ($1 in k)' <(printf '%s\n' $kids) -)
	# the remote worker holds its operations only now and then: every other time it is
	# the one, when it holds any
	remote=$(awk -F'\t' '$2 ~ /^remote\./' <<<"$busy")
	[ -z "$remote" ] || [ $((RANDOM % 2)) = 1 ] || busy=$remote
	if [ -n "$busy" ]; then
		pick=$(sed -n "$(rand_between 1 "$(wc -l <<<"$busy")")p" <<<"$busy")
		victim=${pick%%$'\t'*}
		what=$(cut -f2 <<<"$pick")
		label=worker-cpu
		[[ $what != remote.* ]] || label=worker-remote
		what="pid $victim, at step $what of job $(cut -f3 <<<"$pick") ($(awk -F'\t' -v p="$victim" '$1 == p' <<<"$busy" | wc -l) jobs held)"
	else
		victim=$(sed -n "$(rand_between 1 "$(wc -l <<<"$kids")")p" <<<"$kids")
		label=worker-idle
		what="pid $victim, no job held"
	fi
	strays=$(descendants_of "$victim")
	kill -KILL "$victim" 2>/dev/null
	event "$label" "SIGKILL $what"
	# Its ffmpeg, if any, should die with it (its pipes close); what still runs is noted.
	if [ -n "$strays" ] && ! wait_gone 5 $strays; then
		for p in $strays; do
			alive "$p" || continue
			event stray "pid $p ($(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | head -c 60)) outlived its killed worker by 5 s: killed"
			kill -KILL "$p" 2>/dev/null
		done
	fi
}

kill_master() {
	local m kids t p left=""
	m=$(runner_master) || {
		event kill-skipped "no runner master runs"
		return
	}
	kids=$(descendants_of "$m")
	t=$(now_ms)
	kill -KILL "$m" 2>/dev/null
	# the workers stop on their own (SIGTERM from the kernel), within the shutdown grace
	if ! wait_gone 30 $kids; then
		for p in $kids; do
			alive "$p" || continue
			left+=" $p"
			kill -KILL "$p" 2>/dev/null
		done
	fi
	event master "SIGKILL pid $m; its $(wc -w <<<"$kids") workers and children were gone after $(elapsed "$t")s${left:+ (SIGKILLed after 30 s:$left)}"
	start_runner "$m"
	event runner-start "started again $(elapsed "$t")s after the kill" $(($(now_ms) - t))
}

kill_group() {
	local m procs t p
	m=$(runner_master) || {
		event kill-skipped "no runner master runs"
		return
	}
	procs=$(
		printf '%s\n' "$m"
		descendants_of "$m"
	)
	t=$(now_ms)
	kill -KILL -- "-$m" 2>/dev/null # devstack's setsid made it the group leader
	for p in $procs; do kill -KILL "$p" 2>/dev/null; done
	wait_gone 10 $procs || violation "runner processes outlived SIGKILL for 10 s: $procs"
	event group "SIGKILL of the master $m and its $(($(wc -l <<<"$procs") - 1)) workers and children"
	start_runner "$m"
	event runner-start "started again $(elapsed "$t")s after the kill" $(($(now_ms) - t))
}

restart_postgres() {
	local t d
	t=$(now_ms)
	stack down postgres || violation "contrib/devstack down postgres failed: see $WORK/devstack.log"
	d=$(rand_between 3 8)
	sleep "$d"
	stack up postgres || violation "contrib/devstack up postgres failed: see $WORK/devstack.log"
	event postgres "stopped and started again (held down ${d}s)" $(($(now_ms) - t))
}

stop_redis() {
	local t d
	t=$(now_ms)
	stack down redis || violation "contrib/devstack down redis failed: see $WORK/devstack.log"
	d=$(rand_between 10 20)
	sleep "$d"
	stack up redis || violation "contrib/devstack up redis failed: see $WORK/devstack.log"
	event redis "stopped for ${d}s and started again" $(($(now_ms) - t))
}

# plan_faults: FAULTS, in order: every kill kind at least once (when there are 3 kills or
# more), PostgreSQL and Redis somewhere in the first half, while work is still submitted
# (so that clients meet the outage).
plan_faults() {
	local i j t kinds=(worker master group) extra=(worker worker master group)
	FAULTS=()
	for ((i = 2; i > 0; i--)); do # shuffle the three kinds
		j=$((RANDOM % (i + 1)))
		t=${kinds[i]}
		kinds[i]=${kinds[j]}
		kinds[j]=$t
	done
	for ((i = 0; i < KILLS; i++)); do
		if [ "$i" -lt 3 ]; then FAULTS+=("${kinds[i]}"); else FAULTS+=("${extra[RANDOM % 4]}"); fi
	done
	for t in postgres redis; do
		i=$((RANDOM % ((${#FAULTS[@]} + 2) / 2 + 1)))
		FAULTS=("${FAULTS[@]:0:i}" "$t" "${FAULTS[@]:i}")
	done
}

# chaos_loop: the faults at random moments while the work is submitted: gaps of 0.5 to
# 1.5 times the submission time divided by the number of faults.
chaos_loop() {
	local f avg next now
	RANDOM=$((SEED + 1)) # a subshell: the same schedule for the same seed
	plan_faults
	: >"$WORK/events.tsv"
	avg=$((INTERVAL_MS * ${#ITEMS[@]} / (${#FAULTS[@]} + 1)))
	next=$((T0 * 1000 + avg / 2 + RANDOM % avg))
	say "faults planned: ${FAULTS[*]} (about every $((avg / 1000))s)"
	for f in "${FAULTS[@]}"; do
		now=$(now_ms)
		[ "$now" -ge "$next" ] || sleep "$(awk -v d=$((next - now)) 'BEGIN { printf "%.3f", d / 1000 }')"
		case $f in
		worker) kill_worker ;;
		master) kill_master ;;
		group) kill_group ;;
		postgres) restart_postgres ;;
		redis) stop_redis ;;
		esac
		now=$(now_ms)
		[ "$next" -gt "$now" ] || next=$now
		next=$((next + avg / 2 + (RANDOM * 32768 + RANDOM) % (avg + 1)))
	done
	say "$(elapsed $((T0 * 1000)))s: all ${#FAULTS[@]} faults done"
}
