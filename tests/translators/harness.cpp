#include "harness.hpp"

#include <onnxport/ops.hpp>
#include <onnxport_core/onnx_build.hpp>
#include <onnxport_core/onnx_passes.hpp>
#include <onnxport_core/ort.hpp>
#include <onnxport_core/plugin_host.hpp>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <sstream>

#ifndef ONNXPORT_TRANSLATORS_PLUGIN
#error "ONNXPORT_TRANSLATORS_PLUGIN must name the built translators-aten plugin"
#endif

namespace onnxport::translator_tests {
namespace fs = std::filesystem;

// ---- example data -----------------------------------------------------------

std::mt19937& rng() {
  static std::mt19937 gen(1234);
  return gen;
}

Tensor randn(std::vector<int64_t> shape, DType dtype) {
  Tensor t = Tensor::zeros(dtype, std::move(shape));
  std::normal_distribution<double> dist(0.0, 1.0);
  for (int64_t i = 0; i < t.numel(); ++i) t.set_double(i, dist(rng()));
  return t;
}

Tensor uniform(std::vector<int64_t> shape, double lo, double hi, DType dtype) {
  Tensor t = Tensor::zeros(dtype, std::move(shape));
  std::uniform_real_distribution<double> dist(lo, hi);
  for (int64_t i = 0; i < t.numel(); ++i) t.set_double(i, dist(rng()));
  return t;
}

Tensor randint(std::vector<int64_t> shape, int64_t lo, int64_t hi, DType dtype) {
  Tensor t = Tensor::zeros(dtype, std::move(shape));
  std::uniform_int_distribution<int64_t> dist(lo, hi - 1);
  for (int64_t i = 0; i < t.numel(); ++i) t.set_double(i, static_cast<double>(dist(rng())));
  return t;
}

Tensor randbool(std::vector<int64_t> shape) {
  return randint(std::move(shape), 0, 2, DType::Bool);
}

Tensor values(DType dtype, std::vector<int64_t> shape, const std::vector<double>& v) {
  Tensor t = Tensor::zeros(dtype, std::move(shape));
  if (static_cast<int64_t>(v.size()) != t.numel()) throw std::invalid_argument("values(): wrong element count");
  for (int64_t i = 0; i < t.numel(); ++i) t.set_double(i, v[static_cast<size_t>(i)]);
  return t;
}

void TranslatorTest::SetUp() {
  rng().seed(1234);  // each test sees the same data whatever ran before
}

// ---- building graphs ----------------------------------------------------------

namespace {

// The kind a strategy gives an op's output: Python scalars for the
// tensor -> scalar conversions, tensors otherwise.
ValueKind output_kind(const std::string& op, DType dtype) {
  if (op == "aten::Bool" || op == "aten::is_nonzero") return ValueKind::SymBool;
  if (op == "aten::Int" || op == "aten::size" || op == "aten::numel") return ValueKind::SymInt;
  if (op == "aten::Float") return ValueKind::SymFloat;
  if (op == "aten::item" || op == "aten::ScalarImplicit") {
    if (dtype == DType::Bool) return ValueKind::SymBool;
    return is_floating(dtype) ? ValueKind::SymFloat : ValueKind::SymInt;
  }
  return ValueKind::Tensor;
}

std::string short_name(const std::string& op) {
  auto pos = op.rfind("::");
  return pos == std::string::npos ? op : op.substr(pos + 2);
}

// OpArg for the meta functions: metas only; SymInt values stay symbolic.
OpArg meta_arg(const Graph& g, const Arg& a) {
  OpArg o;
  if (a.is_none()) {
    o.kind = OpArg::Kind::None;
  } else if (a.is_constant()) {
    o.kind = OpArg::Kind::Constant;
    o.constant = a.constant;
  } else if (a.is_list()) {
    o.kind = OpArg::Kind::List;
    for (const Arg& item : a.items) o.items.push_back(meta_arg(g, item));
  } else {
    const Value& v = g.value(a.value);
    if (v.kind == ValueKind::Tensor) {
      o.kind = OpArg::Kind::Tensor;
      o.meta = {v.dtype, v.shape};
      if (v.data.defined()) o.data = &v.data;
    } else {
      o.kind = OpArg::Kind::SymInt;
      o.sym = Dim::symbol(v.name);
    }
  }
  return o;
}

std::vector<TensorMeta> output_metas(const Graph& g, const std::string& op, const std::vector<Arg>& args) {
  if (op == "aten::size") {  // a shape query, not in the op library
    if (args.size() >= 2) return {TensorMeta{DType::Int64, {}}};
    return {TensorMeta{DType::Int64, {Dim(static_cast<int64_t>(g.value(args[0].value).shape.size()))}}};
  }
  const OpDef* def = OpLibrary::instance().find(op);
  if (def == nullptr) throw std::runtime_error("the op library has no definition of " + op);
  std::vector<OpArg> oargs;
  for (const Arg& a : args) oargs.push_back(meta_arg(g, a));
  return def->meta(oargs);
}

}  // namespace

GraphBuilder::GraphBuilder() {
  graph_.name = ::testing::UnitTest::GetInstance()->current_test_info()
                    ? ::testing::UnitTest::GetInstance()->current_test_info()->name()
                    : "test";
}

ValueId GraphBuilder::input(Tensor example, std::string name) {
  return input_symbolic(std::move(example), {}, std::move(name));
}

ValueId GraphBuilder::input_symbolic(Tensor example, const std::vector<std::string>& dims, std::string name) {
  Value v;
  v.name = graph_.unique_name(name.empty() ? "x" : name);
  v.dtype = example.dtype();
  v.shape = shape_of(example.shape());
  for (size_t k = 0; k < dims.size() && k < v.shape.size(); ++k)
    if (!dims[k].empty()) v.shape[k] = Dim::symbol(dims[k]);
  v.role = ValueRole::Input;
  inputs_.set(v.name, std::move(example));
  ValueId id = graph_.add_value(std::move(v));
  graph_.inputs.push_back(id);
  return id;
}

ValueId GraphBuilder::param(Tensor data, std::string name) {
  Value v;
  v.name = graph_.unique_name(name.empty() ? "weight" : name);
  v.dtype = data.dtype();
  v.shape = shape_of(data.shape());
  v.role = ValueRole::Parameter;
  v.data = std::move(data);
  ValueId id = graph_.add_value(std::move(v));
  graph_.params.push_back(id);
  return id;
}

std::vector<ValueId> GraphBuilder::node(const std::string& op, std::vector<Arg> args, Block* block) {
  std::vector<std::pair<DType, Shape>> types;
  for (const TensorMeta& m : output_metas(graph_, op, args))
    if (m.dtype != DType::Undefined) types.emplace_back(m.dtype, m.shape);  // as the engine: None, no value
  return node_typed(op, std::move(args), types, block);
}

std::vector<ValueId> GraphBuilder::node_typed(const std::string& op, std::vector<Arg> args,
                                              const std::vector<std::pair<DType, Shape>>& outputs, Block* block) {
  Node n;
  n.op = op;
  n.prov.original_kind = op;
  for (const auto& [dtype, shape] : outputs) {
    Value v;
    v.name = graph_.unique_name(short_name(op));
    v.dtype = dtype;
    v.shape = shape;
    v.kind = output_kind(op, dtype);
    n.outputs.push_back(graph_.add_value(std::move(v)));
  }
  n.inputs = std::move(args);
  std::vector<ValueId> outs = n.outputs;
  (block ? block : &graph_.body)->nodes.push_back(std::move(n));
  return outs;
}

// ---- reference evaluation -----------------------------------------------------

namespace {

class Interpreter {
 public:
  Interpreter(const Graph& g, const TensorMap& inputs) : g_(g) {
    for (size_t k = 0; k < g.inputs.size(); ++k) {
      const Value& v = g.value(g.inputs[k]);
      const Tensor* t = inputs.find(v.name);
      if (t == nullptr) throw std::runtime_error("no example data for input '" + v.name + "'");
      env_[g.inputs[k]] = *t;
    }
    for (ValueId p : g.params) env_[p] = g.value(p).data;
  }

