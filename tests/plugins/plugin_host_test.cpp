// PluginHost against the plugin zoo built beside this test (zoo/*.cpp): every
// refusal message, good plugins loading alongside bad ones, registration
// staging, the search path, safe_capture and the TranslateContext helpers.
#include <onnxport_core/plugin_host.hpp>

#include <onnxport/plugin.h>
#include <onnxport/version.hpp>

#include <gtest/gtest.h>

#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <string>

namespace fs = std::filesystem;
using namespace onnxport;

namespace {

const fs::path kZoo = ONNXPORT_TEST_PLUGIN_DIR;

fs::path zoo(const std::string& name) { return kZoo / ("libonnxport-plugintest-" + name + ".so"); }

// A fresh, empty folder per test.
fs::path scratch_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  fs::path dir = fs::temp_directory_path() / ("onnxport-plugin-test-" + std::to_string(::getpid())) /
                 (std::string(info->test_suite_name()) + "." + info->name());
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// Sets an environment variable for one scope, restoring the old value after.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) ::setenv(name_, old_->c_str(), 1);
    else ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

const Diagnostic* find_diagnostic(const PluginHost& host, const std::string& code) {
  for (const auto& d : host.diagnostics())
    if (d.code == code) return &d;
  return nullptr;
}

// Checks the refusal record and its diagnostic, returns the message.
std::string expect_refused(const PluginHost& host, const LoadedPlugin& p, const std::string& code) {
  EXPECT_FALSE(p.loaded);
  EXPECT_FALSE(p.error.empty());
  const Diagnostic* d = find_diagnostic(host, code);
  EXPECT_NE(d, nullptr) << "no diagnostic with code " << code;
  if (d != nullptr) {
    EXPECT_EQ(d->stage, "load");
    EXPECT_EQ(d->severity, Severity::Error);
    EXPECT_EQ(d->message, p.error);
    EXPECT_EQ(d->plugin, p.name);
  }
  return p.error;
}

}  // namespace

TEST(PluginHost, GoodPluginLoadsWithItsComponents) {
  PluginHost host;
  const LoadedPlugin& p = host.load(zoo("good"));
  ASSERT_TRUE(p.loaded) << p.error;
  EXPECT_EQ(p.name, "plugintest-good");
  EXPECT_EQ(p.version, "1.2.3");
  EXPECT_EQ(p.description, "A good test plugin");
  EXPECT_EQ(p.file, zoo("good"));
  EXPECT_EQ(p.strategies, std::vector<std::string>{"plugintest-echo"});
  EXPECT_EQ(p.translators, 2);
  EXPECT_EQ(p.decompositions, 0);
  EXPECT_TRUE(host.diagnostics().empty());

  ASSERT_NE(host.strategy("plugintest-echo"), nullptr);
  EXPECT_EQ(host.strategy("plugintest-echo")->description(), "test strategy");
  EXPECT_EQ(host.strategy("strict"), nullptr);
  using Pair = std::pair<std::string, std::string>;
  EXPECT_EQ(host.strategies(), (std::vector<Pair>{{"plugintest-echo", "plugintest-good"}}));

  EXPECT_EQ(host.registry().ops(), (std::vector<std::string>{"plugintest::double", "plugintest::flat"}));
  TranslatorChoice flat = host.registry().choose("plugintest::flat", 17);
  ASSERT_NE(flat.chosen, nullptr);
  EXPECT_EQ(flat.chosen->plugin, "plugintest-good");
  EXPECT_EQ(flat.chosen->spec.description, "flatten");
  EXPECT_EQ(host.registry().choose("plugintest::flat", 18).chosen, nullptr);  // until_opset 17
}

TEST(PluginHost, MissingFile) {
  PluginHost host;
  const LoadedPlugin& p = host.load("/nonexistent/dir/libonnxport-ghost.so");
  EXPECT_EQ(p.name, "ghost");
  EXPECT_EQ(expect_refused(host, p, "plugin-not-found"),
            "plugin 'ghost': file not found: /nonexistent/dir/libonnxport-ghost.so");
}

TEST(PluginHost, TextFileIsNotALibrary) {
  fs::path file = scratch_dir() / "libonnxport-bogus.so";
  std::ofstream(file) << "This is a text file pretending to be a plugin.\n"
                         "It is long enough for the loader to read a whole ELF header from it.\n";
  PluginHost host;
  const LoadedPlugin& p = host.load(file);
  EXPECT_EQ(p.name, "bogus");
  std::string message = expect_refused(host, p, "plugin-not-a-library");
  // The rest is dlerror()'s own text, which names the file again.
  EXPECT_EQ(message.rfind("Could not load library '" + file.string() + "': ", 0), 0u) << message;
  EXPECT_NE(message.find("invalid ELF header"), std::string::npos) << message;
}

