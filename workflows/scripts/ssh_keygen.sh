#!/bin/bash
# Environment preparation: the deployment account's SSH key (made once, never replaced) and this host's key,
# printed so the next step can authorize and pin them on the other DB hosts.
. "$(dirname "$0")/pgha_common.sh"
require_account
install -d -m 0700 "$HOME/.ssh"
key="$HOME/.ssh/id_ed25519"
if [ ! -f "$key" ]; then
    # No passphrase: cron's archive sync needs it unattended; authorize_ssh_keys.sh limits where it is accepted from.
    ssh-keygen -q -t ed25519 -N '' -C "$DEPLOYMENT_ACCOUNT@$THIS_HOST_NAME" -f "$key"
    log "generated $key"
else
    log "$key exists; kept"
fi
chmod 600 "$key"
output publicKey "$(cut -d' ' -f1,2 "$key.pub")"
output hostKey "$(cut -d' ' -f1,2 /etc/ssh/ssh_host_ed25519_key.pub)"
