#!/bin/bash
# Deployment: the master. initdb with data checksums (pg_rewind later), SCRAM-only pg_hba, replication role,
# atomic archiving, the replicated databases. Running it again converges a PGHA primary; it refuses a standby.
# A rerun after a crash at any point is safe: initdb happens in a sibling folder that becomes DATA_PATH only when
# PGHA's configuration is in it. Outputs: checksums, walLevel.
. "$(dirname "$0")/pgha_common.sh"
. "$PGHA_DIR/pgha_postgres.sh"
require_account
require_role master
for s in PGHA_REPLICATION_PASSWORD PGHA_APP_PASSWORD PGHA_LONDISTE_PASSWORD; do require_secret "$s"; done

fresh=false
if [ -f "$DATA_PATH/PG_VERSION" ]; then
    require_pgha_cluster purge_master.sh
    write_pgha_conf
    log "$DATA_PATH already holds the master's cluster; converging"
else
    init_cluster
    fresh=true
fi
ensure_dir "$ARCHIVE_PATH" 0700
start_or_reload
ensure_roles true
ensure_databases
if $fresh; then run_sql 'SELECT pg_switch_wal()' >/dev/null; fi
output_sql checksums 'SHOW data_checksums'
output_sql walLevel 'SHOW wal_level'
planning || log "master ready: $(sql 'SELECT version()')"
