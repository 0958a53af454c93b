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

# Everything CI runs: formatting, lints, unit tests of host and checks, collector tests against
# the real servers, end-to-end tests, then each fuzz target for 30 s (reduced build without the
# `live` feature, into target/fuzz; a crash fails the run).
test: lint services
    cargo test --release --workspace
    bash scripts/fuzz.sh 30

# Start (idempotently) and wait for the servers the tests use, all on 127.0.0.1.
services:
    bash scripts/services.sh

# Formatting and clippy, warnings are errors.
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
