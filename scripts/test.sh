#!/usr/bin/env bash
# Set up (packages, npm, build), then run the whole test suite: unit,
# integration, plugin zoo, every label.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
ctest --test-dir build --output-on-failure -j2
