#!/bin/bash
# Sourced by every PGHA host script: strict mode, the generated pgha.env, logging, bounded waits, plan mode
# (PGHA_DRY_RUN=1: only read-only checks; each change printed as a PGHA_PLAN line instead of made) and, in a real run,
# each change made recorded as a PGHA_CHANGE line in the same words.
# Secrets never come from pgha.env; a script gets them as PGHA_*_PASSWORD environment variables.
set -euo pipefail

# Bash builtins, not dirname/basename/date: a process costs milliseconds on a busy host, and the switchover steps
# run inside the pause that clients wait on.
PGHA_DIR=${BASH_SOURCE[0]%/*}
[ "$PGHA_DIR" != "${BASH_SOURCE[0]}" ] || PGHA_DIR=.
[[ "$PGHA_DIR" == /* ]] || PGHA_DIR=$PWD/$PGHA_DIR
PGHA_SCRIPT=${0##*/}
PGHA_ENV="${PGHA_ENV:-$PGHA_DIR/pgha.env}"
if [ ! -r "$PGHA_ENV" ]; then
    echo "$PGHA_SCRIPT: $PGHA_ENV is missing; run UploadScripts (deployment-preparation) first" >&2
    exit 2
fi
# shellcheck source=/dev/null
. "$PGHA_ENV"

export PATH="$PGBIN_PATH:/usr/sbin:/usr/bin:/sbin:/bin"
export PGHOST="$SOCKET_DIR" PGPORT="$DB_PORT"
export PGAPPNAME="pgha-${PGHA_SCRIPT%.sh}"
PGBOUNCER_INI="$PGBOUNCER_CONFIG_PATH/pgbouncer.ini"
PGBOUNCER_AUTH_FILE="$PGBOUNCER_CONFIG_PATH/userlist.txt"
PGBOUNCER_PID="$SOCKET_DIR/pgbouncer.pid"
PG_LOG_FILE="$LOG_PATH/pgha-postgresql.log"

# -x: bash applies a TZ to its own clock only when the variable is exported.
log() { local -x TZ=UTC0; printf '%(%H:%M:%S)T %s: %s\n' -1 "$PGHA_SCRIPT" "$*"; }
die() { printf '%s: ERROR: %s\n' "$PGHA_SCRIPT" "$*" >&2; exit 1; }
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
# stopped, primary, standby, or unknown: a postmaster runs but does not answer (refusing connections, starting up,
# wedged). Guards must refuse on unknown: a failed query says nothing about what the server is.
live_role() {
    pg_running || { echo stopped; return 0; }
    case "$(in_recovery 2>/dev/null || true)" in
        t) echo standby ;;
        f) echo primary ;;
        *) echo unknown ;;
    esac
}
# require_live_role primary|standby. In plan mode a stopped server passes with a noted assumption: an earlier step of
# the same dry run may only have planned to set it up.
require_live_role() {
    local want=$1 live
    live=$(live_role)
    [ "$live" = "$want" ] && return 0
    if planning && [ "$live" = stopped ]; then
        planned "(assumes PostgreSQL on $THIS_HOST_NAME is a running $want by then; it is stopped or not set up now)"
        return 0
    fi
    [ "$live" = unknown ] && die "PostgreSQL in $DATA_PATH runs but does not answer queries, so whether it is a primary or a standby is unknown; fix it (see $PG_LOG_FILE) and run again"
    die "PostgreSQL on $THIS_HOST_NAME is $live, not a running $want"
}
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# try_start_postgres: starts it; 1, with the tail of its log on stderr, when it does not start.
# -l: without a log file the postmaster keeps the SSH channel open and the command never returns (7>&- likewise).
try_start_postgres() {
    if ! pg_running && port_open 127.0.0.1 "$DB_PORT"; then
        die "port $DB_PORT on $THIS_HOST_NAME is already in use by another process; free it (or fix ports in the inventory) and run again"
    fi
    ensure_dir "$LOG_PATH"
    local how="pg_ctl -D $DATA_PATH -l $PG_LOG_FILE -w -t 120 start"
    if planning; then changed "$how"; return 0; fi
    log "starting PostgreSQL in $DATA_PATH"
    pg_ctl -D "$DATA_PATH" -l "$PG_LOG_FILE" -w -t 120 start >/dev/null 7>&- || { tail -n 20 "$PG_LOG_FILE" >&2; return 1; }
    changed "$how"
}
start_postgres() {
    try_start_postgres || die "PostgreSQL did not start"
    planning || wait_until 60 "PostgreSQL to accept connections" pg_isready -q
}

