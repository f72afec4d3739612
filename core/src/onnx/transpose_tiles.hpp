// Tiled transposes of row-major matrices, shared by constant folding
// (const_eval.cpp, Transpose of a 2-D constant) and the lazily transposed
// lent weights (lent_weights.cpp), which transpose a weight piece by piece
// while the model is written.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

#if defined(__SSE2__)
// The same for 4-byte elements (float32, int32: almost every weight), 4 x 4
// at a time in SSE registers (loads and shuffles move the bits unchanged,
// whatever they encode), in 64 x 64 blocks; inside a block, four columns at
// a time down its 64 rows, so that each output row gets 256 contiguous bytes
// (whole cache lines) per pass. A micro-benchmark transposing vit_b_16's
// weights file from a fresh mapping (2304x768, 768x768, 3072x768 and
// 768x3072 matrices in turn; bench/README.md, "Start-up and transposes"): 0.073 s
// against 0.100 s for 8 x 8 tiles walked by 8-row strips, which wrote 32
// bytes per output row per strip; 16, 32, 128 and 256 blocks, row-first
// blocks and 16- or 32-row strips were between the two.
inline void transpose_columns_4x4(const std::byte* in_bytes, std::byte* out_bytes, int64_t rows, int64_t cols,
                                  int64_t c0, int64_t c1) {
  const auto* in = reinterpret_cast<const float*>(in_bytes);
  auto* out = reinterpret_cast<float*>(out_bytes);
  auto scalar = [&](int64_t r, int64_t c) {
    std::memcpy(out_bytes + static_cast<size_t>((c - c0) * rows + r) * 4, in_bytes + static_cast<size_t>(r * cols + c) * 4,
                4);
  };
  constexpr int64_t kBlock = 64;
  for (int64_t r0 = 0; r0 < rows; r0 += kBlock) {
    const int64_t r1 = std::min(rows, r0 + kBlock);
    const int64_t r4 = r0 + (r1 - r0) / 4 * 4;  // the rows in whole groups of four
    for (int64_t b0 = c0; b0 < c1; b0 += kBlock) {
      const int64_t b1 = std::min(c1, b0 + kBlock);
      int64_t c = b0;
      for (; c + 4 <= b1; c += 4) {
        int64_t r = r0;
        for (; r < r4; r += 4) {
          __m128 a = _mm_loadu_ps(in + r * cols + c), b = _mm_loadu_ps(in + (r + 1) * cols + c),
                 d = _mm_loadu_ps(in + (r + 2) * cols + c), e = _mm_loadu_ps(in + (r + 3) * cols + c);
          _MM_TRANSPOSE4_PS(a, b, d, e);
          _mm_storeu_ps(out + (c - c0) * rows + r, a);
          _mm_storeu_ps(out + (c + 1 - c0) * rows + r, b);
          _mm_storeu_ps(out + (c + 2 - c0) * rows + r, d);
          _mm_storeu_ps(out + (c + 3 - c0) * rows + r, e);
        }
        for (; r < r1; ++r)
          for (int64_t k = c; k < c + 4; ++k) scalar(r, k);
      }
      for (; c < b1; ++c)
        for (int64_t r = r0; r < r1; ++r) scalar(r, c);
    }
  }
}
#endif

}  // namespace detail

// Rows [c0, c1) of the transpose of `in`, a rows x cols matrix of
// `element_size`-byte elements, into `out` ((c1 - c0) * rows elements).
// False for an element size other than 1, 2, 4 or 8 (nothing written).
inline bool transpose_columns(const std::byte* in, std::byte* out, int64_t rows, int64_t cols, int64_t c0, int64_t c1,
                              size_t element_size) {
  switch (element_size) {
    case 1: detail::transpose_columns<uint8_t>(in, out, rows, cols, c0, c1); return true;
    case 2: detail::transpose_columns<uint16_t>(in, out, rows, cols, c0, c1); return true;
    case 4:
#if defined(__SSE2__)
      detail::transpose_columns_4x4(in, out, rows, cols, c0, c1);
#else
      detail::transpose_columns<uint32_t>(in, out, rows, cols, c0, c1);
#endif
      return true;
    case 8: detail::transpose_columns<uint64_t>(in, out, rows, cols, c0, c1); return true;
    default: return false;
  }
}

}  // namespace onnxport::onnx_build