  std::vector<Tensor> run_block(const Block& block) {
    for (const Node& n : block.nodes) run_node(n);
    std::vector<Tensor> out;
    for (ValueId id : block.outputs) out.push_back(at(id));
    return out;
  }

 private:
  const Tensor& at(ValueId id) const {
    auto it = env_.find(id);
    if (it == env_.end()) throw std::runtime_error("value '" + g_.value(id).name + "' is used before it is computed");
    return it->second;
  }

  // Python scalars (Sym* values) reach kernels as constants, tensors with data.
  OpArg concrete_arg(const Arg& a) const {
    OpArg o;
    if (a.is_none()) {
      o.kind = OpArg::Kind::None;
    } else if (a.is_constant()) {
      o.kind = OpArg::Kind::Constant;
      o.constant = a.constant;
    } else if (a.is_list()) {
      o.kind = OpArg::Kind::List;
      for (const Arg& item : a.items) o.items.push_back(concrete_arg(item));
    } else {
      const Value& v = g_.value(a.value);
      const Tensor& t = at(a.value);
      if (v.kind == ValueKind::Tensor) {
        o.kind = OpArg::Kind::Tensor;
        o.meta = {t.dtype(), shape_of(t.shape())};
        o.data = &t;
      } else {
        o.kind = OpArg::Kind::Constant;
        if (v.kind == ValueKind::SymBool) o.constant = t.get_double(0) != 0;
        else if (v.kind == ValueKind::SymInt) o.constant = t.get_int(0);
        else o.constant = t.get_double(0);
      }
    }
    return o;
  }

