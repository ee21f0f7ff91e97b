#!/usr/bin/env bash
# The project's one test command (README, .ci/run): installs what the tests need on a fresh
# Debian machine, checks formatting and lints, and runs every test of the workspace.
# A missing requirement fails loudly; nothing is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n== %s\n' "$*"; }
fail() { printf 'test.sh: %s\n' "$*" >&2; exit 1; }
as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        fail "need root to $* (run as root, or install it yourself)"
    fi
}

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

say "web UI: Node, npm and Chromium for its build and end-to-end tests (docs/web.md)"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    say "installing Node.js and npm (apt)"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
node -e 'const [a, b] = process.versions.node.split(".").map(Number);
  process.exit(a > 22 || (a === 22 && b >= 12) || (a === 20 && b >= 19) ? 0 : 1)' ||
    fail "Node $(node --version) is too old for Vite: the web UI needs Node 20.19+ or 22.12+"
if [ ! -x /usr/bin/chromium ]; then
    say "installing Chromium (apt)"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
fi
[ -x /usr/bin/chromium ] || fail "no /usr/bin/chromium after installing it"

say "web UI: npm ci, build, and the committed web/dist must be what the sources build"
(cd web && npm ci --no-audit --no-fund && npm run build)
if ! git diff --exit-code --stat -- web/dist || [ -n "$(git status --porcelain -- web/dist)" ]; then
    git status --porcelain -- web/dist >&2
    fail "web/dist differs from what web/ builds: run 'cd web && npm run build' and commit web/dist"
fi

say "cargo fmt --check"
cargo fmt --all -- --check

say "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

say "cargo test"
cargo test --workspace --lib --bins --tests --locked
# Doctests are not part of --all-targets.
cargo test --workspace --doc --locked

say "web UI: end-to-end tests (real binary on loopback, Chromium, screenshots in web/e2e/artifacts)"
cargo build -p deconflict --locked
target_dir="${CARGO_TARGET_DIR:-target}"
case "$target_dir" in /*) ;; *) target_dir="$PWD/$target_dir" ;; esac
(cd web && DECONFLICT_BIN="$target_dir/debug/deconflict" npm run e2e)
