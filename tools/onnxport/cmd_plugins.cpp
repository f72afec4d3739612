// onnxport plugins -c CONFIG [--opset N] [--plugin-path DIR]...
//
// What the config loads: every plugin (loaded or refused, and why), every
// strategy with its plugin, and for every op the translator the host would
// choose at the target opset, with the reason and any conflict.
#include "cli_common.hpp"

#include <onnxport_core/config.hpp>
#include <onnxport_core/plugin_host.hpp>

#include <climits>
#include <iostream>
#include <memory>

namespace onnxport::cli {

namespace {

struct PluginsArgs {
  std::string config;
  std::vector<std::string> plugin_paths;
  int opset = 0;
};

std::string opset_range(const TranslatorSpec& spec) {
  std::string until = spec.until_opset == INT_MAX ? "" : std::to_string(spec.until_opset);
  return "opset " + std::to_string(spec.since_opset) + ".." + until;
}

std::string describe(const RegisteredTranslator& t) {
  return t.plugin + " (" + opset_range(t.spec) + ", priority " + std::to_string(t.spec.priority) + ")";
}

void print_plugins(const PluginHost& host, const Config& config) {
  std::cout << "Plugins (config " << config.file.string() << "):\n";
  for (const LoadedPlugin& p : host.plugins()) {
    if (p.loaded) {
      std::cout << "  ✅ " << p.name << " " << p.version << "  " << p.file.string() << "\n";
      if (!p.description.empty()) std::cout << "       " << p.description << "\n";
      std::cout << "       " << p.strategies.size() << " strateg" << (p.strategies.size() == 1 ? "y" : "ies") << ", "
                << p.translators << " translator(s), " << p.decompositions << " decomposition(s)";
      if (!p.ops.empty()) {
        std::cout << ", op(s) added to the op library:";
        for (const std::string& op : p.ops) std::cout << " " << op;
      }
      if (!p.op_overrides.empty()) {
        std::cout << ", op definition(s) replaced:";
        for (const std::string& op : p.op_overrides) std::cout << " " << op;
      }
      std::cout << "\n";
    } else {
      std::cout << "  ❌ " << p.name << "  " << (p.file.empty() ? "" : p.file.string()) << "\n";
      std::cout << "       refused: " << p.error << "\n";
    }
  }
  for (const Diagnostic& d : host.diagnostics()) {
    if (d.severity == Severity::Warning) std::cout << "  warning: " << d.message << "\n";
    if (d.code == "op-override") std::cout << "  note: " << d.message << "\n";
  }
}

void print_strategies(const PluginHost& host, const Config& config) {
  std::cout << "\nStrategies (tried in this order: ";
  for (size_t i = 0; i < config.strategies.size(); ++i) std::cout << (i ? ", " : "") << config.strategies[i];
  std::cout << "):\n";
  for (const auto& [name, plugin] : host.strategies()) {
    const Strategy* s = host.strategy(name);
    std::cout << "  " << name << "  (plugin " << plugin << ")";
    if (s != nullptr && !s->description().empty()) std::cout << ": " << s->description();
    std::cout << "\n";
  }
  for (const auto& name : config.strategies)
    if (host.strategy(name) == nullptr) std::cout << "  " << name << "  ❌ configured but no loaded plugin registers it\n";
}

void print_translators(const PluginHost& host, int opset) {
  const TranslatorRegistry& registry = host.registry();
  std::cout << "\nTranslators at opset " << opset << ":\n";
  for (const std::string& op : registry.ops()) {
    TranslatorChoice choice = registry.choose(op, opset);
    std::cout << "  " << op << "  ->  ";
    if (choice.chosen == nullptr) {
      std::cout << "none at this opset";
      std::string available;
      for (const auto& t : registry.translators())
        if (t.spec.op == op) available += (available.empty() ? "" : "; ") + describe(t);
      std::cout << " (registered: " << available << ")\n";
      continue;
    }
    std::cout << describe(*choice.chosen);
    if (!choice.reason.empty()) std::cout << ": " << choice.reason;
    std::cout << "\n";
    if (choice.conflict) std::cout << "      ⚠ conflict: another plugin ties on priority and opset\n";
    for (const RegisteredTranslator* c : choice.candidates)
      if (c != choice.chosen) std::cout << "      also: " << describe(*c) << "\n";
  }
}

int list_plugins(const PluginsArgs& args, const CLI::App& cmd) {
  Config config = load_config(resolve_config(args.config));
  if (cmd.count("--opset") > 0) config.opset = args.opset;
  std::vector<std::filesystem::path> extra(args.plugin_paths.begin(), args.plugin_paths.end());
  PluginHost host;
  host.load_all(config, plugin_search_path(extra));
  print_plugins(host, config);
  print_strategies(host, config);
  print_translators(host, config.opset);
  for (const LoadedPlugin& p : host.plugins())
    if (!p.loaded) return kExitInputError;  // the same refusal fails `onnxport export`
  return kExitOk;
}

}  // namespace

void add_plugins_command(CLI::App& app, Action& action) {
  auto args = std::make_shared<PluginsArgs>();
  CLI::App* cmd = app.add_subcommand("plugins", "List plugins, strategies and the translator chosen for every op");
  cmd->add_option("-c,--config", args->config, "Config file (default: config/default.json)");
  cmd->add_option("--opset", args->opset, "Target ONNX opset (default: the config's)")->check(check_opset);
  cmd->add_option("--plugin-path", args->plugin_paths, "Folder searched first for plugins (repeatable)");
  cmd->callback([&action, args, cmd] { action = [args, cmd] { return list_plugins(*args, *cmd); }; });
}

}  // namespace onnxport::cli
