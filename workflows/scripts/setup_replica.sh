#!/bin/bash
# Deployment: the replica, an independent primary that Londiste feeds (setup only; londiste_replica.sh makes it a leaf).
# Running it again converges; a standby's data folder is refused.
. "$(dirname "$0")/pgha_common.sh"
. "$PGHA_DIR/pgha_postgres.sh"
require_account
require_role replica
for s in PGHA_APP_PASSWORD PGHA_LONDISTE_PASSWORD; do require_secret "$s"; done
if [ -f "$DATA_PATH/PG_VERSION" ]; then
    [ -f "$DATA_PATH/standby.signal" ] && die "$DATA_PATH is a standby's data folder; purge it (purge_replica.sh) first"
    grep -q "^include_if_exists = 'pgha.conf'" "$DATA_PATH/postgresql.conf" || die "$DATA_PATH was not set up by PGHA; purge it first"
    log "$DATA_PATH already holds the replica's cluster; converging"
else
    [ ! -e "$DATA_PATH" ] || [ -z "$(ls -A "$DATA_PATH")" ] || die "$DATA_PATH exists, is not empty and holds no cluster; purge it first"
    log "initdb $DATA_PATH (data checksums)"
    initdb -D "$DATA_PATH" --data-checksums --auth-local=peer --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 -U "$DEPLOYMENT_ACCOUNT" >/dev/null
fi
install -d -m 0700 "$ARCHIVE_PATH"
write_pgha_conf
start_or_reload
[ "$(in_recovery)" = f ] || die "PostgreSQL on $THIS_HOST_NAME is in recovery; a Londiste leaf must be writable"
ensure_roles false
ensure_databases
log "replica ready: $(sql 'SELECT version()')"
