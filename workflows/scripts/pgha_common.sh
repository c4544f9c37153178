#!/bin/bash
# Sourced by every PGHA host script: strict mode, the generated pgha.env, logging and bounded waits.
# Secrets never come from pgha.env; a script gets them as PGHA_*_PASSWORD environment variables.
set -euo pipefail

PGHA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PGHA_ENV="${PGHA_ENV:-$PGHA_DIR/pgha.env}"
if [ ! -r "$PGHA_ENV" ]; then
    echo "$(basename "$0"): $PGHA_ENV is missing; run UploadScripts (deployment-preparation) first" >&2
    exit 2
fi
# shellcheck source=/dev/null
. "$PGHA_ENV"

export PATH="$PGBIN_PATH:/usr/sbin:/usr/bin:/sbin:/bin"
export PGHOST="$SOCKET_DIR" PGPORT="$DB_PORT"
export PGAPPNAME="pgha-$(basename "$0" .sh)"
PGBOUNCER_INI="$PGBOUNCER_CONFIG_PATH/pgbouncer.ini"
PGBOUNCER_AUTH_FILE="$PGBOUNCER_CONFIG_PATH/userlist.txt"
PGBOUNCER_PID="$SOCKET_DIR/pgbouncer.pid"
PG_LOG_FILE="$LOG_PATH/pgha-postgresql.log"

log() { printf '%s %s: %s\n' "$(date -u +%H:%M:%S)" "$(basename "$0")" "$*"; }
die() { printf '%s: ERROR: %s\n' "$(basename "$0")" "$*" >&2; exit 1; }
output() { printf 'PGHA_OUTPUT %s=%s\n' "$1" "$2"; }

# Paths go into postgresql.conf and cron lines unquoted-safe only if they are plain.
for p in "$DATA_PATH" "$ARCHIVE_PATH" "$LOG_PATH" "$SOCKET_DIR" "$DEPLOYMENT_PATH" "$LONDISTE_PATH" "$PGBOUNCER_CONFIG_PATH"; do
    [[ "$p" =~ ^/[A-Za-z0-9_./-]+$ ]] || die "path '$p' must be absolute and contain only letters, digits, _ . / -"
done

require_account() { [ "$(id -un)" = "$DEPLOYMENT_ACCOUNT" ] || die "must run as $DEPLOYMENT_ACCOUNT, not $(id -un)"; }
require_root() { [ "$(id -u)" = 0 ] || die "must run as root (through sudo -n as $DEVOPS_ACCOUNT)"; }
has_role() { [[ " $THIS_ROLES " == *" $1 "* ]]; }
require_role() {
    has_role "$1" && return 0
    [ "${FORCE:-0}" = 1 ] && { log "FORCE=1: running on $THIS_HOST_NAME although the inventory does not make it the $1"; return 0; }
    die "$THIS_HOST_NAME is not the $1 in the inventory (its roles: ${THIS_ROLES:-none}); refusing (FORCE=1 overrides)"
}
require_secret() { [ -n "${!1:-}" ] || die "secret $1 was not passed in the environment"; }

# wait_until SECONDS DESCRIPTION COMMAND...: every wait is bounded.
wait_until() {
    local limit=$1 what=$2; shift 2
    local end=$((SECONDS + limit))
    until "$@"; do
        (( SECONDS < end )) || die "timed out after ${limit}s waiting for $what"
        sleep 1
    done
}

pg_running() { pg_ctl -D "$DATA_PATH" status >/dev/null 2>&1; }
sql() { psql -X -v ON_ERROR_STOP=1 -qAt -d "${2:-postgres}" -c "$1"; }
in_recovery() { sql 'SELECT pg_is_in_recovery()'; }
live_role() {
    if ! pg_running; then echo stopped
    elif [ "$(in_recovery)" = t ]; then echo standby
    else echo primary; fi
}
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# -l: without a log file the postmaster keeps the SSH channel open and the command never returns.
start_postgres() {
    mkdir -p "$LOG_PATH"
    if ! pg_running && port_open 127.0.0.1 "$DB_PORT"; then
        die "port $DB_PORT on $THIS_HOST_NAME is already in use by another process; free it (or fix ports in the inventory) and run again"
    fi
    log "starting PostgreSQL in $DATA_PATH"
    pg_ctl -D "$DATA_PATH" -l "$PG_LOG_FILE" -w -t 120 start >/dev/null || { tail -n 20 "$PG_LOG_FILE" >&2; die "PostgreSQL did not start"; }
    wait_until 60 "PostgreSQL to accept connections" pg_isready -q
}

# wait_briefly SECONDS DESCRIPTION COMMAND...: like wait_until, polling every 10 ms, for the steps of a switchover
# that clients wait on (pg_ctl -w and pg_promote(wait) poll in 100 ms steps).
wait_briefly() {
    local limit=$1 what=$2; shift 2
    local end=$((SECONDS + limit))
    until "$@"; do
        (( SECONDS < end )) || { log "timed out after ${limit}s waiting for $what"; return 1; }
        sleep 0.01
    done
}
postmaster_gone() { [ ! -e "$DATA_PATH/postmaster.pid" ]; }

# stop_postgres [fast|smart|immediate] [SECONDS]: a fast stop writes a clean shutdown checkpoint; one that does not end
# in time becomes immediate. Never SIGKILL, never postmaster.pid by hand.
stop_postgres() {
    local mode=${1:-fast} limit=${2:-90}
    [[ "$mode" =~ ^(fast|smart|immediate)$ ]] || die "stop mode '$mode' must be fast, smart or immediate"
    pg_running || return 0
    log "stopping PostgreSQL in $DATA_PATH ($mode)"
    pg_ctl -D "$DATA_PATH" -m "$mode" -W stop >/dev/null || pg_running || return 0
    wait_briefly "$limit" "PostgreSQL to stop ($mode)" postmaster_gone && return 0
    [ "$mode" != immediate ] || die "PostgreSQL in $DATA_PATH did not stop"
    log "the $mode stop did not end within ${limit}s; stopping immediately"
    pg_ctl -D "$DATA_PATH" -m immediate -W stop >/dev/null || true
    wait_briefly 30 "PostgreSQL to stop (immediate)" postmaster_gone || die "PostgreSQL in $DATA_PATH did not stop"
}

# control_value LABEL: one line of pg_controldata (e.g. "Latest checkpoint location").
control_value() { pg_controldata -D "$DATA_PATH" | sed -n "s/^$1: *//p"; }

# pid_alive PIDFILE PATTERN: the pid in the file is running and is the expected program (no stale or reused pid).
pid_alive() {
    local pid
    pid=$(cat "$1" 2>/dev/null) || return 1
    [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$2"
}

stop_by_pidfile() {
    local file=$1 pattern=$2 what=$3
    pid_alive "$file" "$pattern" || return 0
    log "stopping $what (pid $(cat "$file"))"
    kill -TERM "$(cat "$file")"
    wait_until 30 "$what to exit" bash -c "! kill -0 $(cat "$file") 2>/dev/null"
}

slot_name() { local s="slot_${1//[^A-Za-z0-9_]/_}"; echo "${s,,}"; }

# Writes a file atomically (temp + rename) with the given mode, content from stdin.
write_atomic() {
    local target=$1 mode=$2 tmp
    tmp=$(mktemp "$(dirname "$target")/.$(basename "$target").XXXXXX")
    cat >"$tmp"
    chmod "$mode" "$tmp"
    mv -f "$tmp" "$target"
}
