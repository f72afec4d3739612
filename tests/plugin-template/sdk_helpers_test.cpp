// The SDK helpers the plugin template relies on, in-process:
// TranslateContext::add_function (model-local ONNX functions) and
// Registrar::add_op (custom ops in the op library), plus the template plugin
// itself built in-tree and loaded by a PluginHost; descriptor versioning
// cases the plugin zoo does not cover (a newer SDK's larger descriptor, a
// descriptor without a name or without its callback).
#include "onnx_test_util.hpp"

#include <onnxport/op_schema.hpp>
#include <onnxport/ops.hpp>
#include <onnxport_core/plugin_host.hpp>

#include <gtest/gtest.h>

using namespace onnxport;
using namespace onnxport::testing;
namespace fs = std::filesystem;

namespace {

constexpr const char* kSwishText = R"(<domain: "mylib"> Swish (x) => (y) { s = Sigmoid(x)  y = Mul(x, s) })";

void t_swish(TranslateContext& ctx) {
  ctx.add_function(kSwishText);
  ctx.set_output(0, ctx.op("Swish", {ctx.input(0)}, {}, "mylib"));
}
void t_swish_other_body(TranslateContext& ctx) {
  ctx.add_function(R"(<domain: "mylib"> Swish (x) => (y) { y = Relu(x) })");
  ctx.set_output(0, ctx.op("Swish", {ctx.input(0)}, {}, "mylib"));
}
void t_default_domain_function(TranslateContext& ctx) {
  ctx.add_function(R"(<domain: ""> Swish (x) => (y) { y = Relu(x) })");
  ctx.set_output(0, ctx.op("Relu", {ctx.input(0)}));
}
void t_bad_syntax(TranslateContext& ctx) {
  ctx.add_function(R"(<domain: "mylib"> Swish (x) => (y) { y = Relu(x) )");
  ctx.set_output(0, ctx.op("Relu", {ctx.input(0)}));
}
void t_own_opset(TranslateContext& ctx) {
  ctx.add_function(R"(<domain: "mylib", opset_import: ["" : 13]> Twice (x) => (y) { y = Add(x, x) })");
  ctx.set_output(0, ctx.op("Twice", {ctx.input(0)}, {}, "mylib"));
}

// x -> op_a -> op_b -> output, each translated by the given function.
TranslationResult translate_chain(TranslateFn a, TranslateFn b) {
  GraphBuilder g;
  const ValueId x = g.input("x", DType::Float32, {2, 3});
  const ValueId h = g.node("mylib::a", {v(x)}, "h", DType::Float32, {2, 3}, nullptr, loc(3, 4, "h = a(x)"));
  g.output(g.node("mylib::b", {v(h)}, "y", DType::Float32, {2, 3}, nullptr, loc(4, 4, "y = b(h)")));
  TranslatorRegistry r;
  add(r, "mylib::a", a);
  add(r, "mylib::b", b);
  return translate_graph(g.g, r, TranslateOptions{});
}

const Diagnostic* diagnostic(const std::vector<Diagnostic>& ds, const std::string& code) {
  for (const auto& d : ds)
    if (d.code == code) return &d;
  return nullptr;
}

int opset_of(const onnx::ModelProto& m, const std::string& domain) {
  for (const auto& imp : m.opset_import())
    if (imp.domain() == domain) return static_cast<int>(imp.version());
  return -1;
}

}  // namespace

TEST(AddFunction, OneFunctionForEveryNodeThatDeclaresIt) {
  TranslationResult r = translate_chain(t_swish, t_swish);
  ASSERT_TRUE(r.ok) << (r.diagnostics.empty() ? "" : r.diagnostics[0].message);
  ASSERT_EQ(r.model.functions_size(), 1);
  const onnx::FunctionProto& fn = r.model.functions(0);
  EXPECT_EQ(fn.domain(), "mylib");
  EXPECT_EQ(fn.name(), "Swish");
  ASSERT_EQ(fn.node_size(), 2);
  EXPECT_EQ(fn.node(0).op_type(), "Sigmoid");
  // No opset_import in the text: the function gets the model's.
  ASSERT_EQ(fn.opset_import_size(), 1);
  EXPECT_EQ(fn.opset_import(0).domain(), "");
  EXPECT_EQ(fn.opset_import(0).version(), 17);
  EXPECT_EQ(opset_of(r.model, "mylib"), 1);
  EXPECT_EQ(r.model.graph().node_size(), 2);
  EXPECT_EQ(r.model.graph().node(0).domain(), "mylib");
  // The checker and strict shape inference accept the model-local function.
  std::vector<Diagnostic> problems = check_model(r.model);
  EXPECT_TRUE(problems.empty()) << problems[0].message;
}

