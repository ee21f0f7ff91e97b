#!/usr/bin/env bash
# Installs Debian's PostGIS package for the PostgreSQL server(s) on this machine, for the PostGIS
# baseline of `deconflict bench` (crates/bench/src/postgis.rs).
#
# Idempotent: does nothing when the package is already installed. Runs `apt-get update` only when
# the package is not known to apt yet. The major version is taken from PG_MAJOR if set, else from
# the online clusters of `pg_lsclusters` (all clusters if none is online), else from
# /etc/postgresql/<major>. Exits non-zero with a message saying what went wrong.
#
# Usage: scripts/install-postgis.sh            (as root, or with sudo available)
#        PG_MAJOR=16 scripts/install-postgis.sh
set -euo pipefail

die() {
    echo "install-postgis: error: $*" >&2
    exit 1
}
say() {
    echo "install-postgis: $*" >&2
}

command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 ||
    die "this script needs a Debian/Ubuntu system with apt-get; install PostGIS 3 for your PostgreSQL by other means"

# Run as root, through sudo when not root.
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "must run as root (or with sudo available) to install packages"
    SUDO=(sudo)
fi

# The PostgreSQL major version(s) to install PostGIS for.
majors=()
if [ -n "${PG_MAJOR:-}" ]; then
    [[ "$PG_MAJOR" =~ ^[0-9]+$ ]] || die "PG_MAJOR must be a major version number such as 15, not '$PG_MAJOR'"
    majors=("$PG_MAJOR")
elif command -v pg_lsclusters >/dev/null 2>&1; then
    # Columns: Ver Cluster Port Status Owner Data-directory Log-file.
    mapfile -t majors < <(pg_lsclusters -h 2>/dev/null | awk '$4 ~ /^online/ {print $1}' | sort -u)
    if [ "${#majors[@]}" -eq 0 ]; then
        mapfile -t majors < <(pg_lsclusters -h 2>/dev/null | awk '{print $1}' | sort -u)
    fi
fi
if [ "${#majors[@]}" -eq 0 ] && [ -d /etc/postgresql ]; then
    mapfile -t majors < <(find /etc/postgresql -mindepth 1 -maxdepth 1 -type d -printf '%f\n' |
        grep -E '^[0-9]+$' | sort -u)
fi
[ "${#majors[@]}" -gt 0 ] ||
    die "no PostgreSQL installation found (no pg_lsclusters output, nothing in /etc/postgresql); install PostgreSQL first or set PG_MAJOR"

installed() {
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" = "installed" ]
}
known_to_apt() {
    # apt-cache show fails (or prints nothing) for a package no configured source provides.
    [ -n "$(apt-cache show --no-all-versions "$1" 2>/dev/null || true)" ]
}

missing=()
for major in "${majors[@]}"; do
    pkg="postgresql-${major}-postgis-3"
    if installed "$pkg"; then
        say "$pkg is already installed"
    else
        missing+=("$pkg")
    fi
done

if [ "${#missing[@]}" -gt 0 ]; then
    updated=no
    for pkg in "${missing[@]}"; do
        if ! known_to_apt "$pkg" && [ "$updated" = no ]; then
            say "$pkg is not in apt's package lists; running apt-get update"
            "${SUDO[@]}" apt-get update -q >&2 || die "apt-get update failed"
            updated=yes
        fi
        known_to_apt "$pkg" ||
            die "no package $pkg in the configured apt sources (for newer PostgreSQL versions add the PGDG repository, https://wiki.postgresql.org/wiki/Apt)"
    done
    say "installing ${missing[*]}"
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 ||
        die "apt-get install ${missing[*]} failed"
fi

# Check the result: the extension's control file must be where the server looks for it.
for major in "${majors[@]}"; do
    pkg="postgresql-${major}-postgis-3"
    installed "$pkg" || die "$pkg is still not installed"
    control="/usr/share/postgresql/${major}/extension/postgis.control"
    [ -f "$control" ] || die "$pkg is installed but $control is missing"
done
say "PostGIS is installed for PostgreSQL ${majors[*]}; the baseline runs CREATE EXTENSION itself (no restart needed)"
