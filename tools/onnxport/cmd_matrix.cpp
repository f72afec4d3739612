// onnxport matrix MATRIX.json [-o DIR] [-j N] [--shard I/N] [--times FILE]
//                 [--baseline FILE [--update-baseline]] [--timeout S] ...
// onnxport matrix merge PARTS... -o DIR [--baseline FILE [--update-baseline]]
//
// Regression tests over plugin combinations (docs/matrix.md): every cell
// (model x combination x opset) exported, checked and verified in a process
// of its own; matrix.json, matrix.md and matrix.html in DIR.
#include "cli_common.hpp"

#include "matrix/baseline.hpp"
#include "matrix/html_report.hpp"
#include "matrix/markdown.hpp"
#include "matrix/matrix_doc.hpp"
#include "matrix/progress.hpp"
#include "matrix/runner.hpp"
#include "matrix/shard.hpp"
#include "matrix/spec.hpp"

#include <onnxport_core/report.hpp>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <sched.h>
#include <thread>
#include <unistd.h>

namespace onnxport::cli {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct MatrixArgs {
  std::string matrix_file;
  std::string output = "matrix-out";
  int jobs = 0;
  std::string shard;
  std::string times;
  std::string baseline;
  bool update_baseline = false;
  double timeout_s = 0;
  std::vector<std::string> plugin_paths;
  bool keep_models = false;
};

struct MergeArgs {
  std::vector<std::string> parts;
  std::string output;
  std::string baseline;
  bool update_baseline = false;
};

// The cores this process may use (a Slurm task or a container may have
// fewer than the machine).
int usable_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
  const unsigned n = std::thread::hardware_concurrency();
  return n > 0 ? static_cast<int>(n) : 1;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

fs::path self_executable() {
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw std::runtime_error("cannot find the onnxport executable (/proc/self/exe): " + ec.message());
  return self;
}

// matrix.json, matrix.md and matrix.html into `dir`, each through a temp
// file and a rename, so a reader never sees half of one.
void write_outputs(const fs::path& dir, const json& doc) {
  write_text_atomic(dir / "matrix.json", doc.dump(1) + "\n");
  write_text_atomic(dir / "matrix.md", matrix::render_matrix_markdown(doc));
  write_text_atomic(dir / "matrix.html", matrix::render_matrix_html(doc));
  std::cout << matrix::summary_line(doc["summary"]) << "\n";
  std::cout << "Written: " << (dir / "matrix.json").string() << ", " << (dir / "matrix.md").string() << ", "
            << (dir / "matrix.html").string() << "\n";
}

// The baseline to compare with, read before any cell runs so that a wrong
// file costs nothing. nullopt when there is none to compare with (none
// given, or --update-baseline on a file that does not exist yet or cannot
// be compared: it is about to be replaced).
std::optional<json> read_baseline(const std::string& file, bool update, const std::string& digest) {
  if (file.empty()) return std::nullopt;
  std::error_code ec;
  if (update && !fs::exists(file, ec)) return std::nullopt;
  try {
    json base = matrix::read_matrix_file(file);
    if (base["matrix"]["digest"] != digest) {
      // The same refusal compare_with_baseline makes, before the run.
      (void)matrix::compare_with_baseline(json{{"matrix", {{"digest", digest}}}, {"cells", json::array()}}, base, file);
    }
    return base;
  } catch (const InputError& e) {
    if (!update) throw;
    std::cerr << "[matrix] the baseline " << file << " is replaced without a comparison: " << e.what() << "\n";
    return std::nullopt;
  }
}

// Compares, prints, rewrites the baseline when asked; the exit code.
int conclude(const json& doc, const std::string& baseline_file, const std::optional<json>& baseline, bool update) {
  int code = kExitOk;
  if (baseline) {
    const matrix::Comparison cmp = matrix::compare_with_baseline(doc, *baseline, baseline_file);
    std::cout << matrix::comparison_text(cmp, baseline_file);
    if (!cmp.regressions.empty() && !update) code = kExitFailed;
  }
  if (update) {
    write_text_atomic(baseline_file, matrix::without_times(doc).dump(1) + "\n");
    std::cout << "Baseline written: " << baseline_file << "\n";
  }
  return code;
}

void check_baseline_args(const std::string& baseline, bool update) {
  if (update && baseline.empty())
    throw InputError("<command line>", "--update-baseline", "needs --baseline FILE: the file to write");
}

int run_matrix(const MatrixArgs& a, const CLI::App& cmd) {
  check_baseline_args(a.baseline, a.update_baseline);
  std::optional<matrix::Shard> shard;
  if (!a.shard.empty()) shard = matrix::parse_shard(a.shard, nullptr);  // checked by the option
  if (shard && a.update_baseline)
    throw InputError("<command line>", "--update-baseline",
                     "a baseline holds the whole matrix: merge the shards (onnxport matrix merge ... --baseline FILE "
                     "--update-baseline) instead of writing it from shard " + a.shard);
  if (!a.times.empty() && !shard)
    throw InputError("<command line>", "--times", "balances shards: it needs --shard I/N");

  const auto started = std::chrono::steady_clock::now();
  matrix::MatrixSpec spec = matrix::load_matrix_spec(a.matrix_file);
  const std::optional<json> baseline = read_baseline(a.baseline, a.update_baseline, spec.digest);
  std::map<std::string, double> times;
  if (!a.times.empty()) times = matrix::read_cell_times(a.times);

  const std::vector<matrix::Cell> cells =
      shard ? matrix::shard_cells(spec.cells, *shard, a.times.empty() ? nullptr : &times) : spec.cells;

  matrix::RunOptions options;
  options.self = self_executable();
  options.out_dir = fs::absolute(a.output).lexically_normal();
  options.jobs = a.jobs > 0 ? a.jobs : usable_cores();
  options.timeout_s = cmd.count("--timeout") > 0 ? a.timeout_s : spec.timeout_s;
  for (const auto& p : a.plugin_paths) options.plugin_paths.push_back(fs::absolute(p).lexically_normal());
  options.keep_models = a.keep_models;

  std::error_code ec;
  fs::create_directories(options.out_dir, ec);
  if (ec) throw std::runtime_error(options.out_dir.string() + ": cannot create folder: " + ec.message());
  matrix::write_combination_configs(spec, options.out_dir);
  matrix::check_combination_plugins(spec, options);

  std::cerr << "[matrix] " << cells.size() << " cell(s)";
  if (shard) std::cerr << " (shard " << shard->index << " of " << shard->count << ", of " << spec.cells.size() << ")";
  std::cerr << ", " << options.jobs << " at a time, timeout " << options.timeout_s << " s per cell\n";
  matrix::Progress progress(std::cerr, ::isatty(STDERR_FILENO) != 0, cells.size());
  const double setup_seconds = seconds_since(started);
  std::vector<json> results = matrix::run_cells(spec, cells, options, progress);

  json doc = matrix::matrix_document(spec, shard, std::move(results));
  // Not deterministic, like every "seconds": bench/matrix reads it.
  doc["timing"] = {{"seconds", seconds_since(started)}, {"setup_seconds", setup_seconds}, {"jobs", options.jobs}};
  write_outputs(options.out_dir, doc);
  return conclude(doc, a.baseline, baseline, a.update_baseline);
}

// A part is a matrix.json or the folder that holds one.
fs::path part_file(const std::string& part) {
  std::error_code ec;
  return fs::is_directory(part, ec) ? fs::path(part) / "matrix.json" : fs::path(part);
}

// Copies the parts' cell folders (reports, logs) into the merged output,
// where the cells' "dir" fields point.
void copy_cell_folders(const fs::path& part_dir, const json& part, const fs::path& out_dir) {
  for (const json& cell : part["cells"]) {
    if (!cell.contains("dir") || !cell["dir"].is_string()) continue;
    const fs::path from = part_dir / cell["dir"].get<std::string>();
    const fs::path to = out_dir / cell["dir"].get<std::string>();
    std::error_code ec;
    if (!fs::is_directory(from, ec) || fs::equivalent(from, to, ec)) continue;
    fs::remove_all(to, ec);
    fs::create_directories(to.parent_path(), ec);
    fs::copy(from, to, fs::copy_options::recursive, ec);
    if (ec) throw std::runtime_error("cannot copy " + from.string() + " to " + to.string() + ": " + ec.message());
  }
}

int run_merge(const MergeArgs& a) {
  check_baseline_args(a.baseline, a.update_baseline);
  std::vector<std::pair<std::string, json>> parts;
  for (const auto& p : a.parts) {
    const std::string file = part_file(p).string();
    parts.emplace_back(file, matrix::read_matrix_file(file));
  }
  json merged = matrix::merge_matrix_parts(parts);
  const std::optional<json> baseline =
      read_baseline(a.baseline, a.update_baseline, merged["matrix"]["digest"].get<std::string>());
  const fs::path out_dir = fs::absolute(a.output).lexically_normal();
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) throw std::runtime_error(out_dir.string() + ": cannot create folder: " + ec.message());
  for (const auto& [file, doc] : parts) {
    const fs::path dir = fs::path(file).parent_path();
    copy_cell_folders(dir.empty() ? fs::path(".") : dir, doc, out_dir);
  }
  std::cerr << "[matrix] merged " << parts.size() << " part(s), " << merged["cells"].size() << " cell(s)\n";
  write_outputs(out_dir, merged);
  return conclude(merged, a.baseline, baseline, a.update_baseline);
}

