#!/bin/bash
# Switchover / failover: promote this host's standby. `promote_standby.sh SECONDS`. pg_promote without waiting, then
# poll pg_is_in_recovery() every 5 ms inside one session (pg_promote(wait => true) polls in 100 ms steps, and clients
# wait on this). Already a primary is success, so a rerun is safe. Outputs: alreadyPrimary, timeline, lsn.
. "$(dirname "$0")/pgha_common.sh"
require_account
limit=${1:-60}
[[ "$limit" =~ ^[0-9]+$ ]] || die "SECONDS must be a whole number"
pg_running || die "PostgreSQL on $THIS_HOST_NAME is not running; start it before promoting"
if [ "$(in_recovery)" = f ]; then
    log "PostgreSQL on $THIS_HOST_NAME is already a primary"
    output alreadyPrimary true
else
    log "promoting the standby on $THIS_HOST_NAME"
    psql -X -v ON_ERROR_STOP=1 -qAt -d postgres -v limit="$limit" <<'SQL'
SET pgha.promote_limit = :'limit';
SELECT pg_promote(wait => false);
DO $$
DECLARE
    limit_s numeric := current_setting('pgha.promote_limit')::numeric;
    until timestamptz := clock_timestamp() + make_interval(secs => current_setting('pgha.promote_limit')::numeric);
BEGIN
    WHILE pg_is_in_recovery() LOOP
        IF clock_timestamp() > until THEN RAISE EXCEPTION 'still in recovery after % s', limit_s; END IF;
        PERFORM pg_sleep(0.005);
    END LOOP;
END $$;
SQL
    output alreadyPrimary false
fi
walfile=$(sql 'SELECT pg_walfile_name(pg_current_wal_lsn())')
output timeline "$((16#${walfile:0:8}))"
output lsn "$(sql 'SELECT pg_current_wal_lsn()')"
log "primary on timeline $((16#${walfile:0:8})) at $(sql 'SELECT pg_current_wal_lsn()')"