TEST(PluginHost, LibraryWithoutEntryPoint) {
  PluginHost host;
  const LoadedPlugin& p = host.load(zoo("no-entry"));
  EXPECT_EQ(p.name, "plugintest-no-entry");
  EXPECT_EQ(expect_refused(host, p, "plugin-no-entry-point"),
            "Plugin entry point not found in '" + zoo("no-entry").string() +
                "': no symbol 'onnxport_plugin' (is it an onnxport plugin built with ONNXPORT_PLUGIN?)");
}

TEST(PluginHost, NullDescriptor) {
  PluginHost host;
  const LoadedPlugin& p = host.load(zoo("null-descriptor"));
  EXPECT_EQ(expect_refused(host, p, "plugin-null-descriptor"),
            "Plugin entry point in '" + zoo("null-descriptor").string() + "' returned a null descriptor");
}

TEST(PluginHost, WrongAbiVersion) {
  PluginHost host;
  const LoadedPlugin& p = host.load(zoo("wrong-abi"));
  EXPECT_EQ(expect_refused(host, p, "plugin-wrong-abi"),
            "Wrong ABI version in plugin '" + zoo("wrong-abi").string() + "': got 3, host supports 1..1");
  EXPECT_FALSE(find_diagnostic(host, "plugin-wrong-abi")->hint.empty());
}

TEST(PluginHost, DescriptorTooSmall) {
  PluginHost host;
  const LoadedPlugin& p = host.load(zoo("small-struct"));
  EXPECT_EQ(expect_refused(host, p, "plugin-descriptor-too-small"),
            "Plugin descriptor in '" + zoo("small-struct").string() +
                "' is too small: struct_size is 16 bytes, the ABI v1 fields need " +
                std::to_string(sizeof(onnxport_plugin_v1)));
}

TEST(PluginHost, FingerprintMismatch) {
  PluginHost host;
  const LoadedPlugin& p = host.load(zoo("fingerprint"));
  EXPECT_EQ(p.name, "plugintest-foreign");  // the descriptor was readable
  EXPECT_EQ(expect_refused(host, p, "plugin-fingerprint-mismatch"),
            "Plugin '" + zoo("fingerprint").string() +
                "' was built with 'onnxport-sdk 0.1.0; msvc19; msvcprt', host is '" ONNXPORT_BUILD_FINGERPRINT "'");
}

TEST(PluginHost, FingerprintIgnoresSdkPatchLevel) {
  PluginHost host;
  const LoadedPlugin& p = host.load(zoo("patch-fingerprint"));
  EXPECT_TRUE(p.loaded) << p.error;
  EXPECT_EQ(p.name, "plugintest-patch");
}

TEST(PluginHost, RegistrationThatThrowsAddsNothing) {
  PluginHost host;
  const LoadedPlugin& p = host.load(zoo("throwing"));
  EXPECT_EQ(p.name, "plugintest-throwing");
  EXPECT_EQ(expect_refused(host, p, "plugin-registration-failed"),
            "Registration failed in plugin 'plugintest-throwing' (" + zoo("throwing").string() +
                "): cannot initialise the doomed plugin");
  // What it added before throwing was staged, never committed.
  EXPECT_EQ(host.strategy("plugintest-doomed"), nullptr);
  EXPECT_TRUE(host.strategies().empty());
  EXPECT_TRUE(host.registry().ops().empty());
  EXPECT_TRUE(p.strategies.empty());
  EXPECT_EQ(p.translators, 0);
}

TEST(PluginHost, RegistrarRejectsTranslatorWithoutFunction) {
  PluginHost host;
  const LoadedPlugin& p = host.load(zoo("invalid-translator"));
  EXPECT_EQ(expect_refused(host, p, "plugin-registration-failed"),
            "Registration failed in plugin 'plugintest-invalid-translator' (" + zoo("invalid-translator").string() +
                "): add_translator: translator for 'plugintest::nofn' has no function");
  EXPECT_TRUE(host.registry().ops().empty());
}

