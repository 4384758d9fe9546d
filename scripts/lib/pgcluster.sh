# scripts/lib/pgcluster.sh — a throwaway PostgreSQL/PostGIS cluster, for
# scripts/test and scripts/demo. Source it from the repository root; it
# defines
#
#   pg_install PACKAGE…  install the Debian packages that are missing (as
#                        root; as another user, say what to install and fail)
#   pg_start             initdb a cluster in a temporary directory and start
#                        it on a free port on 127.0.0.1, PostGIS in template1
#                        and postgres; sets PG_PORT and PG_DIR and stops and
#                        removes the cluster when the script exits
#   pg_psql DB SQL       run SQL in database DB as the cluster's superuser
#
# The cluster runs as postgres when we are root (initdb refuses root), else as
# us. It holds nothing worth keeping: durability settings are off for speed.

PG_BINDIR=${PG_BINDIR:-/usr/lib/postgresql/15/bin}

pg_log() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; }

pg_install() {
	local missing=() p
	for p in "$@"; do
		dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
	done
	((${#missing[@]} == 0)) && return 0
	if ((EUID != 0)); then
		pg_log "missing packages ${missing[*]}: install them as root (apt-get install ${missing[*]})"
		return 1
	fi
	pg_log "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

pg_as=()
if ((EUID == 0)); then pg_as=(runuser -u postgres --); fi

pg_stop() {
	[[ -n ${PG_DIR:-} ]] || return 0
	"${pg_as[@]}" "$PG_BINDIR/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
	rm -rf "$PG_DIR"
}

pg_port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pg_start() {
	[[ -x $PG_BINDIR/initdb ]] || { pg_log "no initdb in $PG_BINDIR (set PG_BINDIR)"; return 1; }
	PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/parvaneh-pg.XXXXXX")
	((EUID == 0)) && chown postgres: "$PG_DIR"
	trap pg_stop EXIT
	trap 'exit 130' INT TERM
	"${pg_as[@]}" "$PG_BINDIR/initdb" -D "$PG_DIR/data" -U postgres --auth=trust \
		-E UTF8 --locale=C.UTF-8 --no-instructions >"$PG_DIR/initdb.log" 2>&1 ||
		{ cat "$PG_DIR/initdb.log" >&2; return 1; }
	local started= port
	for _ in 1 2 3 4 5 6 7 8; do
		port=$((20000 + RANDOM % 40000))
		pg_port_free "$port" || continue
		if "${pg_as[@]}" "$PG_BINDIR/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
			-o "-p $port -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
			start >/dev/null; then
			started=1
			break
		fi
	done
	[[ -n $started ]] || { pg_log "could not start PostgreSQL"; cat "$PG_DIR/server.log" >&2 || true; return 1; }
	PG_PORT=$port
	# PostGIS in template1, so every database created later has it, and in
	# postgres, the admin database.
	local db
	for db in template1 postgres; do
		pg_psql "$db" 'CREATE EXTENSION IF NOT EXISTS postgis'
	done
}

pg_psql() {
	"${pg_as[@]}" "$PG_BINDIR/psql" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d "$1" -v ON_ERROR_STOP=1 -c "$2" >/dev/null
}
