#!/bin/bash
# Point this host's pgbouncer at the master (the runbooks use the SwitchPgBouncer activity, which also verifies the route).
. "$(dirname "$0")/pgha_common.sh"
. "$PGHA_DIR/pgha_pgbouncer.sh"
require_account
point_pgbouncer_at "$MASTER_HOST"
