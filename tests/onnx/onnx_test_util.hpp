// Helpers shared by the ONNX assembly tests: a small Graph builder, a test
// translator registry with hand-written translators (no dependency on the
// translators-aten plugin), and accessors over ModelProto.
#pragma once

#include <onnxport/graph.hpp>
#include <onnxport_core/onnx_build.hpp>
#include <onnxport_core/onnx_passes.hpp>
#include <onnxport_core/registry.hpp>

#include <onnx/onnx_pb.h>

#include <cstring>
#include <string>
#include <vector>

namespace onnxport::testing {

inline Tensor f32(std::vector<int64_t> shape, const std::vector<float>& values) {
  Tensor t = Tensor::zeros(DType::Float32, std::move(shape));
  std::memcpy(t.mutable_bytes(), values.data(), values.size() * sizeof(float));
  return t;
}

inline SourceLoc loc(int line, int col, std::string text = "", std::string file = "model.py") {
  SourceLoc l;
  l.file = std::move(file);
  l.line = line;
  l.col = col;
  l.text = std::move(text);
  return l;
}

class GraphBuilder {
 public:
  explicit GraphBuilder(std::string name = "TestModel") { g.name = std::move(name); }

  ValueId input(const std::string& name, DType dtype, Shape shape, ValueKind kind = ValueKind::Tensor) {
    Value v;
    v.name = name;
    v.dtype = dtype;
    v.shape = std::move(shape);
    v.kind = kind;
    v.role = ValueRole::Input;
    const ValueId id = g.add_value(std::move(v));
    g.inputs.push_back(id);
    return id;
  }

  ValueId param(const std::string& name, Tensor data) {
    Value v;
    v.name = name;
    v.dtype = data.dtype();
    v.shape = shape_of(data.shape());
    v.role = ValueRole::Parameter;
    v.data = std::move(data);
    const ValueId id = g.add_value(std::move(v));
    g.params.push_back(id);
    return id;
  }

  // Adds a value of the given type (for node outputs and block inputs).
  ValueId value(const std::string& name, DType dtype, Shape shape) {
    Value v;
    v.name = name;
    v.dtype = dtype;
    v.shape = std::move(shape);
    return g.add_value(std::move(v));
  }

  // Appends `op(args) -> out` to `block` (the body by default); returns the output id.
  ValueId node(const std::string& op, std::vector<Arg> args, const std::string& out, DType dtype, Shape shape,
               Block* block = nullptr, SourceLoc where = {}, std::string scope = "") {
    const ValueId id = value(out, dtype, std::move(shape));
    Node n;
    n.op = op;
    n.inputs = std::move(args);
    n.outputs = {id};
    n.prov.loc = std::move(where);
    n.prov.scope = std::move(scope);
    (block ? block : &g.body)->nodes.push_back(std::move(n));
    return id;
  }

  Node& last(Block* block = nullptr) { return (block ? block : &g.body)->nodes.back(); }
  void output(ValueId id) { g.body.outputs.push_back(id); }

