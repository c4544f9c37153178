#!/bin/bash
# Unplanned failover, evidence: what this host (the broken master) wrote that the slave never received.
# `wal_at_risk.sh SLAVE_RECEIVED_LSN`. Read-only. With PostgreSQL stopped, pg_waldump reads the local WAL after the
# slave's last received position: its end, the commits in it and the last commit's time are exactly what a promotion
# of the slave loses. Outputs: liveRole; when stopped: walEndLsn, bytesAfter, commitsAfter, lastCommitAt (may be empty).
. "$(dirname "$0")/pgha_common.sh"
require_account
since=${1:-}
[[ "$since" =~ ^[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}$ ]] || die "usage: $(basename "$0") LSN (e.g. 0/3000060)"

role=$(live_role)
output liveRole "$role"
[ "$role" = stopped ] || { log "PostgreSQL runs here ($role); its WAL is still being written"; exit 0; }
[ -f "$DATA_PATH/PG_VERSION" ] || { log "$DATA_PATH holds no PostgreSQL cluster"; exit 0; }

timeline=$(pg_controldata -D "$DATA_PATH" | sed -n "s/^Latest checkpoint's TimeLineID: *//p")
# pg_waldump stops with an error at the end of the WAL: that end is what we want, not a failure.
dump=$(pg_waldump -p "$DATA_PATH/pg_wal" -t "$timeline" -s "$since" 2>&1 || true)
read -r last_lsn last_len commits last_commit < <(awk '
    /lsn: / {
        match($0, /lsn: [0-9A-F]+\/[0-9A-F]+/); lsn = substr($0, RSTART + 5, RLENGTH - 5)
        match($0, /\/ *[0-9]+, tx:/); len = substr($0, RSTART + 1, RLENGTH - 6) + 0
        if (/desc: COMMIT /) { n++; match($0, /COMMIT [0-9-]+ [0-9:.]+ [A-Z]+/); at = substr($0, RSTART + 7, RLENGTH - 7); sub(/ UTC$/, "Z", at); sub(/ /, "T", at) }
    }
    END { printf "%s %d %d %s\n", (lsn ? lsn : "-"), len, n, (at ? at : "-") }' <<<"$dump")
lsn_bytes() { echo $(( (16#${1%/*} << 32) + 16#${1#*/} )); }
if [ "$last_lsn" = - ]; then
    log "no WAL record after $since in $DATA_PATH/pg_wal (timeline $timeline): the slave received everything"
    output walEndLsn "$since"; output bytesAfter 0; output commitsAfter 0; output lastCommitAt ""
    exit 0
fi
# Records start MAXALIGNed: the WAL ends where the next record would start.
end=$(( ($(lsn_bytes "$last_lsn") + last_len + 7) & ~7 ))
[ "$last_commit" != - ] || last_commit=""
output walEndLsn "$(printf '%X/%X' $((end >> 32)) $((end & 0xFFFFFFFF)))"
output bytesAfter "$(( end - $(lsn_bytes "$since") ))"
output commitsAfter "$commits"
output lastCommitAt "$last_commit"
log "WAL after $since on timeline $timeline ends $(( end - $(lsn_bytes "$since") )) bytes later: $commits commit(s) the slave does not have (last at ${last_commit:-none})"
