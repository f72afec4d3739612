#!/usr/bin/env bash
# Configures and builds the sanitizer tree (default build-fuzz/, docs/fuzzing.md):
# libonnxport, translators-aten, the libFuzzer targets and the reader tests,
# all with ASan+UBSan. Uses clang when it is installed; with another compiler
# the reader tests are still sanitized and the fuzz tests are skipped (the
# CMake configure step says why). Used by scripts/test.sh and scripts/fuzz.sh.
#
#   scripts/build_fuzz.sh [BUILD_DIR]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${1:-$ROOT/build-fuzz}"

# clang 16 or later, the version CI's sanitizer build is measured and kept
# warning-free with (docs/fuzzing.md); clang 14 also compiles the code base.
compiler_args=()
for cxx in clang++-16 clang++-17 clang++-18 clang++; do
  command -v "$cxx" >/dev/null 2>&1 || continue
  major=$("$cxx" -dumpversion | cut -d. -f1)
  ((major >= 16)) || continue
  compiler_args=(-DCMAKE_CXX_COMPILER="$(command -v "$cxx")")
  cc=${cxx/clang++/clang}
  command -v "$cc" >/dev/null 2>&1 && compiler_args+=(-DCMAKE_C_COMPILER="$(command -v "$cc")")
  break
done
if ((${#compiler_args[@]} == 0)); then
  echo "[build_fuzz] warning: no clang++ 16 or later (Debian: clang-16): building with the default compiler;" \
       "the reader tests are sanitized, the fuzz tests are skipped" >&2
fi
launcher=()
command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)

echo "[build_fuzz] build: $BUILD_DIR" >&2
# -O1 and line tables only: sanitizer reports keep file:line, and the tree
# compiles in about half the time of -O2 -g (it is built from scratch in CI).
# -Werror as in build/ (scripts/setup.sh): this is CI's clang build, so a
# warning only clang reports fails CI too (ONNXPORT_WERROR=OFF to keep them warnings).
cmake -S "$ROOT" -B "$BUILD_DIR" -DONNXPORT_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DONNXPORT_WERROR="${ONNXPORT_WERROR:-ON}" \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only -DNDEBUG" \
  "${compiler_args[@]}" "${launcher[@]}"
cmake --build "$BUILD_DIR" -j"$(nproc)"
