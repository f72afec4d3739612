#!/bin/sh
# Installs onnxport, builds this plugin against the installed SDK, lists what
# the config loads and exports the template's bundle with the installed host.
# The plugin-template ctest runs this very script.
#
#   ONNXPORT_BUILD=<onnxport build tree> PREFIX=<install prefix> OUT=<scratch> ./run_example.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
: "${ONNXPORT_BUILD:=$here/../../build}"
: "${PREFIX:=$HOME/onnxport}"
: "${OUT:=$here/out}"

# [doc:install]
cmake --install "$ONNXPORT_BUILD" --prefix "$PREFIX"
# [doc:end]

# [doc:build]
cmake -S "$here" -B "$OUT/build" -DCMAKE_PREFIX_PATH="$PREFIX" -DCMAKE_BUILD_TYPE=Release
cmake --build "$OUT/build"
# [doc:end]

# [doc:plugins]
"$PREFIX/bin/onnxport" plugins -c "$here/config.json" --plugin-path "$OUT/build"
# [doc:end]

# [doc:export]
"$PREFIX/bin/onnxport" export "$here/bundle" -c "$here/config.json" --plugin-path "$OUT/build" \
    -o "$OUT/model.onnx" --report "$OUT/report"
# [doc:end]
