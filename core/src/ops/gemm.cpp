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

// C[rows x width] += A[rows, 0:K] * panel[0:K, 0:8] with the block in registers.
template <int R>
void micro_kernel(int64_t K, MatView<float> A, const float* panel, float* C, int64_t ldc, int64_t width) {
  v4f acc[R][2] = {};
  for (int64_t k = 0; k < K; ++k) {
    const v4f b0 = load4(panel + k * kPanel), b1 = load4(panel + k * kPanel + 4);
    for (int r = 0; r < R; ++r) {
      const float a = A.data[r * A.row_stride + k * A.col_stride];
      const v4f va = {a, a, a, a};
      acc[r][0] += va * b0;
      acc[r][1] += va * b1;
    }
  }
  for (int r = 0; r < R; ++r) {
    float out[kPanel];
    std::memcpy(out, &acc[r][0], sizeof(v4f));
    std::memcpy(out + 4, &acc[r][1], sizeof(v4f));
    for (int64_t j = 0; j < width; ++j) C[r * ldc + j] += out[j];
  }
}

void gemm_float_blocked(int64_t M, int64_t N, int64_t K, MatView<float> A, MatView<float> B, float* C) {
  const std::vector<float> packed = pack_panels(N, K, B);
  const int64_t panels = (N + kPanel - 1) / kPanel;
  for (int64_t p = 0; p < panels; ++p) {
    const float* panel = packed.data() + p * K * kPanel;
    const int64_t j0 = p * kPanel, width = std::min(kPanel, N - j0);
    int64_t i = 0;
    for (; i + kRows <= M; i += kRows)
      micro_kernel<kRows>(K, {A.data + i * A.row_stride, A.row_stride, A.col_stride}, panel, C + i * N + j0, N, width);
    for (; i < M; ++i)
      micro_kernel<1>(K, {A.data + i * A.row_stride, A.row_stride, A.col_stride}, panel, C + i * N + j0, N, width);
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
