#!/bin/bash
# Deployment preparation on the master: stop pgbouncer, Londiste and PostgreSQL; delete data, archive and Londiste state.
# Refuses when the inventory does not make this host the master or its PostgreSQL runs as a standby (roles moved).
. "$(dirname "$0")/pgha_common.sh"
. "$PGHA_DIR/pgha_purge.sh"
require_account
guard_purge master primary stopped
purge_everything
