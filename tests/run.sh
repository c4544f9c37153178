#!/usr/bin/env bash
# Runs every test of PgHaWorkflows: installs what is missing, builds once, runs each test project in turn
# (the lab is one set of namespaces, so projects that use it must not run at the same time), then the designer's
# Vitest and browser (node --test, headless Chromium against the real server) suites, and prints
# "N passed, N failed" (", N skipped") computed from the TRX and JUnit results. Run as root: the lab needs namespaces.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
results="$root/artifacts/test-results"

# A failure before any test runs still ends with the summary line CI reads.
bash tests/install-prerequisites.sh || { echo "0 passed, 1 failed"; exit 1; }
rm -rf "$results" && mkdir -p "$results"
dotnet build PgHaWorkflows.sln --nologo -v q -c Release || { echo "0 passed, 1 failed"; exit 1; }
(cd designer && npm run build) || { echo "0 passed, 1 failed"; exit 1; }

status=0
for project in tests/*/*.Tests.csproj; do
  name=$(basename "$project" .csproj)
  echo "=== $name"
  dotnet test "$project" --nologo -c Release --no-build --logger "trx;LogFileName=$name.trx" \
    --logger "console;verbosity=normal" --results-directory "$results" || status=1
done

# The designer (no lab): unit and component tests, then the browser tests against the release build of the server.
echo "=== designer (vitest)"
(cd designer && npx vitest run --reporter=default --reporter=junit --outputFile.junit="$results/designer-vitest.junit.xml") || status=1
echo "=== designer (browser)"
(cd designer && PGHA_SERVER_DLL="$root/src/PgHa.Server/bin/Release/net10.0/PgHa.Server.dll" PGHA_CLI_DLL="$root/src/PgHa.Cli/bin/Release/net10.0/pgha.dll" \
  node --test --test-reporter=spec --test-reporter-destination=stdout \
       --test-reporter=junit --test-reporter-destination="$results/designer-e2e.junit.xml" e2e/) || status=1

# Sum the counters of every TRX file and every JUnit file (each runner's own summary line covers only itself), and
# name every failure with the first lines of its message, printed just above the summary where a truncated CI log
# still shows it. The last line of the report is "passed failed skipped".
report=$(python3 - "$results" <<'PY'
import re, sys, glob, xml.etree.ElementTree as ET
def first(text, n=6): return "\n      ".join((text or "").strip().splitlines()[:n])
p = f = s = 0
for path in sorted(glob.glob(sys.argv[1] + "/*.trx")):
    root = ET.parse(path).getroot()
    c = root.find(".//{*}ResultSummary/{*}Counters")
    if c is not None:
        p += int(c.get("passed", 0)); f += int(c.get("failed", 0)) + int(c.get("error", 0)) + int(c.get("timeout", 0)) + int(c.get("aborted", 0))
        s += int(c.get("notExecuted", 0)) + int(c.get("inconclusive", 0))
    for r in root.iter("{http://microsoft.com/schemas/VisualStudio/TeamTest/2010}UnitTestResult"):
        if r.get("outcome") in ("Failed", "Error", "Timeout", "Aborted"):
            m = r.find(".//{*}ErrorInfo/{*}Message")
            print(f"FAILED {r.get('testName')}\n      {first(m.text if m is not None else '')}")
for path in sorted(glob.glob(sys.argv[1] + "/*.junit.xml")):
    # node's junit reporter copies a failure's ANSI colour codes into the XML, which XML forbids: drop control characters.
    text = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", open(path, encoding="utf-8", errors="replace").read())
    for case in ET.fromstring(text).iter("testcase"):
        bad = case.find("failure") if case.find("failure") is not None else case.find("error")
        if bad is not None:
            f += 1
            print(f"FAILED {case.get('classname', '')} {case.get('name')}\n      {first(bad.get('message') or bad.text)}")
        elif case.find("skipped") is not None: s += 1
        else: p += 1
print(p, f, s)
PY
) || { echo "$report"; echo "0 passed, 1 failed"; exit 1; }
read -r passed failed skipped <<<"${report##*$'\n'}"
expected=$(( $(ls tests/*/*.Tests.csproj | wc -l) + 2 ))
found=$(( $(ls "$results"/*.trx 2>/dev/null | wc -l) + $(ls "$results"/*.junit.xml 2>/dev/null | wc -l) ))
if [[ $found -lt $expected ]]; then
  echo "only $found of $expected test suites produced results (a test host crashed?)" >&2
  failed=$((failed + expected - found)); status=1
fi
[[ $failed -gt 0 ]] && status=1
[[ "$report" == *$'\n'* ]] && echo "${report%$'\n'*}"

summary="$passed passed, $failed failed"
[[ $skipped -gt 0 ]] && summary="$summary, $skipped skipped"
echo "$summary"
exit $status
