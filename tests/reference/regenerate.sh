#!/usr/bin/env bash
# Regenerate every R reference output: inputs from the seeded generators, then each R script.
set -euo pipefail
cd "$(dirname "$0")/../.."
# R packages Debian lacks (mstate, ...) are built into /work/rlib
if [ -d /work/rlib ]; then export R_LIBS="${R_LIBS:-/work/rlib}"; fi
for dir in tests/reference/*/; do
    topic=$(basename "$dir")
    [ -f "$dir/make_inputs.py" ] && python "$dir/make_inputs.py"
    for script in "$dir"/*.R; do
        [ -f "$script" ] || continue
        echo "== $script"
        (cd "$dir" && Rscript "$(basename "$script")")
    done
done
