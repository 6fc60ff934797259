#!/usr/bin/env bash
# Debian packages the project needs beyond Python: python3-venv (Debian's own python3 lacks
# venv without it), a C compiler and the Python headers (the Squid scanner,
# formats/_squidscan.c, is built by the install) and chromium (the browser tests drive it;
# never a downloaded browser).
# Installs only what is missing; used by `make test`, `make demo` and `.ci/run`.
set -euo pipefail
need=()
python3 -c "import ensurepip, venv" >/dev/null 2>&1 || need+=(python3-venv)
command -v gcc >/dev/null 2>&1 || need+=(gcc)
python3 -c "import os, sysconfig; raise SystemExit(not os.path.isfile(os.path.join(sysconfig.get_paths()['include'], 'Python.h')))" >/dev/null 2>&1 || need+=(python3-dev)
if [ "${1:-}" = "--browser" ]; then
    command -v chromium >/dev/null 2>&1 || need+=(chromium)
fi
[ ${#need[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
    echo "missing system packages: ${need[*]} (install them with your package manager)" >&2
    exit 1
fi
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "installing system packages: ${need[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}"
