#!/bin/bash
# Runs one attempt of a runbook node's script on this host, never beside an earlier attempt of the same node: when the
# server dies, the script it started may still run, and the resumed attempt must not run next to it.
# Usage: pgha_attempt.sh KEY WAIT_SECONDS SCRIPT ARGS... (KEY names run, node and host).
# A new attempt waits up to WAIT_SECONDS for the earlier one and says so (PGHA_ATTEMPT lines); exit 75 if it is still
# running then. flock -o: the lock stays with flock itself, so daemons the script starts (postgres, pgbouncer) never
# inherit it.
set -euo pipefail
key=${1//[^A-Za-z0-9_.-]/_} wait=$2
shift 2
lock="/tmp/pgha-attempt-$key.lock"
waited=no
if ! flock -n -o "$lock" true; then
    waited=yes
    echo "PGHA_ATTEMPT an earlier attempt of this node still runs on $(hostname) (pid $(cat "$lock.pid" 2>/dev/null || echo unknown)); waiting up to ${wait}s for it to end"
fi
# shellcheck disable=SC2016
exec flock -o -w "$wait" -E 75 "$lock" bash -c '
    echo $$ >"$0.pid"
    [ "$1" = yes ] && echo "PGHA_ATTEMPT the earlier attempt ended; this attempt runs now"
    shift
    exec bash "$@"' "$lock" "$waited" "$@"
