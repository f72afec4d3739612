// Base64 (RFC 4648, with padding) for tensor bytes in JSON dumps.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace onnxport {

std::string base64_encode(std::span<const std::byte> bytes);
// nullopt when `text` is not valid padded base64.
std::optional<std::vector<std::byte>> base64_decode(std::string_view text);

}  // namespace onnxport
