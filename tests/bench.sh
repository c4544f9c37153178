#!/usr/bin/env bash
# Engine overhead benchmark: prints median and p95 per node on the SQLite store and on WorkflowCore's in-memory store.
set -euo pipefail
cd "$(dirname "$0")/.."
exec dotnet run -c Release --project tests/PgHa.Benchmarks