# wait_briefly SECONDS DESCRIPTION COMMAND...: like wait_until, polling every 10 ms, for the steps of a switchover
# that clients wait on (pg_ctl -w and pg_promote(wait) poll in 100 ms steps).
wait_briefly() {
    local limit=$1 what=$2; shift 2
    local end=$((SECONDS + limit))
    # A read that times out on a pipe nobody writes to is a 10 ms sleep without starting a process each time.
    [ -n "${PGHA_TICK:-}" ] || exec {PGHA_TICK}<> <(:)
    until "$@"; do
        (( SECONDS < end )) || { log "timed out after ${limit}s waiting for $what"; return 1; }
        read -r -t 0.01 -u "$PGHA_TICK" || true
    done
}
postmaster_gone() { [ ! -e "$DATA_PATH/postmaster.pid" ]; }
pid_gone() { ! kill -0 "$1" 2>/dev/null; }

# stop_postgres [fast|smart|immediate] [SECONDS]: a fast stop writes a clean shutdown checkpoint; one that does not end
# in time becomes immediate. Never SIGKILL, never postmaster.pid by hand.
stop_postgres() {
    local mode=${1:-fast} limit=${2:-90}
    [[ "$mode" =~ ^(fast|smart|immediate)$ ]] || die "stop mode '$mode' must be fast, smart or immediate"
    pg_running || return 0
    local how="pg_ctl -D $DATA_PATH -m $mode -W stop, then wait for postmaster.pid to go (immediate if that takes over ${limit}s)"
    if planning; then changed "$how"; return 0; fi
    log "stopping PostgreSQL in $DATA_PATH ($mode)"
    pg_ctl -D "$DATA_PATH" -m "$mode" -W stop >/dev/null || pg_running || { changed "$how"; return 0; }
    if ! wait_briefly "$limit" "PostgreSQL to stop ($mode)" postmaster_gone; then
        [ "$mode" != immediate ] || die "PostgreSQL in $DATA_PATH did not stop"
        log "the $mode stop did not end within ${limit}s; stopping immediately"
        pg_ctl -D "$DATA_PATH" -m immediate -W stop >/dev/null || true
        wait_briefly 30 "PostgreSQL to stop (immediate)" postmaster_gone || die "PostgreSQL in $DATA_PATH did not stop"
    fi
    changed "$how"
}

