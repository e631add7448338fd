#!/usr/bin/env bash
# GET /api/v1/providers: its shape, only the providers the config enables (the stack with
# `fake` enables local, gemini and vertex; a veogen-fcgi of our own with gemini and vertex
# off lists local alone), and every model's limits agree with what POST /api/v1/videos
# accepts: each listed duration → 202 (cancelled again at once), durations not listed →
# 422 on duration_seconds, and with long_only_duration set, 1080p only at that length.
here=$(dirname "$0")
. "$here/lib.sh"
. "$here/lib_more.sh"

access_log_mark
new_user A || exit 1
TOKEN=$A_TOKEN

TOKEN="" api GET /api/v1/providers
expect_problem 401 "the providers without credentials"

api GET /api/v1/providers
expect_status 200 "GET /api/v1/providers"
expect_header Content-Type '^application/json'
cp "$API_BODY" "$IT_WORK/providers.json"
P=$IT_WORK/providers.json
pj() { jq -r "$@" "$P"; }
pjq() { jq -e "$1" "$P" >/dev/null; }

# ---------------------------------------------------------------- shape

check "top level is exactly default, enhance_prompt, planner, items" \
	pjq '(keys | sort) == ["default", "enhance_prompt", "items", "planner"]'
check "enhance_prompt is a boolean ($(pj .enhance_prompt))" pjq '.enhance_prompt | type == "boolean"'
check "planner is local or gemini ($(pj .planner))" pjq '.planner | IN("local", "gemini")'
check "items is a non-empty array of providers with id, default_model and models" pjq '
	(.items | type == "array" and length > 0) and all(.items[];
		(keys | sort) == ["default_model", "id", "models"] and (.id | IN("local", "gemini", "vertex"))
		and (.models | type == "array" and length > 0))'
check "no provider is listed twice" pjq '[.items[].id] | length == (unique | length)'
check "default ($(pj .default)) is one of the listed providers" pjq '.default as $d | any(.items[]; .id == $d)'
check "each default_model is one of its provider's models" \
	pjq 'all(.items[]; .default_model as $m | any(.models[]; .id == $m))'
check "every model has exactly the documented fields, with their types" pjq '
	all(.items[].models[];
		(keys | sort) == ["aspect_ratios", "audio", "durations", "id", "image", "last_frame",
			"long_only_duration", "max_reference_images", "price_usd_per_second",
			"price_usd_per_second_1080p", "resolutions"]
		and (.id | type == "string" and length > 0)
		and (.durations | length > 0 and all(type == "number" and . == floor and . >= 1 and . <= 60))
		and (.resolutions | length > 0 and all(IN("720p", "1080p")))
		and (.aspect_ratios | length > 0 and all(IN("16:9", "9:16")))
		and (.image | type == "boolean") and (.last_frame | type == "boolean")
		and (.audio | type == "boolean")
		and (.max_reference_images | type == "number" and . >= 0 and . <= 3)
		and (.long_only_duration == null or (.long_only_duration as $l | .durations | index($l) != null))
		and (.price_usd_per_second | type == "number" and . >= 0)
		and (.price_usd_per_second_1080p | type == "number" and . >= 0))'
check "the local provider's models are free" \
	pjq 'all(.items[] | select(.id == "local") | .models[]; .price_usd_per_second == 0 and .price_usd_per_second_1080p == 0)'

# ---------------------------------------------------------------- only the enabled ones

# providers.NAME.enabled of the stack's config (local defaults to on, the others to off)
enabled() {
	local v
	v=$(conf_value "$VEOGEN_CONF" "$1" enabled)
	[ "${v:-$2}" = true ]
}
want=()
enabled local true && want+=(local)
enabled gemini false && want+=(gemini)
enabled vertex false && want+=(vertex)
expect_eq "$(pj '[.items[].id] | join(" ")')" "${want[*]}" "the listed providers are the enabled ones"
if [ -n "${VEOGEN_FAKE_URL:-}" ]; then
	expect_eq "$(pj '[.items[].id] | join(" ")')" "local gemini vertex" "with the fake Google APIs: local, gemini and vertex"
fi
# the gemini API key (a file here) is what enhance_prompt needs; with it, "auto" plans with gemini
key=$(conf_value "$VEOGEN_CONF" gemini api_key)$(conf_value "$VEOGEN_CONF" gemini api_key_file)
planner=$(conf_value "$VEOGEN_CONF" movies planner)
if [ -n "$key" ]; then
	expect_json .enhance_prompt true
	[ "${planner:-auto}" = auto ] && enabled gemini false && expect_json .planner gemini
else
	expect_json .enhance_prompt false
fi

# ---------------------------------------------------------------- POST /videos agrees