TEST(AddFunction, FunctionsOwnOpsetImportIsKept) {
  TranslationResult r = translate_chain(t_own_opset, t_own_opset);
  ASSERT_TRUE(r.ok);
  ASSERT_EQ(r.model.functions_size(), 1);
  EXPECT_EQ(r.model.functions(0).opset_import(0).version(), 13);
}

TEST(AddFunction, SameNameWithAnotherBodyFailsTheSecondNode) {
  TranslationResult r = translate_chain(t_swish, t_swish_other_body);
  EXPECT_FALSE(r.ok);
  const Diagnostic* d = diagnostic(r.diagnostics, "translator-failed");
  ASSERT_NE(d, nullptr);
  EXPECT_NE(d->message.find("y = mylib::b(h)"), std::string::npos) << d->message;
  EXPECT_NE(d->message.find("function 'mylib.Swish' is already declared with a different body"), std::string::npos)
      << d->message;
  EXPECT_EQ(d->loc.line, 4);
  EXPECT_EQ(r.model.functions_size(), 1);  // the first declaration stays
}

TEST(AddFunction, DefaultDomainIsRefusedWithAHint) {
  TranslationResult r = translate_chain(t_default_domain_function, t_swish);
  EXPECT_FALSE(r.ok);
  const Diagnostic* d = diagnostic(r.diagnostics, "translator-failed");
  ASSERT_NE(d, nullptr);
  EXPECT_NE(d->message.find("function 'Swish' must be in a custom domain"), std::string::npos) << d->message;
  EXPECT_NE(d->hint.find("<domain: \"mylib\">"), std::string::npos) << d->hint;
}

TEST(AddFunction, SyntaxErrorNamesTheParserPosition) {
  TranslationResult r = translate_chain(t_bad_syntax, t_swish);
  EXPECT_FALSE(r.ok);
  const Diagnostic* d = diagnostic(r.diagnostics, "translator-failed");
  ASSERT_NE(d, nullptr);
  EXPECT_NE(d->message.find("not an ONNX function in text syntax"), std::string::npos) << d->message;
  EXPECT_NE(d->message.find("line: 1"), std::string::npos) << d->message;
}

// A translator that declares its function, then fails; the next candidate
// for the op translates it without any function.
void t_declares_then_fails(TranslateContext& ctx) {
  ctx.add_function(kSwishText);
  throw TranslateError("gave up after declaring Swish");
}
void t_fallback_relu(TranslateContext& ctx) { ctx.set_output(0, ctx.op("Relu", {ctx.input(0)})); }

TEST(AddFunction, AFailingTranslatorsFunctionIsNotLeftInTheModel) {
  GraphBuilder g;
  const ValueId x = g.input("x", DType::Float32, {2, 3});
  g.output(g.node("mylib::a", {v(x)}, "y", DType::Float32, {2, 3}, nullptr, loc(3, 4, "y = a(x)")));
  TranslatorRegistry r;
  TranslatorSpec broken;
  broken.op = "mylib::a";
  broken.fn = t_declares_then_fails;
  broken.since_opset = 13;
  broken.priority = 10;
  r.add(std::move(broken), "broken-plugin");
  TranslatorSpec fallback;
  fallback.op = "mylib::a";
  fallback.fn = t_fallback_relu;
  fallback.since_opset = 13;
  r.add(std::move(fallback), "fallback-plugin");
  TranslationResult result = translate_graph(g.g, r, TranslateOptions{});
  ASSERT_TRUE(result.ok) << (result.diagnostics.empty() ? "" : result.diagnostics[0].message);
  const Diagnostic* d = diagnostic(result.diagnostics, "translator-failed");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->severity, Severity::Warning);  // a later candidate succeeded
  EXPECT_NE(d->message.find("gave up after declaring Swish"), std::string::npos) << d->message;
  EXPECT_EQ(result.model.functions_size(), 0);
  EXPECT_EQ(opset_of(result.model, "mylib"), -1);  // no import of a domain nothing uses
  ASSERT_EQ(result.model.graph().node_size(), 1);
  EXPECT_EQ(result.model.graph().node(0).op_type(), "Relu");
  std::vector<Diagnostic> problems = check_model(result.model);
  EXPECT_TRUE(problems.empty()) << problems[0].message;
}

