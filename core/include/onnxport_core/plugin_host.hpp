// Loads plugins with Boost.DLL and collects what they register.
// Plugins are never unloaded during a run: objects whose code lives in a
// plugin (vtables, deleters, exception types) must not outlive it.
#pragma once

#include <onnxport/diagnostics.hpp>
#include <onnxport/registrar.hpp>
#include <onnxport_core/config.hpp>
#include <onnxport_core/registry.hpp>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace onnxport {

struct LoadedPlugin {
  std::string name;                 // descriptor name (or the file stem when refused)
  std::string version;
  std::string description;
  std::filesystem::path file;
  bool loaded = false;
  std::string error;                // why it was refused
  std::vector<std::string> strategies;
  int translators = 0;
  int decompositions = 0;
  std::vector<std::string> ops;     // ops added to the op library (Registrar::add_op)
  std::vector<std::string> op_overrides;  // ops whose library definition it replaced (a higher priority)
};

// Search order: explicit paths (--plugin-path), ONNXPORT_PLUGIN_PATH (':'-separated),
// then ../lib/onnxport/plugins beside the running executable.
std::vector<std::filesystem::path> plugin_search_path(const std::vector<std::filesystem::path>& extra);
// "strategy-strict" -> first existing "libonnxport-strategy-strict.so" (or "strategy-strict.so") on the path.
std::optional<std::filesystem::path> find_plugin(const std::string& name,
                                                 const std::vector<std::filesystem::path>& search_path);

class PluginHost {
 public:
  PluginHost();
  ~PluginHost();
  PluginHost(const PluginHost&) = delete;
  PluginHost& operator=(const PluginHost&) = delete;

  // Loads every plugin of the config. A plugin that fails to load is recorded
  // (LoadedPlugin::error + a diagnostic) and the others still load.
  void load_all(const Config& config, const std::vector<std::filesystem::path>& search_path);
  // Loads one library; returns its record (also kept in plugins(); the
  // reference is valid until the next load on this host). docs/plugin-abi.md
  // lists every refusal message.
  const LoadedPlugin& load(const std::filesystem::path& file, std::optional<int> priority = {});

  const std::vector<LoadedPlugin>& plugins() const;
  const std::vector<Diagnostic>& diagnostics() const;
  // Strategy by name, nullptr if none registered it.
  Strategy* strategy(std::string_view name) const;
  std::vector<std::pair<std::string, std::string>> strategies() const;  // (strategy, plugin)
  const TranslatorRegistry& registry() const;
  TranslatorRegistry& registry();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Runs strategy.capture and turns an exception escaping it into an error
// diagnostic "strategy 'X' (plugin Y) threw: ..." (code "strategy-threw"), so
// one faulty strategy cannot end the run. A result with neither a graph nor an
// error diagnostic gets one too ("strategy-no-result").
CaptureResult safe_capture(Strategy& strategy, const Program& program, const CaptureOptions& options,
                           HostServices& host, const std::string& plugin);

}  // namespace onnxport