  Graph g;
};

inline Arg v(ValueId id) { return Arg::of(id); }
inline Arg c(nlohmann::json j) { return Arg::of_constant(std::move(j)); }

// --- hand-written translators ------------------------------------------------

inline void t_linear(TranslateContext& ctx) {
  const std::string wt = ctx.op("Transpose", {ctx.input(1)}, {{"perm", std::vector<int64_t>{1, 0}}});
  const std::string mm = ctx.op("MatMul", {ctx.input(0), wt});
  ctx.set_output(0, ctx.op("Add", {mm, ctx.input(2)}));
}
inline void t_mul(TranslateContext& ctx) { ctx.set_output(0, ctx.op("Mul", {ctx.input(0), ctx.input(1)})); }
inline void t_add(TranslateContext& ctx) { ctx.set_output(0, ctx.op("Add", {ctx.input(0), ctx.input(1)})); }
inline void t_mm(TranslateContext& ctx) { ctx.set_output(0, ctx.op("MatMul", {ctx.input(0), ctx.input(1)})); }
inline void t_neg(TranslateContext& ctx) { ctx.set_output(0, ctx.op("Neg", {ctx.input(0)})); }
inline void t_relu(TranslateContext& ctx) { ctx.set_output(0, ctx.op("Relu", {ctx.input(0)})); }
inline void t_sum(TranslateContext& ctx) {
  ctx.set_output(0, ctx.op("ReduceSum", {ctx.input(0)}, {{"keepdims", int64_t{0}}}));
}
inline void t_gt(TranslateContext& ctx) { ctx.set_output(0, ctx.op("Greater", {ctx.input(0), ctx.input(1)})); }
inline void t_cond(TranslateContext& ctx) {
  const Node& n = ctx.node();
  const SubgraphRef then_g = ctx.subgraph(n.blocks.at(0), "then_branch");
  const SubgraphRef else_g = ctx.subgraph(n.blocks.at(1), "else_branch");
  auto outs = ctx.op_n("If", {ctx.input(0)}, n.outputs.size(), {{"then_branch", then_g}, {"else_branch", else_g}});
  for (size_t i = 0; i < outs.size(); ++i) ctx.set_output(i, outs[i]);
}
inline void t_passthrough(TranslateContext& ctx) { ctx.set_output(0, ctx.input(0)); }
inline void t_throws_translate_error(TranslateContext& ctx) {
  ctx.op("Relu", {ctx.input(0)});  // emitted, then rolled back
  throw TranslateError("rounding mode 'floor' is not supported", "use rounding_mode=None");
}
inline void t_throws_std(TranslateContext&) { throw std::runtime_error("boom"); }
inline void t_unknown_op(TranslateContext& ctx) { ctx.set_output(0, ctx.op("NotAnOnnxOp", {ctx.input(0)})); }
inline void t_undefined_input(TranslateContext& ctx) { ctx.set_output(0, ctx.op("Relu", {"no_such_value"})); }
inline void t_forgets_output(TranslateContext& ctx) { ctx.op("Relu", {ctx.input(0)}); }
inline void t_custom_domain(TranslateContext& ctx) {
  ctx.set_output(0, ctx.op("MyOp", {ctx.input(0)}, {}, "com.example"));
}

inline void add(TranslatorRegistry& r, const std::string& op, TranslateFn fn, const std::string& plugin = "test-plugin") {
  TranslatorSpec spec;
  spec.op = op;
  spec.fn = fn;
  spec.since_opset = 13;
  r.add(std::move(spec), plugin);
}

inline TranslatorRegistry standard_registry() {
  TranslatorRegistry r;
  add(r, "aten::linear", t_linear);
  add(r, "aten::mul", t_mul);
  add(r, "aten::add", t_add);
  add(r, "aten::mm", t_mm);
  add(r, "aten::neg", t_neg);
  add(r, "aten::relu", t_relu);
  add(r, "aten::sum", t_sum);
  add(r, "aten::gt", t_gt);
  add(r, "higher_order::cond", t_cond);
  return r;
}

// The seed's MLP: linear(3->2), linear(2->1), then x * 2 (the draft branch).
struct SeedGraph {
  GraphBuilder b{"ModelWithControlFlowTest"};
  ValueId x, w0, b0, w1, b1, linear, linear_1, out;
  std::vector<float> w0_values{0.284533f, 0.0663717f, -0.510749f, 0.244287f, 0.37044f, -0.546452f};

  SeedGraph() {
    x = b.input("x", DType::Float32, {3});
    w0 = b.param("mlp.0.weight", f32({2, 3}, w0_values));
    b0 = b.param("mlp.0.bias", f32({2}, {-0.403322f, -0.409063f}));
    w1 = b.param("mlp.1.weight", f32({1, 2}, {0.363914f, -0.449402f}));
    b1 = b.param("mlp.1.bias", f32({1}, {0.19677f}));
    linear = b.node("aten::linear", {v(x), v(w0), v(b0)}, "linear", DType::Float32, {2}, nullptr,
                    loc(114, 15, "return F.linear(input, self.weight, self.bias)", "torch/nn/modules/linear.py"),
                    "mlp.0");
    linear_1 = b.node("aten::linear", {v(linear), v(w1), v(b1)}, "linear_1", DType::Float32, {1}, nullptr,
                      loc(114, 15, "return F.linear(input, self.weight, self.bias)", "torch/nn/modules/linear.py"),
                      "mlp.1");
  }