// --- Registrar::add_op, through real plugins ---------------------------------

namespace {

// The dtype aten::gelu's current meta function gives, or the OpError it throws.
std::string template_gelu_output(DType dtype) {
  OpArg x;
  x.kind = OpArg::Kind::Tensor;
  x.meta = {dtype, shape_of({2, 3})};
  try {
    return std::string(dtype_name(OpLibrary::instance().find("aten::gelu")->meta({x})[0].dtype));
  } catch (const OpError& e) {
    return e.what();
  }
}

}  // namespace

TEST(AddOp, TemplatePluginAddsItsOpOnceAcrossHosts) {
  const fs::path plugin = fs::path(SDK_TEST_PLUGIN_DIR) / "libonnxport-sdktest-template.so";
  for (int round = 0; round < 2; ++round) {  // a second host finds the op already added by the same plugin
    PluginHost host;
    const LoadedPlugin& p = host.load(plugin);
    ASSERT_TRUE(p.loaded) << p.error;
    EXPECT_EQ(p.ops, std::vector<std::string>{"mylib::swish_clamp"});
    EXPECT_EQ(p.strategies, std::vector<std::string>{"node-budget"});
    EXPECT_EQ(p.translators, 2);
    // Its narrowed aten::gelu (gelu_types.cpp) replaces the built-in's definition, noted.
    EXPECT_EQ(p.op_overrides, std::vector<std::string>{"aten::gelu"});
    ASSERT_EQ(host.diagnostics().size(), 1u);
    EXPECT_EQ(host.diagnostics()[0].code, "op-override");
    EXPECT_EQ(template_gelu_output(DType::Float32), "float32");  // delegated to the built-in's meta
    EXPECT_EQ(template_gelu_output(DType::Float64).rfind("gelu of a float64 tensor: ONNX Runtime's fused Gelu", 0), 0u)
        << template_gelu_output(DType::Float64);
  }
  // Both hosts are gone, and their overrides with them.
  EXPECT_EQ(template_gelu_output(DType::Float64), "float64");
  const OpDef* def = OpLibrary::instance().find("mylib::swish_clamp");
  ASSERT_NE(def, nullptr);
  // The plugin's kernel, called through the library: clamp(x * sigmoid(x), lo, hi).
  Tensor x = f32({3}, {-4.0f, 0.5f, 3.0f});
  OpArg tensor_arg;
  tensor_arg.kind = OpArg::Kind::Tensor;
  tensor_arg.meta = {DType::Float32, shape_of(x.shape())};
  tensor_arg.data = &x;
  OpArg lo, hi;
  lo.kind = hi.kind = OpArg::Kind::Constant;
  lo.constant = -0.05;
  hi.constant = 1.0;
  std::vector<Tensor> y = def->kernel({tensor_arg, lo, hi});
  ASSERT_EQ(y.size(), 1u);
  EXPECT_NEAR(y[0].get_double(0), -0.05, 1e-6);  // -4 * sigmoid(-4) = -0.072, clamped
  EXPECT_NEAR(y[0].get_double(1), 0.5 / (1 + std::exp(-0.5)), 1e-6);
  EXPECT_NEAR(y[0].get_double(2), 1.0, 1e-6);    // 2.86, clamped
}

