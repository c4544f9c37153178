#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian 12 machine (run as root): the lab's Debian packages
# (PostgreSQL 15, pgbouncer, Londiste, sshd, ...), Chromium for the designer's browser tests, the .NET packages and the
# designer's npm packages (npm ci). Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(python3 git openssh-server sudo iproute2 util-linux procps psmisc postgresql-15 postgresql-client-15 pgbouncer rsync cron
          python3-londiste postgresql-15-pgq3 postgresql-15-londiste-sql pgqd oidentd
          chromium fonts-liberation)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if ((${#missing[@]})); then
  if [[ $EUID -ne 0 ]]; then
    echo "These Debian packages are missing and installing them needs root: ${missing[*]}" >&2
    exit 1
  fi
  echo "Installing Debian packages: ${missing[*]}"
  # Nothing may start in the root namespace during install: no daemons, no default 'main' PostgreSQL cluster.
  created_policy=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && created_policy=1
  fi
  mkdir -p /etc/postgresql-common
  grep -qs '^create_main_cluster *= *false' /etc/postgresql-common/createcluster.conf \
    || echo 'create_main_cluster = false' >> /etc/postgresql-common/createcluster.conf
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -q
  apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}"
  ((created_policy)) && rm -f /usr/sbin/policy-rc.d
fi

command -v dotnet >/dev/null || { echo "The .NET 10 SDK is required (dotnet not found on PATH)." >&2; exit 1; }
dotnet tool restore >/dev/null
dotnet restore PgHaWorkflows.sln --nologo -v q

# The designer: Node.js 20.19+ (vite 8), packages exactly as the lock file says, again only when the lock file changed.
command -v npm >/dev/null || { echo "Node.js 20.19+ with npm is required for the designer (npm not found on PATH)." >&2; exit 1; }
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
  || { echo "The designer needs Node.js 20.19 or newer; found $(node --version)." >&2; exit 1; }
if [[ ! -f designer/node_modules/.package-lock.json || designer/package-lock.json -nt designer/node_modules/.package-lock.json ]]; then
  (cd designer && npm ci --no-audit --no-fund)
fi
