#!/usr/bin/env bash
# One command for the benchmark (see bench/README.md): installs nginx, linkinator and linkchecker
# when missing, generates the sites, serves them on 127.0.0.1 and compares the tools.
#   bash bench/run.sh                 # 5,000 pages: govscan, linkinator, linkchecker; 50,000 pages: govscan
#   bash bench/run.sh --help          # sizes, tools, timeout, concurrency
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-$(command -v python3 || command -v python)}"
exec "$PY" bench/run.py "$@"
