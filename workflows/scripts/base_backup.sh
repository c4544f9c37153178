#!/bin/bash
# Deployment: prepare the master for the slave's base backup (setup_slave.sh creates the slot if missing and copies
# into a temporary folder). Here a stale, unused slot of a purged slave is dropped so the new copy starts fresh, and a
# checkpoint shortens the backup's start. Rerun-safe. Outputs: slot.
. "$(dirname "$0")/pgha_common.sh"
require_account
require_role master
require_live_role primary
slot=$(slot_name "$SLAVE_HOST_NAME")
active=""
if pg_answers; then active=$(sql "SELECT active FROM pg_replication_slots WHERE slot_name = '$slot'"); fi
case "$active" in
    t) log "slot $slot is in use by a streaming standby; kept (setup_slave.sh will find the standby in place)" ;;
    f) if [ -n "$(sql "SELECT 1 FROM pg_stat_replication WHERE client_addr = '$SLAVE_HOST'")" ]; then
           log "slot $slot idle but $SLAVE_HOST streams; kept"
       else
           log "dropping the stale slot $slot (no standby uses it)"
           run_sql "SELECT pg_drop_replication_slot('$slot')" >/dev/null
       fi ;;
    *) log "no slot $slot yet; setup_slave.sh creates it" ;;
esac
run_sql CHECKPOINT >/dev/null
output slot "$slot"
