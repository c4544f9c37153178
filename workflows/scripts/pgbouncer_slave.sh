#!/bin/bash
# Point this host's pgbouncer at the slave (after a failover).
. "$(dirname "$0")/pgha_common.sh"
. "$PGHA_DIR/pgha_pgbouncer.sh"
require_account
point_pgbouncer_at "$SLAVE_HOST"
