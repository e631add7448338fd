# Sourced by tests/chaos/run.sh: the API client.  It submits the work at a steady pace and
# keeps the contract's side of an outage: a 503 or 429 is retried after its Retry-After, a
# request that got no answer at all is sent again (videos carry an Idempotency-Key, so the
# retry cannot make a second video; a movie is looked up by its title first).
# shellcheck shell=bash

PROMPTS=("a lighthouse on a rocky coast at dusk, waves rolling in"
	"a red tram climbing a narrow street in the rain"
	"a fox crossing a snowy field at first light"
	"steam rising from a cup of coffee on a wooden table"
	"a paper boat drifting down a gutter after a storm"
	"a hot-air balloon over terraced hills in the morning haze"
	"a night market with lanterns swaying in the wind"
	"waves breaking over a harbour wall in slow motion")
SCENES_A=("A lighthouse on a rocky coast at dusk, waves rolling in"
	"The lighthouse lamp turns on and sweeps across the dark sea"
	"A small fishing boat follows the beam home through the fog"
	"Dawn breaks over the harbour as the boat ties up at the pier")
SCENES_B=("A cyclist sets off through an empty city at sunrise"
	"She races a tram along the river embankment"
	"Pigeons scatter as she crosses the old market square"
	"She stops on a bridge to watch the city wake up")

# request METHOD PATH API_KEY [BODY] [IDEMPOTENCY_KEY]: one HTTP exchange; sets CODE (000
# when no answer came), RETRY_AFTER, and the body in $RESP.
request() {
	local args=(-s -o "$RESP" -D "$RESP.h" -w '%{http_code}' --max-time 30 -X "$1"
		-H "X-API-Key: $3")
	[ -z "${4:-}" ] || args+=(-H 'Content-Type: application/json' --data-binary "$4")
	[ -z "${5:-}" ] || args+=(-H "Idempotency-Key: $5")
	: >"$RESP"
	: >"$RESP.h"
	CODE=$(curl "${args[@]}" "$BASE$2" 2>/dev/null) || CODE=000
	RETRY_AFTER=$(tr -d '\r' <"$RESP.h" | awk 'tolower($1) == "retry-after:" { v = $2 } END { print v }')
}

# call WHAT OK_CODES METHOD PATH API_KEY [BODY] [IDEMPOTENCY_KEY]: request, retried while
# the answer says to try again (503, 429: after Retry-After, at most 30 s) or none came
# (unless NO_ANSWER_RETURNS=1), for up to 5 minutes.  Counts into C503 C429 CCONN C5XX.
# 0 when the code is one of OK_CODES; otherwise 1 with CODE and $RESP of the last answer.
call() {
	local what=$1 ok=" $2 " give_up wait
	shift 2
	give_up=$(($(now_s) + 300))
	while :; do
		request "$@"
		[[ $ok == *" $CODE "* ]] && return 0
		case $CODE in
		503)
			C503=$((C503 + 1))
			wait=${RETRY_AFTER:-1}
			;;
		429)
			C429=$((C429 + 1))
			wait=${RETRY_AFTER:-5}
			;;
		000)
			CCONN=$((CCONN + 1))
			[ "${NO_ANSWER_RETURNS:-0}" = 0 ] || return 1
			wait=1
			;;
		5??)
			C5XX=$((C5XX + 1))
			violation "$what: HTTP $CODE, and a 5xx other than 503 is a bug: $(head -c 300 "$RESP")"
			wait=1
			;;
		*) return 1 ;;
		esac
		if [ "$(now_s)" -ge "$give_up" ]; then
			violation "$what: still HTTP $CODE after 5 minutes of retries"
			return 1
		fi
		[[ $wait =~ ^[0-9]+$ ]] || wait=1
		[ "$wait" -le 30 ] || wait=30
		sleep "$wait"
	done
}

