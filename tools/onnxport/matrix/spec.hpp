// MATRIX.json: which models, combinations (configs) and opsets a matrix
// runs, with tolerances, exclude rules and a per-cell timeout
// (docs/matrix.md, schema config/matrix.schema.json).
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace onnxport::matrix {

struct ModelEntry {
  std::string name;            // the folder's name unless given
  std::filesystem::path dir;   // resolved bundle folder
  std::string path;            // as written, a glob's match spelled out ("bundles/mlp")
  std::string pointer;         // "/models/2"
};

struct Combination {
  std::string name;
  std::string pointer;         // "/combinations/1"
  // The config each cell of this combination exports with: `extends` the
  // combination's config (or base), overlaid by its overlay, with the
  // matrix's tolerances; every path absolute, so it can be written anywhere.
  nlohmann::json config;
  nlohmann::json given;        // the entry as written (part of the digest)
};

struct Tolerances {
  double atol = 1e-4;          // verification, and how far max_abs_diff may grow over a baseline
  double rtol = 1e-3;          // verification, and how far max_rel_diff may grow over a baseline
  double node_growth = 0.1;    // a node count may grow by this fraction over a baseline
};

struct ExcludeRule {
  std::optional<std::string> model;        // glob over model names
  std::optional<std::string> combination;  // glob over combination names
  std::vector<int> opsets;                 // empty: any
  std::string pointer;                     // "/exclude/0"
};

struct Cell {
  std::string id;              // "<model>/<combination>/opset<N>"
  size_t model = 0;            // index into MatrixSpec::models
  size_t combination = 0;      // index into MatrixSpec::combinations
  int opset = 0;
};

struct MatrixSpec {
  std::string file;            // the MATRIX.json path as given
  std::filesystem::path dir;   // relative paths resolve against it
  std::vector<ModelEntry> models;
  std::vector<Combination> combinations;
  std::vector<int> opsets;
  Tolerances tolerances;
  std::vector<ExcludeRule> exclude;
  double timeout_s = 600;      // per cell
  std::string digest;          // sha256 of the canonical spec (docs/matrix.md)
  std::vector<Cell> cells;     // the product minus the excluded cells, sorted by id
  std::vector<std::string> excluded;  // ids of the excluded cells, sorted
};

// Reads and checks everything before any cell runs: unknown keys, types,
// missing model folders, globs that match no bundle, duplicate names,
// combination configs that the config loader refuses, exclude rules that
// match no cell. Throws InputError(file, JSON pointer, reason).
MatrixSpec load_matrix_spec(const std::string& file);

// The cell id of a model, combination and opset.
std::string cell_id(const std::string& model, const std::string& combination, int opset);

// Whether `name` may name a model or combination (it becomes part of cell
// ids and folder names): letters, digits, '_', '.', '+', '-', not starting
// with '.' or '-'.
bool valid_axis_name(const std::string& name);

}  // namespace onnxport::matrix
