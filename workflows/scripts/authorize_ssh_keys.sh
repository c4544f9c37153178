#!/bin/bash
# Environment preparation: trust the other DB hosts' deployment keys (only from cluster addresses) and pin their
# host keys. Arguments: "key <type> <base64>" and "host <name> <address> <type> <base64>" items. Idempotent.
. "$(dirname "$0")/pgha_common.sh"
require_account
install -d -m 0700 "$HOME/.ssh"
auth="$HOME/.ssh/authorized_keys"; known="$HOME/.ssh/known_hosts"
touch "$auth" "$known"; chmod 600 "$auth" "$known"
from=$(IFS=,; echo "${ALL_HOSTS[*]}")

for item in "$@"; do
    read -r kind a b c d <<<"$item"
    case "$kind" in
        key)
            [ -n "$a" ] && [ -n "$b" ] || die "malformed key item: '$item'"
            if grep -qF "$a $b" "$auth"; then log "key ${b:0:16}… already authorized"
            else printf 'from="%s" %s %s pgha-cluster-key\n' "$from" "$a" "$b" >>"$auth"; log "authorized key ${b:0:16}… from $from"; fi ;;
        host)
            [ -n "$d" ] || die "malformed host item: '$item'"
            for name in "$a" "$b"; do
                seen=$(ssh-keygen -F "$name" -f "$known" 2>/dev/null | grep -v '^#' | awk -v t="$c" '$2 == t {print $3}' || true)
                if [ -z "$seen" ]; then printf '%s %s %s\n' "$name" "$c" "$d" >>"$known"; log "pinned $c host key of $name"
                elif [ "$seen" = "$d" ]; then log "host key of $name already pinned"
                else die "host key of $name CHANGED (pinned ${seen:0:16}…, offered ${d:0:16}…); refusing"; fi
            done ;;
        *) die "unknown item kind '$kind' (expected key or host)" ;;
    esac
done
