#!/usr/bin/env bash
# Planned failover benchmark on the lab (as root): per pool mode (transaction, session), N failovers and N failbacks
# (default 5) with one held connection per pgbouncer committing every 10 ms; prints per run and median the longest
# commit gap, failed client attempts, lost commits, run time and PAUSE->RESUME. Brings the lab up and down itself.
# Usage: tests/bench-failover.sh [RUNS_PER_DIRECTION] [transaction,session]
set -euo pipefail
cd "$(dirname "$0")/.."
exec dotnet run -c Release --project tests/PgHa.FailoverBenchmarks -- "${1:-5}" "${2:-transaction,session}"
