#!/bin/bash
# Sourced by cron_master.sh and cron_slave.sh: one marked crontab line, the user's other entries kept.
install_archive_sync() {
    local peer=$1 marker='# pgha:archive-sync' current line
    [ -n "$peer" ] || die "no peer address for the archive sync"
    line="* * * * * bash $DEPLOYMENT_PATH/sync_archive.sh $peer >>$LOG_PATH/pgha-archive-sync.log 2>&1 $marker"
    current=$(crontab -l 2>/dev/null || true)
    if grep -qxF "$line" <<<"$current"; then
        log "cron entry already in place"
    elif planning; then
        planned "crontab of $(id -un): add '$line'$(grep -q "$marker\$" <<<"$current" && echo " replacing '$(grep "$marker\$" <<<"$current")'")"
    else
        { grep -v "$marker\$" <<<"$current" || true; echo "$line"; } | sed '/^$/d' | crontab -
        log "cron entry installed: every minute, $ARCHIVE_PATH -> $peer"
    fi
    ensure_dir "$ARCHIVE_PATH" 0700
    if planning; then planned "bash $DEPLOYMENT_PATH/sync_archive.sh $peer (a first sync now: rsync $ARCHIVE_PATH/ to $peer)"
    else bash "$PGHA_DIR/sync_archive.sh" "$peer"; fi
    output archiveFiles "$(find "$ARCHIVE_PATH" -maxdepth 1 -type f ! -name '.*' 2>/dev/null | wc -l)"
}
