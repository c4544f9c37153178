#!/bin/bash
# Sourced by the purge scripts: refuse a host whose live role is not the expected one, then stop and delete.

# guard_purge INVENTORY_ROLE ALLOWED_LIVE_STATE...
guard_purge() {
    local role=$1; shift
    require_role "$role"
    local live ok
    live=$(live_role)
    for ok in "$@"; do [ "$live" = "$ok" ] && { log "live state: $live (allowed for a $role purge)"; return 0; }; done
    [ "${FORCE:-0}" = 1 ] && { log "FORCE=1: purging although PostgreSQL here is live as $live"; return 0; }
    [ "$live" = unknown ] && die "PostgreSQL in $DATA_PATH runs but does not answer queries, so whether it is a primary or a standby is unknown; refusing to purge (fix it, see $PG_LOG_FILE, or FORCE=1 overrides)"
    die "PostgreSQL on $THIS_HOST_NAME is live as a $live, which a $role must not be; refusing to purge (FORCE=1 overrides)"
}

stop_londiste() {
    local f
    for f in "$LONDISTE_PATH"/pid/*.pid; do
        [ -e "$f" ] || continue
        stop_by_pidfile "$f" 'londiste\|pgqd' "$(basename "$f" .pid)"
    done
}

remove_cron_marker() {
    local marker=$1 current
    current=$(crontab -l 2>/dev/null || true)
    if grep -q "# $marker\$" <<<"$current"; then
        planning || { grep -v "# $marker\$" <<<"$current" || true; } | crontab -
        changed "crontab of $(id -un): remove '$(grep "# $marker\$" <<<"$current")' (other entries kept)"
        planning || log "removed the '$marker' cron entry (other entries kept)"
    fi
}

purge_everything() {
    stop_by_pidfile "$PGBOUNCER_PID" pgbouncer pgbouncer
    stop_londiste
    stop_postgres
    planning || ! pg_running || die "PostgreSQL in $DATA_PATH is still running; not deleting its data"
    remove_cron_marker pgha:archive-sync
    remove_cron_marker pgha:isolation-guard
    stop_by_pidfile "$DEPLOYMENT_PATH/isolation-guard/pid" isolation_guard "the split-brain guard"
    local d
    # The sibling folders an interrupted setup leaves (setup_master.sh, setup_slave.sh) go too.
    for d in "$DATA_PATH" "$DATA_PATH.pgha-initdb" "$DATA_PATH.pgha-basebackup" "$ARCHIVE_PATH" "$LONDISTE_PATH"; do
        [ -e "$d" ] || continue
        change rm -rf -- "$d"
        planning || log "deleted $d"
    done
    output purged true
}
