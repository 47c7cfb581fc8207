# bench/lib.sh holds what bench/run.sh and bench/oidc.sh share: the work
# directory and its removal at exit, the log line, free ports, waiting for
# a server, and a throwaway PostgreSQL cluster on 127.0.0.1. It is sourced
# from the repository root with BENCH_NAME set (the log prefix); not run.
# shellcheck shell=bash

work=$(mktemp -d "/tmp/rollcall-$BENCH_NAME.XXXXXX")
chmod 0755 "$work" # PostgreSQL runs as the postgres user and must reach its data directory
bin=$work/bin
pids=()
pgdir=""
pgport=""

log() { printf '%s %s: %s\n' "$(date -u +%H:%M:%S)" "$BENCH_NAME" "$*" >&2; }

cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	if [[ -n $pgdir && -d $pgdir/data ]]; then as_pg pg_ctl stop -m immediate -D "$pgdir/data" >/dev/null 2>&1 || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

# as_pg runs a PostgreSQL binary as the postgres user when we are root
# (initdb and postgres refuse to run as root).
as_pg() {
	local cmd=$1
	shift
	local path
	path=$(command -v "$cmd" || ls /usr/lib/postgresql/*/bin/"$cmd" 2>/dev/null | sort -V | tail -1)
	if [[ -z $path ]]; then
		echo "$BENCH_NAME: $cmd not found; install PostgreSQL (apt-get install -y postgresql)" >&2
		exit 1
	fi
	if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$path" "$@"; else "$path" "$@"; fi
}

free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
}

# wait_healthy URL PID LOG waits until the server at URL answers
# /healthz, and ends the run with its LOG if it exits first.
wait_healthy() {
	for _ in $(seq 300); do
		curl -fs "$1/healthz" >/dev/null 2>&1 && return
		kill -0 "$2" 2>/dev/null || {
			cat "$3" >&2
			exit 1
		}
		sleep 0.1
	done
}

# start_ceiling starts bench/ceiling, the bare-handler server every
# ratio is taken against, at $ceiling_url.
start_ceiling() {
	"$bin/ceiling" -addr 127.0.0.1:0 >"$work/ceiling.addr" &
	ceiling_pid=$!
	pids+=("$ceiling_pid")
	for _ in $(seq 50); do [[ -s $work/ceiling.addr ]] && break; sleep 0.1; done
	ceiling_url=http://$(head -1 "$work/ceiling.addr")
}

# start_postgres makes a throwaway cluster in $work/pg (fsync on, as in
# production) on 127.0.0.1:$pgport with an empty database rollcall.
start_postgres() {
	pgdir=$work/pg
	mkdir -p "$pgdir"
	if [[ $(id -u) == 0 ]]; then chown postgres "$pgdir"; fi
	as_pg initdb -A trust --no-sync -U postgres -E UTF8 --locale C -D "$pgdir/data" >/dev/null
	for _ in 1 2 3 4 5; do
		pgport=$(free_port)
		if as_pg pg_ctl start -w -D "$pgdir/data" -l "$pgdir/log" \
			-o "-c listen_addresses=127.0.0.1 -p $pgport -k $pgdir -c max_connections=200" >/dev/null; then
			break
		fi
	done
	psql -q -h 127.0.0.1 -p "$pgport" -U postgres -c 'CREATE DATABASE rollcall' postgres
}

stop_postgres() { as_pg pg_ctl stop -m fast -D "$pgdir/data" >/dev/null; }
