# plumbline tasks. Run through `scripts/dev <recipe>` on a fresh machine (it installs the
# wasm32-wasip2 target and just itself first). One cargo profile everywhere: release.

set shell := ["bash", "-euo", "pipefail", "-c"]

default:
    @just --list

# Build the plumbline binary (and, through host/build.rs, every Wasm check).
build:
    cargo build --release -p plumbline

# Audit the bundled leaky example estate and show the report (exit code 1 = findings; not an error here).
demo: build
    -./target/release/plumbline audit

# Run plumbline with arbitrary arguments, e.g. `just run checks show acks`.
run *ARGS: build
    ./target/release/plumbline {{ARGS}}

# The workspace is compiled once: the lint is the test build itself, with clippy-driver as the
# workspace crates' compiler (what `cargo clippy` does, but producing real artifacts), so the
# dependency tree is not compiled a second time in check mode. `--all-targets` builds what
# `cargo clippy --all-targets` lints (libs, bins, tests, benches, examples, with and without
# cfg(test)); `-D warnings` makes any rustc or clippy warning fail the build. `cargo test` then
# runs with the same environment, so nothing is recompiled (same flags, same fingerprints).
#
# Expected times on a fresh clone, 2 cores, tools already installed (scripts/setup.sh test):
#   fmt                                    ~5 s
#   services (start + ready checks)        ~30 s
#   build + lint, whole workspace          ~15 min (was: clippy 18 min, then test build 16 min)
#   tests (unit, collectors, e2e)          ~4 min
#   fuzz build (instrumented, target/fuzz) ~6 min (was 9 min; deps at opt-level 1, fuzz/Cargo.toml)
#   fuzz runs, 4 targets x 30 s            ~2.5 min
#   total                                  ~28 min (limit we aim for: 40 min)
# Each step prints its own time ("test: <step> took ...").
#
# Unit tests of host and checks, collector tests against the real servers, end-to-end tests,
# then each fuzz target for 30 s (reduced build without the `live` feature, into target/fuzz; a
# crash fails the run).
# Everything CI runs (`.ci/run` = `scripts/dev test`): fmt, lint, all tests, fuzz smoke run.
test:
    #!/usr/bin/env bash
    set -euo pipefail
    step() { local name=$1 start=$SECONDS; shift; "$@"; echo "test: $name took $((SECONDS - start)) s"; }
    # Fails here when the clippy component is missing (`rustup component add clippy`).
    export RUSTC_WORKSPACE_WRAPPER="$(rustup which clippy-driver)"
    export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
    step fmt cargo fmt --all --check
    step services bash scripts/services.sh
    step build+lint cargo build --release --workspace --all-targets
    step tests cargo test --release --workspace
    # The fuzz workspace is not linted (its instrumented build has flags clippy need not see).
    step fuzz env -u RUSTC_WORKSPACE_WRAPPER -u CLIPPY_ARGS bash scripts/fuzz.sh 30

# Start (idempotently) and wait for the servers the tests use, all on 127.0.0.1.
services:
    bash scripts/services.sh

# Formatting and clippy, warnings are errors (for developers; `test` lints during its build).
lint:
    cargo fmt --all --check
    cargo clippy --release --workspace --all-targets -- -D warnings

# Build the example Python check (examples/python-check) with componentize-py into target/python-check/.
python-check:
    bash scripts/build-python-check.sh

# Fuzz the parsers of untrusted input (fuzz/: snapshot, config, verdict, ...), SECONDS per target.
fuzz SECONDS="30":
    bash scripts/fuzz.sh {{SECONDS}}

# Install the plumbline binary into ~/.cargo/bin.
install:
    cargo install --locked --path host

# Benchmarks, not part of `test` (3–7 minutes): Wasm vs native checks, a Rego peer, scale up
# to 1M resources, start-up, collection from the local servers. Writes bench/results/results.md
# and docs/performance-scale.png (see docs/performance.md). `just bench --quick` for a short look.
bench *ARGS: build services
    cargo run --release -p plumbline-bench -- run {{ARGS}}
