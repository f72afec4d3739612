// Passes over the ONNX model: optimize(), checker + shape inference, text, I/O.
#pragma once

#include <onnxport/diagnostics.hpp>

#include <onnx/onnx_pb.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace onnxport {

struct OptimizeStats {
  int folded = 0;               // nodes replaced by constants
  int removed_dead = 0;         // nodes whose outputs nobody uses
  int removed_noop = 0;         // Identity, same-type Cast, identity Transpose/Reshape, x*1, x+0, Dropout
  int removed_initializers = 0; // unused initializers
  int nodes_before = 0, nodes_after = 0;
};

// Constant folding, dead-node removal, no-op removal, unused-initializer
// removal, to a fixpoint; recurses into subgraphs. Never changes the model's
// inputs, outputs or results.
OptimizeStats optimize_model(onnx::ModelProto& model);

// The newest default-domain opset the linked ONNX library has schemas for
// (its OpSchemaRegistry's version range: 17 for ONNX 1.12). The checker and
// shape inference validate a newer model against these older schemas, so they
// cannot vouch for it.
int onnx_checker_max_opset();

// The model's default-domain ("" / "ai.onnx") opset; 0 when it imports none.
int model_default_opset(const onnx::ModelProto& model);

// Renames the model's graph inputs (those that are not initializers) and
// outputs, in order; an empty list keeps the names. A name the model already
// uses elsewhere is moved out of the way; an output that is also an input, an
// initializer or another output gets an Identity. Throws InputError
// ("--input-names" / "--output-names") when a count differs from the model's
// or a name is empty or given twice.
void rename_model_io(onnx::ModelProto& model, const std::vector<std::string>& input_names,
                     const std::vector<std::string>& output_names);

// onnx checker (full) + strict shape inference; returns problems as diagnostics
// (empty = passed). Infers value_info into the model when it passes.
std::vector<Diagnostic> check_model(onnx::ModelProto& model);

// ONNX's own text syntax (onnx/defs/printer.h).
std::string model_to_text(const onnx::ModelProto& model);

// Writes to a temp file beside `file`, then renames: no partial file on failure.
void write_model_atomic(const onnx::ModelProto& model, const std::filesystem::path& file);
onnx::ModelProto read_model(const std::filesystem::path& file);

// A node's metadata_props (provenance: "source", "source_text", "scope",
// "original_op", "onnxport_node"). ONNX 1.12's NodeProto has no such field
// yet: the entries are stored as its wire field 9 (NodeProto.metadata_props
// since IR 10), which newer ONNX releases and ONNX Runtime read natively.
std::vector<std::pair<std::string, std::string>> node_metadata(const onnx::NodeProto& node);

// Op-type histogram, e.g. {"MatMul": 2, "Add": 2, "If": 1}, subgraphs included.
std::vector<std::pair<std::string, int>> count_op_types(const onnx::ModelProto& model);

}  // namespace onnxport
