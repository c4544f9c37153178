#!/bin/bash
# Deployment preparation on the replica. Refuses when its PostgreSQL runs as a streaming standby, or when a standby streams from it.
. "$(dirname "$0")/pgha_common.sh"
. "$PGHA_DIR/pgha_purge.sh"
require_account
guard_purge replica primary stopped
if pg_running && [ "${FORCE:-0}" != 1 ] && [ "$(sql 'SELECT count(*) FROM pg_stat_replication')" != 0 ]; then
    die "standbys stream from $THIS_HOST_NAME; it is not just the Londiste replica. Refusing (FORCE=1 overrides)"
fi
purge_everything
