#!/bin/bash
# Deployment: on the slave, ship its WAL archive to the master every minute (it archives once promoted); the
# split-brain guard (it acts only while this host is a primary).
. "$(dirname "$0")/pgha_common.sh"
. "$PGHA_DIR/pgha_cron.sh"
require_account
require_role slave
install_archive_sync "$MASTER_HOST"
install_isolation_guard
