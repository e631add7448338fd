# Sourced after lib.sh and lib_more.sh by the tests that change the stack's configuration for
# a while (limits, throttles): a change reaches veogen-fcgi through SIGHUP, and the original
# file is put back (and reloaded) when the test ends, however it ends.  Helpers only.
#
#   conf_change GROUP KEY VALUE [GROUP KEY VALUE...]   sets each GROUP.KEY (VALUE in libconfig
#                             syntax) in $VEOGEN_CONF, then fcgi_reload; the first call saves
#                             the file and registers its restore with on_exit
#   fcgi_reload               SIGHUP to the veogen-fcgi master, then waits until every responder
#                             of the old generation has exited, so the next request meets the
#                             new configuration; false (and a failed check) when they did not

CONF_SAVED=""
RELOAD_OLD=""

old_generation_gone() {
	local p
	for p in $RELOAD_OLD; do
		kill -0 "$p" 2>/dev/null && return 1
	done
	return 0
}

fcgi_reload() {
	local master
	master=$(pid_of fcgi) || {
		fail "veogen-fcgi is not running: cannot reload its configuration"
		return 1
	}
	RELOAD_OLD=$(children_of "$master")
	kill -HUP "$master"
	wait_until 30 old_generation_gone && return 0
	fail "veogen-fcgi kept its old responders 30 s after SIGHUP (a bad config? see $LOG_DIR)"
	return 1
}

conf_restore() {
	cp "$CONF_SAVED" "$VEOGEN_CONF" && fcgi_reload
}

conf_change() {
	if [ -z "$CONF_SAVED" ]; then
		CONF_SAVED=$IT_WORK/veogen.conf.saved
		cp "$VEOGEN_CONF" "$CONF_SAVED" || return 1
		on_exit conf_restore
	fi
	while [ $# -ge 3 ]; do
		conf_set "$VEOGEN_CONF" "$1" "$2" "$3"
		shift 3
	done
	fcgi_reload
}
