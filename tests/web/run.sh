#!/bin/sh
# The web page's browser tests (tests/web/t_*.mjs) against a running stack, in Debian's
# chromium driven by playwright-core:
#   eval "$(contrib/devstack env)"; tests/web/run.sh [t_NAME...]
# Installs the pinned playwright-core with `npm ci` on first use (or when package-lock.json
# changes).  Screenshots go to $VEOGEN_WEB_ARTEFACTS (default $VEOGEN_LOG_DIR/web).
# Prints "N passed, N failed"; exits non-zero on any failure.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
command -v node > /dev/null 2>&1 || {
	echo "tests/web/run.sh: node is missing (apt-get install nodejs npm)" >&2
	exit 1
}
[ -x "${VEOGEN_CHROMIUM:-/usr/bin/chromium}" ] || {
	echo "tests/web/run.sh: ${VEOGEN_CHROMIUM:-/usr/bin/chromium} is missing (apt-get install chromium)" >&2
	exit 1
}
[ -n "${VEOGEN_BASE_URL:-}" ] || {
	echo "tests/web/run.sh: VEOGEN_BASE_URL is not set: run eval \"\$(contrib/devstack env)\" first" >&2
	exit 1
}
"$here/../npm_ci.sh" "$here"
exec node "$here/run.mjs" "$@"
