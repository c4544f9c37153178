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
state=$(control_value "Database cluster state")
output clusterState "$state"
output checkpointLsn "$(control_value "Latest checkpoint location")"
log "stopped: $state, latest checkpoint $(control_value "Latest checkpoint location") on timeline $(control_value "Latest checkpoint's TimeLineID")"