  // ONNX Loop semantics: run while iteration < max_trip and cond holds; the
  // body returns (cond, carried..., scans...). Scans are not supported here.
  std::vector<Tensor> run_loop(const Node& n) {
    const Block& body = n.blocks.at(0);
    const int64_t max_trip = n.inputs.at(0).is_none() ? INT64_MAX : n.inputs[0].constant.get<int64_t>();
    bool cond = n.inputs.at(1).is_none() || n.inputs[1].constant.get<bool>();
    std::vector<Tensor> carried;
    for (size_t k = 2; k < n.inputs.size(); ++k) carried.push_back(at(n.inputs[k].value));
    if (body.outputs.size() != carried.size() + 1) throw std::runtime_error("loop scan outputs are not supported");
    for (int64_t i = 0; i < max_trip && cond; ++i) {
      env_[body.inputs.at(0)] = Tensor::scalar(DType::Int64, static_cast<double>(i));
      for (size_t k = 0; k < carried.size(); ++k) env_[body.inputs.at(k + 1)] = carried[k];
      std::vector<Tensor> outs = run_block(body);
      cond = outs.at(0).get_double(0) != 0;
      carried.assign(outs.begin() + 1, outs.end());
      for (Tensor& t : carried) t = t.clone();
    }
    return carried;
  }

