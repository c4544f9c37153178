#!/bin/bash
# Deployment: on the master, ship the WAL archive to the slave every minute (and once now); the split-brain guard.
. "$(dirname "$0")/pgha_common.sh"
. "$PGHA_DIR/pgha_cron.sh"
require_account
require_role master
install_archive_sync "$SLAVE_HOST"
install_isolation_guard
