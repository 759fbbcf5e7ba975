#!/usr/bin/env bash
# The benchmark matrix (~8-12 min on 2 cores): builds once (Release), then one fresh system per configuration:
#   workers 1 and 4: throughput;  workers 2: all scenarios with backlogs 10,000 and 200,000 (its throughput figure is
#   the workers=2 point of the series).
# Outputs go to tests/JobQueue.Benchmarks/results/ (raw files are git-ignored; SUMMARY.md is kept).
# Environment (WORKER_COUNT, WORKER_CLAIM_BATCH, ...) reaches the services as is and is recorded in each result.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out="$here/results"
mkdir -p "$out"
cd "$root"
echo "building (Release)..."
dotnet build JobQueue.AppHost -c Release -v q -nologo >/dev/null
dotnet build tests/JobQueue.Benchmarks -c Release -v q -nologo >/dev/null
bench="dotnet tests/JobQueue.Benchmarks/bin/Release/net10.0/JobQueue.Benchmarks.dll"
stamp=$(date -u +%Y%m%dT%H%M%SZ)

run() { # name, args...
  local name=$1; shift
  echo "=== $name: $* ==="
  # a failed configuration is recorded and the matrix goes on
  timeout 900 $bench --start-system --log-dir "$out" --json-out "$out/$stamp-$name.json" --label "$name" "$@" 2>&1 \
    | tee "$out/$stamp-$name.txt" || echo "!!! $name failed (see $out/$stamp-$name.txt)"
}

run w2-all --workers 2 --scenario all --backlog 10000,200000
run w1-throughput --workers 1 --scenario throughput
run w4-throughput --workers 4 --scenario throughput

{
  echo "# Benchmark summary ($stamp, $(nproc) cores, WORKER_COUNT=${WORKER_COUNT:-default}, WORKER_CLAIM_BATCH=${WORKER_CLAIM_BATCH:-default})"
  echo
  echo "Produced by tests/JobQueue.Benchmarks/run-matrix.sh; raw outputs (git-ignored) are $stamp-*.txt/.json."
  for f in "$out/$stamp"-*.txt; do
    echo
    echo "## $(basename "$f" .txt)"
    echo
    echo '```'
    sed -n '/^== summary/,/^RESULT/p' "$f" | grep -v '^RESULT'
    # CPU per process during each scenario (the first block of each "CPU during")
    awk '/CPU during/{p=1} /Postgres backends by client|\.NET threads|Postgres active statements/{p=0} p' "$f"
    echo '```'
  done
} > "$out/SUMMARY.md"
echo "summary: $out/SUMMARY.md"
