#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests: temp dir, free loopback port, trust auth, no fsync.
#   scripts/start-postgres.sh          -> prints DATABASE_URL=... and PG_DIR=... (KEY=value lines)
#   scripts/start-postgres.sh stop DIR -> stops that cluster and deletes DIR
# Uses Debian's /usr/lib/postgresql/<version>/bin (package `postgresql`, installed by
# scripts/install-system-deps.sh). PostgreSQL refuses to run as root, so as root the cluster is
# owned by and run as the `postgres` user (runuser, or su as a fallback).
set -euo pipefail

log() { echo "[start-postgres] $*" >&2; }

bindir=""
for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
  if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then bindir="$dir"; break; fi
done
if [ -z "$bindir" ]; then
  log "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin (initdb, pg_ctl)."
  log "Install them with: bash scripts/install-system-deps.sh   (Debian package: postgresql)"
  exit 3
fi

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    if command -v runuser >/dev/null 2>&1; then
      runuser -u postgres -- "$@"
    else
      su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
    fi
  else
    "$@"
  fi
}

if [ "${1:-}" = "stop" ]; then
  dir="${2:?usage: start-postgres.sh stop DIR}"
  case "$dir" in /tmp/interviewer-pg.*|"${TMPDIR:-/tmp}"/interviewer-pg.*) ;; *) log "refusing to remove $dir"; exit 2;; esac
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
  exit 0
fi

dir="$(mktemp -d "${TMPDIR:-/tmp}/interviewer-pg.XXXXXX")"
chmod 755 "$dir"
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || { log "running as root but there is no 'postgres' user to run the server"; exit 3; }
  chown postgres: "$dir"
fi

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"

as_owner "$bindir/initdb" -D "$dir/data" -U interviewer --auth=trust -E UTF8 --no-sync \
  >"$dir/initdb.log" 2>&1 || { log "initdb failed:"; cat "$dir/initdb.log" >&2; exit 1; }
as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
  start >/dev/null || { log "pg_ctl start failed:"; cat "$dir/server.log" >&2; exit 1; }
as_owner "$bindir/createdb" -h 127.0.0.1 -p "$port" -U interviewer interviewer

echo "DATABASE_URL=postgresql://interviewer@127.0.0.1:$port/interviewer"
echo "PG_DIR=$dir"
