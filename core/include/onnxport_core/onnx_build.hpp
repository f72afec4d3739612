// Graph IR -> ONNX ModelProto through the registered translators, plus the
// decomposition stage that runs before it.
#pragma once

#include <onnxport/diagnostics.hpp>
#include <onnxport/graph.hpp>
#include <onnxport_core/registry.hpp>

#include <onnx/onnx_pb.h>

#include <string>
#include <vector>

namespace onnxport {

// Rewrites, to a fixpoint, every node whose op has no translator at `opset`
// but has a decomposition. Returns the number of nodes rewritten.
int run_decompositions(Graph& graph, const TranslatorRegistry& registry, int opset,
                       std::vector<Diagnostic>& diagnostics);

struct MissingTranslator {
  std::string op;
  int count = 0;
  SourceLoc example_loc;     // first occurrence
  std::string example_node;  // "linear_1 = aten::foo(x, 2)"
};

struct TranslationResult {
  onnx::ModelProto model;
  bool ok = false;
  std::vector<Diagnostic> diagnostics;       // every failure, all at once
  std::vector<MissingTranslator> missing;    // grouped by op
  // op -> (plugin, translator range) actually used, for the report.
  std::vector<std::pair<std::string, std::string>> used;
};

struct TranslateOptions {
  int opset = 17;
  std::string producer_name = "onnxport";
  std::string producer_version;
};

// Parameters/buffers become initializers (one copy of the borrowed bytes into
// raw_data), every node carries metadata_props (source, scope, original op),
// names are readable and stable.
TranslationResult translate_graph(const Graph& graph, const TranslatorRegistry& registry,
                                  const TranslateOptions& options);

}  // namespace onnxport
