#!/bin/sh
# tests/npm_ci.sh DIR: `npm ci` in DIR (its pinned package-lock.json) on first use and
# whenever the lock file changes; quiet when node_modules is already current.
set -eu
dir=$1
command -v npm > /dev/null 2>&1 || {
	echo "npm_ci.sh: npm is missing (apt-get install nodejs npm)" >&2
	exit 1
}
stamp=$dir/node_modules/.veogen-lock
want=$(cksum < "$dir/package-lock.json")
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
	(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) >&2
	printf '%s\n' "$want" > "$stamp"
fi
