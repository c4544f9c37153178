#!/bin/bash
# Deployment: the replica, an independent primary that Londiste feeds (setup only; londiste_replica.sh makes it a leaf).
# Running it again converges; a standby's data folder is refused. A rerun after a crash at any point is safe
# (initdb in a sibling folder, see setup_master.sh).
. "$(dirname "$0")/pgha_common.sh"
. "$PGHA_DIR/pgha_postgres.sh"
require_account
require_role replica
for s in PGHA_APP_PASSWORD PGHA_LONDISTE_PASSWORD; do require_secret "$s"; done
if [ -f "$DATA_PATH/PG_VERSION" ]; then
    require_pgha_cluster purge_replica.sh
    write_pgha_conf
    log "$DATA_PATH already holds the replica's cluster; converging"
else
    init_cluster
fi
ensure_dir "$ARCHIVE_PATH" 0700
start_or_reload
# A Londiste leaf must be writable.
require_live_role primary
ensure_roles false
ensure_databases
planning || log "replica ready: $(sql 'SELECT version()')"
