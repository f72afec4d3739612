// The JSON config (docs/config.md): which plugins, which strategies, options.
#pragma once

#include <nlohmann/json.hpp>
#include <onnxport_core/unroll_limit.hpp>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace onnxport {

// The ONNX default-domain opsets the built-in translators cover
// (plugins/translators-aten); a target outside them is refused up front.
inline constexpr int kMinSupportedOpset = 13;
inline constexpr int kMaxSupportedOpset = 18;

// Empty when onnxport can target `opset`; else one sentence saying why not,
// naming the supported range and what the installed ONNX checker knows
// (for the CLI's usage errors and the config's "opset" key).
std::string unsupported_opset_reason(int opset);

// Every member has a default, so a designated initializer may name only the
// members it sets (and -Wmissing-field-initializers stays quiet about it).
struct PluginRef {
  std::string name{};                  // found on the plugin search path, or
  std::filesystem::path path{};        // relative to the config file's folder (resolved here)
  std::optional<int> priority{};       // sets the priority of every translator, decomposition and op definition of the plugin
  std::string json_path{};             // "/plugins/2"
  std::filesystem::path config_file{}; // the config that lists it (a base config when extended)
};

// The name a plugin entry goes by when a config overlays another: its "name",
// or for a "path" its file name without "lib", "onnxport-" and ".so"
// ("../x/libonnxport-my-ops.so" -> "my-ops").
std::string plugin_ref_name(const PluginRef& ref);

struct VerifyOptions {
  bool enabled = false;
  double atol = 1e-4;
  double rtol = 1e-3;
};

// Initializer data in a file beside the model (docs/large-models.md): always
// when the model would exceed protobuf's 2 GB limit, at any size with `always`.
struct ExternalDataOptions {
  bool always = false;
  // Initializers of at least this many bytes go to the data file; smaller
  // ones (shapes, scalars) stay in the model.
  int64_t threshold = 1024;
};

struct Config {
  std::filesystem::path file;       // where it was read from (empty for built-in defaults)
  // The configs it extends, nearest first ("extends"): a file, or "default"
  // for the built-in defaults (the same as config/default.json).
  std::vector<std::string> extends;
  std::vector<PluginRef> plugins;
  std::vector<std::string> strategies;
  int opset = 17;
  bool optimize = true;
  std::map<std::string, std::map<int, std::string>> dynamic_shapes;
  std::map<std::string, std::string> pin;  // op -> plugin name that must translate it
  VerifyOptions verify;
  bool report_markdown = true;
  bool report_json = true;
  bool isolate = false;
  double timeout_s = 0;             // per strategy attempt with isolate; 0 = none
  // When no strategy captures a sound graph, export the first unsound one
  // (with ⚠) instead of failing (docs/config.md, docs/strategies.md "Sound first").
  bool allow_unsound = false;
  // Add the new values of buffers and inputs forward updates in place as
  // extra outputs `<name>.updated`, after forward's (docs/config.md).
  bool mutations_as_outputs = false;
  ExternalDataOptions external_data;  // "external_data": {"always", "threshold"}
  // "durable": fsync the written files and their folder before the export
  // reports success, so they survive a power loss (docs/large-models.md).
  // Off by default, as for cp and torch.onnx.export: the staged write and
  // rename already keep a failed export from leaving a partial file.
  bool durable = false;
  // "unroll_limit": {"nodes": N}: a loop with a known trip count whose unrolled
  // size the engine estimates above N graph nodes stays an ONNX Loop
  // (docs/config.md, docs/limits.md).
  int64_t unroll_limit_nodes = kDefaultUnrollLimitNodes;
};

// Throws InputError(file, json_pointer, message) for malformed JSON (with
// line/column), unknown keys, wrong types, out-of-range values, and an
// "extends" that cannot be read or that comes back to a config of its chain.
//
// "extends": "default" (the built-in defaults, the same as config/default.json),
// the name of another shipped config ("torch-compatible"), or a path relative
// to the config file: the base is loaded first and this config overlays it.
// Its plugins are appended, an entry with the name of a base plugin replacing
// that one in place; "pin" and "dynamic_shapes" are merged entry by entry;
// "verify", "report" and "external_data" key by key; every other key given replaces the base's.
Config load_config(const std::filesystem::path& file);
Config parse_config(const nlohmann::json& doc, const std::filesystem::path& file);

}  // namespace onnxport
