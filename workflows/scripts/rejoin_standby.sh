#!/bin/bash
# Switchover / failover: make this host (the old primary) a streaming standby of the new primary.
# `rejoin_standby.sh NEW_PRIMARY_ADDRESS SECONDS`. Its physical slot is created on the new primary if missing; when its
# timeline diverged, pg_rewind brings it back (pg_rewind says "no rewind required" after a clean switchover); when
# that is impossible, a fresh base backup is taken into a temporary folder and swapped in. Then standby.signal,
# primary_conninfo + primary_slot_name, start, and a bounded wait until it streams. Refuses while this host still runs
# as a primary. Rerun-safe: a standby already streaming from the new primary is left as it is.
# Outputs: method (none|rewind|basebackup), slot.
. "$(dirname "$0")/pgha_common.sh"
require_account
new=${1:-}; limit=${2:-300}
[[ "$new" =~ ^[A-Za-z0-9_.:-]+$ ]] || die "usage: $(basename "$0") NEW_PRIMARY_ADDRESS SECONDS"
[ "$new" != "$THIS_HOST" ] || die "$THIS_HOST_NAME cannot follow itself"
[ -f "$HOME/.pgpass" ] || die "$HOME/.pgpass is missing; run deployment-preparation (prepare_credentials.sh)"
slot=$(slot_name "$THIS_HOST_NAME")
superuser_conn="host=$new port=$DB_PORT user=$LONDISTE_USER dbname=postgres connect_timeout=5"
streaming_from_new() {
    [ "$(sql "SELECT count(*) FROM pg_stat_wal_receiver WHERE status = 'streaming' AND sender_host = '$new'")" = 1 ]
}

[ "$(psql -X -qAt -d "$superuser_conn" -c 'SELECT pg_is_in_recovery()')" = f ] || die "$new is not a running primary; promote it first"

if pg_running; then
    if [ "$(in_recovery)" = f ]; then
        die "PostgreSQL on $THIS_HOST_NAME runs as a primary; stop or fence it (StopPostgres, FenceHost) before it rejoins as a standby of $new"
    fi
    if streaming_from_new; then
        log "already a standby streaming from $new"
        output method none; output slot "$slot"; exit 0
    fi
    stop_postgres fast 60
fi

pg_receivewal --create-slot --if-not-exists -S "$slot" -d "host=$new port=$DB_PORT user=$REPLICATION_USER" -w >/dev/null
method=none
if [ -f "$DATA_PATH/PG_VERSION" ]; then
    # pg_rewind decides itself whether the timelines diverged; a cluster that was not shut down cleanly is first
    # recovered by pg_rewind in single-user mode.
    if rewind=$(pg_rewind -D "$DATA_PATH" --source-server="$superuser_conn" 2>&1); then
        log "pg_rewind: $(tail -n 1 <<<"$rewind")"
        grep -q "no rewind required" <<<"$rewind" || method=rewind
    else
        log "pg_rewind failed ($(tail -n 1 <<<"$rewind")); taking a fresh base backup instead"
        method=basebackup
    fi
else
    method=basebackup
fi

if [ "$method" = basebackup ]; then
    staging="$DATA_PATH.pgha-new"; old="$DATA_PATH.pgha-old"
    rm -rf -- "$staging"
    pg_basebackup -d "host=$new port=$DB_PORT user=$REPLICATION_USER application_name=$THIS_HOST_NAME" -w \
        -D "$staging" -X stream -S "$slot" -c fast
    # A killed copy leaves only $staging behind; the swap below is two renames.
    if [ -e "$DATA_PATH" ]; then rm -rf -- "$old"; mv -- "$DATA_PATH" "$old"; fi
    mv -- "$staging" "$DATA_PATH"
    rm -rf -- "$old"
fi

# primary_conninfo and primary_slot_name live in postgresql.auto.conf, as pg_basebackup -R writes them.
auto="$DATA_PATH/postgresql.auto.conf"
{
    grep -v -E '^[[:space:]]*(primary_conninfo|primary_slot_name)[[:space:]]*=' "$auto" 2>/dev/null || true
    echo "primary_conninfo = 'host=$new port=$DB_PORT user=$REPLICATION_USER application_name=$THIS_HOST_NAME'"
    echo "primary_slot_name = '$slot'"
} | write_atomic "$auto" 600
touch "$DATA_PATH/standby.signal"
start_postgres
wait_until "$limit" "the WAL receiver to stream from $new" streaming_from_new
# Slots this host served as a primary hold WAL back here for nobody.
sql "SELECT count(pg_drop_replication_slot(slot_name)) FROM pg_replication_slots WHERE NOT active AND slot_type = 'physical'" >/dev/null
output method "$method"; output slot "$slot"
log "standby of $new, streaming (method: $method, slot $slot, replayed $(sql 'SELECT pg_last_wal_replay_lsn()'))"
