#!/bin/sh
# embed.sh NAME FILE: prints a C file defining `const char NAME[]` with FILE's bytes, so the
# OpenAPI document ships inside the binary and is served without touching the disk.
set -eu
name=$1
file=$2
printf '/* generated from %s by embed.sh: do not edit */\n' "$(basename "$file")"
printf 'extern const char %s[];\nconst char %s[] = {\n' "$name" "$name"
od -An -v -tx1 "$file" | sed 's/ *\([0-9a-f][0-9a-f]\)/0x\1,/g'
printf '0x00};\n'
