#!/usr/bin/env bash
# Starts the whole system with N worker replicas (Release build), runs the benchmark against it, stops it.
#   tests/JobQueue.Benchmarks/run.sh [workers] [scenario] [backlog]
set -euo pipefail
cd "$(dirname "$0")/../.."
workers=${1:-2}; scenario=${2:-all}; backlog=${3:-10000}
dotnet build JobQueue.AppHost -c Release -v q -nologo >/dev/null
dotnet build tests/JobQueue.Benchmarks -c Release -v q -nologo >/dev/null
data=$(mktemp -d); chmod 755 "$data"; log=$data/apphost.log; port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
API_KEY=bench-key WORKER_COUNT=${WORKER_COUNT:-64} dotnet JobQueue.AppHost/bin/Release/net10.0/JobQueue.AppHost.dll \
  --port "$port" --workers "$workers" --data-dir "$data" >"$log" 2>&1 &
apphost=$!
trap 'kill -TERM $apphost 2>/dev/null; wait $apphost 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 1 120); do grep -q '^JOBQUEUE READY' "$log" && break; sleep 0.5; done
grep -q '^JOBQUEUE READY' "$log" || { tail -50 "$log"; exit 1; }
pg=$(grep '^JOBQUEUE CONNECTION postgres' "$log" | cut -d' ' -f4-)
pids=$(grep '^JOBQUEUE PROCESS' "$log" | sed -E 's/^JOBQUEUE PROCESS ([^ ]+) pid=([0-9]+).*/\1=\2/' | paste -sd, -)
echo "workers=$workers WORKER_COUNT=${WORKER_COUNT:-64}"
dotnet tests/JobQueue.Benchmarks/bin/Release/net10.0/JobQueue.Benchmarks.dll --url "http://127.0.0.1:$port" --api-key bench-key \
  --postgres "$pg" --scenario "$scenario" --backlog "$backlog" --pids "$pids"
