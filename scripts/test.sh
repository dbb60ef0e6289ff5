#!/usr/bin/env bash
# Installs test dependencies, builds, runs the whole test suite, and ends with "N passed, N failed, N skipped".
# Exits non-zero on a build error, a failed test, a crashed test host, or when no test ran at all.
set -uo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh || { echo "dependency installation failed" >&2; exit 2; }

if ! dotnet build RespProxy.sln -c Release -nologo -v quiet; then
  echo "0 passed, 1 failed"
  echo "build failed" >&2
  exit 1
fi

results="$(mktemp -d "${TMPDIR:-/tmp}/respproxy-tests.XXXXXX")"
dotnet test RespProxy.sln -c Release --no-build -nologo \
  --logger trx --results-directory "$results" \
  --blame-hang-timeout 10m
test_status=$?

python3 - "$results" "$test_status" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
results_dir, status = sys.argv[1], int(sys.argv[2])
counts = {"passed": 0, "failed": 0, "skipped": 0}
for trx in glob.glob(f"{results_dir}/**/*.trx", recursive=True):
    for element in ET.parse(trx).iter():
        if element.tag.endswith("UnitTestResult"):
            outcome = element.get("outcome", "")
            if outcome == "Passed":
                counts["passed"] += 1
            elif outcome in ("NotExecuted", "Inconclusive"):
                counts["skipped"] += 1
            else:
                counts["failed"] += 1
print(f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped")
if counts["failed"] or counts["passed"] == 0 or status != 0:
    if status != 0 and not counts["failed"]:
        print(f"dotnet test exited with {status} (crash or no tests)", file=sys.stderr)
    sys.exit(1)
PY
