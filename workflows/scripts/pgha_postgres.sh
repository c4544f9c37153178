#!/bin/bash
# Sourced by setup_master.sh and setup_replica.sh: the configuration and roles every PGHA primary gets.

# postgresql.conf includes pgha.conf, which PGHA owns and rewrites; the stock file stays untouched otherwise.
write_pgha_conf() {
    local archive="$ARCHIVE_PATH"
    write_atomic "$DATA_PATH/pgha.conf" 600 <<CONF
# Managed by PGHA ($(basename "$0")); rewritten on every setup.
listen_addresses = '*'
port = $DB_PORT
unix_socket_directories = '$SOCKET_DIR'
max_connections = $MAX_CONNECTIONS
shared_buffers = '$SHARED_BUFFERS'
password_encryption = 'scram-sha-256'
wal_level = replica
max_wal_senders = 10
max_replication_slots = 10
wal_keep_size = '$WAL_KEEP_SIZE'
max_slot_wal_keep_size = '$MAX_SLOT_WAL_KEEP_SIZE'
hot_standby = on
archive_mode = on
archive_timeout = 300
# Atomic and never overwriting: copy to a dot-file, rename; an identical existing segment counts as archived.
archive_command = 'if test -f $archive/%f; then cmp -s %p $archive/%f; else cp %p $archive/.%f.tmp && mv $archive/.%f.tmp $archive/%f; fi'
restore_command = 'cp $archive/%f %p'
log_line_prefix = '%m [%p] %q%u@%d '
CONF
    grep -q "^include_if_exists = 'pgha.conf'" "$DATA_PATH/postgresql.conf" \
        || printf "\ninclude_if_exists = 'pgha.conf'\n" >>"$DATA_PATH/postgresql.conf"

    {
        echo "# Managed by PGHA ($(basename "$0")). Password lines use SCRAM; no ident, no trust."
        echo "local   all          all                      peer"
        local h net
        for h in "${ALL_HOSTS[@]}"; do
            echo "host    replication  $REPLICATION_USER  $h/32  scram-sha-256"
            echo "host    all          $LONDISTE_USER  $h/32  scram-sha-256"
            echo "host    all          $APP_USER  $h/32  scram-sha-256"
        done
        echo "host    all          $APP_USER  127.0.0.1/32  scram-sha-256"
        for net in $CLIENT_NETWORKS; do
            echo "host    all          $APP_USER  $net  scram-sha-256"
        done
    } | write_atomic "$DATA_PATH/pg_hba.conf" 600
}

# Roles get their passwords through psql's \getenv: never in argv, never in the script text.
ensure_roles() {
    local with_replication=$1
    psql -X -v ON_ERROR_STOP=1 -q -d postgres \
        -v app_user="$APP_USER" -v repl_user="$REPLICATION_USER" -v londiste_user="$LONDISTE_USER" -v with_repl="$with_replication" <<'SQL'
SET log_min_error_statement = panic;
SET log_statement = 'none';
\getenv app_pw PGHA_APP_PASSWORD
\getenv londiste_pw PGHA_LONDISTE_PASSWORD
SELECT format('CREATE ROLE %I LOGIN', :'app_user') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'app_user') \gexec
ALTER ROLE :"app_user" PASSWORD :'app_pw';
GRANT pg_monitor TO :"app_user";
-- Londiste moves rows and installs triggers on both ends, hence superuser; pg_hba admits it from cluster hosts only.
SELECT format('CREATE ROLE %I LOGIN SUPERUSER', :'londiste_user') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'londiste_user') \gexec
ALTER ROLE :"londiste_user" PASSWORD :'londiste_pw';
\if :with_repl
\getenv repl_pw PGHA_REPLICATION_PASSWORD
SELECT format('CREATE ROLE %I LOGIN REPLICATION', :'repl_user') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'repl_user') \gexec
ALTER ROLE :"repl_user" PASSWORD :'repl_pw';
\endif
SQL
}

# Each replicated database, owned by the application role, with the tool's own pgha_smoke schema.
ensure_databases() {
    local db
    for db in "${REPLICA_DATABASES[@]}"; do
        psql -X -v ON_ERROR_STOP=1 -q -d postgres -v db="$db" -v app_user="$APP_USER" <<'SQL'
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'app_user') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
SQL
        psql -X -v ON_ERROR_STOP=1 -q -d "$db" -v app_user="$APP_USER" <<'SQL'
CREATE SCHEMA IF NOT EXISTS pgha_smoke AUTHORIZATION :"app_user";
CREATE TABLE IF NOT EXISTS pgha_smoke.tokens (
    token      text PRIMARY KEY,
    written_at timestamptz NOT NULL DEFAULT now(),
    written_on text
);
ALTER TABLE pgha_smoke.tokens OWNER TO :"app_user";
SQL
        log "database $db ready (owner $APP_USER, schema pgha_smoke)"
    done
}

# Starts a cluster set up before, or reloads a running one; reports settings that wait for a restart.
start_or_reload() {
    if pg_running; then
        sql 'SELECT pg_reload_conf()' >/dev/null
        log "configuration reloaded"
        local pending
        pending=$(sql "SELECT string_agg(name, ', ') FROM pg_settings WHERE pending_restart")
        [ -z "$pending" ] || log "WARNING: changed settings wait for a restart: $pending"
    else
        start_postgres
    fi
}