TEST(AddOp, ExistingOpIsKeptWithAWarning) {
  PluginHost host;
  const LoadedPlugin& p = host.load(fs::path(SDK_TEST_PLUGIN_DIR) / "libonnxport-sdktest-dup-op.so");
  ASSERT_TRUE(p.loaded) << p.error;
  EXPECT_EQ(p.ops, std::vector<std::string>{"optest::fresh"});
  ASSERT_EQ(host.diagnostics().size(), 1u);
  const Diagnostic& d = host.diagnostics()[0];
  EXPECT_EQ(d.code, "op-duplicate");
  EXPECT_EQ(d.severity, Severity::Warning);
  EXPECT_EQ(d.message, "Plugin 'sdktest-dup-op' adds op 'aten::relu' at priority 0, which the built-in definition "
                       "at priority 0 already defines; keeping the existing definition");
  EXPECT_NE(d.hint.find("a priority above 0 to replace it"), std::string::npos) << d.hint;
}

// --- overriding an op definition at a priority (docs/plugin-authoring.md §3) --

namespace {

// The output dtype aten::relu's current definition gives a float32 input:
// float32 for the built-in, int8 for the test overrides (op_plugins.cpp).
DType relu_output_dtype() {
  const OpDef* def = OpLibrary::instance().find("aten::relu");
  EXPECT_NE(def, nullptr);
  OpArg x;
  x.kind = OpArg::Kind::Tensor;
  x.meta = {DType::Float32, shape_of({2, 3})};
  return def->meta({x})[0].dtype;
}

const LoadedPlugin& load_op_plugin(PluginHost& host, const std::string& name, std::optional<int> priority = {}) {
  return host.load(fs::path(SDK_TEST_PLUGIN_DIR) / ("libonnxport-sdktest-" + name + ".so"), priority);
}

}  // namespace

TEST(OpOverride, AHigherPriorityReplacesTheBuiltinWhileItsHostLives) {
  ASSERT_EQ(relu_output_dtype(), DType::Float32);
  {
    PluginHost host;
    const LoadedPlugin& p = load_op_plugin(host, "relu-override-a");
    ASSERT_TRUE(p.loaded) << p.error;
    EXPECT_TRUE(p.ops.empty());
    EXPECT_EQ(p.op_overrides, std::vector<std::string>{"aten::relu"});
    EXPECT_EQ(relu_output_dtype(), DType::Int8);  // the plugin's meta function is the library's now
    ASSERT_EQ(host.diagnostics().size(), 1u);
    const Diagnostic& d = host.diagnostics()[0];
    EXPECT_EQ(d.code, "op-override");
    EXPECT_EQ(d.severity, Severity::Note);
    EXPECT_EQ(d.message, "Plugin 'sdktest-relu-override-a' replaces the built-in definition of op 'aten::relu' "
                         "(priority 0) with its own at priority 5");
  }
  // The override ended with its host: the next export captures with the built-in.
  EXPECT_EQ(relu_output_dtype(), DType::Float32);
}

TEST(OpOverride, TheConfigPriorityDecidesAndZeroKeepsTheBuiltin) {
  PluginHost host;
  const LoadedPlugin& p = load_op_plugin(host, "relu-override-a", 0);
  ASSERT_TRUE(p.loaded) << p.error;
  EXPECT_TRUE(p.op_overrides.empty());
  EXPECT_EQ(relu_output_dtype(), DType::Float32);
  ASSERT_EQ(host.diagnostics().size(), 1u);
  EXPECT_EQ(host.diagnostics()[0].code, "op-duplicate");
}

