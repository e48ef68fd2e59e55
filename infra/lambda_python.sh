#!/usr/bin/env bash
# Prints the path of a Python of the Lambda runtime's version (template.yaml's Runtime):
# WAVEDB_LAMBDA_PYTHON if set, else python3.X on PATH, else one that pyenv installed.
# Prints nothing (and exits 1) when this machine has none.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="$(sed -n 's/^ *Runtime: python\([0-9.]*\)$/\1/p' "$ROOT/template.yaml" | head -n 1)"
for candidate in "${WAVEDB_LAMBDA_PYTHON:-}" "$(command -v "python$version" || true)" \
    "$HOME"/.pyenv/versions/"$version".*/bin/python"$version"; do
    if [[ -n "$candidate" && -x "$candidate" ]] &&
        [[ "$("$candidate" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" == "$version" ]]; then
        printf '%s\n' "$candidate"
        exit 0
    fi
done
exit 1
