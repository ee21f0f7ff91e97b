#!/usr/bin/env bash
# Makes sure the PostgreSQL server the tests use answers, as on a fresh Debian machine:
# installs it (apt) if absent, starts it if stopped, lets user postgres in over loopback without a
# password (a local test server only), then checks. Fails loudly otherwise: the PostgreSQL tests
# must never be skipped.
#
# The server is DECONFLICT_TEST_POSTGRES (default postgres://postgres@127.0.0.1:5432/postgres).
# When that names another host, this script only checks that it answers.
set -euo pipefail

URL="${DECONFLICT_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres}"
say() { printf '== %s\n' "$*"; }
fail() { printf 'ensure-postgres: %s\n' "$*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        fail "need root to $* (run as root, or start PostgreSQL yourself and set DECONFLICT_TEST_POSTGRES)"
    fi
}

answers() { command -v psql >/dev/null && psql "$URL" -Atqc 'SELECT 1' >/dev/null 2>&1; }

if answers; then
    say "PostgreSQL answers at $URL"
    exit 0
fi

case "$URL" in
    *@127.0.0.1:5432/*|*@localhost:5432/*|*@127.0.0.1/*|*@localhost/*) ;;
    *) fail "no PostgreSQL answers at $URL (DECONFLICT_TEST_POSTGRES); start it, or unset the variable to use a local one" ;;
esac

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    say "installing PostgreSQL (apt)"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi

say "starting PostgreSQL"
if command -v pg_lsclusters >/dev/null; then
    if [ -z "$(pg_lsclusters -h 2>/dev/null)" ]; then
        version=$(ls /usr/lib/postgresql | sort -V | tail -1)
        as_root pg_createcluster "$version" main >/dev/null
    fi
    while read -r version name port status _; do
        [ "$status" = online ] || as_root pg_ctlcluster "$version" "$name" start || true
    done < <(pg_lsclusters -h)
else
    as_root service postgresql start || true
fi

for _ in $(seq 1 30); do
    pg_isready -h 127.0.0.1 -p 5432 -q && break
    sleep 1
done
pg_isready -h 127.0.0.1 -p 5432 -q || fail "PostgreSQL did not start on 127.0.0.1:5432"

if ! answers; then
    # A packaged server asks for a password over TCP: let user postgres in from loopback.
    say "allowing user postgres from 127.0.0.1 without a password (test server)"
    for hba in /etc/postgresql/*/main/pg_hba.conf; do
        grep -q '^host all postgres 127.0.0.1/32 trust' "$hba" ||
            as_root sed -i '1i host all postgres 127.0.0.1/32 trust\nhost all postgres ::1/128 trust' "$hba"
    done
    while read -r version name _; do
        as_root pg_ctlcluster "$version" "$name" reload || true
    done < <(pg_lsclusters -h)
    sleep 1
fi

answers || fail "PostgreSQL runs but $URL does not let the tests in"
say "PostgreSQL answers at $URL"
