#!/bin/bash
# Switchover: CHECKPOINT on the master just before the pgbouncers pause, so the shutdown checkpoint written inside the
# pause window has little left to flush (clients wait on that one). Rerun-safe; plan mode only says it would.
. "$(dirname "$0")/pgha_common.sh"
require_account
role=$(live_role)
[ "$role" = primary ] || die "PostgreSQL on $THIS_HOST_NAME is $role, not a running primary"
run_sql CHECKPOINT >/dev/null
planning || log "checkpoint done on $THIS_HOST_NAME"
