// The JSON config (docs/config.md): which plugins, which strategies, options.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace onnxport {

struct PluginRef {
  std::string name;                 // found on the plugin search path, or
  std::filesystem::path path;       // relative to the config file's folder (resolved here)
  std::optional<int> priority;      // raises every translator of the plugin to this priority
  std::string json_path;            // "/plugins/2"
};

struct VerifyOptions {
  bool enabled = false;
  double atol = 1e-4;
  double rtol = 1e-3;
};

struct Config {
  std::filesystem::path file;       // where it was read from (empty for built-in defaults)
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
};

// Throws InputError(file, json_pointer, message) for malformed JSON (with
// line/column), unknown keys, wrong types, out-of-range values.
Config load_config(const std::filesystem::path& file);
Config parse_config(const nlohmann::json& doc, const std::filesystem::path& file);

}  // namespace onnxport
