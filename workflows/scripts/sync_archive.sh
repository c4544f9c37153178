#!/bin/bash
# Run by cron every minute (and once by cron_*.sh): copies archived WAL to the peer's archive. Never deletes,
# never overwrites (--ignore-existing), skips the archiver's in-flight dot-files; host keys checked strictly.
. "$(dirname "$0")/pgha_common.sh"
require_account
peer=${1:?usage: sync_archive.sh PEER_ADDRESS}
[ -d "$ARCHIVE_PATH" ] || exit 0
exec 9>"$DEPLOYMENT_PATH/.sync_archive.lock"
flock -n 9 || { log "another sync is running"; exit 0; }
timeout 300 rsync -a --ignore-existing --exclude='.*' \
    -e "ssh -o BatchMode=yes -o StrictHostKeyChecking=yes -o ConnectTimeout=10" \
    "$ARCHIVE_PATH/" "$peer:$ARCHIVE_PATH/"
log "archive synced to $peer ($(find "$ARCHIVE_PATH" -maxdepth 1 -type f ! -name '.*' | wc -l) files here)"