TEST(PluginHost, SamePluginTwiceIsRefused) {
  // A copy of the good plugin under another file name: same descriptor name.
  fs::path copy = scratch_dir() / "libonnxport-good-copy.so";
  fs::copy_file(zoo("good"), copy);
  PluginHost host;
  ASSERT_TRUE(host.load(zoo("good")).loaded);
  const LoadedPlugin& second = host.load(copy);
  EXPECT_EQ(second.name, "plugintest-good");
  EXPECT_EQ(expect_refused(host, second, "plugin-duplicate"),
            "Plugin 'plugintest-good' (" + copy.string() + ") is already loaded from '" + zoo("good").string() +
                "'; the second copy is ignored");
  EXPECT_EQ(host.registry().translators().size(), 2u);  // not doubled
  EXPECT_EQ(host.strategies().size(), 1u);
  ASSERT_EQ(host.plugins().size(), 2u);
  EXPECT_TRUE(host.plugins()[0].loaded);
}

TEST(PluginHost, DuplicateStrategyKeepsFirstAndTranslatorsConflict) {
  PluginHost host;
  ASSERT_TRUE(host.load(zoo("good")).loaded);
  const LoadedPlugin& twin = host.load(zoo("twin"));
  ASSERT_TRUE(twin.loaded) << twin.error;  // a duplicate strategy does not refuse the plugin
  EXPECT_EQ(twin.strategies, std::vector<std::string>{"plugintest-twin-only"});

  using Pair = std::pair<std::string, std::string>;
  EXPECT_EQ(host.strategies(), (std::vector<Pair>{{"plugintest-echo", "plugintest-good"},
                                                  {"plugintest-twin-only", "plugintest-twin"}}));
  const Diagnostic* d = find_diagnostic(host, "strategy-duplicate");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->severity, Severity::Warning);
  EXPECT_EQ(d->message,
            "Strategy 'plugintest-echo' is registered by plugins 'plugintest-good' and 'plugintest-twin'; "
            "keeping the one from 'plugintest-good'");

  TranslatorChoice c = host.registry().choose("plugintest::double", 17);
  EXPECT_TRUE(c.conflict);
  ASSERT_NE(c.chosen, nullptr);
  EXPECT_EQ(c.chosen->plugin, "plugintest-good");
  EXPECT_EQ(c.candidates.size(), 2u);
  EXPECT_NE(c.reason.find("'plugintest-good'"), std::string::npos) << c.reason;
  EXPECT_NE(c.reason.find("'plugintest-twin'"), std::string::npos) << c.reason;
}

TEST(PluginHost, GoodPluginsLoadAlongsideBadOnesFromConfig) {
  fs::path dir = scratch_dir();
  fs::path bogus = dir / "libonnxport-bogus.so";
  std::ofstream(bogus) << std::string(200, 'x');

  Config config;
  config.file = dir / "config.json";
  config.plugins = {
      {.name = "", .path = bogus, .json_path = "/plugins/0"},
      {.name = "", .path = zoo("wrong-abi"), .json_path = "/plugins/1"},
      {.name = "plugintest-good", .json_path = "/plugins/2"},
      {.name = "", .path = zoo("throwing"), .json_path = "/plugins/3"},
      {.name = "plugintest-absent", .json_path = "/plugins/4"},
      {.name = "", .path = zoo("no-entry"), .json_path = "/plugins/5"},
      {.name = "", .path = zoo("twin"), .priority = 5, .json_path = "/plugins/6"},
  };
  PluginHost host;
  std::vector<fs::path> search = {dir / "empty", kZoo};
  host.load_all(config, search);

  const auto& plugins = host.plugins();
  ASSERT_EQ(plugins.size(), 7u);
  std::vector<bool> loaded;
  for (const auto& p : plugins) loaded.push_back(p.loaded);
  EXPECT_EQ(loaded, (std::vector<bool>{false, false, true, false, false, false, true}));
  EXPECT_EQ(plugins[2].file, zoo("good"));
  EXPECT_EQ(plugins[4].name, "plugintest-absent");
  EXPECT_EQ(plugins[4].error, "plugin 'plugintest-absent': file not found: libonnxport-plugintest-absent.so or "
                              "plugintest-absent.so (searched: " +
                                  (dir / "empty").string() + ", " + kZoo.string() + ")");

  // One error per refused plugin, each pointing back at its config entry.
  std::vector<std::string> pointers;
  for (const auto& d : host.diagnostics()) {
    if (d.severity != Severity::Error) continue;
    EXPECT_EQ(d.details.value("config", ""), config.file.string());
    pointers.push_back(d.details.value("json_pointer", ""));
  }
  EXPECT_EQ(pointers, (std::vector<std::string>{"/plugins/0", "/plugins/1", "/plugins/3", "/plugins/4",
                                                "/plugins/5"}));

  // The config priority raised every translator of the twin above the good plugin.
  TranslatorChoice c = host.registry().choose("plugintest::double", 17);
  ASSERT_NE(c.chosen, nullptr);
  EXPECT_EQ(c.chosen->plugin, "plugintest-twin");
  EXPECT_FALSE(c.conflict);
  EXPECT_EQ(c.reason, "highest priority (5)");
}

