#!/usr/bin/env bash
# The project's one test command (README, .ci/run): installs what the tests need on a fresh
# Debian machine, checks formatting and lints, and runs every test of the workspace.
# A missing requirement fails loudly; nothing is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n== %s\n' "$*"; }

if ! command -v cargo >/dev/null 2>&1; then
    echo "test.sh: cargo is not installed: install Rust with rustup (https://rustup.rs)" >&2
    exit 1
fi
for component in rustfmt clippy; do
    if ! rustup component list --installed 2>/dev/null | grep -q "^$component"; then
        say "installing rustup component $component"
        rustup component add "$component"
    fi
done

say "PostgreSQL for the tests of the PostgreSQL store"
./scripts/ensure-postgres.sh
export DECONFLICT_TEST_POSTGRES="${DECONFLICT_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres}"

say "cargo fmt --check"
cargo fmt --all -- --check

say "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

say "cargo test"
cargo test --workspace --lib --bins --tests --locked
# Doctests are not part of --all-targets.
cargo test --workspace --doc --locked
