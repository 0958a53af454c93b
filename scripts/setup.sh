#!/usr/bin/env bash
# Installs, idempotently, what a fresh Debian machine lacks — per need, so that trying plumbline
# out never waits for the test tools. Each step runs only when its tool is missing.
#
#   scripts/setup.sh build     build and run plumbline: the wasm32-wasip2 target, `just` and the
#                              apt packages librdkafka's cmake build needs (seconds when apt has
#                              them cached; this is all `scripts/dev demo|build|install|run` runs)
#   scripts/setup.sh servers   build + the servers of `just services`: Prometheus (apt), the tansu
#                              Kafka broker (`cargo install`, 10-20 min cold) and moto[server] (SQS)
#   scripts/setup.sh fuzz      build + cargo-fuzz
#   scripts/setup.sh python    componentize-py, for the example Python check
#   scripts/setup.sh test      all of the above plus clippy, rustfmt, xmllint and Chromium: what
#                              `just test` needs
#   scripts/setup.sh           the same as `test`
#
# `scripts/dev <recipe>` picks the need from the recipe. Programs installed outside apt go into
# ~/.cargo/bin (already on a rustup user's PATH): `cargo install`ed ones, and links to `just` and
# `moto_server`, which come from PyPI into their own virtualenvs under ~/.cache/plumbline.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="${CARGO_HOME:-$HOME/.cargo}/bin"
cache="${PLUMBLINE_CACHE:-$HOME/.cache/plumbline}"

have() { command -v "$1" >/dev/null 2>&1; }

apt_install() { # packages... (installs those not installed)
    local missing=() pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    ((${#missing[@]})) || return 0
    echo "setup: apt-get install ${missing[*]}"
    local sudo_cmd=()
    [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
    if [[ -z "${apt_updated:-}" ]]; then
        "${sudo_cmd[@]}" apt-get update -qq
        apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# A PyPI package in its own virtualenv, its program linked into $bin. name, pip spec, program.
pip_tool() {
    local venv="$cache/$1-venv"
    if [[ ! -x "$venv/bin/$3" ]]; then
        echo "setup: pip install $2 into $venv"
        python3 -m venv "$venv"
        "$venv/bin/pip" install -q --disable-pip-version-check "$2"
    fi
    mkdir -p "$bin"
    ln -sf "$venv/bin/$3" "$bin/$3"
}

need_build() {
    if ! rustup target list --installed | grep -qx wasm32-wasip2; then
        rustup target add wasm32-wasip2
    fi
    # just: the official PyPI wheel (a prebuilt binary, seconds); `cargo install just` would
    # compile for minutes before the first build even starts. cargo is the fallback without venv.
    if ! have just; then
        if python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
            pip_tool just 'rust-just==1.59.0' just
        else
            cargo install just --locked
        fi
    fi
    # librdkafka's cmake build (rdkafka `cmake-build`, `ssl`): cmake, OpenSSL, zlib, SASL, curl.
    apt_install cmake libcurl4-openssl-dev libssl-dev zlib1g-dev libsasl2-dev
}

need_servers() {
    apt_install prometheus
    # Kafka-protocol broker written in Rust (10-20 min to build cold, so only when absent).
    if ! have tansu; then
        echo "setup: cargo install tansu (Kafka broker; this takes a while)"
        cargo install tansu --features dynostore --locked
    fi
    # SQS: moto's server in its own virtualenv unless a moto_server is already installed.
    have moto_server || pip_tool moto 'moto[server]' moto_server
}

need_fuzz() {
    # cargo-fuzz for `just fuzz` / scripts/fuzz.sh (runs on stable with RUSTC_BOOTSTRAP=1).
    have cargo-fuzz || cargo install cargo-fuzz --locked
}

need_python() {
    # componentize-py (pinned in the script) in its own virtualenv, for the example Python check
    # and its tests (tests/e2e/python.rs). Installs only when that version is missing.
    bash "$here/build-python-check.sh" --install
}

need_lint() {
    # `just test` lints with clippy-driver during its build and checks formatting.
    local component
    for component in clippy rustfmt; do
        rustup component list --installed | grep -q "^$component" || rustup component add "$component"
    done
}

need_browser() {
    # xmllint for the JUnit schema test, Chromium for the HTML report test (tests/e2e).
    apt_install libxml2-utils chromium
}

(($#)) || set -- test
for need in "$@"; do
    case "$need" in
        build) need_build ;;
        servers) need_build; need_servers ;;
        fuzz) need_build; need_fuzz ;;
        python) need_python ;;
        test) need_build; need_lint; need_servers; need_browser; need_fuzz; need_python ;;
        *) echo "usage: $0 [build|servers|fuzz|python|test]..." >&2; exit 2 ;;
    esac
done