TEST(PluginHost, ConfigPinsAnOp) {
  Config config;
  config.plugins = {{.name = "plugintest-good"}, {.name = "plugintest-twin"}};
  config.pin = {{"plugintest::double", "plugintest-twin"}, {"plugintest::flat", "plugintest-nowhere"}};
  PluginHost host;
  host.load_all(config, {kZoo});
  TranslatorChoice c = host.registry().choose("plugintest::double", 17);
  ASSERT_NE(c.chosen, nullptr);
  EXPECT_EQ(c.chosen->plugin, "plugintest-twin");
  EXPECT_FALSE(c.conflict);
  EXPECT_EQ(c.reason, "pinned by config to plugin 'plugintest-twin'");

  EXPECT_EQ(host.registry().choose("plugintest::flat", 17).chosen, nullptr);
  const Diagnostic* d = find_diagnostic(host, "pin-unknown-plugin");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->message, "op 'plugintest::flat' is pinned to plugin 'plugintest-nowhere', which is not loaded");
  EXPECT_EQ(d->details.value("json_pointer", ""), "/pin/plugintest::flat");
}

TEST(PluginHost, LibrariesOutliveTheHost) {
  // A second host loads the same library after the first one is gone: the
  // library was never unloaded, and the strategy works.
  { PluginHost first; ASSERT_TRUE(first.load(zoo("good")).loaded); }
  PluginHost second;
  ASSERT_TRUE(second.load(zoo("good")).loaded);
  EXPECT_NE(second.strategy("plugintest-echo"), nullptr);
}

// ---------------------------------------------------------------------------
// Search path

TEST(PluginSearchPath, OrderIsExplicitThenEnvironmentThenBuiltIn) {
  ScopedEnv env("ONNXPORT_PLUGIN_PATH", "/env/a::/env/b/../c:/explicit");
  std::vector<fs::path> path = plugin_search_path({"/explicit", "/explicit2/"});
  ASSERT_GE(path.size(), 5u);
  EXPECT_EQ(path[0], fs::path("/explicit"));
  EXPECT_EQ(path[1], fs::path("/explicit2/"));
  EXPECT_EQ(path[2], fs::path("/env/a"));
  EXPECT_EQ(path[3], fs::path("/env/c"));  // normalized; "/explicit" not repeated
  // Then the built-in folder beside this executable (build/bin -> build/lib/onnxport/plugins).
  EXPECT_EQ(path[4].filename(), "plugins");
  EXPECT_EQ(path[4].parent_path().filename(), "onnxport");
  EXPECT_TRUE(path[4].is_absolute());
}

TEST(PluginSearchPath, WithoutEnvironmentOnlyBuiltIns) {
  ScopedEnv env("ONNXPORT_PLUGIN_PATH", "");
  std::vector<fs::path> path = plugin_search_path({});
  ASSERT_FALSE(path.empty());
  for (const auto& dir : path) EXPECT_EQ(dir.filename(), "plugins") << dir;
}

TEST(PluginSearchPath, FindPluginTriesBothFileNamesInEachFolder) {
  fs::path dir = scratch_dir();
  fs::create_directories(dir / "first");
  fs::copy_file(zoo("no-entry"), dir / "first" / "bare.so");
  std::vector<fs::path> search = {dir / "missing", dir / "first", kZoo};
  EXPECT_EQ(find_plugin("plugintest-good", search), zoo("good"));
  EXPECT_EQ(find_plugin("bare", search), dir / "first" / "bare.so");
  EXPECT_EQ(find_plugin("nothing-like-it", search), std::nullopt);
  EXPECT_EQ(find_plugin("", search), std::nullopt);
  EXPECT_EQ(find_plugin("../zoo/x", search), std::nullopt);
}

TEST(PluginSearchPath, NamedPluginFoundThroughEnvironment) {
  ScopedEnv env("ONNXPORT_PLUGIN_PATH", "/does/not/exist:" + kZoo.string());
  Config config;
  config.plugins = {{.name = "plugintest-good", .json_path = "/plugins/0"}};
  PluginHost host;
  host.load_all(config, plugin_search_path({}));
  ASSERT_EQ(host.plugins().size(), 1u);
  EXPECT_TRUE(host.plugins()[0].loaded) << host.plugins()[0].error;
  EXPECT_EQ(host.plugins()[0].file, zoo("good"));
}

// ---------------------------------------------------------------------------
// safe_capture

