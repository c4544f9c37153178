#!/bin/bash
# Switchover / failover: move the Londiste root to the new primary. The root's PgQ state lives in the primary's
# database, so after a promotion it is already there; what moves is where the nodes say the root is, and the daemons.
#   stop-root               on the old root host: stop its root workers and pgqd (its PostgreSQL may be down)
#   start-root NEW_ADDRESS  on the new primary: root location -> NEW_ADDRESS, root ini + worker, pgqd
#   follow-root NEW_ADDRESS on the replica: its copy of the root location -> NEW_ADDRESS, leaf worker restarted
# Each action checks before it acts, so a rerun is safe. In plan mode (PGHA_DRY_RUN=1) each prints what it would change.
. "$(dirname "$0")/pgha_common.sh"
. "$PGHA_DIR/pgha_londiste.sh"
require_account
action=${1:-}; new=${2:-}
[ "$action" = stop-root ] || [[ "$new" =~ ^[A-Za-z0-9_.:-]+$ ]] || die "usage: $(basename "$0") stop-root | start-root ADDRESS | follow-root ADDRESS"

# Read first, in both modes (read-only, so a dry run also reads it on a standby it only plans to promote).
set_root_location() {
    local db=$1 location current
    location=$(LONDISTE_NODE_USER_CONN "$db" "$new")
    current=$(psql -X -qAt -d "$db" -v node="root_$db" <<'SQL'
SELECT node_location FROM pgq_node.node_location WHERE node_name = :'node';
SQL
    ) || die "$db: cannot read pgq_node.node_location"
    if [ "$current" = "$location" ]; then log "$db: root_$db is already at $new"; return 0; fi
    planning || psql -X -v ON_ERROR_STOP=1 -qAt -d "$db" -v node="root_$db" -v location="$location" <<'SQL'
UPDATE pgq_node.node_location SET node_location = :'location' WHERE node_name = :'node' AND node_location IS DISTINCT FROM :'location';
SQL
    changed "SQL on $db: UPDATE pgq_node.node_location SET node_location = '$location' WHERE node_name = 'root_$db' (now '$current')"
}

case "$action" in
    stop-root)
        stop_root_daemons
        ;;
    start-root)
        role=$(live_role)
        if planning && [ "$role" = standby ]; then
            planned "(assumes PostgreSQL on $THIS_HOST_NAME is promoted by then; it is a standby now)"
        else
            [ "$role" = primary ] || die "PostgreSQL on $THIS_HOST_NAME is $role, not a running primary; promote it first"
        fi
        for db in "${REPLICA_DATABASES[@]}"; do
            set_root_location "$db"
            start_worker "$(londiste_ini "$db" root)" "root_$db"
        done
        start_pgqd
        ;;
    follow-root)
        for db in "${REPLICA_DATABASES[@]}"; do
            set_root_location "$db"
            # The worker reads the provider's location when it starts.
            stop_by_pidfile "$LONDISTE_PATH/pid/leaf_$db.pid" londiste "leaf worker leaf_$db"
            start_worker "$(londiste_ini "$db" leaf)" "leaf_$db"
        done
        ;;
    *) die "unknown action '$action' (stop-root, start-root, follow-root)" ;;
esac
