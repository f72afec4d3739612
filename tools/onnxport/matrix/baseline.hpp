// --baseline: a run compared cell by cell with a committed matrix.json
// (docs/matrix.md, "Baselines").
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace onnxport::matrix {

struct CellChange {
  std::string id;
  std::vector<std::string> reasons;  // one sentence each
};

struct Comparison {
  std::vector<CellChange> regressions;   // exit 1 when any
  std::vector<CellChange> improvements;
  std::vector<CellChange> changes;       // neither: another strategy, fail -> crash
  size_t compared = 0;                   // cells in both
};

// Throws InputError(baseline_file, "/matrix/digest", reason) when the
// baseline is of another matrix. Tolerances are the current document's.
// A regression: the status got worse (pass > unsound > fail, timeout,
// crash), a sound graph became unsound, max_abs_diff grew by more than
// atol, max_rel_diff by more than rtol, or the node count grew by more than
// node_growth (a fraction). Improvements are the same moves the other way.
Comparison compare_with_baseline(const nlohmann::json& current, const nlohmann::json& baseline,
                                 const std::string& baseline_file);

// The summary printed after a run: counts, then every regressed cell and
// why, then improvements and other changes.
std::string comparison_text(const Comparison& comparison, const std::string& baseline_file);

}  // namespace onnxport::matrix
