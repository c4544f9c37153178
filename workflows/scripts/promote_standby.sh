#!/bin/bash
# Switchover / failover: promote this host's standby. `promote_standby.sh SECONDS`. pg_promote without waiting, then
# poll pg_is_in_recovery() every 5 ms inside one session (pg_promote(wait => true) polls in 100 ms steps, and clients
# wait on this). Already a primary is success, so a rerun is safe. Outputs: alreadyPrimary, timeline, lsn, promotedAfterMs.
. "$(dirname "$0")/pgha_common.sh"
require_account
limit=${1:-60}
[[ "$limit" =~ ^[0-9]+$ ]] || die "SECONDS must be a whole number"
pg_running || die "PostgreSQL on $THIS_HOST_NAME is not running; start it before promoting"
if planning; then
    case "$(live_role)" in
        primary) log "PostgreSQL on $THIS_HOST_NAME is already a primary: nothing to promote" ;;
        standby) changed "SQL on postgres: SELECT pg_promote(wait => false), then poll pg_is_in_recovery() every 5 ms for up to ${limit}s" ;;
        *) die "PostgreSQL in $DATA_PATH runs but does not answer queries, so whether it is a standby is unknown; fix it (see $PG_LOG_FILE) and run again" ;;
    esac
    exit 0
fi
# One session: promote, wait, and report where the new primary stands (each psql start costs a few ms under a pause).
psql -X -v ON_ERROR_STOP=1 -qAt -d postgres -v limit="$limit" <<'SQL'
SET pgha.promote_limit = :'limit';
SELECT 'PGHA_OUTPUT alreadyPrimary=' || (NOT pg_is_in_recovery())::text;
SELECT 'at ' || set_config('pgha.promote_started', clock_timestamp()::text, false);
-- The change is recorded in the words of the plan (pgha_common.sh: changed), from here: no second psql inside the pause.
SELECT CASE WHEN pg_is_in_recovery() THEN CASE WHEN pg_promote(wait => false)
    THEN 'PGHA_CHANGE SQL on postgres: SELECT pg_promote(wait => false), then poll pg_is_in_recovery() every 5 ms for up to ' || :'limit' || 's' END
    ELSE 'already a primary' END;
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
SELECT 'PGHA_OUTPUT timeline=' || ('x' || lpad(substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8), 16, '0'))::bit(64)::bigint;
SELECT 'PGHA_OUTPUT lsn=' || pg_current_wal_lsn();
SELECT 'PGHA_OUTPUT promotedAfterMs=' || round(extract(epoch FROM clock_timestamp() - current_setting('pgha.promote_started')::timestamptz) * 1000);
SQL
