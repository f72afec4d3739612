// load_plugin PLUGIN_DIR: loads "oot-hello" by name from PLUGIN_DIR through
// the installed host library and checks what it registered. Exit code 0 on
// success, 1 with a message otherwise.
#include <onnxport_core/plugin_host.hpp>

#include <iostream>

namespace {

class StderrHost final : public onnxport::HostServices {
 public:
  void log(onnxport::Severity, std::string_view message) override { std::cerr << message << "\n"; }
};

int fail(const std::string& why) {
  std::cerr << "load_plugin: " << why << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return fail("usage: load_plugin PLUGIN_DIR");
  onnxport::Config config;
  config.plugins = {{.name = "oot-hello", .json_path = "/plugins/0"}};
  onnxport::PluginHost host;
  host.load_all(config, onnxport::plugin_search_path({argv[1]}));

  for (const auto& d : host.diagnostics()) std::cerr << d.code << ": " << d.message << "\n";
  const auto& plugin = host.plugins().at(0);
  if (!plugin.loaded) return fail("plugin refused: " + plugin.error);
  std::cout << "loaded " << plugin.name << " " << plugin.version << " from " << plugin.file.string() << "\n";

  onnxport::Strategy* strategy = host.strategy("oot-hello");
  if (strategy == nullptr) return fail("strategy 'oot-hello' not registered");
  onnxport::Program program;
  program.name = "Probe";
  StderrHost services;
  onnxport::CaptureResult result =
      onnxport::safe_capture(*strategy, program, onnxport::CaptureOptions{}, services, plugin.name);
  if (!result.graph || result.graph->name != "Probe") return fail("strategy did not return the probe graph");

  onnxport::TranslatorChoice choice = host.registry().choose("oot::hello", 17);
  if (choice.chosen == nullptr || choice.chosen->spec.priority != 2) return fail("translator 'oot::hello' missing");
  if (host.registry().decomposition("oot::hello_composite") == nullptr) return fail("decomposition missing");
  std::cout << "strategy, translator and decomposition registered\n";
  return 0;
}
