#!/bin/bash
# Deployment preparation: ~/.pgpass (replication and Londiste roles) and pgbouncer's auth file, mode 600,
# from secrets passed in the environment (printf is a builtin, so no value reaches any process's argv).
. "$(dirname "$0")/pgha_common.sh"
require_account
for s in PGHA_REPLICATION_PASSWORD PGHA_LONDISTE_PASSWORD PGHA_APP_PASSWORD PGHA_PGBOUNCER_ADMIN_PASSWORD; do require_secret "$s"; done
umask 077

pgpass_field() { local v=${1//\\/\\\\}; printf '%s' "${v//:/\\:}"; }
userlist_field() { printf '"%s"' "${1//\"/\"\"}"; }

{
    for h in "${ALL_HOSTS[@]}"; do
        printf '%s:%s:replication:%s:%s\n' "$h" "$DB_PORT" "$REPLICATION_USER" "$(pgpass_field "$PGHA_REPLICATION_PASSWORD")"
        printf '%s:%s:*:%s:%s\n' "$h" "$DB_PORT" "$LONDISTE_USER" "$(pgpass_field "$PGHA_LONDISTE_PASSWORD")"
    done
} | write_atomic "$HOME/.pgpass" 600 secret
planning || log "$HOME/.pgpass (mode 600) in place for $REPLICATION_USER and $LONDISTE_USER on ${#ALL_HOSTS[@]} hosts"

[ -w "$PGBOUNCER_CONFIG_PATH" ] || die "$PGBOUNCER_CONFIG_PATH is not writable by $DEPLOYMENT_ACCOUNT; run environment-preparation"
{
    printf '%s %s\n' "$(userlist_field "$APP_USER")" "$(userlist_field "$PGHA_APP_PASSWORD")"
    printf '%s %s\n' "$(userlist_field "$PGBOUNCER_ADMIN_USER")" "$(userlist_field "$PGHA_PGBOUNCER_ADMIN_PASSWORD")"
} | write_atomic "$PGBOUNCER_AUTH_FILE" 600 secret
planning || log "$PGBOUNCER_AUTH_FILE (mode 600) in place for $APP_USER and $PGBOUNCER_ADMIN_USER"
if pid_alive "$PGBOUNCER_PID" pgbouncer; then change kill -HUP "$(cat "$PGBOUNCER_PID")"; planning || log "pgbouncer reloaded"; fi
