#!/bin/bash
# Deployment: the slave as a streaming standby of the master: its slot on the master (created if missing), then
# pg_basebackup -R -X stream -S <slot> into a sibling folder that is renamed to PGDATA once complete (standby.signal +
# primary_conninfo, password from ~/.pgpass). A rerun after a crash deletes a half-copied sibling and copies again,
# reusing the slot; on a healthy standby of the master it changes nothing; a primary, or a standby of another server,
# is refused. Outputs: slot.
. "$(dirname "$0")/pgha_common.sh"
require_account
require_role slave
slot=$(slot_name "$THIS_HOST_NAME")
[ -f "$HOME/.pgpass" ] || die "$HOME/.pgpass is missing; run deployment-preparation (prepare_credentials.sh)"
master_conn="host=$MASTER_HOST port=$DB_PORT user=$REPLICATION_USER"

streaming_from_master() {
    [ "$(sql "SELECT count(*) FROM pg_stat_wal_receiver WHERE status = 'streaming' AND sender_host = '$MASTER_HOST'")" = 1 ]
}

# Idempotent: the master may have lost the slot (base_backup.sh drops an unused one) or already have it (an earlier attempt).
ensure_slot() { change pg_receivewal --create-slot --if-not-exists -S "$slot" -d "$master_conn" -w >/dev/null; }

if [ -f "$DATA_PATH/PG_VERSION" ]; then
    [ -f "$DATA_PATH/standby.signal" ] || die "$DATA_PATH holds a cluster that is not a standby (no standby.signal); purge it (purge_slave.sh) first"
    pg_running || start_postgres
    require_live_role standby
    if pg_answers; then
        conninfo=$(sql 'SHOW primary_conninfo')
        [[ "$conninfo" == *"host=$MASTER_HOST "* || "$conninfo" == *"host=$MASTER_HOST" ]] \
            || die "this standby follows another server ($conninfo), not the master $MASTER_HOST; purge it first"
    fi
    ensure_slot
    log "already a standby of $MASTER_HOST; converging"
else
    [ ! -e "$DATA_PATH" ] || [ -z "$(ls -A "$DATA_PATH")" ] || die "$DATA_PATH exists, is not empty and holds no cluster; purge it first"
    building="$DATA_PATH.pgha-basebackup"
    if [ -e "$building" ]; then
        log "removing $building, left by an interrupted base backup"
        change rm -rf -- "$building"
    fi
    ensure_slot
    log "pg_basebackup from $MASTER_HOST:$DB_PORT into $building (slot $slot), then rename to $DATA_PATH"
    change pg_basebackup -d "$master_conn application_name=$THIS_HOST_NAME" -w -D "$building" -R -X stream -S "$slot" -c fast
    planning || [ -f "$building/standby.signal" ] || die "pg_basebackup did not write standby.signal"
    [ ! -e "$DATA_PATH" ] || change rmdir -- "$DATA_PATH"
    change mv -- "$building" "$DATA_PATH"
    start_postgres
fi
ensure_dir "$ARCHIVE_PATH" 0700
output slot "$slot"
planning && exit 0
wait_until 60 "the WAL receiver to stream from $MASTER_HOST" streaming_from_master
log "standby streaming from $MASTER_HOST ($(sql 'SELECT pg_last_wal_replay_lsn()') replayed)"
