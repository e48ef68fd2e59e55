#!/usr/bin/env bash
# The browser the end-to-end tests drive: Debian's chromium at /usr/bin/chromium, installed
# when it is missing (as root, or through sudo).
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "the end-to-end tests need Chromium at /usr/bin/chromium (Debian's chromium package)" >&2
  exit 1
fi
run_as_root=()
if [ "$(id -u)" -ne 0 ]; then
  run_as_root=(sudo -n)
fi
echo "installing Debian's chromium for the end-to-end tests" >&2
export DEBIAN_FRONTEND=noninteractive
"${run_as_root[@]}" apt-get update -q >/dev/null || true
"${run_as_root[@]}" apt-get install -y -q chromium >/dev/null
test -x /usr/bin/chromium
