#!/bin/sh
# Fails when a banned function or libfcgi's stdio layer appears in the C sources
# (curl's checksrc idea): use snprintf, vg_strlcpy, vg_str_u64 and the FCGX_*_r API instead.
top=${top_srcdir:-$(dirname "$0")/..}
hits=$(grep -rnE '\b(sprintf|vsprintf|strcpy|strcat|strtok|atoi|atol|atoll|gets)[[:space:]]*\(|fcgi_stdio\.h|FCGI_Accept[[:space:]]*\(' \
	--include='*.c' --include='*.h' "$top/src" "$top/fcgi" "$top/cron" "$top/tests/unit" "$top/tests/fuzz" 2>/dev/null |
	grep -v 'check-banned' )
if [ -n "$hits" ]; then
	echo "banned functions found:"
	echo "$hits"
	exit 1
fi
echo "banned functions: none"
exit 0
