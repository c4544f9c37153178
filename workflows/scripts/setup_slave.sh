#!/bin/bash
# Deployment: the slave as a streaming standby of the master: pg_basebackup -R -X stream -C -S <slot> straight into
# PGDATA (standby.signal + primary_conninfo, password from ~/.pgpass). Running it again on a healthy standby of the
# master changes nothing; a primary, or a standby of another server, is refused.
. "$(dirname "$0")/pgha_common.sh"
require_account
require_role slave
slot=$(slot_name "$THIS_HOST_NAME")
[ -f "$HOME/.pgpass" ] || die "$HOME/.pgpass is missing; run deployment-preparation (prepare_credentials.sh)"

streaming_from_master() {
    [ "$(sql "SELECT count(*) FROM pg_stat_wal_receiver WHERE status = 'streaming' AND sender_host = '$MASTER_HOST'")" = 1 ]
}

if [ -f "$DATA_PATH/PG_VERSION" ]; then
    [ -f "$DATA_PATH/standby.signal" ] || die "$DATA_PATH holds a cluster that is not a standby (no standby.signal); purge it (purge_slave.sh) first"
    pg_running || start_postgres
    [ "$(in_recovery)" = t ] || die "PostgreSQL on $THIS_HOST_NAME is a primary; refusing"
    conninfo=$(sql 'SHOW primary_conninfo')
    [[ "$conninfo" == *"host=$MASTER_HOST "* || "$conninfo" == *"host=$MASTER_HOST" ]] \
        || die "this standby follows another server ($conninfo), not the master $MASTER_HOST; purge it first"
    # The master's slot may have been dropped by base_backup.sh while we were away: create it again.
    pg_receivewal --create-slot --if-not-exists -S "$slot" -d "host=$MASTER_HOST port=$DB_PORT user=$REPLICATION_USER" -w >/dev/null
    log "already a standby of $MASTER_HOST; converging"
else
    [ ! -e "$DATA_PATH" ] || [ -z "$(ls -A "$DATA_PATH")" ] || die "$DATA_PATH exists, is not empty and holds no cluster; purge it first"
    log "pg_basebackup from $MASTER_HOST:$DB_PORT into $DATA_PATH (slot $slot)"
    pg_basebackup -d "host=$MASTER_HOST port=$DB_PORT user=$REPLICATION_USER application_name=$THIS_HOST_NAME" -w \
        -D "$DATA_PATH" -R -X stream -C -S "$slot" -c fast
    [ -f "$DATA_PATH/standby.signal" ] || die "pg_basebackup did not write standby.signal"
    start_postgres
fi
install -d -m 0700 "$ARCHIVE_PATH"
wait_until 60 "the WAL receiver to stream from $MASTER_HOST" streaming_from_master
output slot "$slot"
log "standby streaming from $MASTER_HOST ($(sql 'SELECT pg_last_wal_replay_lsn()') replayed)"
