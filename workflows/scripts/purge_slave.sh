#!/bin/bash
# Deployment preparation on the slave. Refuses when its PostgreSQL is a live primary: that would be the cluster's writable copy.
. "$(dirname "$0")/pgha_common.sh"
. "$PGHA_DIR/pgha_purge.sh"
require_account
guard_purge slave standby stopped
purge_everything