TEST(OpOverride, TwoPluginsAtOnePriorityRefuseTheSecondAndAHigherOneWins) {
  PluginHost host;
  ASSERT_TRUE(load_op_plugin(host, "relu-override-a").loaded);
  const LoadedPlugin& tie = load_op_plugin(host, "relu-override-b");
  EXPECT_FALSE(tie.loaded);
  EXPECT_EQ(tie.error, "Plugin 'sdktest-relu-override-b' (" + tie.file.string() +
                           ") defines op 'aten::relu' at priority 5, as plugin 'sdktest-relu-override-a' does; "
                           "two plugins cannot define one op at the same priority");
  EXPECT_EQ(host.diagnostics().back().code, "op-conflict");
  EXPECT_EQ(relu_output_dtype(), DType::Int8);

  // In another host, the same plugin raised by the config above the first
  // host's override wins; when that host ends, the first host's is back.
  {
    PluginHost other;
    const LoadedPlugin& higher = load_op_plugin(other, "relu-override-b", 7);
    ASSERT_TRUE(higher.loaded) << higher.error;
    EXPECT_NE(other.diagnostics().back().message.find("replaces plugin 'sdktest-relu-override-a' of op 'aten::relu' "
                                                      "(priority 5) with its own at priority 7"),
              std::string::npos)
        << other.diagnostics().back().message;
  }
  EXPECT_EQ(relu_output_dtype(), DType::Int8);
}

TEST(OpOverride, AnOverrideWithASchemaOfItsOwnIsRefused) {
  PluginHost host;
  ASSERT_TRUE(load_op_plugin(host, "shared-op-a").loaded);
  const LoadedPlugin& p = load_op_plugin(host, "schema-override");
  EXPECT_FALSE(p.loaded);
  EXPECT_EQ(p.error, "Plugin 'sdktest-schema-override' (" + p.file.string() +
                         ") overrides op 'optest::shared' with a schema of its own; an override keeps the schema of "
                         "the op it replaces");
}

TEST(AddOp, OpWithoutDomainRefusesThePlugin) {
  PluginHost host;
  const LoadedPlugin& p = host.load(fs::path(SDK_TEST_PLUGIN_DIR) / "libonnxport-sdktest-bad-op.so");
  EXPECT_FALSE(p.loaded);
  EXPECT_NE(p.error.find("add_op: op name 'swish' is not of the form 'domain::name'"), std::string::npos) << p.error;
  EXPECT_EQ(OpLibrary::instance().find("swish"), nullptr);
}

// --- bad input at load time (docs/plugin-authoring.md, "Bad input") ----------

namespace {

const LoadedPlugin& load_schema_plugin(PluginHost& host, const std::string& name) {
  return host.load(fs::path(SDK_TEST_PLUGIN_DIR) / ("libonnxport-sdktest-" + name + ".so"));
}

}  // namespace

TEST(BadInputAtLoad, TranslatorForASchemaThatDoesNotExistRefusesThePlugin) {
  PluginHost host;
  const LoadedPlugin& p = load_schema_plugin(host, "no-schema-translator");
  EXPECT_FALSE(p.loaded);
  // The plugin, its file and the op are named.
  EXPECT_NE(p.error.find("Registration failed in plugin 'sdktest-no-schema-translator' (" + p.file.string() + ")"),
            std::string::npos)
      << p.error;
  EXPECT_NE(p.error.find("add_translator: no schema of 'aten::gelu_fast' is known"), std::string::npos) << p.error;
  // Nothing of the plugin is kept, not even its good translator registered first.
  EXPECT_EQ(p.translators, 0);
  EXPECT_TRUE(host.registry().translators().empty());
  ASSERT_EQ(host.diagnostics().size(), 1u);
  EXPECT_EQ(host.diagnostics()[0].severity, Severity::Error);
  EXPECT_EQ(host.diagnostics()[0].code, "plugin-registration-failed");
}

TEST(BadInputAtLoad, MetaFunctionForASchemaThatDoesNotExistRefusesThePlugin) {
  PluginHost host;
  const LoadedPlugin& p = load_schema_plugin(host, "no-schema-op");
  EXPECT_FALSE(p.loaded);
  EXPECT_NE(p.error.find("'sdktest-no-schema-op'"), std::string::npos) << p.error;
  EXPECT_NE(p.error.find("add_op: no schema of 'aten::frobnicate' is known"), std::string::npos) << p.error;
  EXPECT_EQ(OpLibrary::instance().find("aten::frobnicate"), nullptr);
}

