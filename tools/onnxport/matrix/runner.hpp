// Runs cells, each in its own process (`onnxport export --verify` with the
// cell's combination config and opset), N at a time, with a per-cell
// timeout that kills the cell's whole process group (docs/matrix.md,
// "Running cells").
#pragma once

#include "cell_result.hpp"
#include "progress.hpp"
#include "spec.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace onnxport::matrix {

struct RunOptions {
  std::filesystem::path self;          // the onnxport executable the cells re-run
  std::filesystem::path out_dir;       // absolute
  int jobs = 1;
  double timeout_s = 600;
  std::vector<std::filesystem::path> plugin_paths;  // absolute, passed to every cell
  bool keep_models = false;
};

// Where a cell's files go, relative to the output folder: "cells/<id>".
std::string cell_dir(const std::string& id);

// The config file a combination's cells export with (written by
// write_combination_configs), relative to the output folder.
std::string combination_config_path(const std::string& combination);

// Writes every combination's config into OUT/configs/.
void write_combination_configs(const MatrixSpec& spec, const std::filesystem::path& out_dir);

// Checks that each combination's plugins load (`onnxport plugins -c CONFIG`
// in a child process, so a plugin that crashes while loading cannot take the
// matrix with it). Throws InputError(matrix file, "/combinations/N", ...).
void check_combination_plugins(const MatrixSpec& spec, const RunOptions& options);

// Runs `cells` and returns one matrix cell each (in the order they
// finished). Throws std::runtime_error when interrupted (SIGINT, SIGTERM),
// after killing the running cells.
std::vector<nlohmann::json> run_cells(const MatrixSpec& spec, const std::vector<Cell>& cells,
                                      const RunOptions& options, Progress& progress);

}  // namespace onnxport::matrix
