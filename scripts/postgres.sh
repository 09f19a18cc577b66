#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on 127.0.0.1, for tests and local runs.
#
#   scripts/postgres.sh [start]      start one in a new temp dir; prints (stdout, shell syntax)
#                                    HUREN_PG_DIR=<dir> and HUREN_PG_URL=postgresql+psycopg://...
#                                    e.g.  eval "$(scripts/postgres.sh)"; export HUREN_PG_URL
#   scripts/postgres.sh stop DIR     stop that cluster and delete DIR
#
# Installs Debian's postgresql package when no server binaries are found (as root; runs
# apt-get update only if the install fails without it). initdb refuses to run as root, so
# as root the cluster runs as the "postgres" system user the package creates. Each cluster
# gets a free port, its socket in its own dir, a random password (scram-sha-256) for user
# "huren" and a database "huren". Progress and errors go to stderr; the server log is
# DIR/server.log.
set -euo pipefail

MARKER=.huren-postgres  # only dirs holding this file are ever deleted by "stop"

log() { echo "postgres.sh: $*" >&2; }
die() { log "$*"; exit 1; }

bindir() {
  local initdb dir
  initdb=$(command -v initdb 2>/dev/null || true)
  if [ -n "$initdb" ]; then dirname "$(readlink -f "$initdb")"; return; fi
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
  if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then echo "$dir"; fi
}

ensure_installed() {
  [ -n "$(bindir)" ] && return
  [ "$(id -u)" = 0 ] || die "no PostgreSQL server binaries (initdb) found; install the postgresql package"
  command -v apt-get >/dev/null || die "no PostgreSQL server binaries and no apt-get to install them"
  log "installing postgresql with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -q --no-install-recommends postgresql >&2; then
    log "install failed; running apt-get update and retrying"
    apt-get update -q >&2
    apt-get install -y -q --no-install-recommends postgresql >&2
  fi
  [ -n "$(bindir)" ] || die "postgresql installed but initdb is still missing"
}

# Run a command as the cluster's owner: the postgres user when we are root, else ourselves.
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start() {
  ensure_installed
  local bin dir password port url attempt
  bin=$(bindir)
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || die "running as root needs the postgres system user (from the postgresql package)"
  fi
  local base=${TMPDIR:-/tmp}
  [ "$(id -u)" = 0 ] && base=/tmp  # the postgres user must reach it
  dir=$(mktemp -d "$base/huren-pg.XXXXXXXX")
  touch "$dir/$MARKER"
  password=$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')
  (umask 077 && printf '%s\n' "$password" >"$dir/pwfile")
  if [ "$(id -u)" = 0 ]; then chown -R postgres: "$dir"; fi
  chmod 700 "$dir"
  if ! as_owner "$bin/initdb" -D "$dir/data" -U huren --pwfile="$dir/pwfile" \
      --auth=scram-sha-256 -E UTF8 --locale=C >"$dir/initdb.log" 2>&1; then
    cat "$dir/initdb.log" >&2
    rm -rf "$dir"
    die "initdb failed"
  fi
  rm -f "$dir/pwfile"
  for attempt in 1 2 3; do  # the free port may be taken between probe and bind
    port=$(free_port)
    if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$dir" \
        start >&2; then
      break
    fi
    log "start on port $port failed (attempt $attempt):"
    tail -n 20 "$dir/server.log" >&2 || true
    port=""
  done
  if [ -z "$port" ]; then
    rm -rf "$dir"
    die "the server did not start"
  fi
  if ! PGPASSWORD=$password as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U huren huren >&2; then
    stop "$dir"
    die "createdb failed"
  fi
  url="postgresql+psycopg://huren:$password@127.0.0.1:$port/huren"
  (umask 077 && printf '%s\n' "$url" >"$dir/url")
  if [ "$(id -u)" = 0 ]; then chown postgres: "$dir/url"; fi
  log "PostgreSQL running on 127.0.0.1:$port in $dir"
  printf 'HUREN_PG_DIR=%q\n' "$dir"
  printf 'HUREN_PG_URL=%q\n' "$url"
}

stop() {
  local dir=${1:-}
  [ -n "$dir" ] || die "usage: $0 stop DIR"
  [ -d "$dir" ] || die "$dir: no such directory"
  [ -f "$dir/$MARKER" ] || die "$dir was not made by $0; not touching it"
  local bin
  bin=$(bindir)
  if [ -n "$bin" ] && as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >&2 \
      || die "pg_ctl stop failed; see $dir/server.log"
  fi
  rm -rf "$dir"
  log "stopped and removed $dir"
}

case "${1:-start}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  *) die "usage: $0 [start] | stop DIR" ;;
esac