# cancel ID: the video created to prove a 202 is cancelled (or already over) at once.
cancel() {
	api POST "/api/v1/videos/$1/cancel"
	[[ $API_STATUS =~ ^(202|409)$ ]] || fail "cancel video $1: expected HTTP 202 or 409, got $API_STATUS"
}

BAD=0
# try PROVIDER MODEL DURATION RESOLUTION WANT WHAT: WANT is 202 or the field a 422 names.
try() {
	local body
	body=$(jq -cn --arg p "$1" --arg m "$2" --argjson d "$3" --arg r "$4" \
		'{prompt: "t_providers: \($p) \($m) \($d) s \($r)", provider: $p, model: $m,
		  duration_seconds: $d, resolution: $r}')
	api POST /api/v1/videos "$body"
	N=$((N + 1))
	if [ "$5" = 202 ] && [ "$API_STATUS" = 202 ]; then
		cancel "$(json .id)"
	elif [ "$5" = 202 ] || [ "$API_STATUS" != 422 ]; then
		fail "$1 $2 $3 s $4 ($6): expected HTTP ${5/[a-z]*/422}, got $API_STATUS: $(json .detail) $(json '[.errors[]?.message] | join("; ")')"
		BAD=$((BAD + 1))
	elif ! jq -e --arg f "$5" 'any(.errors[]?.field; . == $f)' "$API_BODY" >/dev/null; then
		fail "$1 $2 $3 s $4 ($6): the 422 does not name $5 ($(json '[.errors[]?.field] | join(" ")'))"
		BAD=$((BAD + 1))
	fi
}

N=0
while read -r prov model durations res long; do
	# one user per model: each has its own budget of creates a minute
	new_user U || exit 1
	TOKEN=$U_TOKEN
	low=${res%%,*} # the first listed resolution
	list=" ${durations//,/ } "
	for d in $list; do
		try "$prov" "$model" "$d" "$low" 202 "a listed duration"
	done
	# lengths the model does not list: one below, one in a gap (if any), one above
	min=${durations%%,*} max=${durations##*,}
	unlisted=()
	[ "$min" -gt 1 ] && unlisted+=($((min - 1)))
	for ((d = min + 1; d < max; d++)); do
		[[ $list == *" $d "* ]] || {
			unlisted+=("$d")
			break
		}
	done
	unlisted+=($((max + 1)))
	for d in "${unlisted[@]}"; do
		try "$prov" "$model" "$d" "$low" duration_seconds "a duration not listed"
	done
	if [ "$long" != null ] && [[ ,$res, == *,1080p,* ]]; then
		try "$prov" "$model" "$long" 1080p 202 "1080p at long_only_duration"
		for d in $list; do
			if [ "$d" != "$long" ]; then
				try "$prov" "$model" "$d" 1080p duration_seconds "1080p at another length than long_only_duration"
				break
			fi
		done
	fi
done < <(pj '.items[] | .id as $p | .models[] |
	"\($p) \(.id) \(.durations | sort | map(tostring) | join(",")) \(.resolutions | join(",")) \(.long_only_duration)"')
check "POST /api/v1/videos agrees with every model's listing ($N requests, $BAD wrong)" test "$BAD" -eq 0 -a "$N" -gt 0

# ---------------------------------------------------------------- a config without them

# A veogen-fcgi of our own whose config turns gemini and vertex off lists local alone; the
# API key stays, so enhance_prompt is still available, and "auto" now plans locally.
cp "$VEOGEN_CONF" "$IT_WORK/off.conf"
conf_set "$IT_WORK/off.conf" fcgi listen "\"$IT_WORK/off.sock\""
conf_set "$IT_WORK/off.conf" fcgi workers 1
conf_set "$IT_WORK/off.conf" gemini enabled false
conf_set "$IT_WORK/off.conf" vertex enabled false
conf_set "$IT_WORK/off.conf" movies planner '"auto"'
on_exit private_fcgi_stop
private_fcgi_start "$IT_WORK/off.conf" VEOGEN_RATE_LIMIT_PER_MIN=0
if wait_until 10 test -S "$IT_WORK/off.sock"; then
	fcgi_request "$IT_WORK/off.sock" GET /api/v1/providers HTTP_AUTHORIZATION="Bearer $A_TOKEN"
	expect_eq "$FC_STATUS" 200 "GET /api/v1/providers with gemini and vertex off"
	expect_eq "$(jq -r '[.items[].id] | join(" ")' "$FC_BODY")" local "only local is listed"
	expect_eq "$(jq -r .planner "$FC_BODY")" local "the planner is local without an enabled gemini"
	[ -n "$key" ] && expect_eq "$(jq -r .enhance_prompt "$FC_BODY")" true \
		"enhance_prompt needs only the API key, as POST /api/v1/videos decides"
else
	fail "a private veogen-fcgi did not create its socket: $(tail -n 5 "$IT_WORK/fcgi.log")"
fi

expect_no_5xx
