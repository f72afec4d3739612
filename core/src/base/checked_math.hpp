// Overflow-checked size arithmetic for numbers that come from input files
// (dims, element counts, byte counts, offsets). Every reader computes sizes
// through these, so a crafted shape cannot wrap a count into a small number
// and make a later loop or memcpy run past an allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace onnxport {

// a * b, or nullopt when it does not fit in int64.
inline std::optional<int64_t> checked_mul(int64_t a, int64_t b) {
  int64_t out = 0;
  if (__builtin_mul_overflow(a, b, &out)) return std::nullopt;
  return out;
}

// a + b, or nullopt when it does not fit in int64.
inline std::optional<int64_t> checked_add(int64_t a, int64_t b) {
  int64_t out = 0;
  if (__builtin_add_overflow(a, b, &out)) return std::nullopt;
  return out;
}

// The product of `dims`, or nullopt when a dim is negative or the product
// does not fit in int64. (A zero dim anywhere makes the product 0 even if
// the others would overflow, as an empty tensor holds nothing.)
inline std::optional<int64_t> checked_numel(std::span<const int64_t> dims) {
  int64_t n = 1;
  bool empty = false;
  for (int64_t d : dims) {
    if (d < 0) return std::nullopt;
    if (d == 0) empty = true;
  }
  if (empty) return 0;
  for (int64_t d : dims) {
    auto next = checked_mul(n, d);
    if (!next) return std::nullopt;
    n = *next;
  }
  return n;
}

// checked_numel(dims) * element_size, or nullopt on a negative dim or overflow.
inline std::optional<int64_t> checked_nbytes(std::span<const int64_t> dims, size_t element_size) {
  auto n = checked_numel(dims);
  if (!n) return std::nullopt;
  return checked_mul(*n, static_cast<int64_t>(element_size));
}

}  // namespace onnxport
