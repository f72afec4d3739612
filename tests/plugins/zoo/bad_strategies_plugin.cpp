// Strategies that misbehave in every way the host must survive (issue 5, "A
// host that survives"). Each is listed first in a test config, with a good
// built-in strategy after it; the test checks the diagnostic and that the
// fallback still exports the model.
//
//   zoo-throws       throws from capture()
//   zoo-dangling     returns a graph whose node reads a value id that does not exist
//   zoo-wrong-arity  returns a graph calling aten::linear with one argument
//   zoo-segfault     dereferences an invalid address (SIGSEGV)
//   zoo-abort        calls std::abort() (SIGABRT)
//   zoo-hang         never returns
//   zoo-custom-op    returns a valid graph using the custom op zoo::scale
//                    (whose only translator, in bad-translators, fails)
#include <onnxport/sdk.hpp>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

namespace {

using namespace onnxport;

// A tiny graph: one float input x[2, 3] and the graph outputs the caller adds.
Graph graph_with_input(const Program& program) {
  Graph g;
  g.name = program.name;
  Value x;
  x.name = "x";
  x.shape = {2, 3};
  x.role = ValueRole::Input;
  g.inputs.push_back(g.add_value(std::move(x)));
  return g;
}

ValueId add_intermediate(Graph& g, const std::string& name, Shape shape) {
  Value v;
  v.name = name;
  v.shape = std::move(shape);
  return g.add_value(std::move(v));
}

CaptureResult with_graph(Graph g) {
  CaptureResult result;
  result.graph = std::move(g);
  return result;
}

// A Strategy whose capture() is a plain function.
class ZooStrategy final : public Strategy {
 public:
  using Fn = CaptureResult (*)(const Program&, HostServices&);
  ZooStrategy(std::string name, Fn fn) : name_(std::move(name)), fn_(fn) {}
  std::string_view name() const override { return name_; }
  std::string_view description() const override { return "misbehaving test strategy"; }
  CaptureResult capture(const Program& program, const CaptureOptions&, HostServices& host) override {
    return fn_(program, host);
  }

 private:
  std::string name_;
  Fn fn_;
};

CaptureResult throws(const Program&, HostServices&) { throw std::runtime_error("zoo-throws gave up on purpose"); }

CaptureResult dangling(const Program& program, HostServices&) {
  Graph g = graph_with_input(program);
  ValueId y = add_intermediate(g, "y", {2, 3});
  Node relu;
  relu.op = "aten::relu";
  relu.inputs = {Arg::of(42)};  // no value 42 in this graph
  relu.outputs = {y};
  g.body.nodes.push_back(std::move(relu));
  g.body.outputs = {y};
  return with_graph(std::move(g));
}

CaptureResult wrong_arity(const Program& program, HostServices&) {
  Graph g = graph_with_input(program);
  ValueId y = add_intermediate(g, "y", {2, 1});
  Node linear;
  linear.op = "aten::linear";
  linear.inputs = {Arg::of(g.inputs[0])};  // the weight is missing
  linear.outputs = {y};
  g.body.nodes.push_back(std::move(linear));
  g.body.outputs = {y};
  return with_graph(std::move(g));
}

CaptureResult segfault(const Program&, HostServices&) {
  // The volatile read keeps the compiler from proving the address null and
  // replacing the store by a trap instruction (SIGILL).
  volatile uintptr_t address = 16;
  *reinterpret_cast<volatile int*>(address) = 1;
  return {};
}

CaptureResult aborts(const Program&, HostServices&) { std::abort(); }

CaptureResult hangs(const Program&, HostServices&) {
  for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
}

CaptureResult custom_op(const Program& program, HostServices& host) {
  host.log(Severity::Warning, "zoo-custom-op uses the custom op zoo::scale");
  Graph g = graph_with_input(program);
  ValueId y = add_intermediate(g, "y", {2, 3});
  Node scale;
  scale.op = "zoo::scale";
  scale.inputs = {Arg::of(g.inputs[0])};
  scale.outputs = {y};
  g.body.nodes.push_back(std::move(scale));
  g.body.outputs = {y};
  return with_graph(std::move(g));
}

void register_all(Registrar& r) {
  r.add_strategy(std::make_unique<ZooStrategy>("zoo-throws", throws));
  r.add_strategy(std::make_unique<ZooStrategy>("zoo-dangling", dangling));
  r.add_strategy(std::make_unique<ZooStrategy>("zoo-wrong-arity", wrong_arity));
  r.add_strategy(std::make_unique<ZooStrategy>("zoo-segfault", segfault));
  r.add_strategy(std::make_unique<ZooStrategy>("zoo-abort", aborts));
  r.add_strategy(std::make_unique<ZooStrategy>("zoo-hang", hangs));
  r.add_strategy(std::make_unique<ZooStrategy>("zoo-custom-op", custom_op));
}

}  // namespace

ONNXPORT_PLUGIN("plugintest-bad-strategies", "0.0.1", "Strategies that throw, crash, hang or return malformed graphs",
                register_all)
