#!/bin/bash
# Deployment: Londiste leaf node on the replica for each replicated database, provider = the master's root node;
# subscribes every published table (copying its rows, creating missing tables), then the worker and pgqd.
. "$(dirname "$0")/pgha_common.sh"
. "$PGHA_DIR/pgha_londiste.sh"
require_account
require_role replica
# The leaf must be a writable server.
require_live_role primary
[ -f "$HOME/.pgpass" ] || die "$HOME/.pgpass is missing; run deployment-preparation (prepare_credentials.sh)"
for db in "${REPLICA_DATABASES[@]}"; do
    ini=$(londiste_ini "$db" leaf)
    change londiste "$ini" create-leaf "leaf_$db" "$(LONDISTE_NODE_USER_CONN "$db" "$REPLICA_HOST")" \
        --provider="$(LONDISTE_NODE_USER_CONN "$db" "$MASTER_HOST")"
    start_worker "$ini" "leaf_$db"
    change londiste "$ini" add-table --all --create
    planning || log "$db: leaf node leaf_$db subscribes: $(londiste "$ini" tables 2>/dev/null | tr '\n' ' ')"
done
start_pgqd
output leafNodes "${REPLICA_DATABASES[*]/#/leaf_}"
