#!/bin/bash
# Start this host's PostgreSQL as its data folder says (a standby when standby.signal is there). Already running is
# success. Outputs: alreadyRunning, role (primary or standby).
. "$(dirname "$0")/pgha_common.sh"
require_account
[ -f "$DATA_PATH/PG_VERSION" ] || die "$DATA_PATH holds no PostgreSQL cluster on $THIS_HOST_NAME; set it up first"
if pg_running; then
    log "PostgreSQL in $DATA_PATH is already running"
    output alreadyRunning true
else
    start_postgres
    output alreadyRunning false
fi
# Plan mode: a server only planned to start has no role to read yet.
if planning && ! pg_running; then exit 0; fi
if [ "$(in_recovery)" = t ]; then output role standby; else output role primary; fi
