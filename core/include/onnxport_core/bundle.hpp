// Program bundles on disk: program.json v1 + safetensors files.
#pragma once

#include <onnxport/program.hpp>

#include <filesystem>
#include <string_view>

namespace onnxport {

// Loads `dir`/program.json, weights.safetensors (memory-mapped, zero-copy),
// and the optional inputs.safetensors / expected.safetensors. Checks that
// every parameter/buffer the module tree declares has a weight of a matching
// shape when the program declares one. Throws InputError naming the file and
// the JSON pointer (or byte offset) of the problem.
Program load_program(const std::filesystem::path& dir);

// Parses program.json text (`file` only names it in errors). Module children
// keep the order they have in the text (registration order).
Program parse_program_text(std::string_view text, const std::filesystem::path& file);

// Parses a program.json document already in memory (`file` only names it in
// errors). nlohmann::json keeps object keys sorted, so module children come
// in key order here; parse_program_text keeps the file's order.
Program parse_program(const nlohmann::json& doc, const std::filesystem::path& file);

// The inverse of the loader's constant normalization, for writing or printing
// a constant as strict JSON: every non-finite float (which nlohmann::json
// would dump as null) becomes {"float": "inf" | "-inf" | "nan"} again.
nlohmann::json constant_to_program_json(const nlohmann::json& value);

// safetensors: 8-byte little-endian header size, JSON header, raw data.
// Reading memory-maps the file; tensors borrow from the mapping.
TensorMap read_safetensors(const std::filesystem::path& file);
// Writes atomically (temp file + rename).
void write_safetensors(const std::filesystem::path& file, const TensorMap& tensors,
                       const nlohmann::json& metadata = nlohmann::json::object());

}  // namespace onnxport
