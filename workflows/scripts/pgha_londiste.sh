#!/bin/bash
# Sourced by londiste_*.sh: ini files, daemons started only when not running, pgqd ticker. Debian's command is
# `londiste` (Skytools 3.8) and the ini section must be [londiste]. In plan mode every londiste call that changes a
# node is printed, not run (the ini it names may not exist yet).
LONDISTE_NODE_USER_CONN() { echo "dbname=$1 host=$2 port=$DB_PORT user=$LONDISTE_USER"; }

londiste_dirs() { local d; for d in "$LONDISTE_PATH" "$LONDISTE_PATH/pid" "$LONDISTE_PATH/log"; do ensure_dir "$d" 0700; done; }

londiste_ini() {
    local db=$1 kind=$2
    londiste_dirs
    write_atomic "$LONDISTE_PATH/${db}_${kind}.ini" 600 <<INI
[londiste]
job_name = ${kind}_${db}
db = dbname=$db host=$SOCKET_DIR port=$DB_PORT
queue_name = queue_$db
logfile = $LONDISTE_PATH/log/${kind}_${db}.log
pidfile = $LONDISTE_PATH/pid/${kind}_${db}.pid
INI
    echo "$LONDISTE_PATH/${db}_${kind}.ini"
}

start_worker() {
    local ini=$1 name=$2
    if pid_alive "$LONDISTE_PATH/pid/$name.pid" londiste; then
        log "worker $name already running"
    else
        change londiste "$ini" worker -d >/dev/null 2>&1 </dev/null
        planning && return 0
        wait_until 20 "worker $name to start" pid_alive "$LONDISTE_PATH/pid/$name.pid" londiste
        log "worker $name started"
    fi
}

start_pgqd() {
    londiste_dirs
    write_atomic "$LONDISTE_PATH/pgqd.ini" 600 <<INI
[pgqd]
base_connstr = host=$SOCKET_DIR port=$DB_PORT
initial_database = postgres
logfile = $LONDISTE_PATH/log/pgqd.log
pidfile = $LONDISTE_PATH/pid/pgqd.pid
INI
    if pid_alive "$LONDISTE_PATH/pid/pgqd.pid" pgqd; then
        change kill -HUP "$(cat "$LONDISTE_PATH/pid/pgqd.pid")"
        planning || log "pgqd running; reloaded"
    else
        change pgqd -d "$LONDISTE_PATH/pgqd.ini" >/dev/null 2>&1 </dev/null
        planning && return 0
        wait_until 20 "pgqd to start" pid_alive "$LONDISTE_PATH/pid/pgqd.pid" pgqd
        log "pgqd started"
    fi
}

# The root's workers and pgqd on this host (its PostgreSQL may be down): on a switchover's old root and on a fenced host.
stop_root_daemons() {
    local db
    for db in "${REPLICA_DATABASES[@]}"; do stop_by_pidfile "$LONDISTE_PATH/pid/root_$db.pid" londiste "root worker root_$db"; done
    stop_by_pidfile "$LONDISTE_PATH/pid/pgqd.pid" pgqd pgqd
}
