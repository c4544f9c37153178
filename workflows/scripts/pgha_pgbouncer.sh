#!/bin/bash
# Sourced by pgbouncer_*.sh: the same pgbouncer.ini the SwitchPgBouncer activity renders, written atomically,
# then RELOAD (SIGHUP) or a first start. Clients are never killed.
point_pgbouncer_at() {
    local target=$1 db
    [ -n "$target" ] || die "no target address"
    [ -f "$PGBOUNCER_AUTH_FILE" ] || die "$PGBOUNCER_AUTH_FILE is missing; run prepare_credentials.sh"
    {
        echo "[databases]"
        for db in "${REPLICA_DATABASES[@]}"; do echo "$db = host=$target port=$DB_PORT dbname=$db"; done
        echo
        echo "[pgbouncer]"
        echo "listen_addr = *"
        echo "listen_port = $PGBOUNCER_PORT"
        echo "unix_socket_dir = $SOCKET_DIR"
        echo "auth_type = scram-sha-256"
        echo "auth_file = $PGBOUNCER_AUTH_FILE"
        echo "admin_users = $PGBOUNCER_ADMIN_USER"
        echo "pidfile = $PGBOUNCER_PID"
        echo "logfile = $LOG_PATH/pgbouncer.log"
        echo "pool_mode = session"
        echo "max_client_conn = 500"
        echo "default_pool_size = $PGBOUNCER_POOL_SIZE"
        echo "server_reset_query = DISCARD ALL"
        echo "ignore_startup_parameters = extra_float_digits"
        # PAUSE closing a server connection mid-login counts as a failed login; 15 s (the default) stalls clients.
        echo "server_login_retry = 1"
    } | write_atomic "$PGBOUNCER_INI" 640
    if pid_alive "$PGBOUNCER_PID" pgbouncer; then
        change kill -HUP "$(cat "$PGBOUNCER_PID")"
        planning || log "pgbouncer reloaded: ${REPLICA_DATABASES[*]} -> $target:$DB_PORT"
    else
        change /usr/sbin/pgbouncer -d "$PGBOUNCER_INI" >/dev/null
        planning || wait_until 15 "pgbouncer to listen on $PGBOUNCER_PORT" port_open 127.0.0.1 "$PGBOUNCER_PORT"
        planning || log "pgbouncer started: ${REPLICA_DATABASES[*]} -> $target:$DB_PORT"
    fi
    output target "$target"
}
