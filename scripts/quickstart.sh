#!/usr/bin/env bash
# Quick start: set up (packages, npm, and a build of the onnxport CLI and its
# plugins only: no test is compiled), then export the seed's model with the
# default config. scripts/test.sh builds the rest. The model lands in out/seed.onnx, the report in
# out/seed-report/ (report.md for people, report.json for tools).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh --tool-only
mkdir -p out
build/bin/onnxport export examples/seed -c config/default.json -o out/seed.onnx --report out/seed-report
echo
echo "Model: out/seed.onnx (see it with: build/bin/onnxport inspect out/seed.onnx)"
echo "Report: out/seed-report/report.md"
