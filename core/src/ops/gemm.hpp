// Dense matrix multiply shared by linear algebra and convolution kernels.
#pragma once

#include <cstdint>

namespace onnxport::ops {

// A strided read-only matrix view: element (r, c) is data[r * row_stride + c * col_stride].
template <class T>
struct MatView {
  const T* data;
  int64_t row_stride;
  int64_t col_stride;
};

// C[M, N] += A[M, K] * B[K, N]. C is contiguous row-major (leading dim N).
// Accumulates in T (float for float32, as torch's CPU BLAS does).
template <class T>
void gemm_accumulate(int64_t M, int64_t N, int64_t K, MatView<T> A, MatView<T> B, T* C);

extern template void gemm_accumulate<float>(int64_t, int64_t, int64_t, MatView<float>, MatView<float>, float*);
extern template void gemm_accumulate<double>(int64_t, int64_t, int64_t, MatView<double>, MatView<double>, double*);
extern template void gemm_accumulate<int8_t>(int64_t, int64_t, int64_t, MatView<int8_t>, MatView<int8_t>, int8_t*);
extern template void gemm_accumulate<int16_t>(int64_t, int64_t, int64_t, MatView<int16_t>, MatView<int16_t>, int16_t*);
extern template void gemm_accumulate<int32_t>(int64_t, int64_t, int64_t, MatView<int32_t>, MatView<int32_t>, int32_t*);
extern template void gemm_accumulate<int64_t>(int64_t, int64_t, int64_t, MatView<int64_t>, MatView<int64_t>, int64_t*);
extern template void gemm_accumulate<uint8_t>(int64_t, int64_t, int64_t, MatView<uint8_t>, MatView<uint8_t>, uint8_t*);

}  // namespace onnxport::ops
