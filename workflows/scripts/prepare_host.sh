#!/bin/bash
# Environment preparation, as root through devops' sudo -n: folders owned by the deployment account,
# and no stray PostgreSQL on the cluster port (stopped politely, never killed).
. "$(dirname "$0")/pgha_common.sh"
require_root

id "$DEPLOYMENT_ACCOUNT" >/dev/null 2>&1 || die "account $DEPLOYMENT_ACCOUNT does not exist on $THIS_HOST_NAME; create it (no sudo) first"

# A PostgreSQL on our port that is not this cluster's data folder: the distribution's default cluster, say.
if port_open 127.0.0.1 "$DB_PORT"; then
    pid=$(ss -Hltnp "sport = :$DB_PORT" | grep -o 'pid=[0-9]*' | head -n1 | cut -d= -f2 || true)
    [ -n "$pid" ] || die "port $DB_PORT is open but no listening process was found"
    cmd=$(tr '\0' ' ' </proc/"$pid"/cmdline)
    case "$cmd" in
        *postgres*|*postmaster*)
            datadir=$(readlink -f /proc/"$pid"/cwd)
            if [ "$datadir" = "$(readlink -f "$DATA_PATH" 2>/dev/null || echo "$DATA_PATH")" ]; then
                log "port $DB_PORT is this cluster's own PostgreSQL ($datadir); leaving it running"
            else
                owner=$(stat -c %U /proc/"$pid")
                log "stopping stray PostgreSQL on port $DB_PORT (data $datadir, owner $owner)"
                change runuser -u "$owner" -- "$PGBIN_PATH/pg_ctl" -D "$datadir" -m fast -w -t 90 stop
            fi ;;
        *) die "port $DB_PORT is used by a non-PostgreSQL process (pid $pid: $cmd); free it first" ;;
    esac
fi

for dir in "$(dirname "$DATA_PATH")" "$(dirname "$ARCHIVE_PATH")" "$(dirname "$LONDISTE_PATH")"; do
    ensure_dir "$dir" 0755 "$DEPLOYMENT_ACCOUNT"
done
for dir in "$LOG_PATH" "$PGBOUNCER_CONFIG_PATH"; do
    ensure_dir "$dir" "" "$DEPLOYMENT_ACCOUNT"
done
ensure_dir "$SOCKET_DIR" 2775 "$DEPLOYMENT_ACCOUNT"
planning || log "folders owned by $DEPLOYMENT_ACCOUNT: $(dirname "$DATA_PATH") $SOCKET_DIR $LOG_PATH $PGBOUNCER_CONFIG_PATH"
for tool in "$PGBIN_PATH/initdb" "$PGBIN_PATH/pg_basebackup" /usr/sbin/pgbouncer /usr/bin/londiste /usr/bin/pgqd /usr/bin/rsync /usr/bin/crontab; do
    [ -x "$tool" ] || planning || die "$tool is missing; install the packages first (InstallPackage)"
done
output ready true