  // The draft result: return x * 2.
  void finish_draft() {
    out = b.node("aten::mul", {v(linear_1), c(2)}, "mul", DType::Float32, {1}, nullptr, loc(25, 19, "return x * 2"),
                 "mlp.2");
    b.output(out);
  }

  // The cond-rewrite result: cond(sum(linear_1) > 0, x * 2, -x).
  void finish_cond(bool branches_take_operands = false) {
    const ValueId s = b.node("aten::sum", {v(linear_1), c(nullptr)}, "sum_1", DType::Float32, {});
    const ValueId gt = b.node("aten::gt", {v(s), c(0)}, "gt", DType::Bool, {});
    Node cond;
    cond.op = "higher_order::cond";
    cond.inputs = {v(gt), v(linear_1)};
    cond.prov.loc = loc(80, 15, "return torch.cond(x.sum() > 0, identity2, neg, (x,))");
    Block then_b, else_b;
    ValueId then_in = linear_1, else_in = linear_1;
    if (branches_take_operands) {
      then_in = b.value("x_op", DType::Float32, {1});
      else_in = b.value("x_op_1", DType::Float32, {1});
      then_b.inputs = {then_in};
      else_b.inputs = {else_in};
    }
    const ValueId m = b.node("aten::mul", {v(then_in), c(2)}, "mul", DType::Float32, {1}, &then_b,
                             loc(25, 19, "return x * 2"));
    const ValueId n = b.node("aten::neg", {v(else_in)}, "neg", DType::Float32, {1}, &else_b, loc(26, 15, "return -x"));
    then_b.outputs = {m};
    else_b.outputs = {n};
    cond.blocks = {std::move(then_b), std::move(else_b)};
    out = b.value("getitem", DType::Float32, {1});
    cond.outputs = {out};
    b.g.body.nodes.push_back(std::move(cond));
    b.output(out);
  }
};

// --- model accessors -----------------------------------------------------------

inline const onnx::NodeProto* find_node_by_output(const onnx::GraphProto& g, const std::string& output) {
  for (const auto& n : g.node())
    for (const auto& o : n.output())
      if (o == output) return &n;
  return nullptr;
}

inline const onnx::NodeProto* find_node_by_op(const onnx::GraphProto& g, const std::string& op) {
  for (const auto& n : g.node())
    if (n.op_type() == op) return &n;
  return nullptr;
}

inline const onnx::TensorProto* find_initializer(const onnx::GraphProto& g, const std::string& name) {
  for (const auto& t : g.initializer())
    if (t.name() == name) return &t;
  return nullptr;
}

inline std::string meta(const onnx::NodeProto& n, const std::string& key) {
  for (const auto& [k, val] : node_metadata(n))
    if (k == key) return val;
  return "<absent>";
}

inline std::vector<std::string> op_types(const onnx::GraphProto& g) {
  std::vector<std::string> out;
  for (const auto& n : g.node()) out.push_back(n.op_type());
  return out;
}

inline std::vector<float> floats_of(const onnx::TensorProto& t) {
  std::vector<float> out;
  if (t.has_raw_data()) {
    out.resize(t.raw_data().size() / sizeof(float));
    std::memcpy(out.data(), t.raw_data().data(), out.size() * sizeof(float));
  } else {
    out.assign(t.float_data().begin(), t.float_data().end());
  }
  return out;
}

inline std::vector<int64_t> int64s_of(const onnx::TensorProto& t) {
  std::vector<int64_t> out;
  if (t.has_raw_data()) {
    out.resize(t.raw_data().size() / sizeof(int64_t));
    std::memcpy(out.data(), t.raw_data().data(), out.size() * sizeof(int64_t));
  } else {
    out.assign(t.int64_data().begin(), t.int64_data().end());
  }
  return out;
}

}  // namespace onnxport::testing
