#!/bin/bash
# Sourced by cron_master.sh and cron_slave.sh: marked crontab lines, the user's other entries kept.
# install_cron_line MARKER LINE: the line (ending in "# MARKER") replaces any earlier line with that marker.
install_cron_line() {
    local marker="# $1" line="$2 # $1" current
    current=$(crontab -l 2>/dev/null || true)
    if grep -qxF "$line" <<<"$current"; then
        log "cron entry $1 already in place"
    else
        planning || { grep -v "$marker\$" <<<"$current" || true; echo "$line"; } | sed '/^$/d' | crontab -
        changed "crontab of $(id -un): add '$line'$(grep -q "$marker\$" <<<"$current" && echo " replacing '$(grep "$marker\$" <<<"$current")'")"
        planning || log "cron entry $1 installed"
    fi
}

# The split-brain guard (isolation_guard.sh) on every PostgreSQL host; cron keeps one running, and it starts now.
install_isolation_guard() {
    install_cron_line pgha:isolation-guard "* * * * * bash $DEPLOYMENT_PATH/isolation_guard.sh >>$LOG_PATH/pgha-isolation-guard.log 2>&1"
    if ! planning; then setsid bash "$PGHA_DIR/isolation_guard.sh" </dev/null >>"$LOG_PATH/pgha-isolation-guard.log" 2>&1 7>&- & fi
    changed "start bash $DEPLOYMENT_PATH/isolation_guard.sh in the background (one instance per host)"
}

install_archive_sync() {
    local peer=$1
    [ -n "$peer" ] || die "no peer address for the archive sync"
    install_cron_line pgha:archive-sync "* * * * * bash $DEPLOYMENT_PATH/sync_archive.sh $peer >>$LOG_PATH/pgha-archive-sync.log 2>&1"
    ensure_dir "$ARCHIVE_PATH" 0700
    planning || bash "$PGHA_DIR/sync_archive.sh" "$peer"
    changed "bash $DEPLOYMENT_PATH/sync_archive.sh $peer (a first sync now: rsync $ARCHIVE_PATH/ to $peer)"
    output archiveFiles "$(find "$ARCHIVE_PATH" -maxdepth 1 -type f ! -name '.*' 2>/dev/null | wc -l)"
}
