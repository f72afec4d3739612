// Dense matrix multiply for the reference kernels.
//
// float32 uses a register-blocked micro-kernel: B is packed once into panels
// of 8 columns (contiguous over k), and each 4x8 block of C is accumulated
// in registers over the whole k range (GCC vector extensions, so it builds
// with plain -O2 and no -march flags). Other dtypes use a straightforward
// i-k-j loop over a packed B. Small-M products whose B is a transposed
// contiguous matrix (linear on a few rows) use dot products instead, which
// avoids packing a large weight for a single row.
#include "gemm.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

namespace onnxport::ops {
namespace {

constexpr int64_t kPanel = 8;  // columns per packed B panel
constexpr int64_t kRows = 4;   // rows of C per micro-kernel call

// B packed as ceil(N/8) panels, each K rows x 8 columns, zero-padded.
template <class T>
std::vector<T> pack_panels(int64_t N, int64_t K, MatView<T> B) {
  const int64_t panels = (N + kPanel - 1) / kPanel;
  std::vector<T> packed(static_cast<size_t>(panels * K * kPanel), T(0));
  for (int64_t p = 0; p < panels; ++p) {
    T* dst = packed.data() + p * K * kPanel;
    const int64_t j0 = p * kPanel, width = std::min(kPanel, N - j0);
    for (int64_t k = 0; k < K; ++k)
      for (int64_t j = 0; j < width; ++j) dst[k * kPanel + j] = B.data[k * B.row_stride + (j0 + j) * B.col_stride];
  }
  return packed;
}

using v4f = float __attribute__((vector_size(16)));

inline v4f load4(const float* p) {
  v4f v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline v4f splat(float a) { return v4f{a, a, a, a}; }

// Adds a register block to C, keeping only the `width` valid columns.
inline void store_row(float* c, v4f lo, v4f hi, int64_t width) {
  float row[kPanel];
  std::memcpy(row, &lo, sizeof lo);
  std::memcpy(row + 4, &hi, sizeof hi);
  for (int64_t j = 0; j < width; ++j) c[j] += row[j];
}

// C[4 x width] += A[4 rows, 0:K] * panel[0:K, 0:8]. The 4x8 block lives in
// eight named registers for the whole k loop (an array would be spilled at -O2).
void micro_kernel_4(int64_t K, MatView<float> A, const float* panel, float* C, int64_t ldc, int64_t width) {
  v4f c00{}, c01{}, c10{}, c11{}, c20{}, c21{}, c30{}, c31{};
  const float* a0 = A.data;
  const float* a1 = A.data + A.row_stride;
  const float* a2 = A.data + 2 * A.row_stride;
  const float* a3 = A.data + 3 * A.row_stride;
  for (int64_t k = 0; k < K; ++k) {
    const v4f b0 = load4(panel + k * kPanel), b1 = load4(panel + k * kPanel + 4);
    const int64_t at = k * A.col_stride;
    const v4f x0 = splat(a0[at]), x1 = splat(a1[at]), x2 = splat(a2[at]), x3 = splat(a3[at]);
    c00 += x0 * b0;
    c01 += x0 * b1;
    c10 += x1 * b0;
    c11 += x1 * b1;
    c20 += x2 * b0;
    c21 += x2 * b1;
    c30 += x3 * b0;
    c31 += x3 * b1;
  }
  store_row(C, c00, c01, width);
  store_row(C + ldc, c10, c11, width);
  store_row(C + 2 * ldc, c20, c21, width);
  store_row(C + 3 * ldc, c30, c31, width);
}

// One row of C: the leftover rows when M is not a multiple of 4.
void micro_kernel_1(int64_t K, MatView<float> A, const float* panel, float* C, int64_t width) {
  v4f c0{}, c1{};
  for (int64_t k = 0; k < K; ++k) {
    const v4f x = splat(A.data[k * A.col_stride]);
    c0 += x * load4(panel + k * kPanel);
    c1 += x * load4(panel + k * kPanel + 4);
  }
  store_row(C, c0, c1, width);
}

void gemm_float_blocked(int64_t M, int64_t N, int64_t K, MatView<float> A, MatView<float> B, float* C) {
  const std::vector<float> packed = pack_panels(N, K, B);
  const int64_t panels = (N + kPanel - 1) / kPanel;
  for (int64_t p = 0; p < panels; ++p) {
    const float* panel = packed.data() + p * K * kPanel;
    const int64_t j0 = p * kPanel, width = std::min(kPanel, N - j0);
    int64_t i = 0;
    for (; i + kRows <= M; i += kRows)
      micro_kernel_4(K, {A.data + i * A.row_stride, A.row_stride, A.col_stride}, panel, C + i * N + j0, N, width);
    for (; i < M; ++i)
      micro_kernel_1(K, {A.data + i * A.row_stride, A.row_stride, A.col_stride}, panel, C + i * N + j0, width);
  }
}

// C[m, n] += dot(A[m, :], B[:, n]) when both are contiguous along k.
template <class T>
void gemm_dot(int64_t M, int64_t N, int64_t K, MatView<T> A, MatView<T> B, T* C) {
  for (int64_t m = 0; m < M; ++m) {
    const T* a = A.data + m * A.row_stride;
    for (int64_t n = 0; n < N; ++n) {
      const T* b = B.data + n * B.col_stride;
      T s0 = 0, s1 = 0, s2 = 0, s3 = 0;  // independent chains let the CPU overlap them
      int64_t k = 0;
      for (; k + 4 <= K; k += 4) {
        s0 += a[k] * b[k];
        s1 += a[k + 1] * b[k + 1];
        s2 += a[k + 2] * b[k + 2];
        s3 += a[k + 3] * b[k + 3];
      }
      for (; k < K; ++k) s0 += a[k] * b[k];
      C[m * N + n] += (s0 + s1) + (s2 + s3);
    }
  }
}

// i-k-j over a contiguous copy of B: the inner loop streams rows of B and C.
template <class T>
void gemm_generic(int64_t M, int64_t N, int64_t K, MatView<T> A, MatView<T> B, T* C) {
  std::vector<T> rows(static_cast<size_t>(K * N));
  for (int64_t k = 0; k < K; ++k)
    for (int64_t n = 0; n < N; ++n) rows[static_cast<size_t>(k * N + n)] = B.data[k * B.row_stride + n * B.col_stride];
  for (int64_t m = 0; m < M; ++m) {
    T* c = C + m * N;
    for (int64_t k = 0; k < K; ++k) {
      const T a = A.data[m * A.row_stride + k * A.col_stride];
      const T* b = rows.data() + k * N;
      for (int64_t n = 0; n < N; ++n) c[n] = static_cast<T>(c[n] + a * b[n]);
    }
  }
}

}  // namespace

template <class T>
void gemm_accumulate(int64_t M, int64_t N, int64_t K, MatView<T> A, MatView<T> B, T* C) {
  if (M == 0 || N == 0 || K == 0) return;
  const bool dot_friendly = A.col_stride == 1 && B.row_stride == 1;
  if constexpr (std::is_same_v<T, float>) {
    if (dot_friendly && M <= 2) return gemm_dot(M, N, K, A, B, C);
    return gemm_float_blocked(M, N, K, A, B, C);
  } else {
    if (dot_friendly && M <= 2) return gemm_dot(M, N, K, A, B, C);
    return gemm_generic(M, N, K, A, B, C);
  }
}

template void gemm_accumulate<float>(int64_t, int64_t, int64_t, MatView<float>, MatView<float>, float*);
template void gemm_accumulate<double>(int64_t, int64_t, int64_t, MatView<double>, MatView<double>, double*);
template void gemm_accumulate<int8_t>(int64_t, int64_t, int64_t, MatView<int8_t>, MatView<int8_t>, int8_t*);
template void gemm_accumulate<int16_t>(int64_t, int64_t, int64_t, MatView<int16_t>, MatView<int16_t>, int16_t*);
template void gemm_accumulate<int32_t>(int64_t, int64_t, int64_t, MatView<int32_t>, MatView<int32_t>, int32_t*);
template void gemm_accumulate<int64_t>(int64_t, int64_t, int64_t, MatView<int64_t>, MatView<int64_t>, int64_t*);
template void gemm_accumulate<uint8_t>(int64_t, int64_t, int64_t, MatView<uint8_t>, MatView<uint8_t>, uint8_t*);

}  // namespace onnxport::ops
