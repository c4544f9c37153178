#!/bin/bash
# Sourced by setup_master.sh and setup_replica.sh: the configuration and roles every PGHA primary gets.

PGHA_INCLUDE="include_if_exists = 'pgha.conf'"

# A data folder PGHA made: it has PG_VERSION and includes pgha.conf (init_cluster adds both before DATA_PATH exists).
require_pgha_cluster() {
    local purge=$1
    [ -f "$DATA_PATH/standby.signal" ] && die "$DATA_PATH is a standby's data folder (standby.signal); this host is not a primary. Purge it ($purge) or fix the roles"
    grep -qxF "$PGHA_INCLUDE" "$DATA_PATH/postgresql.conf" || die "$DATA_PATH exists but was not set up by PGHA; purge it first ($purge)"
    case "$(live_role)" in
        standby) die "PostgreSQL in $DATA_PATH runs as a standby; refusing to treat it as a primary" ;;
        unknown) require_live_role primary ;;
    esac
}

# initdb into a sibling folder, add PGHA's configuration there, then rename it to DATA_PATH: DATA_PATH only ever appears
# as a complete PGHA cluster, and a crash (or a SIGKILLed initdb) leaves at most the sibling, which the next run redoes.
init_cluster() {
    local building="$DATA_PATH.pgha-initdb"
    [ ! -e "$DATA_PATH" ] || [ -z "$(ls -A "$DATA_PATH")" ] || die "$DATA_PATH exists, is not empty and holds no cluster; purge it first"
    if [ -e "$building" ]; then
        log "removing $building, left by an interrupted setup"
        change rm -rf -- "$building"
    fi
    log "initdb $building (data checksums, peer for local, scram-sha-256 for host), then rename to $DATA_PATH"
    change initdb -D "$building" --data-checksums --auth-local=peer --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 -U "$DEPLOYMENT_ACCOUNT" >/dev/null
    write_pgha_conf "$building"
    [ ! -e "$DATA_PATH" ] || change rmdir -- "$DATA_PATH"
    change mv -- "$building" "$DATA_PATH"
}

# postgresql.conf includes pgha.conf, which PGHA owns and rewrites; the stock file stays untouched otherwise.
write_pgha_conf() {
    local dir=${1:-$DATA_PATH} archive="$ARCHIVE_PATH"
    write_atomic "$dir/pgha.conf" 600 <<CONF
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
# A standby gives up on a silent primary after 5 s (it pings it after 2.5 s), and a primary on a silent standby: an
# unplanned failover's evidence waits for the first, a slave's rebuild needs its slot freed by the second.
wal_receiver_timeout = '5s'
wal_sender_timeout = '5s'
archive_mode = on
archive_timeout = 300
# Atomic and never overwriting: copy to a dot-file, rename; an identical existing segment counts as archived.
archive_command = 'if test -f $archive/%f; then cmp -s %p $archive/%f; else cp %p $archive/.%f.tmp && mv $archive/.%f.tmp $archive/%f; fi'
restore_command = 'cp $archive/%f %p'
log_line_prefix = '%m [%p] %q%u@%d '
CONF
    append_line "$dir/postgresql.conf" "$PGHA_INCLUDE"

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
    } | write_atomic "$dir/pg_hba.conf" 600
}

# Roles get their passwords through psql's \getenv: never in argv, never in the script text. What changes is read from
# pg_roles first (all of it when the server does not answer yet, in plan mode) and recorded once done.
ensure_roles() {
    local with_replication=$1 changes
    changes=$(role_changes "$with_replication")
    if ! planning; then
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
    fi
    record_lines "$changes"
}

# The statements ensure_roles runs, one per line; passwords are never shown.
role_changes() {
    local roles=("$APP_USER:LOGIN" "$LONDISTE_USER:LOGIN SUPERUSER") entry role
    [ "$1" = true ] && roles+=("$REPLICATION_USER:LOGIN REPLICATION")
    for entry in "${roles[@]}"; do
        role=${entry%%:*}
        if ! pg_answers || [ -z "$(sql "SELECT 1 FROM pg_roles WHERE rolname = '$role'")" ]; then
            echo "SQL on postgres: CREATE ROLE \"$role\" ${entry#*:}"
        fi
        echo "SQL on postgres: ALTER ROLE \"$role\" PASSWORD '…' (from the secret; rewritten on every run)"
    done
    echo "SQL on postgres: GRANT pg_monitor TO \"$APP_USER\""
}

record_lines() { local line; while IFS= read -r line; do [ -z "$line" ] || changed "$line"; done <<<"$1"; }

# Each replicated database, owned by the application role, with the tool's own pgha_smoke schema; what is missing is
# read first and recorded once done.
ensure_databases() {
    local db changes
    for db in "${REPLICA_DATABASES[@]}"; do
        changes=$(database_changes "$db")
        if ! planning; then
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
        fi
        record_lines "$changes"
    done
}

database_changes() {
    local db=$1
    if ! pg_answers || [ -z "$(sql "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]; then
        echo "SQL on postgres: CREATE DATABASE \"$db\" OWNER \"$APP_USER\""
    fi
    if ! pg_answers || [ -z "$(sql "SELECT 1 FROM pg_tables WHERE schemaname = 'pgha_smoke' AND tablename = 'tokens'" "$db" 2>/dev/null)" ]; then
        echo "SQL on $db: CREATE SCHEMA IF NOT EXISTS pgha_smoke AUTHORIZATION \"$APP_USER\"; CREATE TABLE IF NOT EXISTS pgha_smoke.tokens (token text PRIMARY KEY, written_at timestamptz NOT NULL DEFAULT now(), written_on text)"
    fi
}

# Starts a cluster set up before, or reloads a running one; reports settings that wait for a restart.
start_or_reload() {
    if pg_running; then
        run_sql 'SELECT pg_reload_conf()' >/dev/null
        planning && return 0
        log "configuration reloaded"
        local pending
        pending=$(sql "SELECT string_agg(name, ', ') FROM pg_settings WHERE pending_restart")
        [ -z "$pending" ] || log "WARNING: changed settings wait for a restart: $pending"
    else
        start_postgres
    fi
}

# output_sql NAME SQL: prints the value as a PGHA_OUTPUT; in plan mode, before the server exists, its placeholder.
output_sql() {
    if planning && ! pg_answers; then output "$1" "$(planned_value "$1 of PostgreSQL on $THIS_HOST_NAME")"
    else output "$1" "$(sql "$2")"; fi
}
