#!/bin/bash
# Split-brain guard on each PostgreSQL host, started by cron every minute (one instance; the others exit at once).
# While this host is a primary it checks about four times a second that it can still reach one of its peers (the other
# database hosts, probed at once: a TCP connect to their PostgreSQL port that is accepted or refused; only silence counts
# as unreachable, so a peer whose PostgreSQL is down still counts). When none has answered for ISOLATION_PAUSE_SECONDS
# (2, timed from the first unanswered probe, in milliseconds) it PAUSEs its own pgbouncer (SIGUSR1): a
# master cut off the network stops taking writes through pgbouncer before anyone can promote its standby (the standby
# notices the loss only after wal_receiver_timeout, 5 s). When a peer answers again it RESUMEs (SIGUSR2) only once the
# other host of the streaming pair says it is not a primary (a standby, or nothing listening on its port); if it is one,
# a failover happened and the pending fence stops this PostgreSQL instead; if it does not answer, it stays paused.
# `isolation_guard.sh` runs the loop; `isolation_guard.sh status` prints paused-since or nothing.
. "$(dirname "$0")/pgha_common.sh"
require_account
dir="$DEPLOYMENT_PATH/isolation-guard"
paused_file="$dir/paused"
install -d -m 0700 "$dir"
if [ "${1:-}" = status ]; then cat "$paused_file" 2>/dev/null || true; exit 0; fi
exec 9>"$dir/lock"
flock -n 9 || exit 0
echo $$ >"$dir/pid"

limit_ms=$(( ${ISOLATION_PAUSE_SECONDS:-2} * 1000 ))
now_ms() { local t=${EPOCHREALTIME/[.,]/}; echo $(( t / 1000 )); }
# A wedged local server must not stall the loop: every psql here gives up after 2 s.
export PGCONNECT_TIMEOUT=2
peers=() standbys=()
for h in "$MASTER_HOST" "$SLAVE_HOST" "$REPLICA_HOST"; do [ -n "$h" ] && [ "$h" != "$THIS_HOST" ] && peers+=("$h"); done
# Only the streaming pair can have taken over; the replica is a primary of its own (Londiste) and never counts.
for h in "$MASTER_HOST" "$SLAVE_HOST"; do [ -n "$h" ] && [ "$h" != "$THIS_HOST" ] && standbys+=("$h"); done
# Reached: the connect is accepted or refused (the host answered); a timeout or "network unreachable" is not.
reaches() {
    local err
    err=$(timeout 0.5 bash -c "exec 3<>/dev/tcp/$1/$DB_PORT" 2>&1) && return 0
    [[ "$err" == *"Connection refused"* ]]
}
# primary, standby, down (nothing listens: it cannot be a primary now) or unknown (no answer, or a server that does not
# take queries yet). Only an answer counts as "not a primary": a peer the link has just come back to may not answer
# queries for a moment, and resuming on that silence would let this host take writes beside a promoted standby.
peer_role() {
    local answer
    answer=$(timeout 2 psql -X -w -qAt -d "host=$1 port=$DB_PORT user=$LONDISTE_USER dbname=postgres connect_timeout=1" -c 'SELECT pg_is_in_recovery()' 2>&1)
    case "$answer" in
        t) echo standby ;;
        f) echo primary ;;
        *"Connection refused"*) echo down ;;
        *) echo unknown ;;
    esac
}
# The first peer that answers, all probed at once (one silent peer must not delay the verdict on the others).
reachable_peer() {
    local i pids=()
    for i in "${!peers[@]}"; do reaches "${peers[$i]}" & pids[i]=$!; done
    for i in "${!pids[@]}"; do wait "${pids[$i]}" && { echo "${peers[$i]}"; return 0; }; done
    return 1
}
say() { log "$*"; logger -t pgha-isolation-guard "$*" 2>/dev/null || true; }

alone_since=0 held_for=
while true; do
    if [ -e "$paused_file" ] || [ "$(live_role)" = primary ]; then
        probed_at=$(now_ms)
        reachable=$(reachable_peer || true)
        if [ -n "$reachable" ]; then
            alone_since=0
            if [ -e "$paused_file" ]; then
                verdict=not
                for p in "${standbys[@]}"; do
                    case "$(peer_role "$p")" in
                        primary) verdict=primary; break ;;
                        unknown) verdict=unknown ;;
                    esac
                done
                if [ "$verdict" = not ]; then
                    pid_alive "$PGBOUNCER_PID" pgbouncer && kill -USR2 "$(cat "$PGBOUNCER_PID")"
                    rm -f "$paused_file"
                    say "peers reachable again ($reachable) and ${standbys[*]} is not a primary: pgbouncer on $THIS_HOST_NAME resumed"
                elif [ "$verdict" != "$held_for" ]; then
                    # Said once per reason, not four times a second.
                    if [ "$verdict" = primary ]; then why="is a primary (a failover happened; the pending fence stops this PostgreSQL)"
                    else why="does not answer queries yet"; fi
                    say "peers reachable again ($reachable) but ${standbys[*]} $why: pgbouncer on $THIS_HOST_NAME stays paused"
                fi
                held_for=$verdict
            fi
        elif [ ! -e "$paused_file" ]; then
            held_for=
            (( alone_since > 0 )) || alone_since=$probed_at
            alone_ms=$(( $(now_ms) - alone_since ))
            if (( alone_ms >= limit_ms )); then
                pid_alive "$PGBOUNCER_PID" pgbouncer && kill -USR1 "$(cat "$PGBOUNCER_PID")"
                date -u +%Y-%m-%dT%H:%M:%SZ >"$paused_file"
                say "no peer (${peers[*]}) reachable for $alone_ms ms while primary: pgbouncer on $THIS_HOST_NAME paused (split-brain guard)"
            fi
        fi
    else
        alone_since=0
    fi
    sleep 0.25
done