namespace {

class QuietHost final : public HostServices {
 public:
  void log(Severity, std::string_view) override {}
};

CaptureResult capture_named(PluginHost& host, const std::string& program_name) {
  Program program;
  program.name = program_name;
  QuietHost services;
  return safe_capture(*host.strategy("plugintest-echo"), program, CaptureOptions{}, services, "plugintest-good");
}

}  // namespace

TEST(SafeCapture, PassesResultsThrough) {
  PluginHost host;
  ASSERT_TRUE(host.load(zoo("good")).loaded);
  CaptureResult r = capture_named(host, "fine");
  ASSERT_TRUE(r.graph.has_value());
  EXPECT_EQ(r.graph->name, "fine");
  EXPECT_TRUE(r.diagnostics.empty());
}

TEST(SafeCapture, TurnsExceptionsIntoDiagnostics) {
  PluginHost host;
  ASSERT_TRUE(host.load(zoo("good")).loaded);
  CaptureResult r = capture_named(host, "throw");
  EXPECT_FALSE(r.graph.has_value());
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].code, "strategy-threw");
  EXPECT_EQ(r.diagnostics[0].stage, "capture");
  EXPECT_EQ(r.diagnostics[0].plugin, "plugintest-good");
  EXPECT_EQ(r.diagnostics[0].message,
            "strategy 'plugintest-echo' (plugin plugintest-good) threw: boom from the test strategy");

  CaptureResult odd = capture_named(host, "throw-int");
  ASSERT_EQ(odd.diagnostics.size(), 1u);
  EXPECT_EQ(odd.diagnostics[0].message,
            "strategy 'plugintest-echo' (plugin plugintest-good) threw: a non-standard exception");
}

TEST(SafeCapture, EmptyResultGetsAnError) {
  PluginHost host;
  ASSERT_TRUE(host.load(zoo("good")).loaded);
  CaptureResult r = capture_named(host, "nothing");
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].code, "strategy-no-result");
  EXPECT_EQ(r.diagnostics[0].severity, Severity::Error);
}

// ---------------------------------------------------------------------------
// TranslateContext::const_i64 / const_scalar, called from a plugin's translator

namespace {

// Records what a translator emits.
class RecordingContext final : public TranslateContext {
 public:
  std::vector<Tensor> constants;
  std::vector<std::string> ops;
  std::map<size_t, std::string> outputs;

  int opset() const override { return 17; }
  const Graph& graph() const override { return graph_; }
  const Node& node() const override { return node_; }
  std::string name_of(ValueId) override { return "v"; }
  std::string input(size_t i) override { return "in" + std::to_string(i); }
  std::vector<std::string> op_n(std::string_view op_type, const std::vector<std::string>&, size_t n,
                                const OnnxAttrs&, std::string_view) override {
    ops.emplace_back(op_type);
    return std::vector<std::string>(n, std::string(op_type) + "_out");
  }
  std::string constant(const Tensor& value, std::string_view) override {
    constants.push_back(value.clone());
    return "const" + std::to_string(constants.size() - 1);
  }
  void set_output(size_t i, const std::string& name) override { outputs[i] = name; }
  SubgraphRef subgraph(const Block&, std::string_view) override { return {}; }
  void warn(std::string_view) override {}

 private:
  Graph graph_;
  Node node_;
};

}  // namespace

TEST(TranslatorHelpers, ConstScalarAndConstI64FromAPlugin) {
  PluginHost host;
  ASSERT_TRUE(host.load(zoo("good")).loaded);

  RecordingContext ctx;
  host.registry().choose("plugintest::double", 17).chosen->spec.fn(ctx);
  ASSERT_EQ(ctx.constants.size(), 1u);
  EXPECT_EQ(ctx.constants[0].dtype(), DType::Float32);
  EXPECT_TRUE(ctx.constants[0].shape().empty());  // 0-d
  EXPECT_EQ(ctx.constants[0].get_double(0), 2.0);
  EXPECT_EQ(ctx.ops, std::vector<std::string>{"Mul"});
  EXPECT_EQ(ctx.outputs.at(0), "Mul_out");

  RecordingContext flat;
  host.registry().choose("plugintest::flat", 17).chosen->spec.fn(flat);
  ASSERT_EQ(flat.constants.size(), 1u);
  const Tensor& shape = flat.constants[0];
  EXPECT_EQ(shape.dtype(), DType::Int64);
  EXPECT_EQ(shape.shape(), std::vector<int64_t>{2});
  EXPECT_EQ(shape.data<int64_t>()[0], -1);
  EXPECT_EQ(shape.data<int64_t>()[1], INT64_MAX);  // exact: not rounded through double
}
