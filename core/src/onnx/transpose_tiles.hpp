// Tiled transposes of row-major matrices, shared by constant folding
// (const_eval.cpp, Transpose of a 2-D constant) and the lazily transposed
// lent weights (lent_weights.cpp), which transpose a weight piece by piece
// while the model is written.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace onnxport::onnx_build {

namespace detail {

// out[(c - c0) * rows + r] = in[r * cols + c] for r in [0, rows), c in
// [c0, c1), in square tiles so that both sides are read and written a cache
// line at a time (an element walk took a fifth of a vit_b_16 export).
template <class Element>
void transpose_columns(const std::byte* in_bytes, std::byte* out_bytes, int64_t rows, int64_t cols, int64_t c0,
                       int64_t c1) {
  constexpr int64_t kTile = 32;
  // Element-sized loads and stores through memcpy: the mapped input need
  // not be aligned for Element.
  for (int64_t r0 = 0; r0 < rows; r0 += kTile) {
    const int64_t r1 = std::min(rows, r0 + kTile);
    for (int64_t t0 = c0; t0 < c1; t0 += kTile) {
      const int64_t t1 = std::min(c1, t0 + kTile);
      for (int64_t r = r0; r < r1; ++r) {
        const std::byte* src = in_bytes + static_cast<size_t>(r * cols) * sizeof(Element);
        for (int64_t c = t0; c < t1; ++c) {
          Element v;
          std::memcpy(&v, src + static_cast<size_t>(c) * sizeof(Element), sizeof(Element));
          std::memcpy(out_bytes + static_cast<size_t>((c - c0) * rows + r) * sizeof(Element), &v, sizeof(Element));
        }
      }
    }
  }
}

}  // namespace detail

// Rows [c0, c1) of the transpose of `in`, a rows x cols matrix of
// `element_size`-byte elements, into `out` ((c1 - c0) * rows elements).
// False for an element size other than 1, 2, 4 or 8 (nothing written).
inline bool transpose_columns(const std::byte* in, std::byte* out, int64_t rows, int64_t cols, int64_t c0, int64_t c1,
                              size_t element_size) {
  switch (element_size) {
    case 1: detail::transpose_columns<uint8_t>(in, out, rows, cols, c0, c1); return true;
    case 2: detail::transpose_columns<uint16_t>(in, out, rows, cols, c0, c1); return true;
    case 4: detail::transpose_columns<uint32_t>(in, out, rows, cols, c0, c1); return true;
    case 8: detail::transpose_columns<uint64_t>(in, out, rows, cols, c0, c1); return true;
    default: return false;
  }
}

}  // namespace onnxport::onnx_build