TEST(BadInputAtLoad, TranslatorKeyedByAnOverloadIsRefusedWithTheOpToUse) {
  PluginHost host;
  const LoadedPlugin& p = load_schema_plugin(host, "overload-translator");
  EXPECT_FALSE(p.loaded);
  EXPECT_NE(p.error.find("add_translator: 'aten::add.Tensor' names one overload of aten::add; components are "
                         "registered per op ('aten::add')"),
            std::string::npos)
      << p.error;
}

TEST(BadInputAtLoad, AnOpTwoPluginsAddRefusesTheSecond) {
  PluginHost host;
  const LoadedPlugin& a = load_schema_plugin(host, "shared-op-a");
  ASSERT_TRUE(a.loaded) << a.error;
  EXPECT_EQ(a.ops, std::vector<std::string>{"optest::shared"});
  const LoadedPlugin& b = load_schema_plugin(host, "shared-op-b");
  EXPECT_FALSE(b.loaded);
  EXPECT_EQ(b.error, "Plugin 'sdktest-shared-op-b' (" + b.file.string() +
                         ") defines op 'optest::shared' at priority 0, as plugin 'sdktest-shared-op-a' does; two "
                         "plugins cannot define one op at the same priority");
  ASSERT_FALSE(host.diagnostics().empty());
  EXPECT_EQ(host.diagnostics().back().code, "op-conflict");
  EXPECT_EQ(host.diagnostics().back().severity, Severity::Error);
  // The first plugin's op stays, and a second host loading the first plugin again is fine.
  PluginHost again;
  EXPECT_TRUE(load_schema_plugin(again, "shared-op-a").loaded);
}

TEST(BadInputAtLoad, DeclaredArgumentNameNotInTheSchemaRefusesThePlugin) {
  PluginHost host;
  const LoadedPlugin& p = load_schema_plugin(host, "argument-typo");
  EXPECT_FALSE(p.loaded);
  EXPECT_NE(p.error.find("Registration failed in plugin 'sdktest-argument-typo' (" + p.file.string() +
                         "): translator for 'aten::gelu' reads argument 'approximat', which no schema of aten::gelu "
                         "has:\n    aten::gelu(Tensor self, *, str approximate=\"none\") -> Tensor"),
            std::string::npos)
      << p.error;
  EXPECT_TRUE(host.registry().translators().empty());
  ASSERT_EQ(host.diagnostics().size(), 1u);
  EXPECT_EQ(host.diagnostics()[0].code, "plugin-registration-failed");
}

TEST(BadInputAtLoad, DeclaredArgumentNameNotInThePluginOpsSchemaRefusesThePlugin) {
  PluginHost host;
  const LoadedPlugin& p = load_schema_plugin(host, "plugin-op-argument-typo");
  EXPECT_FALSE(p.loaded);
  EXPECT_NE(p.error.find("translator for 'optest::scaled' reads argument 'factor', which no schema of optest::scaled "
                         "has:\n    optest::scaled(Tensor self, float scale=2.) -> Tensor"),
            std::string::npos)
      << p.error;
  // Refused as a whole: neither the op nor its schema is added.
  EXPECT_EQ(OpLibrary::instance().find("optest::scaled"), nullptr);
  EXPECT_TRUE(schema_overloads("optest::scaled").empty());
}

TEST(BadInputAtLoad, PluginOpSchemaThatDoesNotParseRefusesThePlugin) {
  PluginHost host;
  const LoadedPlugin& p = load_schema_plugin(host, "bad-op-schema");
  EXPECT_FALSE(p.loaded);
  EXPECT_NE(p.error.find("add_op: the schema of 'optest::broken' does not parse: "), std::string::npos) << p.error;
}

TEST(BadInputAtLoad, ArgumentsDeclaredForAnOpWithoutSchemaRefuseThePlugin) {
  PluginHost host;
  const LoadedPlugin& p = load_schema_plugin(host, "unchecked-arguments");
  EXPECT_FALSE(p.loaded);
  EXPECT_NE(p.error.find("meta function for 'optest::unchecked' declares the arguments it reads (self), but "
                         "'optest::unchecked' has no schema to check them against"),
            std::string::npos)
      << p.error;
}

