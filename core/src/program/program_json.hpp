// What program.json says that load_program needs and the Program struct
// (part of the plugin interface, so its layout stays) does not hold.
#pragma once

#include <onnxport/program.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace onnxport {

// "tied_weights": (name, the name its tensor is stored under), in file order
// (docs/program-format.md).
using TiedWeights = std::vector<std::pair<std::string, std::string>>;

// parse_program_text (onnxport_core/bundle.hpp) that also returns the tied weights.
// It tries read_program_text_fast and, where that declines, reads the text
// with read_program_text_checked.
Program parse_program_text(std::string_view text, const std::filesystem::path& file, TiedWeights& tied_weights);

// The two readers behind it (tests compare them). The fast one fills the
// graph's nodes straight from the text and returns nullopt for any text the
// checked one would refuse and for anything it does not read itself; the
// checked one builds a document (one node at a time) and checks it through
// JsonCursors, so its errors name the file and the JSON pointer. Both give
// the same Program for every text the fast one reads.
std::optional<Program> read_program_text_fast(std::string_view text, const std::filesystem::path& file,
                                              TiedWeights& tied_weights);
Program read_program_text_checked(std::string_view text, const std::filesystem::path& file, TiedWeights& tied_weights);

}  // namespace onnxport