void add_baseline_options(CLI::App* cmd, std::string& baseline, bool& update) {
  cmd->add_option("--baseline", baseline,
                  "Compare with this matrix.json (a committed baseline): exit 1 on any regression, naming each "
                  "regressed cell and why; a baseline of another matrix is refused (exit 2)");
  cmd->add_flag("--update-baseline", update,
                "Write the result to the --baseline file (without times), after printing the comparison");
}

}  // namespace

void add_matrix_command(CLI::App& app, Action& action) {
  auto args = std::make_shared<MatrixArgs>();
  auto merge_args = std::make_shared<MergeArgs>();
  CLI::App* cmd = app.add_subcommand(
      "matrix", "Export every model x combination (config) x opset of a MATRIX.json, each in its own process, and "
                "write matrix.json, matrix.md and matrix.html");
  cmd->add_option("MATRIX", args->matrix_file, "The matrix spec (docs/matrix.md)");
  cmd->add_option("-o,--output", args->output, "Output folder for matrix.json, matrix.md, matrix.html and the cells' "
                                               "reports")
      ->capture_default_str();
  cmd->add_option("-j,--jobs", args->jobs, "Cells run at a time (default: the number of cores)")
      ->option_text("N")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--shard", args->shard,
                  "Run shard I of N (0 <= I < N): a deterministic 1/N of the cells, stable when cells are added")
      ->option_text("I/N")
      ->check([](const std::string& text) {
        std::string error;
        return matrix::parse_shard(text, &error) ? std::string() : error;
      });
  cmd->add_option("--times", args->times,
                  "With --shard: balance the shards by the cells' times in this previous matrix.json")
      ->option_text("FILE");
  add_baseline_options(cmd, args->baseline, args->update_baseline);
  cmd->add_option("--timeout", args->timeout_s, "Kill a cell after S seconds (overrides the spec's timeout_s)")
      ->option_text("S")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--plugin-path", args->plugin_paths, "Folder searched first for plugins, in every cell (repeatable)");
  cmd->add_flag("--keep-models", args->keep_models, "Keep each cell's model.onnx in its folder (default: deleted)");

  CLI::App* merge = cmd->add_subcommand(
      "merge", "Join the matrix.json of shards (files or their folders) into one matrix.json, matrix.md and matrix.html");
  merge->add_option("PARTS", merge_args->parts, "The shards' matrix.json files or output folders")->required();
  merge->add_option("-o,--output", merge_args->output, "Output folder of the merged matrix")->required();
  add_baseline_options(merge, merge_args->baseline, merge_args->update_baseline);

  cmd->callback([&action, args, merge_args, cmd, merge] {
    if (merge->parsed()) {
      if (!args->matrix_file.empty())
        throw CLI::ValidationError("MATRIX", "`onnxport matrix merge` takes no MATRIX.json: the parts name their matrix");
      action = [merge_args] { return run_merge(*merge_args); };
      return;
    }
    if (args->matrix_file.empty()) throw CLI::RequiredError("MATRIX");
    action = [args, cmd] { return run_matrix(*args, *cmd); };
  });
}

}  // namespace onnxport::cli
