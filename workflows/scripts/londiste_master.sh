#!/bin/bash
# Deployment: Londiste root node on the master for each replicated database, its worker, all tables published, pgqd.
# create-root on an initialised node is a no-op, so running it again converges.
. "$(dirname "$0")/pgha_common.sh"
. "$PGHA_DIR/pgha_londiste.sh"
require_account
require_role master
require_live_role primary
for db in "${REPLICA_DATABASES[@]}"; do
    ini=$(londiste_ini "$db" root)
    change londiste "$ini" create-root "root_$db" "$(LONDISTE_NODE_USER_CONN "$db" "$MASTER_HOST")"
    start_worker "$ini" "root_$db"
    # Londiste's triggers queue each change through pgq.insert_event, which the application role may only call as pgq_writer.
    run_sql "GRANT pgq_writer TO \"$APP_USER\"" "$db" >/dev/null
    change londiste "$ini" add-table --all
    planning || log "$db: root node root_$db publishes: $(londiste "$ini" tables 2>/dev/null | tr '\n' ' ')"
done
start_pgqd
output rootNodes "${REPLICA_DATABASES[*]/#/root_}"
