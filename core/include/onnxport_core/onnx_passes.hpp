// Passes over the ONNX model: optimize(), checker + shape inference, text, I/O.
#pragma once

#include <onnxport/diagnostics.hpp>
#include <onnxport_core/config.hpp>

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <filesystem>
#include <optional>
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
// Refuses a model over protobuf's 2 GB limit (StagedModel writes those).
void write_model_atomic(const onnx::ModelProto& model, const std::filesystem::path& file);

// Reads an .onnx file. Tensors kept in external data are not loaded (their
// raw_data stays empty, data_location EXTERNAL), but every entry is checked
// against its file, resolved relative to the model's folder: a location that
// is absolute or leaves that folder, a data file that is missing, or one
// shorter than an entry's offset + length is an InputError naming the data
// file and the tensor.
onnx::ModelProto read_model(const std::filesystem::path& file);

// True when `model` cannot be one protobuf file (over 2 GB) or options.always:
// StagedModel then writes its large initializers to a data file.
bool needs_external_data(const onnx::ModelProto& model, const ExternalDataOptions& options);

// An export's output written to temporaries in a hidden staging folder
// beside `output` (same file system), moved into place by commit()
// (docs/large-models.md). With external data, the initializers of at least
// options.threshold bytes go to "<output file name>.data" in the same
// folder, each at a 64-byte-aligned offset, and the model names that file
// (relative location, offset, length). Until commit() nothing at `output`
// changes; the destructor removes what was not committed, so a failure
// (a full disk, a file size limit) leaves neither a partial model nor a
// partial data file, and a previous file at either path is intact.
// Whether StagedModel fsyncs what it writes (the config's "durable").
enum class Durability {
  Written,  // in the page cache when the export ends, like cp's output
  Synced,   // both files and the output folder fsynced (survives a power loss)
};

class StagedModel {
 public:
  // Writes both files (and fsyncs them with Durability::Synced). `model` is changed while it is written
  // (the bytes of external tensors are moved out, then back) and is the
  // same on return, also when this throws std::runtime_error (which names
  // the output file that could not be written).
  StagedModel(onnx::ModelProto& model, const std::filesystem::path& output, const ExternalDataOptions& options,
              Durability durability = Durability::Written);
  ~StagedModel();
  StagedModel(const StagedModel&) = delete;
  StagedModel& operator=(const StagedModel&) = delete;

  // The staged model: a complete model that loads as it is (its data file
  // is staged beside it under its final name).
  const std::filesystem::path& model_file() const { return staged_model_; }
  // The final data file; nullopt when the model holds all of its data.
  std::optional<std::filesystem::path> data_file() const;
  int external_tensors() const { return external_tensors_; }
  int64_t external_bytes() const { return external_bytes_; }  // tensor bytes in the data file, padding excluded

  // Moves the data file, then the model, into place. When the model cannot
  // be moved, the previous data file is put back (best effort: it is kept
  // through a hard link, which some file systems refuse). Throws
  // std::runtime_error naming the file.
  void commit();

 private:
  void forget_staged_paths() const;  // the SIGBUS handler's list (core/src/base/mapped_files.hpp)

  std::filesystem::path output_;
  std::filesystem::path staging_dir_;
  std::filesystem::path staged_model_;
  std::filesystem::path staged_data_;  // empty without external data
  int external_tensors_ = 0;
  int64_t external_bytes_ = 0;
  bool committed_ = false;
  Durability durability_ = Durability::Written;
};

// The ONNX checker on a written model file (not the in-memory model): for
// external data it resolves each location relative to the file, as loaders
// do, and read_model's entry checks run too. Without shape inference, so no
// tensor data is read. Empty when it passed.
std::vector<Diagnostic> check_model_file(const std::filesystem::path& file);

// A node's metadata_props (provenance: "source", "source_text", "scope",
// "original_op", "onnxport_node"). ONNX 1.12's NodeProto has no such field
// yet: the entries are stored as its wire field 9 (NodeProto.metadata_props
// since IR 10), which newer ONNX releases and ONNX Runtime read natively.
std::vector<std::pair<std::string, std::string>> node_metadata(const onnx::NodeProto& node);

// Op-type histogram, e.g. {"MatMul": 2, "Add": 2, "If": 1}, subgraphs included.
std::vector<std::pair<std::string, int>> count_op_types(const onnx::ModelProto& model);

}  // namespace onnxport