# preflight: the stack is whole before the run starts.
preflight() {
	local c
	for c in postgres redis runner fcgi; do
		component_up "$c" || {
			say "$c is not running: start the stack first (contrib/devstack up)"
			return 1
		}
	done
	CODE=$(curl -s -o "$WORK/readyz" -w '%{http_code}' --max-time 10 "$BASE/readyz") || CODE=000
	[ "$CODE" = 200 ] || {
		say "GET /readyz answered $CODE: $(head -c 300 "$WORK/readyz")"
		return 1
	}
	STYLES=()
	mapfile -t STYLES < <(curl -s --max-time 10 "$BASE/api/v1/styles" |
		jq -r '.items[] | select(.kind != "movie") | .id')
	[ ${#STYLES[@]} -gt 0 ] || {
		say "GET /api/v1/styles lists no video style"
		return 1
	}
}

# make_users: USERS accounts, each with an API key (an access token would expire during a
# long run).  Sets KEYS[1..USERS].
make_users() {
	local u email body token
	RESP=$WORK/resp.main
	KEYS=()
	for ((u = 1; u <= USERS; u++)); do
		email="$RUN-u$u@example.com"
		body=$(jq -cn --arg e "$email" --arg p "pw-$RUN-$u-$RANDOM$RANDOM" '{email: $e, password: $p}')
		CODE=$(curl -s -o "$RESP" -w '%{http_code}' --max-time 30 -X POST \
			-H 'Content-Type: application/json' --data-binary "$body" "$BASE/api/v1/auth/register") || CODE=000
		token=$(jq -r '.access_token // empty' <"$RESP" 2>/dev/null)
		[ "$CODE" = 201 ] && [ -n "$token" ] || {
			say "cannot register $email: HTTP $CODE $(head -c 300 "$RESP")"
			return 1
		}
		CODE=$(curl -s -o "$RESP" -w '%{http_code}' --max-time 30 -X POST \
			-H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
			--data-binary '{"name": "chaos test"}' "$BASE/api/v1/api-keys") || CODE=000
		KEYS[u]=$(jq -r '.key // empty' <"$RESP" 2>/dev/null)
		[ "$CODE" = 201 ] && [ -n "${KEYS[u]}" ] || {
			say "cannot make an API key for $email: HTTP $CODE $(head -c 300 "$RESP")"
			return 1
		}
	done
}

# plan_work: the order of submission (ITEMS: "v N local|gemini|gemini-lost" or "m N"), the expected
# length of the work (EST_WORK_S) and the pace (INTERVAL_MS between two submissions).
plan_work() {
	local n j next_movie=1 local_n=0 gemini_n=0
	ITEMS=()
	for ((n = 1; n <= VIDEOS; n++)); do
		while [ "$next_movie" -le "$MOVIES" ] && [ $((next_movie * VIDEOS / (MOVIES + 1))) -lt "$n" ]; do
			ITEMS+=("m $next_movie")
			next_movie=$((next_movie + 1))
		done
		if [ $((n * GEMINI_PCT % 100)) -lt "$GEMINI_PCT" ]; then
			gemini_n=$((gemini_n + 1))
			# one in five loses its submit answer on purpose (see submit_video)
			if [ $((gemini_n % 5)) = 3 ]; then ITEMS+=("v $n gemini-lost"); else ITEMS+=("v $n gemini"); fi
		else
			ITEMS+=("v $n local")
			local_n=$((local_n + 1))
		fi
	done
	for ((j = next_movie; j <= MOVIES; j++)); do ITEMS+=("m $j"); done
	# measured on 2 cores with the runner's 2 CPU workers: a 4 s local clip about 1.3 s of
	# the workers' time, a fake Gemini one 0.3 s (its finalize), a 3-4 scene movie 14 s
	EST_WORK_S=$(((local_n * 13 + gemini_n * 3) / 10 + MOVIES * 14))
	[ "$EST_WORK_S" -ge 20 ] || EST_WORK_S=20
	INTERVAL_MS=$((EST_WORK_S * 850 / ${#ITEMS[@]}))
	say "plan: $local_n local and $gemini_n gemini videos, $MOVIES movies, one submission every ${INTERVAL_MS} ms (about ${EST_WORK_S}s of work)"
}

# submit_video N PROVIDER KEY: one video; a line in submitted.tsv.
submit_video() {
	local n=$1 provider=$2 key=$3 tag body id="" ok=ok faults
	printf -v tag '%s-v%04d' "$RUN" "$n"
	if [[ $provider == gemini* ]]; then
		# The fake takes 15 s per generation, so that kills of the remote worker meet
		# operations in flight.  "fake:lostsubmit=1" makes it create the operation and
		# drop the connection without an answer: with providers.resubmit_lost = false the
		# video must fail (provider_unavailable) and never be submitted again.
		faults="fake:done=15000"
		[ "$provider" = gemini ] || faults+=" fake:lostsubmit=1"
		body=$(jq -cn --arg p "$tag ${PROMPTS[n % ${#PROMPTS[@]}]} $faults" \
			'{prompt: $p, provider: "gemini", duration_seconds: 8}')
	else
		body=$(jq -cn --arg p "$tag ${PROMPTS[n % ${#PROMPTS[@]}]}" \
			--arg s "${STYLES[n % ${#STYLES[@]}]}" --arg a "$([ $((n % 3)) = 0 ] && echo 9:16 || echo 16:9)" \
			'{prompt: $p, provider: "local", style: $s, aspect_ratio: $a, duration_seconds: 4}')
	fi
	if call "POST /api/v1/videos ($tag)" "200 202" POST /api/v1/videos "$key" "$body" "$tag"; then
		id=$(jq -r '.id // empty' <"$RESP")
	else
		ok=rejected
		violation "POST /api/v1/videos ($tag) answered HTTP $CODE: $(head -c 300 "$RESP")"
	fi
	printf 'v\t%s\t%s\t%s\t%s\n' "$n" "${id:--}" "$provider" "$ok" >>"$WORK/submitted.tsv"
}

# movie_by_title KEY TITLE: the id of the caller's movie with that title (after a create
# whose answer was lost), or nothing.
movie_by_title() {
	call "GET /api/v1/movies" 200 GET "/api/v1/movies?limit=100" "$1" || return 0
	jq -r --arg t "$2" '.items[] | select(.title == $t) | .id' <"$RESP" | head -n1
}

# submit_movie J KEY: a movie of 3 or 4 hand-written scenes, created and rendered.
submit_movie() {
	local j=$1 key=$2 title body id="" ok=ok n_scenes status
	local -a pool
	n_scenes=$((3 + j % 2))
	printf -v title '%s-m%02d' "$RUN" "$j"
	if [ $((j % 2)) = 1 ]; then pool=("${SCENES_A[@]}"); else pool=("${SCENES_B[@]}"); fi
	# odd movies chain their scenes (continuity), even ones render them in parallel
	body=$(printf '%s\n' "${pool[@]:0:n_scenes}" | jq -cRn --arg t "$title" --argjson c "$([ $((j % 2)) = 1 ] && echo true || echo false)" \
		'{title: $t, provider: "local", continuity: $c, scene_duration_seconds: 4,
		  transition: (if $c then "fade" else "cut" end), scenes: [inputs | {prompt: .}]}')
	while [ -z "$id" ]; do
		if NO_ANSWER_RETURNS=1 call "POST /api/v1/movies ($title)" 201 POST /api/v1/movies "$key" "$body"; then
			id=$(jq -r '.id // empty' <"$RESP")
		elif [ "$CODE" = 000 ]; then
			id=$(movie_by_title "$key" "$title") # the lost answer may have made it
			[ -n "$id" ] || sleep 1
		else
			violation "POST /api/v1/movies ($title) answered HTTP $CODE: $(head -c 300 "$RESP")"
			ok=rejected
			break
		fi
	done
	if [ -n "$id" ] && ! call "POST /api/v1/movies/$id/render ($title)" 202 POST "/api/v1/movies/$id/render" "$key"; then
		if [ "$CODE" = 409 ] && call "GET /api/v1/movies/$id" 200 GET "/api/v1/movies/$id" "$key" &&
			status=$(jq -r .status <"$RESP") && [[ $status =~ ^(rendering|assembling|succeeded)$ ]]; then
			: # a retried render whose first answer was lost: it had started
		else
			violation "POST /api/v1/movies/$id/render ($title) answered HTTP $CODE: $(head -c 300 "$RESP")"
			ok=rejected
		fi
	fi
	printf 'm\t%s\t%s\tlocal\t%s\n' "$j" "${id:--}" "$ok" >>"$WORK/submitted.tsv"
}

# submitter: every item of the plan at its due time, spread over the users; the client's
# retry counts go to client.tsv.
submitter() {
	local k kind n provider due now key
	RESP=$WORK/resp.submitter
	C503=0 C429=0 CCONN=0 C5XX=0
	: >"$WORK/submitted.tsv"
	for ((k = 0; k < ${#ITEMS[@]}; k++)); do
		due=$((T0 * 1000 + k * INTERVAL_MS))
		now=$(now_ms)
		[ "$now" -ge "$due" ] || sleep "$(awk -v d=$((due - now)) 'BEGIN { printf "%.3f", d / 1000 }')"
		read -r kind n provider <<<"${ITEMS[k]}"
		key=${KEYS[k % USERS + 1]}
		if [ "$kind" = v ]; then
			submit_video "$n" "$provider" "$key"
		else
			submit_movie "$n" "$key"
		fi
	done
	printf '%s\t%s\t%s\t%s\n' "$C503" "$C429" "$CCONN" "$C5XX" >"$WORK/client.tsv"
	say "$(elapsed $((T0 * 1000)))s: all ${#ITEMS[@]} submissions made (503 retried $C503 times, 429 $C429, no answer $CCONN)"
}
