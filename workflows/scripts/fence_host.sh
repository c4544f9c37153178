#!/bin/bash
# Unplanned failover: fence this host (the old master) so that it never accepts another write as a primary.
# `fence_host.sh NEW_PRIMARY_ADDRESS`. Stops PostgreSQL at once (immediate: a fence does not wait for clients), stops
# the Londiste root daemons, and leaves standby.signal + primary_conninfo to the new primary in the data directory, so
# whatever starts PostgreSQL here later (a reboot, a DBA, pg_ctl) gets a read-only standby, never a primary; the
# rebuild (rejoin_standby.sh) then rewinds it. The pgbouncer on this host is re-pointed by the activity (one renderer).
# Rerun-safe: an already fenced host is left as it is. Plan mode (PGHA_DRY_RUN=1) prints each change instead. Outputs: wasRunningAs (primary|standby|unknown|stopped), dataDirectory.
. "$(dirname "$0")/pgha_common.sh"
. "$PGHA_DIR/pgha_londiste.sh"
require_account
new=${1:-}
[[ "$new" =~ ^[A-Za-z0-9_.:-]+$ ]] || die "usage: $(basename "$0") NEW_PRIMARY_ADDRESS"
[ "$new" != "$THIS_HOST" ] || die "$THIS_HOST_NAME is the new primary ($new); refusing to fence it"

was=$(live_role)
output wasRunningAs "$was"
if [ "$was" != stopped ]; then
    planning || log "PostgreSQL on $THIS_HOST_NAME runs ($was); stopping it now (immediate)"
    stop_postgres immediate 30
else
    log "PostgreSQL on $THIS_HOST_NAME is not running"
fi
stop_root_daemons
# With PostgreSQL stopped the split-brain guard has nothing to guard; its pause is lifted by the re-pointed pgbouncer's RESUME.
paused="$DEPLOYMENT_PATH/isolation-guard/paused"
[ ! -e "$paused" ] || change rm -f -- "$paused"
if [ -f "$DATA_PATH/PG_VERSION" ]; then
    follow_primary "$new" "$(slot_name "$THIS_HOST_NAME")"
    output dataDirectory kept
    planning || log "fenced: $DATA_PATH would start as a standby of $new (standby.signal), never as a primary"
else
    output dataDirectory missing
    log "fenced: $DATA_PATH holds no PostgreSQL cluster, nothing here can start as a primary"
fi
