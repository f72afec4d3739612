// Strategies for the "sound first" policy (issue 10, docs/strategies.md):
// each returns a valid graph, some marked not sound the way the tracing
// engine marks them (a runtime assertion, a categorized warning). The host
// must hold an unsound graph and go on to the next strategy.
//
//   zoo-unsound        relu(x), not sound: assumes Eq(batch, 3) (a guard on a dynamic dim)
//   zoo-unsound-too    relu(x), not sound: assumes Ne(u0, 0) (a specialized data-dependent branch)
//   zoo-unsound-bare   relu(x), not sound, with no assertion and no warning
//   zoo-sound          neg(x), sound
//   zoo-no-graph       no graph, one error
#include <onnxport/sdk.hpp>

#include <memory>
#include <string>

namespace {

using namespace onnxport;

Graph unary_graph(const Program& program, const std::string& op) {
  Graph g;
  g.name = program.name;
  Value x;
  x.name = "x";
  x.shape = {3, 4};
  x.role = ValueRole::Input;
  g.inputs.push_back(g.add_value(x));
  x.name = "y";
  x.role = ValueRole::Intermediate;
  const ValueId y = g.add_value(x);
  Node n;
  n.op = op;
  n.inputs = {Arg::of(g.inputs[0])};
  n.outputs = {y};
  g.body.nodes.push_back(std::move(n));
  g.body.outputs = {y};
  return g;
}

SourceLoc at(int line, const std::string& text) {
  SourceLoc loc;
  loc.file = "m.py";
  loc.line = line;
  loc.col = 8;
  loc.text = text;
  return loc;
}

CaptureResult unsound_with(const Program& program, const std::string& expr, const SourceLoc& loc,
                           const std::string& note, const std::string& category) {
  CaptureResult r;
  Graph g = unary_graph(program, "aten::relu");
  g.sound = false;
  g.assertions.push_back(RuntimeAssertion{expr, loc, note});
  Diagnostic d;
  d.code = category == "guard-added" ? "guard-added" : "data-dependent-branch";
  d.severity = Severity::Warning;
  d.stage = "capture";
  d.category = category;
  d.loc = loc;
  d.message = note + "; it was specialized to `" + expr + "`";
  r.diagnostics.push_back(std::move(d));
  r.graph = std::move(g);
  return r;
}

CaptureResult unsound(const Program& program, HostServices&) {
  return unsound_with(program, "Eq(batch, 3)", at(5, "if x.shape[0] == 3:"), "the branch pins the dynamic dim `batch`",
                      "guard-added");
}

CaptureResult unsound_too(const Program& program, HostServices&) {
  return unsound_with(program, "Ne(u0, 0)", at(9, "if x.sum():"), "the branch on aten::Bool(sum_1)", "data-dependent");
}

CaptureResult unsound_bare(const Program& program, HostServices&) {
  CaptureResult r;
  r.graph = unary_graph(program, "aten::relu");
  r.graph->sound = false;
  return r;
}

CaptureResult sound(const Program& program, HostServices&) {
  CaptureResult r;
  r.graph = unary_graph(program, "aten::neg");
  return r;
}

CaptureResult no_graph(const Program&, HostServices&) {
  CaptureResult r;
  Diagnostic d;
  d.code = "zoo-refused";
  d.stage = "capture";
  d.message = "zoo-no-graph refuses on purpose";
  r.diagnostics.push_back(std::move(d));
  return r;
}

class ZooStrategy final : public Strategy {
 public:
  using Fn = CaptureResult (*)(const Program&, HostServices&);
  ZooStrategy(std::string name, Fn fn) : name_(std::move(name)), fn_(fn) {}
  std::string_view name() const override { return name_; }
  std::string_view description() const override { return "sound-first test strategy"; }
  CaptureResult capture(const Program& program, const CaptureOptions&, HostServices& host) override {
    return fn_(program, host);
  }

 private:
  std::string name_;
  Fn fn_;
};

void register_all(Registrar& r) {
  r.add_strategy(std::make_unique<ZooStrategy>("zoo-unsound", unsound));
  r.add_strategy(std::make_unique<ZooStrategy>("zoo-unsound-too", unsound_too));
  r.add_strategy(std::make_unique<ZooStrategy>("zoo-unsound-bare", unsound_bare));
  r.add_strategy(std::make_unique<ZooStrategy>("zoo-sound", sound));
  r.add_strategy(std::make_unique<ZooStrategy>("zoo-no-graph", no_graph));
}

}  // namespace

ONNXPORT_PLUGIN("plugintest-unsound-strategies", "0.0.1",
                "Strategies that return unsound and sound graphs (the sound-first policy)", register_all)
