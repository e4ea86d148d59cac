#!/bin/bash
# Prepares PostgreSQL 15 + pgvector for medscribe's tests on a fresh Debian 12 machine (run as
# root). Idempotent: every step checks first and does nothing when already done.
#
#   eval "$(.ci/postgres.sh)"   # sets TEST_DATABASE_URL
#
# Quiet on success: the only line on stdout is the `export TEST_DATABASE_URL=...` line. On failure
# it prints the failing step and the log of everything it ran to stderr, and exits non-zero.
#
# pgvector is not packaged for Debian 12's PostgreSQL 15, so it is built from Debian trixie's
# source package (pgvector 0.8.x) against postgresql-server-dev-15 (about 10 s on 2 cores).
set -Eeuo pipefail
export DEBIAN_FRONTEND=noninteractive

PG_VERSION=${PG_VERSION:-15}
PG_PORT=${PG_PORT:-5432}
PG_DB=${PG_DB:-test}
PG_BIN=/usr/lib/postgresql/$PG_VERSION/bin
PG_LIB=/usr/lib/postgresql/$PG_VERSION/lib
WORK=${PGVECTOR_BUILD_DIR:-/tmp/medscribe-pgvector-build}

LOG=$(mktemp /tmp/medscribe-postgres-ci.XXXXXX.log)
step="start"
fail() {
	local rc=$?
	{
		echo "postgres.sh: FAILED at step: $step (exit $rc)"
		echo "---- log ($LOG) ----"
		cat "$LOG"
		echo "---- end of log ----"
	} >&2
	exit "$rc"
}
trap fail ERR
run() { "$@" >>"$LOG" 2>&1; }
psql_pg() { run runuser -u postgres -- psql -X -v ON_ERROR_STOP=1 -p "$PG_PORT" "$@"; }

[[ $(id -u) -eq 0 ]] || { step="check root"; echo "must run as root" >>"$LOG"; false; }

step="install postgresql-$PG_VERSION"
if [[ ! -x $PG_BIN/postgres ]]; then
	run apt-get update -q
	run apt-get install -y -q "postgresql-$PG_VERSION" postgresql-client-common postgresql-common
fi

step="build pgvector"
if [[ ! -f $PG_LIB/vector.so ]]; then
	run apt-get install -y -q "postgresql-server-dev-$PG_VERSION" dpkg-dev build-essential
	mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
	[[ -n $mirror ]] || mirror=$(awk '$1=="deb"{print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
	[[ -n $mirror ]] || mirror=http://deb.debian.org/debian
	rm -rf "$WORK"
	mkdir -p "$WORK/lists/partial" "$WORK/cache/archives/partial" "$WORK/src"
	printf 'deb-src %s trixie main\n' "$mirror" >"$WORK/sources.list"
	apt_src=(-o "Dir::Etc::sourcelist=$WORK/sources.list" -o Dir::Etc::sourceparts=/nonexistent
		-o "Dir::State::Lists=$WORK/lists" -o "Dir::Cache=$WORK/cache")
	run apt-get "${apt_src[@]}" update -q
	(cd "$WORK/src" && run apt-get "${apt_src[@]}" source -q pgvector)
	src=$(find "$WORK/src" -maxdepth 1 -type d -name 'pgvector-*' | head -n1)
	[[ -n $src ]] || { echo "pgvector source not unpacked in $WORK/src" >>"$LOG"; false; }
	run make -C "$src" -s -j2 PG_CONFIG="$PG_BIN/pg_config" OPTFLAGS=""
	run make -C "$src" -s install PG_CONFIG="$PG_BIN/pg_config"
	[[ -f $PG_LIB/vector.so ]] || { echo "vector.so missing after install" >>"$LOG"; false; }
fi

step="start cluster $PG_VERSION/main"
if ! pg_lsclusters -h 2>>"$LOG" | awk -v v="$PG_VERSION" '$1==v && $2=="main"' | grep -q .; then
	run pg_createcluster "$PG_VERSION" main --port "$PG_PORT"
fi
if ! pg_lsclusters -h | awk -v v="$PG_VERSION" '$1==v && $2=="main" {print $4}' | grep -q online; then
	run pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" main start
fi

step="wait for postgresql"
for _ in $(seq 1 60); do
	if "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; then break; fi
	sleep 0.5
done
run "$PG_BIN/pg_isready" -h 127.0.0.1 -p "$PG_PORT"

step="trust auth for postgres on 127.0.0.1"
if ! psql -X -w -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -c 'select 1' >>"$LOG" 2>&1; then
	hba=$(runuser -u postgres -- psql -X -At -p "$PG_PORT" -c 'show hba_file')
	line="host all postgres 127.0.0.1/32 trust"
	if ! grep -qxF "$line" "$hba"; then
		# pg_hba.conf is read top-down: the trust line must come before any md5/scram line.
		sed -i "1i $line" "$hba"
	fi
	psql_pg -c 'select pg_reload_conf()'
	sleep 0.5
	run psql -X -w -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -c 'select 1'
fi

step="create database $PG_DB"
if [[ -z $(runuser -u postgres -- psql -X -At -p "$PG_PORT" -c "select 1 from pg_database where datname = '$PG_DB'") ]]; then
	psql_pg -c "create database \"$PG_DB\""
fi

step="create extension vector in $PG_DB"
psql_pg -d "$PG_DB" -c 'create extension if not exists vector'

trap - ERR
rm -f "$LOG"
echo "export TEST_DATABASE_URL=postgres://postgres@127.0.0.1:$PG_PORT/$PG_DB?sslmode=disable"
