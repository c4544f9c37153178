#!/bin/bash
# Environment preparation: trust the other DB hosts' deployment keys (only from cluster addresses) and pin their
# host keys. Arguments: "key <type> <base64>" and "host <name> <address> <type> <base64>" items. Idempotent: each
# line is appended once, in one write.
. "$(dirname "$0")/pgha_common.sh"
require_account
ensure_dir "$HOME/.ssh" 0700
auth="$HOME/.ssh/authorized_keys"; known="$HOME/.ssh/known_hosts"
for f in "$auth" "$known"; do
    [ -f "$f" ] || change touch -- "$f"
    [ -f "$f" ] && [ "$(stat -c %a "$f")" = 600 ] || change chmod 600 -- "$f"
done
from=$(IFS=,; echo "${ALL_HOSTS[*]}")

# add_line FILE LINE: one append (printf is one write), recorded.
add_line() { planning || printf '%s\n' "$2" >>"$1"; changed "append to $1: $2"; }

for item in "$@"; do
    read -r kind a b c d <<<"$item"
    case "$kind" in
        key)
            [ -n "$a" ] && [ -n "$b" ] || die "malformed key item: '$item'"
            if grep -qsF "$a $b" "$auth"; then log "key ${b:0:16}… already authorized"
            else add_line "$auth" "from=\"$from\" $a $b pgha-cluster-key"; planning || log "authorized key ${b:0:16}… from $from"; fi ;;
        host)
            [ -n "$d" ] || die "malformed host item: '$item'"
            for name in "$a" "$b"; do
                seen=$(ssh-keygen -F "$name" -f "$known" 2>/dev/null | grep -v '^#' | awk -v t="$c" '$2 == t {print $3}' || true)
                if [ -z "$seen" ]; then add_line "$known" "$name $c $d"; planning || log "pinned $c host key of $name"
                elif [ "$seen" = "$d" ]; then log "host key of $name already pinned"
                else die "host key of $name CHANGED (pinned ${seen:0:16}…, offered ${d:0:16}…); refusing"; fi
            done ;;
        *) die "unknown item kind '$kind' (expected key or host)" ;;
    esac
done
