#!/bin/bash
# Switchover: the dead man's switch of a paused pgbouncer. `arm TOKEN SECONDS` (PausePgBouncer, before PAUSE) starts a
# detached watcher on this host that RESUMEs pgbouncer (SIGUSR2, no password needed) once SECONDS pass without a
# `disarm TOKEN` (ResumePgBouncer, after RESUME) — so a server that dies inside the pause window never leaves clients
# waiting for ever. Re-entrant: arming again with the same token moves the deadline and keeps one watcher; a RESUME
# on a pgbouncer that is not paused is ignored by pgbouncer. Plan mode (PGHA_DRY_RUN=1) prints each change instead.
# Outputs: armedUntil (arm); fired, firedAt (disarm).
. "$(dirname "$0")/pgha_common.sh"
require_account
guard_dir="$DEPLOYMENT_PATH/pgbouncer-guard"
armed="$guard_dir/armed"
fired="$guard_dir/fired"
action=${1:-}; token=${2:-}
[[ "$token" =~ ^[A-Za-z0-9_.-]+$ ]] || die "usage: $(basename "$0") arm TOKEN SECONDS | disarm TOKEN (token: letters, digits, _ . -)"
watcher_pid="$guard_dir/watcher.$token.pid"
ensure_dir "$guard_dir" 0700

# The watcher: re-reads the deadline (a re-arm may move it), fires once, leaves a record for disarm to report.
watch() {
    echo $$ >"$watcher_pid"
    while read -r t deadline <"$armed" 2>/dev/null && [ "$t" = "$token" ]; do
        if (( $(date +%s) >= deadline )); then
            if pid_alive "$PGBOUNCER_PID" pgbouncer; then kill -USR2 "$(cat "$PGBOUNCER_PID")"; fi
            printf '%s %s\n' "$token" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >>"$fired"
            rm -f "$armed"
            logger -t pgha-pgbouncer-guard "pgbouncer resumed by its guard: run $token did not resume it in time" 2>/dev/null || true
            break
        fi
        sleep 0.5
    done
    rm -f "$watcher_pid"
}

case "$action" in
    arm)
        seconds=${3:-}
        [[ "$seconds" =~ ^[0-9]+$ ]] && (( seconds >= 1 )) || die "arm: SECONDS must be a whole number >= 1"
        until_epoch=$(( $(date +%s) + seconds ))
        printf '%s %s\n' "$token" "$until_epoch" | write_atomic "$armed" 600
        if pid_alive "$watcher_pid" pgbouncer_guard; then
            planning || log "guard already watching; deadline moved to +${seconds}s"
        else
            # setsid + closed descriptors: the watcher outlives this SSH channel and the server that opened it.
            # A simple command, not a list: the background child is setsid itself, no shell left holding the channel.
            if ! planning; then setsid bash "$0" watch "$token" </dev/null >/dev/null 2>&1 7>&- & fi
            changed "start the watcher: setsid bash $DEPLOYMENT_PATH/$PGHA_SCRIPT watch $token (SIGUSR2 to pgbouncer at +${seconds}s unless disarmed)"
            planning || log "guard armed: pgbouncer on $THIS_HOST_NAME resumes by itself in ${seconds}s unless run $token resumes it"
        fi
        output armedUntil "$(date -u -d "@$until_epoch" +%Y-%m-%dT%H:%M:%SZ)"
        ;;
    watch) watch ;;
    disarm)
        # The watcher sees the file gone and exits within half a second.
        if read -r t _ <"$armed" 2>/dev/null && [ "$t" = "$token" ]; then change rm -f -- "$armed"
        elif planning; then planned "rm -f -- $armed (once this run's PausePgBouncer has armed it; not armed now)"; fi
        at=$(grep -m1 "^$token " "$fired" 2>/dev/null | cut -d' ' -f2 || true)
        if [ -n "$at" ]; then
            log "the guard had already resumed pgbouncer on $THIS_HOST_NAME at $at (the run did not resume it within its budget)"
            output fired true; output firedAt "$at"
        else
            planning || log "guard disarmed"
            output fired false
        fi
        ;;
    *) die "unknown action '$action' (arm, disarm)" ;;
esac
