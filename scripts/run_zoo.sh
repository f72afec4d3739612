#!/usr/bin/env bash
# The whole zoo (tests/zoo): every torchvision 0.14 classification,
# segmentation, video and optical-flow model and every torch.nn layer,
# converted, exported with config/default.json and checked in ONNX Runtime
# against eager PyTorch at two batch sizes; then the zoo section of
# docs/corpus.md is regenerated from the records.
#
#   scripts/run_zoo.sh [BUILD_DIR] [extra run_zoo.py options, e.g. --jobs 2]
#
# It takes hours on a shared 2-core machine (the big models' random
# initialization and eager runs dominate); it runs niced. Work files (bundles,
# models, records) go to BUILD_DIR/tests/zoo/work-full.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${1:-$ROOT/build}"
shift || true
WORK="$BUILD/tests/zoo/work-full"
START=$(date +%s)
nice -n 10 /usr/bin/python3 "$ROOT/tests/zoo/run_zoo.py" --onnxport "$BUILD/bin/onnxport" \
  --config "$ROOT/config/default.json" --work "$WORK" "$@" || status=$?
/usr/bin/python3 "$ROOT/scripts/gen_zoo_table.py" "$WORK" --seconds $(( $(date +%s) - START ))
exit "${status:-0}"
