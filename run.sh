#!/usr/bin/env bash
# Starts the whole system (Postgres, Redis, every service, the gateway on http://localhost:8080):
#   ./run.sh [--port N] [--workers N] [--data-dir DIR] [--no-services]
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
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
  else
    # The AppHost still starts when ConnectionStrings__postgres / ConnectionStrings__redis name servers to use.
    echo "run.sh: ${missing[*]} not installed; install with: sudo apt-get install -y ${missing[*]}" >&2
  fi
fi

exec dotnet run --project JobQueue.AppHost -- "$@"
