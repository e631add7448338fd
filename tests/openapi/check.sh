#!/bin/sh
# Validates fcgi/openapi.json (OpenAPI 3.1 schema, $refs, JSON Schemas and their examples,
# API.md's error conventions) and compares it with the route table of fcgi/fcgi_route.c.
#   tests/openapi/check.sh [--no-self-test]   VEOGEN_BASE_URL=… also checks the served copy
# Installs the pinned validator with `npm ci` on first use (or when package-lock.json changes).
# Prints "N passed, N failed"; exits non-zero on any failure.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
command -v node > /dev/null 2>&1 || {
	echo "check.sh: node is missing (apt-get install nodejs npm)" >&2
	exit 1
}
"$here/../npm_ci.sh" "$here"
exec node "$here/check.mjs" "$@"
