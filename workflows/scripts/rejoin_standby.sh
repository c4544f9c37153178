#!/bin/bash
# Switchover / failover: make this host (the old primary) a streaming standby of the new primary.
# `rejoin_standby.sh NEW_PRIMARY_ADDRESS SECONDS`. Its physical slot is created on the new primary if missing; when its
# timeline diverged, pg_rewind brings it back (pg_rewind says "no rewind required" after a clean switchover); when
# that is impossible, a fresh base backup is taken into a temporary folder and swapped in. Then standby.signal,
# primary_conninfo + primary_slot_name, start, and a bounded wait until it streams. Refuses while this host still runs
# as a primary. Rerun-safe: a standby already streaming from the new primary is left as it is.
# Outputs: method (none|rewind|basebackup), slot. Plan mode (PGHA_DRY_RUN=1) prints each change instead; a primary not yet
# promoted, or this host still running as the primary, is noted as an assumption (earlier nodes of the run change that).
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

# A fresh copy of the new primary in a sibling folder, swapped in by two renames (a killed copy leaves only the sibling).
fresh_base_backup() {
    local staging="$DATA_PATH.pgha-new" old="$DATA_PATH.pgha-old"
    if ! planning; then
        rm -rf -- "$staging"
        log "pg_basebackup from $new into $staging (slot $slot)"
        pg_basebackup -d "host=$new port=$DB_PORT user=$REPLICATION_USER application_name=$THIS_HOST_NAME" -w \
            -D "$staging" -X stream -S "$slot" -c fast
        if [ -e "$DATA_PATH" ]; then rm -rf -- "$old"; mv -- "$DATA_PATH" "$old"; fi
        mv -- "$staging" "$DATA_PATH"
        rm -rf -- "$old"
    fi
    changed "pg_basebackup from $new into $staging (slot $slot), swapped in for $DATA_PATH"
}

started_and_streaming() {
    try_start_postgres || return 1
    if planning; then planned "wait up to ${limit}s for the WAL receiver to stream from $new (a fresh base backup if it does not start)"; return 0; fi
    wait_until "$limit" "the WAL receiver to stream from $new" streaming_from_new
}

new_in_recovery=$(psql -X -qAt -d "$superuser_conn" -c 'SELECT pg_is_in_recovery()')
if planning && [ "$new_in_recovery" = t ]; then
    planned "(assumes $new is promoted by then; it is a standby now)"
else
    [ "$new_in_recovery" = f ] || die "$new is not a running primary; promote it first"
fi

if pg_running; then
    if [ "$(in_recovery)" = f ]; then
        planning || die "PostgreSQL on $THIS_HOST_NAME runs as a primary; stop or fence it (StopPostgres, FenceHost) before it rejoins as a standby of $new"
        planned "(assumes PostgreSQL on $THIS_HOST_NAME is stopped or fenced by then; it runs as a primary now)"
    elif streaming_from_new; then
        log "already a standby streaming from $new"
        output method none; output slot "$slot"; exit 0
    else
        stop_postgres fast 60
    fi
fi

change pg_receivewal --create-slot --if-not-exists -S "$slot" -d "host=$new port=$DB_PORT user=$REPLICATION_USER" -w >/dev/null
# pg_rewind decides itself whether the timelines diverged (a cluster that was not shut down cleanly it first recovers
# in single-user mode); a plan cannot know, so it names both outcomes.
method=none copied=false
rewind_how="pg_rewind -D $DATA_PATH --source-server='$superuser_conn' (nothing to do when the timelines did not diverge; if it fails: a fresh base backup)"
if [ ! -f "$DATA_PATH/PG_VERSION" ]; then
    method=basebackup
    log "$DATA_PATH holds no PostgreSQL cluster: a fresh base backup"
elif [ -f "$DATA_PATH/backup_label" ]; then
    # A copy an earlier attempt swapped in and never started (backup_label goes at the first start). pg_rewind would
    # first recover it in single-user mode, which writes an end-of-recovery checkpoint the new primary does not have:
    # a standby ahead of its primary on the same timeline, which never streams.
    method=basebackup copied=true
    log "$DATA_PATH is a base backup of $new that an earlier attempt swapped in and did not start; starting it as it is"
elif planning; then
    changed "$rewind_how"
else
    if rewind=$(pg_rewind -D "$DATA_PATH" --source-server="$superuser_conn" 2>&1); then
        grep -q "no rewind required" <<<"$rewind" || method=rewind
    else
        method=basebackup
    fi
    while IFS= read -r line; do log "pg_rewind: $line"; done <<<"$rewind"
    changed "$rewind_how"
fi
[ "$method" != basebackup ] || $copied || fresh_base_backup
follow_primary "$new" "$slot"
if ! started_and_streaming; then
    # Seen after a real rewind: recovery refused the rewound folder ("requested timeline does not contain minimum
    # recovery point"). A copy of the new primary always works.
    [ "$method" != basebackup ] || $copied || die "PostgreSQL did not start as a standby of $new"
    log "PostgreSQL did not start as a standby after $method$($copied && echo " (the earlier attempt's copy)"); taking a fresh base backup instead"
    stop_postgres immediate 30
    method=basebackup
    fresh_base_backup
    follow_primary "$new" "$slot"
    started_and_streaming || die "PostgreSQL did not start as a standby of $new"
fi
# Slots this host served as a primary hold WAL back here for nobody.
run_sql "SELECT count(pg_drop_replication_slot(slot_name)) FROM pg_replication_slots WHERE NOT active AND slot_type = 'physical'" >/dev/null
if planning; then
    output method "$(planned_value "rejoin method of $THIS_HOST_NAME")"; output slot "$slot"
    exit 0
fi
output method "$method"; output slot "$slot"
log "standby of $new, streaming (method: $method, slot $slot, replayed $(sql 'SELECT pg_last_wal_replay_lsn()'))"
