#!/usr/bin/env bash
# Export time for N = 64, 256, 1024, 4096 layers and the ratio
# time(4096)/time(1024) (< 4.5: PASS). See bench/export_scaling.py for options.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec python3 bench/export_scaling.py "$@"
