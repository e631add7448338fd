#!/bin/sh
# Fails when a C file is not formatted with the project's .clang-format (clang-format 14,
# Debian 12's).  Skipped (exit 77) where clang-format is not installed.
top=${top_srcdir:-$(dirname "$0")/..}
command -v clang-format >/dev/null 2>&1 || {
	echo "clang-format not installed: format not checked"
	exit 77
}
cd "$top" || exit 1
files=$(ls src/*.[ch] src/*/*.[ch] fcgi/*.[ch] cron/*.[ch] tests/unit/*.[ch] tests/fuzz/*.[ch] tests/bench/*.c 2>/dev/null)
# shellcheck disable=SC2086
if ! clang-format --dry-run -Werror $files >/dev/null 2>&1; then
	clang-format --dry-run -Werror $files 2>&1 | grep -E "error|warning" | head -20
	echo "run: clang-format -i <file> (the project's .clang-format applies)"
	exit 1
fi
echo "format: all C files follow .clang-format"
exit 0