  void run_node(const Node& n) {
    std::vector<Tensor> outs;
    if (n.op == "higher_order::cond") {
      const bool pred = at(n.inputs.at(0).value).get_double(0) != 0;
      outs = run_block(n.blocks.at(pred ? 0 : 1));
    } else if (n.op == "higher_order::loop") {
      outs = run_loop(n);
    } else if (n.op == "aten::size") {
      const Tensor& x = at(n.inputs.at(0).value);
      if (n.inputs.size() >= 2) {
        int64_t d = n.inputs[1].constant.get<int64_t>();
        if (d < 0) d += x.dim();
        outs.push_back(Tensor::scalar(DType::Int64, static_cast<double>(x.shape().at(static_cast<size_t>(d)))));
      } else {
        outs.push_back(Tensor::from_vector(DType::Int64, {x.dim()}, x.shape()));
      }
    } else {
      const OpDef* def = OpLibrary::instance().find(n.op);
      if (def == nullptr || !def->kernel)
        throw std::runtime_error("the op library has no reference kernel for " + n.op + " (core/src/ops)");
      std::vector<OpArg> args;
      for (const Arg& a : n.inputs) args.push_back(concrete_arg(a));
      outs = def->kernel(args);
      while (!outs.empty() && !outs.back().defined()) outs.pop_back();  // None results have no node output
    }
    if (outs.size() != n.outputs.size())
      throw std::runtime_error(n.op + ": reference produced " + std::to_string(outs.size()) + " outputs, the node has " +
                               std::to_string(n.outputs.size()));
    for (size_t k = 0; k < outs.size(); ++k) env_[n.outputs[k]] = outs[k].clone();
  }

