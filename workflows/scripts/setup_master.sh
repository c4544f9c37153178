#!/bin/bash
# Deployment: the master. initdb with data checksums (pg_rewind later), SCRAM-only pg_hba, replication role,
# atomic archiving, the replicated databases. Running it again converges a PGHA primary; it refuses a standby.
. "$(dirname "$0")/pgha_common.sh"
. "$PGHA_DIR/pgha_postgres.sh"
require_account
require_role master
for s in PGHA_REPLICATION_PASSWORD PGHA_APP_PASSWORD PGHA_LONDISTE_PASSWORD; do require_secret "$s"; done

fresh=false
if [ -f "$DATA_PATH/PG_VERSION" ]; then
    [ -f "$DATA_PATH/standby.signal" ] && die "$DATA_PATH is a standby's data folder (standby.signal); this host is not a primary. Purge it (purge_master.sh) or fix the roles"
    grep -q "^include_if_exists = 'pgha.conf'" "$DATA_PATH/postgresql.conf" \
        || die "$DATA_PATH exists but was not set up by PGHA; purge it first (purge_master.sh)"
    if pg_running && [ "$(in_recovery)" = t ]; then die "PostgreSQL in $DATA_PATH runs as a standby; refusing to treat it as the master"; fi
    log "$DATA_PATH already holds the master's cluster; converging"
else
    [ ! -e "$DATA_PATH" ] || [ -z "$(ls -A "$DATA_PATH")" ] || die "$DATA_PATH exists, is not empty and holds no cluster; purge it first"
    log "initdb $DATA_PATH (data checksums, peer for local, scram-sha-256 for host)"
    initdb -D "$DATA_PATH" --data-checksums --auth-local=peer --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 -U "$DEPLOYMENT_ACCOUNT" >/dev/null
    fresh=true
fi
install -d -m 0700 "$ARCHIVE_PATH"
write_pgha_conf
start_or_reload
ensure_roles true
ensure_databases
if $fresh; then sql 'SELECT pg_switch_wal()' >/dev/null; fi
output checksums "$(sql 'SHOW data_checksums')"
output walLevel "$(sql 'SHOW wal_level')"
log "master ready: $(sql 'SELECT version()')"
