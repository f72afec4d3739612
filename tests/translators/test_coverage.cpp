// The plugin's registrations as a whole (opset ranges that neither overlap
// nor leave gaps, every op exercised by a test), and the remaining ops:
// aliases checked against their canonical op's reference kernel, and ops
// without a kernel against results worked out by hand.
#include "harness.hpp"

#include <onnxport_core/plugin_host.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#ifndef ONNXPORT_TEST_SOURCE_DIR
#error "ONNXPORT_TEST_SOURCE_DIR must name the source tree"
#endif

namespace onnxport::translator_tests {
namespace {

namespace fs = std::filesystem;
using T = TranslatorTest;

// The registrations of translators-aten, loaded the way the CLI loads it.
std::map<std::string, std::vector<TranslatorSpec>> registered_specs() {
  static PluginHost host;
  static bool loaded = host.load(ONNXPORT_TRANSLATORS_PLUGIN).loaded;
  std::map<std::string, std::vector<TranslatorSpec>> out;
  if (!loaded) return out;
  for (const RegisteredTranslator& t : host.registry().translators())
    if (t.plugin == "translators-aten") out[t.spec.op].push_back(t.spec);
  return out;
}

// Ops that ONNX only makes possible from a later opset.
// Scatters that accumulate need ScatterElements' reduction (opset 16);
// GridSample exists from 16.
const std::map<std::string, int> kFirstOpset{{"aten::tril", 14},        {"aten::triu", 14},
                                             {"aten::scatter_add", 16}, {"aten::index_add", 16},
                                             {"aten::grid_sampler", 16}};

TEST(Registrations, OneTranslatorPerOpAndOpsetFrom13To18) {
  auto specs = registered_specs();
  ASSERT_FALSE(specs.empty()) << "translators-aten did not load from " << ONNXPORT_TRANSLATORS_PLUGIN;
  for (const auto& [op, list] : specs) {
    auto first = kFirstOpset.find(op);
    const int from = first == kFirstOpset.end() ? 13 : first->second;
    for (int opset = from; opset <= 18; ++opset) {
      int applicable = 0;
      // A fallback (negative priority, tried only when the primary refuses a
      // node, as layers.cpp's uneven adaptive pooling) does not count.
      for (const TranslatorSpec& s : list)
        applicable += s.priority >= 0 && s.since_opset <= opset && opset <= s.until_opset;
      EXPECT_EQ(applicable, 1) << op << " has " << applicable << " translators at opset " << opset;
    }
  }
}

TEST(Registrations, VersionedOpsSwitchWhereOnnxChanged) {
  auto specs = registered_specs();
  auto ranges = [&](const std::string& op) {
    std::set<std::pair<int, int>> r;
    for (const TranslatorSpec& s : specs[op]) r.insert({s.since_opset, s.until_opset});
    return r;
  };
  const std::pair<int, int> before18{13, 17};
  for (const char* op : {"aten::mean", "aten::amax", "aten::amin", "aten::prod", "aten::max", "aten::min",
                         "aten::logsumexp", "aten::norm", "aten::chunk", "aten::unbind"})
    EXPECT_TRUE(ranges(op).count(before18)) << op << " should switch at opset 18";
  EXPECT_TRUE(ranges("aten::layer_norm").count({13, 16})) << "LayerNormalization exists from 17";
  EXPECT_TRUE(ranges("aten::hardswish").count({13, 13})) << "HardSwish exists from 14";
}

// Every op the plugin registers appears (as "aten::op") in some test source.
TEST(Registrations, EveryRegisteredOpIsTested) {
  auto specs = registered_specs();
  ASSERT_FALSE(specs.empty());
  std::string all;
  for (const auto& entry : fs::directory_iterator(fs::path(ONNXPORT_TEST_SOURCE_DIR) / "tests" / "translators")) {
    if (entry.path().extension() != ".cpp" || entry.path().filename() == "test_coverage.cpp") continue;
    std::ifstream in(entry.path());
    all += std::string(std::istreambuf_iterator<char>(in), {});
  }
  // This file's own cases count, except the tables above.
  std::ifstream self(fs::path(ONNXPORT_TEST_SOURCE_DIR) / "tests" / "translators" / "test_coverage.cpp");
  std::string own(std::istreambuf_iterator<char>(self), {});
  all += own.substr(own.find("// ---- cases"));
  for (const auto& [op, list] : specs)
    EXPECT_NE(all.find("\"" + op + "\""), std::string::npos) << op << " has no test in tests/translators";
}

// ---- cases --------------------------------------------------------------------

// Builds `canonical(args)`, takes its reference outputs, then renames the
// node to `alias` and checks the alias's translation against them.
void check_alias(GraphBuilder& b, const std::string& alias, const std::string& canonical, std::vector<Arg> args,
                 CheckOptions options = {}) {
  for (ValueId v : b.node(canonical, std::move(args))) b.output(v);
  options.expected = reference_outputs(b.graph(), b.inputs());
  b.graph().body.nodes.back().op = alias;
  check_graph(b, options);
}

TEST_F(T, IdentityAliases) {
  for (std::string op : {"aten::clone", "aten::alias", "aten::lift_fresh", "aten::positive"}) {
    SCOPED_TRACE(op);
    GraphBuilder b;
    Tensor data = randn({2, 3});
    std::vector<Arg> args{V(b.input(data))};
    if (op == "aten::clone") args.push_back(None());  // memory_format
    b.output(b.node_typed(op, args, {{DType::Float32, Shape{2, 3}}})[0]);
    check_graph(b, {.expected = {data}});
  }
}

TEST_F(T, DropoutVariantsInEval) {
  for (const char* op : {"aten::feature_dropout", "aten::alpha_dropout", "aten::feature_alpha_dropout"}) {
    SCOPED_TRACE(op);
    GraphBuilder b;
    check_alias(b, op, "aten::dropout", {V(b.input(randn({2, 3}))), C(0.3), C(false)});
  }
}

TEST_F(T, ConcatAndSwapdimsAndClip) {
  {
    GraphBuilder b;
    ValueId x = b.input(randn({2, 3}));
    ValueId y = b.input(randn({1, 3}));
    check_alias(b, "aten::concat", "aten::cat", {L({V(x), V(y)}), C(0)});
  }
  {
    GraphBuilder b;
    check_alias(b, "aten::swapdims", "aten::swapaxes", {V(b.input(randn({2, 3, 4}))), C(0), C(1)});
  }
  {
    GraphBuilder b;
    check_op(b, "aten::clip", {V(b.input(randn({8}))), C(-0.5), C(0.5)});
  }
}

TEST_F(T, TrueDivideAndReshapeAs) {
  GraphBuilder b;
  ValueId x = b.input(randint({4}, -9, 9));
  ValueId y = b.input(randint({4}, 1, 5));
  ValueId z = b.input(randn({2, 2}));
  b.output(b.node1("aten::true_divide", {V(x), V(y)}));
  b.output(b.node1("aten::reshape_as", {V(x), V(z)}));
  check_graph(b);
}

TEST_F(T, BitwiseOnBools) {
  GraphBuilder b;
  ValueId x = b.input(randbool({6}));
  ValueId y = b.input(randbool({6}));
  b.output(b.node1("aten::bitwise_or", {V(x), V(y)}));
  b.output(b.node1("aten::bitwise_xor", {V(x), V(y)}));
  b.output(b.node1("aten::bitwise_not", {V(x)}));
  check_graph(b);
}

TEST_F(T, EmptyAndNewFactories) {
  // torch leaves empty() uninitialized; the translation (and the reference
  // kernel) give zeros, so the comparison pins shape and dtype.
  GraphBuilder b;
  ValueId x = b.input(randn({2, 3}));
  b.output(b.node1("aten::empty", {C({2, 2}), Dt(DType::Float32), None(), None(), None(), None()}));
  b.output(b.node1("aten::empty_like", {V(x), None(), None(), None(), None(), None()}));
  b.output(b.node1("aten::new_empty", {V(x), C({3}), None(), None(), None(), None()}));
  b.output(b.node1("aten::new_zeros", {V(x), C({1, 2}), None(), None(), None(), None()}));
  b.output(b.node1("aten::new_ones", {V(x), C({2}), Dt(DType::Int64), None(), None(), None()}));
  b.output(b.node1("aten::new_full", {V(x), C({2, 1}), C(3.5), None(), None(), None(), None()}));
  check_graph(b);
}

TEST_F(T, ConvolutionInternalsAndReshapeAlias) {
  GraphBuilder b;
  ValueId x = b.input(randn({1, 2, 5, 5}));
  ValueId w = b.param(randn({3, 2, 3, 3}));
  b.output(b.node1("aten::_convolution", {V(x), V(w), None(), C({1, 1}), C({0, 0}), C({1, 1}), C(false), C({0, 0}),
                                          C(1), C(false), C(false), C(true), C(true)}));
  b.output(b.node1("aten::_reshape_alias", {V(x), C({2, 25}), C({25, 1})}));
  check_graph(b, {.atol = 1e-4});
}

TEST_F(T, AdaptiveMaxPool1d) {
  GraphBuilder b;
  check_op(b, "aten::adaptive_max_pool1d", {V(b.input(randn({2, 3, 8}))), C({4})});
}

TEST_F(T, NumToTensorAndFloordivOfSizes) {
  GraphBuilder b;
  ValueId x = b.input_symbolic(randn({7, 2}), {"n"});
  ValueId n = b.node1("aten::size", {V(x), C(0)});
  ValueId half = b.node_typed("aten::floordiv", {V(n), C(2)}, {{DType::Int64, Shape{}}})[0];
  b.graph().value(half).kind = ValueKind::SymInt;
  b.output(half);
  b.output(b.node_typed("aten::NumToTensor", {V(n)}, {{DType::Int64, Shape{}}})[0]);
  check_graph(b, {.expected = {values(DType::Int64, {}, {3}), values(DType::Int64, {}, {7})}});
}

TEST_F(T, NonzeroByHand) {
  GraphBuilder b;
  ValueId x = b.input(values(DType::Float32, {2, 3}, {0, 1.5, 0, -2, 0, 3}));
  b.output(b.node_typed("aten::nonzero", {V(x)}, {{DType::Int64, Shape{Dim::symbol("u0"), 2}}})[0]);
  check_graph(b, {.expected = {values(DType::Int64, {3, 2}, {0, 1, 1, 0, 1, 2})}});
}

// Values sorted (torch's CPU kernel always sorts); _unique2's inverse has the
// input's shape, and its unrequested counts are empty; unique_dim compares
// whole rows and always gives inverse and counts; bools go through int64.
TEST_F(T, UniqueByHand) {
  GraphBuilder b;
  ValueId x = b.input(values(DType::Float32, {2, 3}, {3, 1, 3, 2, 1, 1}));
  std::vector<ValueId> flat = b.node_typed("aten::_unique2", {V(x), C(false), C(true), C(false)},
                                           {{DType::Float32, Shape{Dim::symbol("u0")}},
                                            {DType::Int64, Shape{2, 3}},
                                            {DType::Int64, Shape{0}}});
  for (ValueId v : flat) b.output(v);
  ValueId rows = b.input(values(DType::Int64, {3, 2}, {1, 2, 0, 5, 1, 2}));
  for (ValueId v : b.node_typed("aten::unique_dim", {V(rows), C(0), C(true), C(false), C(false)},
                                {{DType::Int64, Shape{Dim::symbol("u1"), 2}},
                                 {DType::Int64, Shape{3}},
                                 {DType::Int64, Shape{Dim::symbol("u1")}}}))
    b.output(v);
  ValueId flags = b.input(values(DType::Bool, {4}, {1, 0, 1, 1}));
  b.output(b.node_typed("aten::_unique2", {V(flags), C(true), C(false), C(true)},
                        {{DType::Bool, Shape{Dim::symbol("u2")}}, {DType::Int64, Shape{0}}, {DType::Int64, Shape{Dim::symbol("u2")}}})[2]);
  check_graph(b, {.expected = {values(DType::Float32, {3}, {1, 2, 3}), values(DType::Int64, {2, 3}, {2, 0, 2, 1, 0, 0}),
                               values(DType::Int64, {0}, {}), values(DType::Int64, {2, 2}, {0, 5, 1, 2}),
                               values(DType::Int64, {3}, {1, 0, 1}), values(DType::Int64, {2}, {1, 2}),
                               values(DType::Int64, {2}, {1, 3})}});
}

TEST_F(T, NormsByHand) {
  GraphBuilder b;
  ValueId x = b.input(values(DType::Float32, {2, 2}, {3, -4, 6, 8}));
  b.output(b.node_typed("aten::norm", {V(x), C(2)}, {{DType::Float32, Shape{}}})[0]);
  b.output(b.node_typed("aten::norm", {V(x), C(1), C({1}), C(false)}, {{DType::Float32, Shape{2}}})[0]);
  b.output(b.node_typed("aten::linalg_vector_norm", {V(x), C(2), C({1}), C(true), None()},
                        {{DType::Float32, Shape{2, 1}}})[0]);
  check_graph(b, {.opsets = {13, 17, 18},
                  .expected = {values(DType::Float32, {}, {std::sqrt(125.0)}), values(DType::Float32, {2}, {7, 14}),
                               values(DType::Float32, {2, 1}, {5, 10})}});
}

TEST_F(T, ThreeDimensionalLayersByHand) {
  GraphBuilder b;
  // 1x1x2x2x2 input holding 1..8.
  ValueId x = b.input(values(DType::Float32, {1, 1, 2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8}));
  ValueId w = b.param(values(DType::Float32, {1, 1, 1, 1, 1}, {2}));
  Shape one{1, 1, 1, 1, 1};
  std::vector<int64_t> ones{1, 1, 1, 1, 1};
  b.output(b.node_typed("aten::max_pool3d", {V(x), C({2, 2, 2}), C(std::vector<int64_t>{}), C({0, 0, 0}),
                                             C({1, 1, 1}), C(false)},
                        {{DType::Float32, one}})[0]);
  b.output(b.node_typed("aten::avg_pool3d", {V(x), C({2, 2, 2}), C(std::vector<int64_t>{}), C({0, 0, 0}), C(false),
                                             C(true), None()},
                        {{DType::Float32, one}})[0]);
  b.output(b.node_typed("aten::conv3d", {V(x), V(w), None(), C({2, 2, 2}), C({0, 0, 0}), C({1, 1, 1}), C(1)},
                        {{DType::Float32, one}})[0]);
  b.output(b.node_typed("aten::upsample_nearest3d", {V(x), C({2, 2, 4}), None()},
                        {{DType::Float32, Shape{1, 1, 2, 2, 4}}})[0]);
  check_graph(b, {.expected = {values(DType::Float32, ones, {8}), values(DType::Float32, ones, {4.5}),
                               values(DType::Float32, ones, {2}),
                               values(DType::Float32, {1, 1, 2, 2, 4},
                                      {1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8})}});
}

TEST_F(T, OneDimensionalPadsResizeAndTransposedConvByHand) {
  GraphBuilder b;
  ValueId x = b.input(values(DType::Float32, {1, 1, 3}, {1, 2, 3}));
  ValueId w = b.param(values(DType::Float32, {1, 1, 2}, {1, 10}));
  b.output(b.node_typed("aten::reflection_pad1d", {V(x), C({2, 1})}, {{DType::Float32, Shape{1, 1, 6}}})[0]);
  b.output(b.node_typed("aten::replication_pad1d", {V(x), C({1, 2})}, {{DType::Float32, Shape{1, 1, 6}}})[0]);
  b.output(b.node_typed("aten::upsample_linear1d", {V(x), C({5}), C(true), None()},
                        {{DType::Float32, Shape{1, 1, 5}}})[0]);
  // Stride 2, kernel [1, 10]: each input element writes x and 10x side by side.
  b.output(b.node_typed("aten::conv_transpose1d", {V(x), V(w), None(), C({2}), C({0}), C({0}), C(1), C({1})},
                        {{DType::Float32, Shape{1, 1, 6}}})[0]);
  check_graph(b, {.expected = {values(DType::Float32, {1, 1, 6}, {3, 2, 1, 2, 3, 2}),
                               values(DType::Float32, {1, 1, 6}, {1, 1, 2, 3, 3, 3}),
                               values(DType::Float32, {1, 1, 5}, {1, 1.5, 2, 2.5, 3}),
                               values(DType::Float32, {1, 1, 6}, {1, 10, 2, 20, 3, 30})}});
}

TEST_F(T, ReplicationPad2dByHand) {
  GraphBuilder b;
  ValueId x = b.input(values(DType::Float32, {1, 1, 2, 2}, {1, 2, 3, 4}));
  b.output(b.node_typed("aten::replication_pad2d", {V(x), C({1, 0, 0, 1})}, {{DType::Float32, Shape{1, 1, 3, 3}}})[0]);
  check_graph(b, {.expected = {values(DType::Float32, {1, 1, 3, 3}, {1, 1, 2, 3, 3, 4, 3, 3, 4})}});
}

}  // namespace
}  // namespace onnxport::translator_tests
