#!/bin/bash
# Deployment: prepare the master for the slave's base backup. The copy itself streams straight into the slave's
# data folder (setup_slave.sh: pg_basebackup -R -X stream -C -S); here a stale, unused slot of a purged slave is
# dropped so it can be created again, and a checkpoint shortens the backup's start.
. "$(dirname "$0")/pgha_common.sh"
require_account
require_role master
[ "$(live_role)" = primary ] || die "PostgreSQL on $THIS_HOST_NAME is $(live_role), not a running primary"
slot=$(slot_name "$SLAVE_HOST_NAME")
active=$(sql "SELECT active FROM pg_replication_slots WHERE slot_name = '$slot'")
case "$active" in
    t) log "slot $slot is in use by a streaming standby; kept (setup_slave.sh will find the standby in place)" ;;
    f) if [ -n "$(sql "SELECT 1 FROM pg_stat_replication WHERE client_addr = '$SLAVE_HOST'")" ]; then
           log "slot $slot idle but $SLAVE_HOST streams; kept"
       else
           sql "SELECT pg_drop_replication_slot('$slot')" >/dev/null
           log "dropped the stale slot $slot (no standby used it)"
       fi ;;
    *) log "no slot $slot yet; pg_basebackup -C will create it" ;;
esac
sql CHECKPOINT >/dev/null
output slot "$slot"