TEST(BadInputAtLoad, SchemaGivenForAnAtenOpRefusesThePlugin) {
  PluginHost host;
  const LoadedPlugin& p = load_schema_plugin(host, "aten-op-schema");
  EXPECT_FALSE(p.loaded);
  EXPECT_NE(p.error.find("add_op: op 'aten::relu' gives a schema, but aten ops have PyTorch's"), std::string::npos)
      << p.error;
}

TEST(PluginOpSchema, TheTemplatesOpIsBoundByNameWithItsDefaults) {
  PluginHost host;
  const LoadedPlugin& p = host.load(fs::path(SDK_TEST_PLUGIN_DIR) / "libonnxport-sdktest-template.so");
  ASSERT_TRUE(p.loaded) << p.error;
  const std::vector<const OpSchema*> overloads = schema_overloads("mylib::swish_clamp");
  ASSERT_EQ(overloads.size(), 1u);
  EXPECT_EQ(overloads[0]->text, "mylib::swish_clamp(Tensor self, float lo=-1., float hi=1.) -> Tensor");
  const OpDef* def = OpLibrary::instance().find("mylib::swish_clamp");
  ASSERT_NE(def, nullptr);
  // Only self given: lo and hi come from the schema's defaults (-1, 1).
  Tensor x = f32({2}, {-30.0f, 30.0f});
  OpArg tensor_arg;
  tensor_arg.kind = OpArg::Kind::Tensor;
  tensor_arg.meta = {DType::Float32, shape_of(x.shape())};
  tensor_arg.data = &x;
  std::vector<Tensor> y = def->kernel({tensor_arg});
  ASSERT_EQ(y.size(), 1u);
  EXPECT_NEAR(y[0].get_double(0), -1e-12, 1e-6);  // -30 * sigmoid(-30), inside [-1, 1]
  EXPECT_NEAR(y[0].get_double(1), 1.0, 1e-6);     // 30, clamped to hi=1
  // A call that does not fit the schema is refused by the meta function, naming the argument.
  OpArg word;
  word.kind = OpArg::Kind::Constant;
  word.constant = "high";
  try {
    def->meta({tensor_arg, word});
    ADD_FAILURE() << "meta accepted a string for lo";
  } catch (const OpError& e) {
    EXPECT_NE(std::string(e.what()).find("lo"), std::string::npos) << e.what();
  }
}

// --- descriptor versioning -----------------------------------------------------

namespace {

fs::path test_plugin(const std::string& name) {
  return fs::path(SDK_TEST_PLUGIN_DIR) / ("libonnxport-sdktest-" + name + ".so");
}

}  // namespace

TEST(DescriptorVersions, NewerSdksLargerDescriptorIsAccepted) {
  PluginHost host;
  const LoadedPlugin& p = host.load(test_plugin("newer-struct"));
  EXPECT_TRUE(p.loaded) << p.error;
  EXPECT_EQ(p.name, "sdktest-newer-struct");
  EXPECT_EQ(p.version, "9.9.9");
  EXPECT_TRUE(host.diagnostics().empty());
}

TEST(DescriptorVersions, MissingNameIsRefused) {
  PluginHost host;
  const LoadedPlugin& p = host.load(test_plugin("no-name"));
  EXPECT_FALSE(p.loaded);
  EXPECT_EQ(p.error, "Plugin descriptor in '" + test_plugin("no-name").string() + "' has no name");
  ASSERT_EQ(host.diagnostics().size(), 1u);
  EXPECT_EQ(host.diagnostics()[0].code, "plugin-no-name");
}

TEST(DescriptorVersions, MissingRegisterCallbackIsRefused) {
  PluginHost host;
  const LoadedPlugin& p = host.load(test_plugin("no-register"));
  EXPECT_FALSE(p.loaded);
  EXPECT_EQ(p.error, "Plugin 'sdktest-no-register' (" + test_plugin("no-register").string() +
                         ") has no register_components callback");
  ASSERT_EQ(host.diagnostics().size(), 1u);
  EXPECT_EQ(host.diagnostics()[0].code, "plugin-no-register");
}
