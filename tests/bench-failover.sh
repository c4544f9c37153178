#!/usr/bin/env bash
# Failover benchmarks on the lab (as root), with one held connection per pgbouncer committing every 10 ms. Brings the
# lab up and down itself; prints figures, asserts nothing.
#   tests/bench-failover.sh [RUNS_PER_DIRECTION] [transaction,session]   planned: per pool mode N failovers and N
#       failbacks; per run and median the longest commit gap, failed attempts, lost commits, run time, PAUSE->RESUME
#   tests/bench-failover.sh unplanned [RUNS]                             unplanned: master's postgres SIGKILLed, the
#       master-broken runbook approved at once; time from the approval and from the kill to the first acknowledged write
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = unplanned ]; then
    exec dotnet run -c Release --project tests/PgHa.FailoverBenchmarks -- unplanned "${2:-5}"
fi
exec dotnet run -c Release --project tests/PgHa.FailoverBenchmarks -- planned "${1:-5}" "${2:-transaction,session}"
