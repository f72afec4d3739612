// JSON encodings shared by diagnostics, the graph IR and reports.
#pragma once

#include <onnxport/diagnostics.hpp>

#include <nlohmann/json.hpp>

namespace onnxport {

// {"file", "line", "col", "text"}; empty fields are omitted.
nlohmann::json source_loc_to_json(const SourceLoc& loc);
// Tolerates missing fields (they keep their defaults).
SourceLoc source_loc_from_json(const nlohmann::json& j);

}  // namespace onnxport
