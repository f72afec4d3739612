// What program.json says that load_program needs and the Program struct
// (part of the plugin interface, so its layout stays) does not hold.
#pragma once

#include <onnxport/program.hpp>

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace onnxport {

// "tied_weights": (name, the name its tensor is stored under), in file order
// (docs/program-format.md).
using TiedWeights = std::vector<std::pair<std::string, std::string>>;

// parse_program_text (onnxport_core/bundle.hpp) that also returns the tied weights.
Program parse_program_text(std::string_view text, const std::filesystem::path& file, TiedWeights& tied_weights);

}  // namespace onnxport
