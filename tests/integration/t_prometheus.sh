#!/usr/bin/env bash
# contrib/prometheus and contrib/grafana against a real Prometheus: the shipped config (with
# this stack's address) and rules pass promtool, the rules' unit tests pass, and a private
# prometheus scrapes the stack's /metrics through the web server: the target is up, a
# request shows in veogen_http_requests_total, veogen_build_info is 1, every rule evaluates
# without error, and every query of the Grafana dashboard runs.
#
# Needs Debian's prometheus package (prometheus, promtool); the system service is not used.
# The private prometheus listens on 127.0.0.1:VEOGEN_PORT+9 and keeps its data in
# STATE/prometheus; it is stopped when the test ends.
here=$(dirname "$0")
. "$here/lib.sh"
. "$here/lib_more.sh"

SRC=${VEOGEN_SRC:-$(cd "$here/../.." && pwd)}
PROM_DIR=$SRC/contrib/prometheus
DASHBOARD=$SRC/contrib/grafana/veogen-dashboard.json
PROM_STATE=$VEOGEN_STATE/prometheus
PROM_PORT=$((VEOGEN_PORT + 9))
PROM_URL=http://127.0.0.1:$PROM_PORT
PROM_LOG=$LOG_DIR/prometheus.log
TARGET=${VEOGEN_BASE_URL#http://}
TARGET=${TARGET%%/*}
PROM_PID=""

for tool in prometheus promtool; do
	if ! command -v "$tool" >/dev/null; then
		fail "$tool is not installed: apt-get install prometheus (the test runs its own, not the service)"
		exit 1
	fi
done

# quietly COMMAND...: runs it, and shows its output only when it fails (promtool says why).
quietly() {
	local out
	out=$("$@" 2>&1) && return 0
	printf '%s\n' "$out" | sed 's/^/        /'
	return 1
}

# ---------------------------------------------------------------- static checks

mkdir -p "$PROM_STATE"
conf=$PROM_STATE/prometheus.yml
# The shipped config with this stack's address, a 1 s scrape and the rules by full path.
sed -e "s|\"127\.0\.0\.1:80\"|\"$TARGET\"|" \
	-e 's|^\(  *\)scrape_interval: 15s|\1scrape_interval: 1s|' \
	-e 's|^\(  *\)evaluation_interval: 15s|\1evaluation_interval: 1s|' \
	-e "s|^\(  *- \)veogen-rules\.yml\$|\1$PROM_DIR/veogen-rules.yml|" \
	"$PROM_DIR/prometheus.yml" >"$conf"
check "the stack's copy of the config scrapes $TARGET (prometheus.yml's target \"127.0.0.1:80\" replaced)" \
	grep -q "targets: \[\"$TARGET\"\]" "$conf"
check "the config scrapes every second and names the rules by path" \
	eval "grep -q '^  scrape_interval: 1s\$' '$conf' && grep -q '$PROM_DIR/veogen-rules.yml' '$conf'"
check "promtool check config on the stack's copy of prometheus.yml" \
	quietly promtool check config "$conf"
check "promtool check rules contrib/prometheus/veogen-rules.yml" \
	quietly promtool check rules "$PROM_DIR/veogen-rules.yml"
# promtool resolves rule_files relative to the test file.
check "promtool test rules contrib/prometheus/veogen-rules.test.yml" \
	quietly promtool test rules "$PROM_DIR/veogen-rules.test.yml"
alerts=$(grep -c '^ *- alert: ' "$PROM_DIR/veogen-rules.yml")
tested=$(grep -o 'alertname: [A-Za-z0-9]*' "$PROM_DIR/veogen-rules.test.yml" | sort -u | wc -l)
expect_eq "$tested" "$alerts" "every alert of veogen-rules.yml has a unit test"
check "every alert has for:, a severity and summary + description annotations" \
	eval "[ \$(grep -c '^ *for: ' '$PROM_DIR/veogen-rules.yml') = $alerts ] &&
		[ \$(grep -c '^ *severity: \(critical\|warning\)\$' '$PROM_DIR/veogen-rules.yml') = $alerts ] &&
		[ \$(grep -c '^ *summary: ' '$PROM_DIR/veogen-rules.yml') = $alerts ] &&
		[ \$(grep -c '^ *description: ' '$PROM_DIR/veogen-rules.yml') = $alerts ]"
# shellcheck disable=SC2016 # jq, not the shell, reads the literal ${DS_PROMETHEUS}
check "the Grafana dashboard is JSON with a \${DS_PROMETHEUS} datasource variable" \
	quietly jq -e '(.templating.list | any(.name == "DS_PROMETHEUS" and .type == "datasource"))
		and ([.panels[] | select(.type != "row") | .datasource.uid] | all(. == "${DS_PROMETHEUS}"))
		and (.panels | length > 10)' "$DASHBOARD"

# ---------------------------------------------------------------- a private prometheus

stop_prometheus() {
	[ -n "$PROM_PID" ] || return 0
	kill "$PROM_PID" 2>/dev/null
	wait "$PROM_PID" 2>/dev/null
	PROM_PID=""
}
on_exit stop_prometheus

if curl -s -o /dev/null --max-time 2 "$PROM_URL/"; then
	fail "127.0.0.1:$PROM_PORT (VEOGEN_PORT+9) is taken by another program; stop it or choose another VEOGEN_PORT"
	exit 1
fi
rm -rf "$PROM_STATE/data"
prometheus --config.file="$conf" --storage.tsdb.path="$PROM_STATE/data" \
	--web.listen-address="127.0.0.1:$PROM_PORT" --storage.tsdb.retention.time=1h \
	--log.level=warn >"$PROM_LOG" 2>&1 &
PROM_PID=$!

# prom_query QUERY: the /api/v1/query answer (JSON) for an instant query.
prom_query() { curl -s --max-time 10 -G "$PROM_URL/api/v1/query" --data-urlencode "query=$1"; }
target_health() {
	curl -s --max-time 5 "$PROM_URL/api/v1/targets" |
		jq -r '.data.activeTargets[]? | select(.labels.job == "veogen") | .health' 2>/dev/null
}
target_up() { [ "$(target_health)" = up ]; }
# has_result QUERY: the query's result vector is not empty.
has_result() { prom_query "$1" | jq -e '.status == "success" and (.data.result | length > 0)' >/dev/null 2>&1; }

check "prometheus answers on $PROM_URL (log: $PROM_LOG)" wait_until 30 curl -sf -o /dev/null "$PROM_URL/-/ready"
if wait_until 30 target_up; then
	ok "the veogen target at $TARGET/metrics is up"
else
	fail "the veogen target is not up after 30 s: health '$(target_health)', last error: $(curl -s "$PROM_URL/api/v1/targets" |
		jq -r '.data.activeTargets[]? | select(.labels.job == "veogen") | .lastError' 2>/dev/null)"
	exit 1
fi

api GET /api/v1/styles
expect_status 200 "one request for Prometheus to count"
check "veogen_http_requests_total has series" wait_until 15 has_result veogen_http_requests_total
check "Prometheus saw GET /api/v1/styles 200 counted" \
	wait_until 15 has_result 'veogen_http_requests_total{method="GET", route="/api/v1/styles", status="200"} >= 1'
check "veogen_build_info == 1 with service=\"veogen\" and a version" \
	has_result 'veogen_build_info{job="veogen", service="veogen", version=~".+"} == 1'
check "veogen_dependency_up is 1 for postgres and redis" \
	eval "[ \"\$(prom_query 'count(veogen_dependency_up{dependency=~\"postgres|redis\"} == 1)' | jq -r '.data.result[0].value[1]')\" = 2 ]"

# Every rule has run at least once on the real series, without an error.
rules_ok() {
	curl -s --max-time 5 "$PROM_URL/api/v1/rules" | jq -e --argjson n "$alerts" \
		'[.data.groups[].rules[]] | length == $n and all(.health == "ok")' >/dev/null 2>&1
}
if wait_until 15 rules_ok; then
	ok "all $alerts rules evaluate without error on the scraped data"
else
	fail "rules with errors: $(curl -s "$PROM_URL/api/v1/rules" |
		jq -c '[.data.groups[].rules[] | select(.health != "ok") | {name, health, lastError}]')"
fi
firing=$(curl -s --max-time 5 "$PROM_URL/api/v1/alerts" |
	jq -r '[.data.alerts[] | select(.labels.alertname == "VeogenDown" or .labels.alertname == "VeogenDependencyDown") | .labels.alertname] | join(" ")')
expect_eq "$firing" "" "neither VeogenDown nor VeogenDependencyDown is pending on a healthy stack"

# Every metric the rules and the dashboard use is one veogen exports (a renamed metric would
# leave an alert that never fires and an empty panel).
curl -s --max-time 10 -o "$IT_WORK/metrics" "$BASE/metrics"
missing=""
for m in $({
	cat "$PROM_DIR/veogen-rules.yml"
	jq -r '.panels[] | .targets[]?.expr' "$DASHBOARD"
} | grep -o 'veogen_[a-z_]*' | sed -E 's/_(bucket|sum|count)$//' | sort -u); do
	grep -q "^# TYPE $m " "$IT_WORK/metrics" || missing+="$m "
done
expect_eq "$missing" "" "every metric of the rules and the dashboard has a # TYPE line in /metrics"

# The dashboard's queries, with Grafana's variables filled in, all parse and run.
bad=""
while IFS= read -r expr; do
	q=${expr//\$__rate_interval/1m}
	q=${q//\$instance/.*}
	prom_query "$q" | jq -e '.status == "success"' >/dev/null 2>&1 || bad+="$expr; "
done < <(jq -r '.panels[] | .targets[]?.expr' "$DASHBOARD")
expect_eq "$bad" "" "every Grafana dashboard query runs on Prometheus"
