#!/usr/bin/env bash
# One configuration: builds (Release), starts the whole system with N worker replicas, runs the benchmark, stops it.
#   tests/JobQueue.Benchmarks/run.sh [workers] [scenario] [backlog]      e.g. run.sh 2 all 10000,200000
# Environment (WORKER_COUNT, WORKER_CLAIM_BATCH, ...) reaches the services as is.
set -euo pipefail
cd "$(dirname "$0")/../.."
workers=${1:-2}; scenario=${2:-all}; backlog=${3:-10000}
dotnet build JobQueue.AppHost -c Release -v q -nologo >/dev/null
dotnet build tests/JobQueue.Benchmarks -c Release -v q -nologo >/dev/null
exec dotnet tests/JobQueue.Benchmarks/bin/Release/net10.0/JobQueue.Benchmarks.dll \
  --start-system --workers "$workers" --scenario "$scenario" --backlog "$backlog"