# pid_alive PIDFILE PATTERN: the pid in the file is running and is the expected program (no stale or reused pid).
pid_alive() {
    local pid
    pid=$(cat "$1" 2>/dev/null) || return 1
    [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$2"
}

stop_by_pidfile() {
    local file=$1 pattern=$2 what=$3
    pid_alive "$file" "$pattern" || return 0
    local pid
    pid=$(cat "$file")
    local how="kill -TERM $pid ($what, pid file $file), then wait up to 30 s for it to exit"
    if planning; then changed "$how"; return 0; fi
    log "stopping $what (pid $pid)"
    kill -TERM "$pid"
    # Polled every 10 ms: a failover's fence waits on this.
    wait_briefly 30 "$what to exit" pid_gone "$pid" || die "$what (pid $pid) did not exit within 30 s"
    changed "$how"
}

# follow_primary ADDRESS SLOT: standby.signal, and primary_conninfo + primary_slot_name in postgresql.auto.conf (as
# pg_basebackup -R writes them): whatever starts this PostgreSQL next gets a standby of ADDRESS, never a primary.
follow_primary() {
    local primary=$1 slot=$2 auto="$DATA_PATH/postgresql.auto.conf"
    {
        grep -v -E '^[[:space:]]*(primary_conninfo|primary_slot_name)[[:space:]]*=' "$auto" 2>/dev/null || true
        echo "primary_conninfo = 'host=$primary port=$DB_PORT user=$REPLICATION_USER application_name=$THIS_HOST_NAME'"
        echo "primary_slot_name = '$slot'"
    } | write_atomic "$auto" 600
    [ -e "$DATA_PATH/standby.signal" ] || change touch "$DATA_PATH/standby.signal"
}

slot_name() { local s="slot_${1//[^A-Za-z0-9_]/_}"; echo "${s,,}"; }

# A change is recorded in the same words in both modes, on fd 7 (this script's own stdout, even from inside $(...) or
# a redirected command): "PGHA_PLAN <change>" in plan mode (PGHA_DRY_RUN=1, a dry run: the read-only checks run as
# usual, the change is not made), "PGHA_CHANGE <change>" in a real run once it is made. The node's journal thus lists
# what a real run did in the words of the dry run's plan. Scripts make their changes through change, write_atomic,
# append_line, ensure_dir, run_sql and stop_*/start_* so that one code path serves both modes.
# Nothing started in the background may keep fd 7 (it would hold the SSH channel open): change and every daemon
# start close it (7>&-).
PGHA_DRY_RUN="${PGHA_DRY_RUN:-0}"
planning() { [ "$PGHA_DRY_RUN" = 1 ]; }
{ exec 7>&1; } 2>/dev/null || exec 7>/dev/null
changed() { if planning; then printf 'PGHA_PLAN %s\n' "$*" >&7; else printf 'PGHA_CHANGE %s\n' "$*" >&7; fi; }
# planned NOTE: a line of the plan only (an assumption, a file's new content); a real run has nothing to record.
planned() { printf 'PGHA_PLAN %s\n' "$*" >&7; }
# The dry run's stand-in for a value only a change makes (PlannedValue in the engine): one word.
planned_value() { printf '<planned:%s>' "${1// /_}"; }

# write_atomic TARGET MODE [secret] < content: the file gets this content and mode, written atomically (temp + rename),
# unless it already has both. Recorded as "write TARGET (mode M)"; in plan mode followed by the new content or a
# unified diff against the current file; for a file made from secrets only that it changes, never its content.
# (Whether the file exists is not in the record: a plan cannot know what an earlier planned step, say initdb, creates.)
write_atomic() {
    local target=$1 mode=$2 secret=${3:-} new how tmp
    new=$(cat; echo .)
    new=${new%.}
    if [ -f "$target" ] && [ -r "$target" ] && printf '%s' "$new" | cmp -s - "$target"; then
        [ "$(stat -c %a "$target")" = "${mode#0}" ] || change chmod "$mode" "$target"
        return 0
    fi
    how="write $target (mode $mode)"
    [ -z "$secret" ] || how="write $target (mode $mode, $(printf '%s' "$new" | wc -l) lines from secrets, content not shown)"
    if ! planning; then
        tmp=$(mktemp "${target%/*}/.${target##*/}.XXXXXX")
        printf '%s' "$new" >"$tmp"
        chmod "$mode" "$tmp"
        mv -f "$tmp" "$target"
    fi
    changed "$how"
    { planning && [ -z "$secret" ]; } || return 0
    if [ -f "$target" ] && [ -r "$target" ]; then
        { diff -u --label "$target" --label "$target (planned)" "$target" <(printf '%s' "$new") || true; } | sed 's/^/PGHA_PLAN     /' >&7
    else
        printf '%s' "$new" | sed 's/^/PGHA_PLAN     /' >&7
    fi
}

# pg_answers: the server runs and answers queries (in plan mode it may not be set up yet).
pg_answers() { pg_running && sql 'SELECT 1' >/dev/null 2>&1; }

# append_line FILE LINE: adds the line unless the file already has it.
append_line() {
    grep -qxFs -- "$2" "$1" && return 0
    planning || printf '\n%s\n' "$2" >>"$1"
    changed "append to $1: $2"
}

# change COMMAND...: runs it (unless planning) and records it, shell-quoted, exactly as it runs.
change() {
    local quoted
    printf -v quoted '%q ' "$@"
    planning || "$@" 7>&- || return
    changed "${quoted% }"
}

# run_sql SQL [DATABASE]: a changing statement, run through sql (unless planning) and recorded.
run_sql() {
    planning || sql "$@" || return
    changed "SQL on ${2:-postgres}: $1"
}

# ensure_dir DIR [MODE] [OWNER]: the folder exists (with that mode and owner); only what differs is changed or planned.
ensure_dir() {
    local dir=$1 mode=${2:-} owner=${3:-}
    if [ -d "$dir" ] && { [ -z "$mode" ] || [ "$(stat -c %a "$dir")" = "${mode#0}" ]; } \
        && { [ -z "$owner" ] || [ "$(stat -c %U "$dir")" = "$owner" ]; }; then
        return 0
    fi
    change install -d ${mode:+-m "$mode"} ${owner:+-o "$owner"} -- "$dir"
}

