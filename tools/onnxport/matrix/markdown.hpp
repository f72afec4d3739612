// matrix.md: the grid for people (docs/matrix.md, "matrix.md").
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace onnxport::matrix {

// Rows are models, columns combination x opset; a cell is ✅ (pass), ⚠
// (exported, not sound) or ❌ (fail, timeout, crash), with the winning
// strategy; excluded cells are "–", cells of other shards blank. Then the
// summary line and one line per cell that did not pass.
std::string render_matrix_markdown(const nlohmann::json& doc);

// "✅ strict", "⚠ draft", "❌", "❌ timeout", "❌ crash".
std::string cell_mark(const nlohmann::json& cell);

// "120 cells: 100 pass, 12 fail, 6 unsound, 1 timeout, 1 crash".
std::string summary_line(const nlohmann::json& summary);

}  // namespace onnxport::matrix
