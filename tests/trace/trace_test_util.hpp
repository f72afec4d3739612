// Helpers for the tracing-engine tests: hand-written programs as JSON, the
// four built-in policies, and queries over captured graphs.
#pragma once

#include <onnxport/trace.hpp>
#include <onnxport_core/bundle.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

namespace onnxport::test {

using json = nlohmann::json;

inline std::filesystem::path example(const std::string& name) {
  return std::filesystem::path(ONNXPORT_REPO_ROOT) / "examples" / name;
}

// The policies of the built-in strategy plugins (plugins/strategy-*).
inline TracePolicy strict_policy() {
  TracePolicy p;
  p.strategy = "strict";
  p.data_dependent = DataDependentPolicy::Error;
  p.refuse_dynamic_dim_guards = true;
  p.side_effects_are_errors = true;
  p.report_all_errors = true;
  return p;
}
inline TracePolicy non_strict_policy() {
  TracePolicy p;
  p.strategy = "non-strict";
  p.data_dependent = DataDependentPolicy::Error;
  return p;
}
inline TracePolicy cond_rewrite_policy() {
  TracePolicy p;
  p.strategy = "cond-rewrite";
  p.data_dependent = DataDependentPolicy::Rewrite;
  p.report_all_errors = true;
  return p;
}
inline TracePolicy draft_policy() {
  TracePolicy p;
  p.strategy = "draft";
  p.data_dependent = DataDependentPolicy::Specialize;
  p.evaluate_concretely = true;
  p.report_all_errors = true;
  return p;
}

class SilentHost : public HostServices {
 public:
  void log(Severity, std::string_view message) override { logged.emplace_back(message); }
  std::vector<std::string> logged;
};

inline CaptureResult capture(const Program& p, const TracePolicy& policy, CaptureOptions options = {}) {
  SilentHost host;
  return trace_program(p, options, policy, host);
}

// ---- building programs

inline json node(const std::string& kind, std::vector<std::string> inputs, std::vector<std::string> outputs,
                 json attrs = json::object(), int line = 0, const std::string& text = "") {
  json n = {{"kind", kind}, {"inputs", inputs}, {"outputs", outputs}};
  if (!attrs.empty()) n["attrs"] = attrs;
  if (line > 0) n["source"] = {{"file", "model.py"}, {"line", line}, {"col", 1}, {"text", text}};
  return n;
}
inline json constant(const std::string& name, json value, const std::string& type = "") {
  json n = node("prim::Constant", {}, {name}, {{"value", value}});
  if (!type.empty()) n["output_types"] = {type};
  return n;
}
inline json block(std::vector<std::string> inputs, json nodes, std::vector<std::string> outputs) {
  return {{"inputs", inputs}, {"nodes", nodes}, {"outputs", outputs}};
}
inline json with_blocks(json n, std::vector<json> blocks) {
  n["blocks"] = blocks;
  return n;
}
inline json with_types(json n, std::vector<std::string> types) {
  n["output_types"] = types;
  return n;
}

// A program `forward(self, x)` with x: float32[shape].
inline json program_json(json nodes, std::vector<std::string> outputs, json x_shape = json::array({3}),
                         json module = json::object()) {
  if (module.empty()) module = {{"type", "M"}, {"attributes", {{"training", false}}}};
  return {{"format", "onnxport.program"},
          {"version", 1},
          {"name", "M"},
          {"module", module},
          {"graph",
           {{"inputs", json::array({{{"name", "self"}, {"type", "Module"}},
                                    {{"name", "x"}, {"type", "Tensor"}, {"dtype", "float32"}, {"shape", x_shape}}})},
            {"nodes", nodes},
            {"outputs", outputs}}}};
}

inline Program parse(const json& doc) { return parse_program(doc, "test/program.json"); }

inline Tensor vec(std::vector<float> values) {
  return Tensor::from_vector(DType::Float32, {static_cast<int64_t>(values.size())}, values);
}

inline TensorMap inputs_x(Tensor x) {
  TensorMap m;
  m.set("x", std::move(x));
  return m;
}

// ---- querying graphs

inline void collect_ops(const Block& b, std::vector<std::string>& out) {
  for (const Node& n : b.nodes) {
    out.push_back(n.op);
    for (const Block& sub : n.blocks) collect_ops(sub, out);
  }
}
// Ops of the top-level body, in order.
inline std::vector<std::string> body_ops(const Graph& g) {
  std::vector<std::string> out;
  for (const Node& n : g.body.nodes) out.push_back(n.op);
  return out;
}
inline std::vector<std::string> block_ops(const Block& b) {
  std::vector<std::string> out;
  for (const Node& n : b.nodes) out.push_back(n.op);
  return out;
}
inline const Node* find_node(const Graph& g, const std::string& op) {
  for (const Node& n : g.body.nodes)
    if (n.op == op) return &n;
  return nullptr;
}
inline const Diagnostic* find_diag(const CaptureResult& r, const std::string& code) {
  for (const auto& d : r.diagnostics)
    if (d.code == code) return &d;
  return nullptr;
}
inline size_t count_errors(const CaptureResult& r) {
  return static_cast<size_t>(std::count_if(r.diagnostics.begin(), r.diagnostics.end(),
                                           [](const Diagnostic& d) { return d.severity == Severity::Error; }));
}
inline std::string all_messages(const CaptureResult& r) {
  std::string out;
  for (const auto& d : r.diagnostics) out += "[" + d.code + "] " + d.message + "\n";
  return out;
}

}  // namespace onnxport::test
