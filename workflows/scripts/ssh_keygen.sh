#!/bin/bash
# Environment preparation: the deployment account's SSH key (made once, never replaced) and this host's key,
# printed so the next step can authorize and pin them on the other DB hosts. Rerun-safe: a private key whose .pub is
# missing (ssh-keygen killed between the two files) gets its .pub derived again; one that cannot be read was never
# published (its .pub never existed), so it is set aside and a new key is made. Outputs: publicKey, hostKey.
. "$(dirname "$0")/pgha_common.sh"
require_account
ensure_dir "$HOME/.ssh" 0700
key="$HOME/.ssh/id_ed25519"
# No passphrase: cron's archive sync needs it unattended; authorize_ssh_keys.sh limits where it is accepted from.

state=absent
if [ -f "$key" ] && [ -f "$key.pub" ]; then
    state=complete
elif [ -f "$key" ] && public=$(ssh-keygen -y -f "$key" 2>/dev/null | cut -d' ' -f1,2) && [ -n "$public" ]; then
    state=derived
    log "$key has no .pub (an interrupted ssh-keygen); deriving it from the private key"
    printf '%s %s\n' "$public" "$DEPLOYMENT_ACCOUNT@$THIS_HOST_NAME" | write_atomic "$key.pub" 644
elif [ -f "$key" ]; then
    aside="$key.unreadable-$(date -u +%Y%m%dT%H%M%SZ)"
    log "$key cannot be read and has no .pub, so it was never handed out; setting it aside as $aside"
    change mv -- "$key" "$aside"
fi
if [ "$state" = absent ]; then
    change ssh-keygen -q -t ed25519 -N '' -C "$DEPLOYMENT_ACCOUNT@$THIS_HOST_NAME" -f "$key"
    planning || log "generated $key"
else
    log "$key exists; kept"
    [ "$(stat -c %a "$key")" = 600 ] || change chmod 600 "$key"
fi

if [ -f "$key.pub" ]; then output publicKey "$(cut -d' ' -f1,2 "$key.pub")"
elif [ "$state" = derived ]; then output publicKey "$public"
else output publicKey "ssh-ed25519 $(planned_value "new key of $DEPLOYMENT_ACCOUNT@$THIS_HOST_NAME")"; fi
output hostKey "$(cut -d' ' -f1,2 /etc/ssh/ssh_host_ed25519_key.pub)"
