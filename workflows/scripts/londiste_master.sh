#!/bin/bash
# Deployment: Londiste root node on the master for each replicated database, its worker, all tables published, pgqd.
# create-root on an initialised node is a no-op, so running it again converges.
. "$(dirname "$0")/pgha_common.sh"
. "$PGHA_DIR/pgha_londiste.sh"
require_account
require_role master
[ "$(live_role)" = primary ] || die "PostgreSQL on $THIS_HOST_NAME is $(live_role), not a running primary"
for db in "${REPLICA_DATABASES[@]}"; do
    ini=$(londiste_ini "$db" root)
    londiste "$ini" create-root "root_$db" "$(LONDISTE_NODE_USER_CONN "$db" "$MASTER_HOST")"
    start_worker "$ini" "root_$db"
    # Londiste's triggers queue each change through pgq.insert_event, which the application role may only call as pgq_writer.
    psql -X -v ON_ERROR_STOP=1 -q -d "$db" -v app_user="$APP_USER" <<<'GRANT pgq_writer TO :"app_user";'
    londiste "$ini" add-table --all
    log "$db: root node root_$db publishes: $(londiste "$ini" tables 2>/dev/null | tr '\n' ' ')"
done
start_pgqd
output rootNodes "${REPLICA_DATABASES[*]/#/root_}"
