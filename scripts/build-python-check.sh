#!/usr/bin/env bash
# Builds the example Python check (examples/python-check, check id `dead-letters-py`) into a
# WebAssembly component with componentize-py, against the frozen contract wit/since_v0.1.0.
#
#   scripts/build-python-check.sh            # install componentize-py if missing, build if stale
#   scripts/build-python-check.sh --install  # only make sure componentize-py is installed
#   scripts/build-python-check.sh --force    # rebuild even when the component is up to date
#
# componentize-py lives in its own virtualenv, ${PLUMBLINE_PY_VENV:-~/.cache/plumbline/py-venv},
# pinned to one version (pip runs only when that version is missing). Output, under target/:
#   target/python-check/dead_letters_py.wasm   the component (its path is the last line printed)
#   target/python-check/bindings/              generated Python bindings, for editors and type checkers
#   target/python-check/app/                   the copy of the .py files it was built from
# The build is skipped when the component is newer than every source (the check, the WIT, this script).
set -euo pipefail

COMPONENTIZE_PY_VERSION=0.25.1

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${PLUMBLINE_PY_VENV:-$HOME/.cache/plumbline/py-venv}"
src="$root/examples/python-check"
wit="$root/wit/since_v0.1.0"
out_dir="$root/target/python-check"
out="$out_dir/dead_letters_py.wasm"
app=dead_letters_py

mode=build
case "${1:-}" in
    "") ;;
    --install) mode=install ;;
    --force) mode=force ;;
    *) echo "usage: $0 [--install|--force]" >&2; exit 2 ;;
esac

install() {
    if [[ -x "$venv/bin/componentize-py" ]] &&
        [[ "$("$venv/bin/componentize-py" --version 2>/dev/null)" == "componentize-py $COMPONENTIZE_PY_VERSION" ]]; then
        return
    fi
    echo "python-check: installing componentize-py==$COMPONENTIZE_PY_VERSION into $venv" >&2
    [[ -x "$venv/bin/pip" ]] || python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check "componentize-py==$COMPONENTIZE_PY_VERSION"
}

# True when $out exists and is newer than every source file.
up_to_date() {
    [[ -f "$out" ]] || return 1
    local newer
    newer="$(find "$src" "$wit" "${BASH_SOURCE[0]}" -newer "$out" -type f \( -name '*.py' -o -name '*.wit' -o -name '*.sh' \) -print -quit)"
    [[ -z "$newer" ]]
}

install
[[ "$mode" == install ]] && exit 0

mkdir -p "$out_dir"
# One build at a time (tests and `just python-check` may race); the loser then finds it fresh.
exec 9>"$out_dir/.lock"
command -v flock >/dev/null 2>&1 && flock 9

if [[ "$mode" == force ]] || ! up_to_date; then
    cpy="$venv/bin/componentize-py"
    rm -rf "$out_dir/bindings"
    "$cpy" -q -d "$wit" -w plugin bindings "$out_dir/bindings"
    # Build from a copy of the .py files: componentize-py's pre-initialisation writes
    # __pycache__/ next to the sources it imports.
    rm -rf "$out_dir/app"
    mkdir -p "$out_dir/app"
    (cd "$src" && find . -name '*.py' -not -path '*/__pycache__/*' -exec cp --parents {} "$out_dir/app/" \;)
    tmp="$out_dir/.$app.$$.wasm"
    trap 'rm -f "$tmp"' EXIT
    # -p: only the check's own files are on the Python path (nothing from any site-packages).
    (cd "$out_dir" && "$cpy" -q -d "$wit" -w plugin componentize "$app" -p "$out_dir/app" -o "$tmp")
    mv -f "$tmp" "$out"
    echo "python-check: built $(du -h "$out" | cut -f1) component" >&2
fi
echo "$out"
