#!/usr/bin/env bash
# Fuzzes plumbline's parsers of untrusted input (fuzz/, cargo-fuzz + libFuzzer): each target for
# SECONDS (default 30), one after another, at the lowest CPU priority, each ending with
# libFuzzer's final stats. A crash fails the script and leaves the input in
# fuzz/artifacts/<target>/. `just test` (what CI runs) ends with `scripts/fuzz.sh 30`.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]        e.g. scripts/fuzz.sh 600 verdict
#
# cargo-fuzz needs nightly compiler flags; the toolchain here is stable, so RUSTC_BOOTSTRAP=1.
# The build is instrumented and separate from the normal one (target/fuzz); no sanitizer
# (`-s none`): the code under test is safe Rust, and ASan would double build and run time. The
# targets use plumbline without its `live` feature (fuzz/Cargo.toml), so the collectors' heavy
# dependencies (librdkafka, the AWS SDK, sqlx, ...) are not compiled a second time.
# New inputs go to target/fuzz/corpus/<target>; the committed fuzz/corpus/<target> only changes
# through `cargo fuzz cmin` (see docs/security.md#fuzzing).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-30}"
shift || true

if ! command -v cargo-fuzz >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi
export RUSTC_BOOTSTRAP=1
flags=(--sanitizer none --codegen-units 16 --target-dir "$root/target/fuzz")

cd "$root/fuzz"
targets=("$@")
if ((${#targets[@]} == 0)); then
    mapfile -t targets < <(cargo fuzz list)
fi

nice -n 19 cargo fuzz build "${flags[@]}"
for target in "${targets[@]}"; do
    scratch="$root/target/fuzz/corpus/$target"
    mkdir -p "$scratch" "corpus/$target"
    echo "fuzz: $target for ${seconds}s"
    nice -n 19 cargo fuzz run "${flags[@]}" "$target" "$scratch" "corpus/$target" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1
done
