#!/bin/sh
# First process of one lab host, run by PgHa.Lab inside fresh mount/uts/ipc/pid namespaces
# (and the host's network namespace). Arguments: host name, per-host directory holding "binds".
# stdout/stderr are the host's init.log in the lab state directory.
set -eu
host=$1
dir=$2

hostname "$host"

# A private /run gives each host its own sshd/cron pid files, sudo timestamps and utmp.
mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run
mkdir -p /run/sshd /run/lock /run/postgresql
chmod 0755 /run/sshd
chmod 1777 /run/lock
: >/run/utmp
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /dev/shm

# "source<TAB>target" per line, /tmp last: every source lives under the lab directory.
tab=$(printf '\t')
while IFS="$tab" read -r source target; do
    [ -n "$source" ] || continue
    mount --bind "$source" "$target"
done <"$dir/binds"
echo "$host: private mounts in place"

if [ "${LAB_CRON:-1}" = 1 ]; then
    /usr/sbin/cron
fi

# sshd is not pid 1, so `service ssh restart` inside a host cannot take the whole host down.
/usr/sbin/sshd -D -e -f /etc/ssh/sshd_config </dev/null &
echo "$host: sshd started"

# pid 1 reaps orphans (postgres, pgbouncer...) and ignores every signal it may ignore.
exec /bin/bash -c 'trap "" HUP INT TERM; while :; do sleep 2147483647 & wait $!; done'
