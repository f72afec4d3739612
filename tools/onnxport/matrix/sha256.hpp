// SHA-256 (FIPS 180-4) of a byte string, as lowercase hex: the digest that
// identifies a matrix spec (docs/matrix.md, "matrix.digest").
#pragma once

#include <string>
#include <string_view>

namespace onnxport::matrix {

std::string sha256_hex(std::string_view bytes);

}  // namespace onnxport::matrix
