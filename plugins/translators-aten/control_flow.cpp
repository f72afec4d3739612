// Higher-order ops: higher_order::cond -> ONNX If, higher_order::loop -> ONNX Loop.
#include "families.hpp"

namespace onnxport::aten {
namespace {

// The predicate as the bool scalar ONNX If requires: a SymBool is already
// one; a one-element tensor (x.sum() > 0) is cast and reshaped to [].
std::string predicate(TranslateContext& ctx) {
  if (!ctx.has_input(0)) fail(ctx, "missing predicate");
  if (is_constant(ctx, 0)) {
    // A constant predicate would have been resolved by the capture; keep it
    // translatable anyway.
    return ctx.const_scalar(bool_arg(ctx, 0, "pred", false) ? 1.0 : 0.0, DType::Bool);
  }
  const Value& pred = ctx.input_value(0);
  std::string name = cast(ctx, ctx.input(0), pred.dtype, DType::Bool);
  return pred.shape.empty() ? name : to_scalar(ctx, name);
}

// higher_order::cond(pred, operands...) with blocks [then, else]; both
// branches capture outer values by name, so the operands need no wiring.
void translate_cond(TranslateContext& ctx) {
  const Node& node = ctx.node();
  if (node.blocks.size() != 2)
    fail(ctx, "expected 2 blocks (then, else), got " + std::to_string(node.blocks.size()));
  for (size_t b = 0; b < 2; ++b) {
    if (node.blocks[b].outputs.size() != node.outputs.size())
      fail(ctx, std::string(b == 0 ? "then" : "else") + " branch has " +
                    std::to_string(node.blocks[b].outputs.size()) + " outputs, the cond has " +
                    std::to_string(node.outputs.size()));
  }
  std::string cond = predicate(ctx);
  std::string base = node.outputs.empty() ? std::string("cond") : ctx.output_value(0).name;
  SubgraphRef then_branch = ctx.subgraph(node.blocks[0], base + "_then");
  SubgraphRef else_branch = ctx.subgraph(node.blocks[1], base + "_else");
  std::vector<std::string> outs = ctx.op_n("If", {cond}, node.outputs.size(),
                                           {{"then_branch", then_branch}, {"else_branch", else_branch}});
  for (size_t i = 0; i < outs.size(); ++i) ctx.set_output(i, outs[i]);
}

// Loop's optional scalar inputs: "" when None, else a 0-d value of `dtype`.
std::string optional_scalar(TranslateContext& ctx, size_t i, DType dtype) {
  if (!ctx.has_input(i)) return "";
  std::string name = input_as(ctx, i, dtype);
  return rank_of(ctx, i) == 0 ? name : to_scalar(ctx, name);
}

// higher_order::loop(max_trip, cond, carried...) with blocks [body]; the body
// takes (iteration, carried...) and returns (cond, carried..., scans...), as
// ONNX Loop does (the host adds the body's unused condition input).
void translate_loop(TranslateContext& ctx) {
  const Node& node = ctx.node();
  if (node.blocks.size() != 1) fail(ctx, "expected 1 block (the body), got " + std::to_string(node.blocks.size()));
  if (ctx.num_inputs() < 2) fail(ctx, "expected (max_trip, cond, carried...) inputs");
  const size_t carried = ctx.num_inputs() - 2;
  const Block& body = node.blocks[0];
  if (body.inputs.size() != carried + 1)
    fail(ctx, "the body takes " + std::to_string(body.inputs.size()) + " inputs, expected the iteration number and " +
                  std::to_string(carried) + " carried values");
  if (body.outputs.size() < carried + 1 || node.outputs.size() != body.outputs.size() - 1)
    fail(ctx, "the body returns " + std::to_string(body.outputs.size()) + " values for " +
                  std::to_string(carried) + " carried values and " + std::to_string(node.outputs.size()) +
                  " loop outputs; expected (cond, carried..., scans...)");
  std::vector<std::string> inputs{optional_scalar(ctx, 0, DType::Int64), optional_scalar(ctx, 1, DType::Bool)};
  for (size_t k = 0; k < carried; ++k) inputs.push_back(ctx.input(k + 2));
  std::string base = node.outputs.empty() ? std::string("loop") : ctx.output_value(0).name;
  SubgraphRef body_graph = ctx.subgraph(body, base + "_body");
  std::vector<std::string> outs = ctx.op_n("Loop", inputs, node.outputs.size(), {{"body", body_graph}});
  for (size_t i = 0; i < outs.size(); ++i) ctx.set_output(i, outs[i]);
}

}  // namespace

void register_control_flow(Registrar& r) {
  add(r, "higher_order::cond", translate_cond, kMinOpset, kOpenEnded, "If with then/else subgraphs");
  add(r, "higher_order::loop", translate_loop, kMinOpset, kOpenEnded, "Loop with a body subgraph");
}

}  // namespace onnxport::aten
