#!/bin/bash
# Switchover / fencing: stop this host's PostgreSQL. `postgres_stop.sh MODE SECONDS` (fast|smart|immediate); a fast or
# smart stop that does not end in time becomes immediate. Already stopped is success, so a rerun is safe.
# Outputs: alreadyStopped, clusterState (pg_controldata), checkpointLsn (after a clean stop: the shutdown checkpoint
# every standby must have replayed before it is promoted).
. "$(dirname "$0")/pgha_common.sh"
require_account
mode=${1:-fast}; limit=${2:-60}
[[ "$limit" =~ ^[0-9]+$ ]] || die "SECONDS must be a whole number"
[ -f "$DATA_PATH/PG_VERSION" ] || die "$DATA_PATH holds no PostgreSQL cluster on $THIS_HOST_NAME"
if pg_running; then
    stop_postgres "$mode" "$limit"
    output alreadyStopped false
else
    log "PostgreSQL in $DATA_PATH is not running"
    output alreadyStopped true
fi
# Plan mode: the shutdown checkpoint exists only after the stop; the engine's placeholder stands for its LSN.
if planning && pg_running; then exit 0; fi
# One pass over pg_controldata in bash (no process per field): the slave waits for this LSN inside the pause.
state='' lsn='' timeline=''
while IFS=: read -r name value; do
    value=${value#"${value%%[![:space:]]*}"}
    case $name in
        "Database cluster state") state=$value ;;
        "Latest checkpoint location") lsn=$value ;;
        "Latest checkpoint's TimeLineID") timeline=$value ;;
    esac
done < <(pg_controldata -D "$DATA_PATH")
[ -n "$lsn" ] || die "pg_controldata -D $DATA_PATH printed no latest checkpoint location"
output clusterState "$state"
output checkpointLsn "$lsn"
log "stopped: $state, latest checkpoint $lsn on timeline $timeline"
