#!/usr/bin/env bash
# Builds the solution once, runs every test project (in parallel across assemblies), and ends with the line
#   N passed, N failed
# Exit status 1 when the build fails, a test fails, a test host crashes or hangs, or no test ran.
# Environment: TEST_RESULTS_DIR (default ./TestResults), TEST_FILTER (a dotnet test --filter expression).
set -uo pipefail
cd "$(dirname "$0")"

has_postgres() {
  [[ -n "${POSTGRES_BINDIR:-}" && -x "$POSTGRES_BINDIR/postgres" ]] && return 0
  compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null
}

has_redis() { command -v redis-server >/dev/null 2>&1 || [[ -x /usr/bin/redis-server ]]; }

missing=()
has_postgres || missing+=(postgresql)
has_redis || missing+=(redis-server)
command -v prometheus >/dev/null 2>&1 || [[ -x /usr/bin/prometheus ]] || missing+=(prometheus)
# The dashboard: built with Node's npm (Dashboard.Web/client), tested in Debian's Chromium (tests/Dashboard.Web.Tests).
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
# The SDKs' own suites (tests/JobQueue.EndToEnd.Tests/Sdks): Go's with Debian's go, Python's with Debian's python3 and
# httpx (PyPI is not reachable), Node's with the npm above.
command -v go >/dev/null 2>&1 || missing+=(golang-go)
/usr/bin/python3 -c 'import httpx' >/dev/null 2>&1 || missing+=(python3 python3-httpx)
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]]; then
    echo "test.sh: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=300 update -qq && apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}"
  else
    # Tests still run against servers named by JOBQUEUE_TEST_POSTGRES / JOBQUEUE_TEST_REDIS.
    echo "test.sh: ${missing[*]} not installed; install with: sudo apt-get install -y ${missing[*]}" >&2
  fi
fi

export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1

echo "test.sh: building"
if ! dotnet build JobQueue.sln -c Debug -v minimal -nologo; then
  echo "test.sh: the build failed"
  echo "0 passed, 0 failed"
  exit 1
fi

results="${TEST_RESULTS_DIR:-$PWD/TestResults}"
rm -rf "$results"
mkdir -p "$results"

# The dashboard's component tests (Vitest), counted with the .NET tests below. The build above ran npm ci.
vitest_passed=0 vitest_failed=0
if [[ -f Dashboard.Web/client/package.json ]]; then
  echo "test.sh: testing the dashboard's components (Vitest)"
  (cd Dashboard.Web/client && npx --no-install vitest run --reporter=default --reporter=json --outputFile.json="$results/vitest.json") || true
  if [[ -f "$results/vitest.json" ]]; then
    read -r vitest_passed vitest_failed < <(node -e 'const r = require(process.argv[1]); console.log(r.numPassedTests, r.numFailedTests + (r.numFailedTestSuites || 0))' "$results/vitest.json")
  else
    echo "test.sh: Vitest wrote no results"
    vitest_failed=1
  fi
fi

# LogFilePrefix gives each test assembly its own .trx (a shared LogFileName would be overwritten by each project).
# A hung test host is dumped and killed after 10 minutes; the whole run is capped well under CI's 30.
filter=()
[[ -n "${TEST_FILTER:-}" ]] && filter=(--filter "$TEST_FILTER")
echo "test.sh: testing"
timeout --signal=TERM --kill-after=30s 25m \
  dotnet test JobQueue.sln --no-build -c Debug "${filter[@]}" \
    --logger "trx;LogFilePrefix=results" --results-directory "$results" \
    --blame-hang --blame-hang-timeout 10m --blame-hang-dump-type mini
test_status=$?

passed=0 failed=0 skipped=0
failed_names=()
shopt -s nullglob globstar
for trx in "$results"/**/*.trx; do
  # One <UnitTestResult .../> per test; the attributes sit on the element's first line.
  while IFS=$'\t' read -r outcome name; do
    case "$outcome" in
      Passed) passed=$((passed + 1)) ;;
      NotExecuted | Inconclusive) skipped=$((skipped + 1)) ;;
      *) failed=$((failed + 1)); failed_names+=("$name ($outcome)") ;;
    esac
  done < <(grep -o '<UnitTestResult [^>]*>' "$trx" | sed -E \
    -e 's/.* testName="([^"]*)".* outcome="([^"]*)".*/\2\t\1/' \
    -e 's/&quot;/"/g; s/&apos;/'"'"'/g; s/&lt;/</g; s/&gt;/>/g; s/&amp;/\&/g')
done

passed=$((passed + vitest_passed)) failed=$((failed + vitest_failed))
((vitest_failed)) && failed_names+=("Dashboard.Web/client: $vitest_failed Vitest test(s) or suite(s) failed (see above)")
if ((${#failed_names[@]})); then
  echo
  echo "Failed tests:"
  printf '  %s\n' "${failed_names[@]}"
  # Why each failed: the first lines of its message, so that a CI log that keeps only the end still says it.
  /usr/bin/python3 - "$results" <<'PY' || true
import glob, sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
for trx in glob.glob(sys.argv[1] + "/**/*.trx", recursive=True):
    for result in ET.parse(trx).getroot().iterfind(".//t:UnitTestResult", ns):
        if result.get("outcome") in ("Passed", "NotExecuted", "Inconclusive"):
            continue
        message = result.findtext("t:Output/t:ErrorInfo/t:Message", default="(no message)", namespaces=ns)
        print(f"\n  {result.get('testName')}:")
        for line in message.strip().splitlines()[:12]:
            print(f"    {line[:300]}")
PY
fi

# What fails outside any test lands in the run's <RunInfos> as outcome="Error" (blame's notes are "Warning"): a fixture's OneTimeTearDown
# (NUnit reports "TearDown failed for test fixture X" and the exception), a crashed or hung host (blame). The
# first line of each message is enough to name the fixture and the exception.
run_errors=()
for trx in "$results"/**/*.trx; do
  assembly=$(grep -o -m1 'storage="[^"]*"' "$trx" | sed -E 's/.*[\/]([^\/"]*)"$/\1/')
  while IFS= read -r line; do
    [[ -n "$line" ]] && run_errors+=("${assembly:-$(basename "$trx")}: $line")
  done < <(awk '/<RunInfo [^>]*outcome="Error"/{r=1} /<\/RunInfo>/{r=0} r && /<Text>/{sub(/.*<Text>/,""); sub(/<\/Text>.*/,""); print}' "$trx" |
    sed -e 's/&quot;/"/g; s/&apos;/'"'"'/g; s/&lt;/</g; s/&gt;/>/g; s/&amp;/\&/g')
done
if ((${#run_errors[@]})); then
  echo
  echo "Errors outside tests (fixture setup/teardown, test host):"
  printf '  %s\n' "${run_errors[@]}"
fi
((skipped)) && echo "$skipped skipped"
status=0
if ((failed > 0)); then
  status=1
elif ((passed == 0)); then
  echo "test.sh: no test ran"
  status=1
elif ((${#run_errors[@]})); then
  echo "test.sh: every test passed, but the run reported the errors above"
  status=1
elif ((test_status != 0)); then
  echo "test.sh: dotnet test exited with code $test_status (a test host crashed or hung, or the run timed out)"
  status=1
fi
echo "$passed passed, $failed failed"
exit $status
