#!/usr/bin/env bash
# A throwaway PostgreSQL for the track module's tests, on a port and in a
# directory of its own.
#
#   eval "$(track/testdata/postgres.sh start /tmp/track-pg 5439)"  # prints the exports
#   track/testdata/postgres.sh restart /tmp/track-pg               # the chaos test calls this
#   track/testdata/postgres.sh stop /tmp/track-pg
#
# start installs Debian's postgresql when it is missing, runs initdb (which
# refuses root: as root the server runs as the postgres user), starts the
# server on 127.0.0.1:PORT and prints PAVE_TEST_POSTGRES_URL and
# PAVE_TEST_POSTGRES_RESTART for the tests.
set -euo pipefail

cmd=${1:?usage: postgres.sh start|stop|restart DIR [PORT]}
dir=${2:?usage: postgres.sh start|stop|restart DIR [PORT]}
port=${3:-5439}

bin_dir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

if [ -z "$(bin_dir)" ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >/dev/null
  $SUDO apt-get install -y -qq postgresql >/dev/null
fi
BIN=$(bin_dir)

# as_owner runs a command as the user owning the cluster.
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
start)
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_owner "$BIN/initdb" -D "$dir/data" -U track --auth=trust -E UTF8 >/dev/null
  fi
  if ! as_owner "$BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    as_owner "$BIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
  fi
  as_owner "$BIN/psql" -h 127.0.0.1 -p "$port" -U track -d postgres -qtAc \
    "SELECT 1 FROM pg_database WHERE datname = 'track_test'" | grep -q 1 ||
    as_owner "$BIN/createdb" -h 127.0.0.1 -p "$port" -U track track_test
  here=$(cd "$(dirname "$0")" && pwd)
  echo "export PAVE_TEST_POSTGRES_URL='postgres://track@127.0.0.1:$port/track_test?sslmode=disable'"
  echo "export PAVE_TEST_POSTGRES_RESTART='$here/postgres.sh restart $dir'"
  ;;
restart)
  as_owner "$BIN/pg_ctl" -D "$dir/data" -w -t 60 -m fast restart >/dev/null
  ;;
stop)
  as_owner "$BIN/pg_ctl" -D "$dir/data" -w -t 60 -m fast stop >/dev/null || true
  ;;
*)
  echo "postgres.sh: unknown command $cmd" >&2; exit 2
  ;;
esac
