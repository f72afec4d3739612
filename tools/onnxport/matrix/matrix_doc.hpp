// matrix.json as a document: assembling it from a run's cells, reading one
// back (for merge, --baseline and --times), joining shards, and the
// baseline form without times (docs/matrix.md, "matrix.json").
#pragma once

#include "shard.hpp"
#include "spec.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace onnxport::matrix {

inline constexpr const char* kMatrixFormat = "onnxport-matrix";
inline constexpr int kMatrixVersion = 1;

// The document of a run over `cells` (one shard's, or all): cells sorted by
// id, the summary counted from them.
nlohmann::json matrix_document(const MatrixSpec& spec, const std::optional<Shard>& shard,
                               std::vector<nlohmann::json> cells);

// {"total", "pass", "fail", "unsound", "timeout", "crash"} over `cells`.
nlohmann::json summarize_cells(const nlohmann::json& cells);

// The same document without any "seconds" (cells and stages) and without
// "timing" (the run's wall time, set-up time and job count): what a
// committed baseline holds, so that it diffs cleanly.
nlohmann::json without_times(nlohmann::json doc);

// Reads a matrix.json and checks the fields onnxport relies on (format,
// version, digest, axes, cells with unique ids and known statuses). Throws
// InputError(file, pointer, reason).
nlohmann::json read_matrix_file(const std::string& file);

// Joins shard outputs into the document of the whole matrix. Refuses
// (InputError naming the part and the reason) parts of different matrices
// (digest), repeated shards, a cell in two parts, and cells of the matrix
// that no part has.
nlohmann::json merge_matrix_parts(const std::vector<std::pair<std::string, nlohmann::json>>& parts);

// The ids the matrix has: models x combinations x opsets minus "excluded".
std::vector<std::string> expected_cell_ids(const nlohmann::json& doc);

}  // namespace onnxport::matrix