  const Graph& g_;
  std::map<ValueId, Tensor> env_;
};

PluginHost& host() {
  static PluginHost h;
  static std::once_flag once;
  std::call_once(once, [] { h.load(ONNXPORT_TRANSLATORS_PLUGIN); });
  return h;
}

const LoadedPlugin* translators_plugin() {
  for (const LoadedPlugin& p : host().plugins())
    if (p.loaded && p.name == "translators-aten") return &p;
  return nullptr;
}

std::string plugin_problem() {
  std::ostringstream s;
  s << "translators-aten plugin not loaded from " << ONNXPORT_TRANSLATORS_PLUGIN << ":";
  for (const LoadedPlugin& p : host().plugins()) s << " " << p.file << ": " << p.error;
  return s.str();
}

std::string diagnostics_text(const std::vector<Diagnostic>& ds) {
  std::string s;
  for (const Diagnostic& d : ds) s += d.to_text() + "\n";
  return s;
}

fs::path scratch_dir() {
  static const fs::path dir = [] {
    fs::path d = fs::temp_directory_path() / ("onnxport-translator-tests-" + std::to_string(::getpid()));
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

void collect_op_types(const onnx::GraphProto& g, std::vector<std::string>& out) {
  for (const auto& n : g.node()) {
    out.push_back(n.op_type());
    for (const auto& a : n.attribute()) {
      if (a.has_g()) collect_op_types(a.g(), out);
      for (const auto& sub : a.graphs()) collect_op_types(sub, out);
    }
  }
}

// Translates at `opset`; fails the test (and returns nullopt) on any problem.
std::optional<onnx::ModelProto> translate_at(Graph& graph, int opset) {
  if (translators_plugin() == nullptr) {
    ADD_FAILURE() << plugin_problem();
    return std::nullopt;
  }
  TranslateOptions options;
  options.opset = opset;
  TranslationResult r = translate_graph(graph, host().registry(), options);
  if (!r.ok) {
    ADD_FAILURE() << "translation failed at opset " << opset << ":\n" << diagnostics_text(r.diagnostics);
    return std::nullopt;
  }
  return std::move(r.model);
}

}  // namespace

std::vector<Tensor> reference_outputs(const Graph& graph, const TensorMap& inputs) {
  Interpreter interp(graph, inputs);
  return interp.run_block(graph.body);
}

std::vector<std::string> op_types(const onnx::ModelProto& model) {
  std::vector<std::string> out;
  collect_op_types(model.graph(), out);
  return out;
}

onnx::ModelProto check_graph(GraphBuilder& b, const CheckOptions& options) {
  Graph& graph = b.graph();
  std::vector<std::string> problems = graph.validate();
  EXPECT_TRUE(problems.empty()) << "test graph is malformed: " << (problems.empty() ? "" : problems.front());
  std::vector<Tensor> expected = options.expected;
  if (expected.empty()) try {
    expected = reference_outputs(graph, b.inputs());
  } catch (const std::exception& e) {
    ADD_FAILURE() << "reference evaluation failed: " << e.what();
    return {};
  }
  onnx::ModelProto last;
  for (int opset : options.opsets) {
    SCOPED_TRACE("opset " + std::to_string(opset));
    std::optional<onnx::ModelProto> model = translate_at(graph, opset);
    if (!model) continue;
    const std::string text = model_to_text(*model);
    // ONNX 1.12's checker knows opsets up to 17.
    if (opset <= 17) {
      std::vector<Diagnostic> check = check_model(*model);
      EXPECT_TRUE(check.empty()) << "onnx checker:\n" << diagnostics_text(check) << text;
    }
    std::vector<std::string> types = op_types(*model);
    // Braces: EXPECT_* is an if/else inside, which -Wdangling-else flags.
    if (auto it = options.expect_ops.find(opset); it != options.expect_ops.end()) {
      for (const std::string& op : it->second)
        EXPECT_NE(std::find(types.begin(), types.end(), op), types.end()) << "expected a " << op << " node\n" << text;
    }
    if (auto it = options.forbid_ops.find(opset); it != options.forbid_ops.end()) {
      for (const std::string& op : it->second)
        EXPECT_EQ(std::find(types.begin(), types.end(), op), types.end()) << "unexpected " << op << " node\n" << text;
    }

    const fs::path file = scratch_dir() / (graph.name + "-opset" + std::to_string(opset) + ".onnx");
    write_model_atomic(*model, file);
    TensorMap feeds;
    for (int k = 0; k < model->graph().input_size(); ++k) {
      const Tensor* t = b.inputs().find(graph.value(graph.inputs.at(static_cast<size_t>(k))).name);
      if (t != nullptr) feeds.set(model->graph().input(k).name(), *t);
    }
    TensorMap actual;
    try {
      actual = run_onnxruntime(file, feeds);
    } catch (const std::exception& e) {
      ADD_FAILURE() << e.what() << "\n" << text;
      continue;
    }
    std::error_code ec;
    fs::remove(file, ec);
    EXPECT_EQ(static_cast<size_t>(model->graph().output_size()), expected.size());
    for (int k = 0; k < model->graph().output_size() && static_cast<size_t>(k) < expected.size(); ++k) {
      const std::string& name = model->graph().output(k).name();
      const Tensor* got = actual.find(name);
      if (got == nullptr) {
        ADD_FAILURE() << "ONNX Runtime returned no output '" << name << "'";
        continue;
      }
      Comparison c = compare_tensors(name, *got, expected[static_cast<size_t>(k)], options.atol, options.rtol);
      EXPECT_TRUE(c.ok) << "output '" << name << "': " << c.problem << " max |diff| " << c.max_abs
                        << ", max rel " << c.max_rel << "\n  got      " << got->type_str() << " "
                        << got->values_str(12) << "\n  expected " << expected[static_cast<size_t>(k)].type_str()
                        << " " << expected[static_cast<size_t>(k)].values_str(12) << "\n"
                        << text;
    }
    last = std::move(*model);
  }
  return last;
}

onnx::ModelProto check_op(GraphBuilder& b, const std::string& op, std::vector<Arg> args,
                          const CheckOptions& options) {
  std::vector<ValueId> outs;
  try {
    outs = b.node(op, std::move(args));
  } catch (const std::exception& e) {
    ADD_FAILURE() << "cannot build the test node: " << e.what();
    return {};
  }
  for (ValueId v : outs) b.output(v);
  return check_graph(b, options);
}

void expect_translate_error(GraphBuilder& b, int opset, const std::string& needle) {
  ASSERT_NE(translators_plugin(), nullptr) << plugin_problem();
  TranslateOptions options;
  options.opset = opset;
  TranslationResult r = translate_graph(b.graph(), host().registry(), options);
  EXPECT_FALSE(r.ok);
  std::string all = diagnostics_text(r.diagnostics);
  EXPECT_NE(all.find(needle), std::string::npos) << "diagnostics do not mention '" << needle << "':\n" << all;
}

}  // namespace onnxport::translator_tests
