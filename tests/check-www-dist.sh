#!/bin/sh
# Fails when a file of the web page (contrib/www) is not installed by Makefile.am in the
# same place of $(pkgdatadir)/www, or when Makefile.am lists one that does not exist:
# automake needs explicit lists (one *_DATA variable per directory, wwwNAMEdir =
# $(wwwdir)/…), and a file left out would ship a page that fails to load.
top=${top_srcdir:-$(dirname "$0")/..}
cd "$top" || exit 1
[ -d contrib/www ] || {
	echo "www: contrib/www is missing"
	exit 1
}

# "INSTALL_DIR FILE" for every file of a www*_DATA variable, INSTALL_DIR relative to
# $(pkgdatadir)/www ("." for the top), from the www*dir definitions.
listed=$(sed -e ':a' -e '/\\$/{N;s/\\\n/ /;ba' -e '}' Makefile.am | awk '
	function resolve(name,   v, inner) {
		if (name in done) return done[name]
		v = def[name]
		if (v == "$(pkgdatadir)/www") return done[name] = "."
		if (match(v, /^\$\(www[a-z0-9_]*dir\)/)) {
			inner = substr(v, 3, RLENGTH - 3)
			if (!(inner in def) || inner == name) return done[name] = "?"
			v = resolve(inner) substr(v, RLENGTH + 1)
			sub(/^\.\//, "", v)
			return done[name] = v
		}
		return done[name] = "?"
	}
	/^www[a-z0-9_]*dir[ \t]*=/ {
		n = $1; sub(/[ \t]*=.*/, "", n)
		v = $0; sub(/^[^=]*=[ \t]*/, "", v); sub(/[ \t]+$/, "", v)
		def[n] = v
	}
	/^(dist_|nodist_)?www[a-z0-9_]*_DATA[ \t]*\+?=/ {
		p = $1; sub(/^(dist_|nodist_)/, "", p); sub(/_DATA.*/, "", p)
		v = $0; sub(/^[^=]*=/, "", v)
		nf = split(v, f, /[ \t]+/)
		for (i = 1; i <= nf; i++) if (f[i] != "") files[++nfiles] = p "dir " f[i]
	}
	END {
		for (i = 1; i <= nfiles; i++) {
			split(files[i], pair, " ")
			print ((pair[1] in def) ? resolve(pair[1]) : "?") " " pair[2]
		}
	}')

bad=0
n=0
# Every file under contrib/www (editor and OS litter aside) is listed for its directory.
for f in $(find contrib/www -type f ! -name '.*' ! -name '*~' ! -name '*.swp' | sort); do
	n=$((n + 1))
	rel=${f#contrib/www/}
	dir=$(dirname "$rel")
	if ! printf '%s\n' "$listed" | grep -qxF "$dir $f"; then
		where=$(printf '%s\n' "$listed" | awk -v f="$f" '$2 == f { print $1 }' | head -n 1)
		if [ -n "$where" ]; then
			echo "www: $f is installed into www/$where, not www/$dir: move it to the list that installs www/$dir"
		elif printf '%s\n' "$listed" | grep -q "^$dir "; then
			echo "www: $f is not in Makefile.am: add it to the *_DATA list that installs www/$dir"
		else
			echo "www: $f is not in Makefile.am, nor is its directory: add a www${dir##*/}dir = \$(wwwdir)/$dir and a dist_www${dir##*/}_DATA list"
		fi
		bad=1
	fi
done
# Every listed file exists, and none has an install directory that does not resolve.
for f in $(printf '%s\n' "$listed" | awk '{ print $2 }'); do
	[ -f "$f" ] || {
		echo "www: Makefile.am lists $f, which does not exist"
		bad=1
	}
done
if printf '%s\n' "$listed" | grep -q '^? '; then
	echo "www: a www*_DATA list has no www*dir under \$(pkgdatadir)/www:"
	printf '%s\n' "$listed" | grep '^? ' | head -n 5
	bad=1
fi
[ "$n" -gt 0 ] || {
	echo "www: no files under contrib/www"
	bad=1
}
[ "$bad" = 0 ] || exit 1
echo "www: all $n files of contrib/www are installed by Makefile.am"
exit 0
