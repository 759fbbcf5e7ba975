#!/usr/bin/env bash
# Starts the whole system on .NET Aspire (Postgres, Redis, the schema, every service, the gateway on
# http://localhost:8080, the Aspire dashboard on http://localhost:15080):
#   ./run.sh [--port N] [--workers N] [--schedulers N] [--jobs-api N] [--webhook-dispatchers N] [--data-dir DIR]
# Installs the postgresql and redis-server packages first when they are missing (as root; otherwise says how).
set -euo pipefail
cd "$(dirname "$0")"

has_postgres() {
  [[ -n "${POSTGRES_BINDIR:-}" && -x "$POSTGRES_BINDIR/postgres" ]] && return 0
  compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null
}

has_redis() { command -v redis-server >/dev/null 2>&1 || [[ -x /usr/bin/redis-server ]]; }

missing=()
has_postgres || missing+=(postgresql)
has_redis || missing+=(redis-server)
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]]; then
    echo "run.sh: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    # Another apt (unattended-upgrades on a fresh machine) may hold the dpkg lock: wait for it rather than fail.
    apt_wait=(-o DPkg::Lock::Timeout=300)
    apt-get "${apt_wait[@]}" update -qq
    apt-get "${apt_wait[@]}" install -y -qq --no-install-recommends "${missing[@]}"
  else
    # The AppHost still starts when ConnectionStrings__postgres / ConnectionStrings__redis name servers to use.
    echo "run.sh: ${missing[*]} not installed; install with: sudo apt-get install -y ${missing[*]}" >&2
  fi
fi

# A cold build restores (the first time also Aspire's orchestrator and dashboard, ~300 MB) and compiles every
# service before anything starts, silently under dotnet run: build the AppHost (which references every service)
# first, visibly, then run what was built.
if [[ ! -f JobQueue.AppHost/bin/Debug/net10.0/JobQueue.AppHost.dll ]]; then
  echo "run.sh: first run: restoring packages and building every service (2-3 minutes on 2 cores)" >&2
fi
dotnet build JobQueue.AppHost -v minimal -nologo -clp:NoSummary
exec dotnet run --no-build --project JobQueue.AppHost -- "$@"
