// A node that carries the overload TorchScript resolved it to (program.json's
// "overload", docs/program-format.md) is bound to that overload by NodeArgs,
// even when an earlier overload of the op also fits its arguments' kinds;
// without it, or when it does not fit, the first overload that fits is used
// (docs/architecture.md §4a).
#include <onnxport/op_schema.hpp>

#include <gtest/gtest.h>

using namespace onnxport;

namespace {

// Just enough of a translation context to bind a node: NodeArgs reads only
// the node and the graph.
class NodeOnlyContext : public TranslateContext {
 public:
  explicit NodeOnlyContext(Node node) : node_(std::move(node)) {}
  int opset() const override { return 17; }
  const Graph& graph() const override { return graph_; }
  const Node& node() const override { return node_; }
  std::string name_of(ValueId) override { throw std::logic_error("not used"); }
  std::string input(size_t) override { throw std::logic_error("not used"); }
  std::vector<std::string> op_n(std::string_view, const std::vector<std::string>&, size_t, const OnnxAttrs&,
                                std::string_view) override {
    throw std::logic_error("not used");
  }
  std::string constant(const Tensor&, std::string_view) override { throw std::logic_error("not used"); }
  void set_output(size_t, const std::string&) override { throw std::logic_error("not used"); }
  SubgraphRef subgraph(const Block&, std::string_view) override { throw std::logic_error("not used"); }
  void warn(std::string_view) override {}

 private:
  Graph graph_;
  Node node_;
};

// aten::pow(2, 3) on two Python ints: pow.int(int a, int b) -> float and
// pow.int_to_int(int a, int b) -> int both fit; pow.int comes first.
Node int_pow(std::optional<std::string> overload) {
  Node n;
  n.op = "aten::pow";
  n.inputs = {Arg::of_constant(2), Arg::of_constant(3)};
  if (overload) n.attrs["overload"] = *overload;
  return n;
}

}  // namespace

TEST(RecordedOverload, WithoutARecordTheFirstOverloadThatFitsIsBound) {
  NodeOnlyContext ctx(int_pow(std::nullopt));
  const NodeArgs a(ctx);
  EXPECT_EQ(a.schema().qualified_name(), "aten::pow.int");
}

TEST(RecordedOverload, TheRecordedOverloadIsBoundEvenWhenAnEarlierOneFits) {
  NodeOnlyContext ctx(int_pow("int_to_int"));
  const NodeArgs a(ctx);
  EXPECT_EQ(a.schema().qualified_name(), "aten::pow.int_to_int");
  EXPECT_EQ(a.i64("a"), 2);
  EXPECT_EQ(a.i64("b"), 3);
}

TEST(RecordedOverload, TheDefaultOverloadIsRecordedAsTheEmptyName) {
  // aten::add(Scalar a, Scalar b) is the default overload of add; add.int
  // comes before it and fits two ints too.
  Node n;
  n.op = "aten::add";
  n.inputs = {Arg::of_constant(2), Arg::of_constant(3)};
  NodeOnlyContext unrecorded(n);
  EXPECT_EQ(NodeArgs(unrecorded).schema().qualified_name(), "aten::add.int");
  n.attrs["overload"] = "";
  NodeOnlyContext recorded(n);
  EXPECT_EQ(NodeArgs(recorded).schema().qualified_name(), "aten::add");
}

TEST(RecordedOverload, ARecordThatDoesNotFitFallsBackToResolution) {
  // pow.Tensor_Tensor needs tensors: the record cannot be bound, the node is
  // resolved as if it had none. So is an overload name the table lacks.
  for (const char* overload : {"Tensor_Tensor", "no_such_overload"}) {
    NodeOnlyContext ctx(int_pow(std::string(overload)));
    EXPECT_EQ(NodeArgs(ctx).schema().qualified_name(), "aten::pow.int") << overload;
  }
}
