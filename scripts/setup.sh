#!/usr/bin/env bash
# Installs, idempotently, everything the build and the tests need that a fresh Debian machine
# lacks: the wasm32-wasip2 target, `just`, the C toolchain pieces librdkafka's cmake build needs,
# Prometheus, the tansu Kafka broker and moto (SQS). Each step runs only when its tool is missing.
set -euo pipefail

if ! rustup target list --installed | grep -qx wasm32-wasip2; then
    rustup target add wasm32-wasip2
fi
if ! command -v just >/dev/null 2>&1; then
    cargo install just --locked
fi
# cargo-fuzz for `just fuzz` / scripts/fuzz.sh (runs on stable with RUSTC_BOOTSTRAP=1).
if ! command -v cargo-fuzz >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

# Debian packages: librdkafka's cmake build (rdkafka `cmake-build`), Prometheus, xmllint for the
# JUnit schema test and Chromium for the HTML report test.
apt_packages=(cmake libcurl4-openssl-dev libssl-dev zlib1g-dev libsasl2-dev prometheus libxml2-utils chromium)
missing=()
for pkg in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}"
    sudo_cmd=(); [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Kafka-protocol broker written in Rust (~20 min to build cold, so only when absent).
if ! command -v tansu >/dev/null 2>&1; then
    echo "setup: installing tansu (Kafka broker; this takes a while)"
    cargo install tansu --features dynostore --locked
fi

# SQS: moto's server in its own virtualenv unless a moto_server is already installed.
if ! command -v moto_server >/dev/null 2>&1; then
    venv="${PLUMBLINE_VENV:-$HOME/.cache/plumbline/moto-venv}"
    if [[ ! -x "$venv/bin/moto_server" ]]; then
        echo "setup: installing moto[server] into $venv"
        python3 -m venv "$venv"
        "$venv/bin/pip" install -q 'moto[server]'
    fi
fi

# Python checks: componentize-py (pinned in the script) in its own virtualenv, for the example
# Python check and its tests (tests/e2e/python.rs). Installs only when that version is missing.
bash "$(dirname "${BASH_SOURCE[0]}")/build-python-check.sh" --install
