// Lent weights: large initializers whose bytes stay where the program's
// weights are (the memory-mapped safetensors file) until the model is
// written, instead of being copied into the TensorProto's raw_data
// (docs/large-models.md, "Weights never copied").
//
// A lent initializer is an ordinary TensorProto (name, data_type, dims) with
// an empty raw_data and one unknown field (kLentField) holding the id of an
// entry in a process-wide table; the entry keeps the tensor (and so its
// mapping) alive. Whatever needs the bytes asks `tensor_data` for them:
// constant folding reads them in place, the writers write them straight
// from the mapping. A lent initializer serialized by plain protobuf has an
// empty raw_data for non-empty dims, which the ONNX checker and every
// runtime refuse: forgetting to resolve one cannot yield a wrong model that
// loads.
//
// Lending happens only inside a LendingScope (run_export opens one around
// the stages after capture); without one, translation copies as before, so
// library callers of translate_graph always get self-contained protos.
#pragma once

#include <onnxport/tensor.hpp>

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace onnxport::onnx_build {

// Unknown field of TensorProto that marks a lent initializer (fixed64 id).
// Far above every field number ONNX uses.
constexpr int kLentField = 536000001;

// Tensors smaller than this are copied as before: lending pays off for
// weights, and small initializers (shapes, scalars) are read by shape
// inference, which only sees raw_data (the optimizer strips the same sizes
// for inference, optimize.cpp kStripForInferenceBytes).
constexpr size_t kLendMinBytes = 1024;

// While alive, translation lends large parameters instead of copying them;
// on destruction the entries lent in it are dropped (their mappings may
// then be unmapped). One per thread at a time; scopes do not nest.
class LendingScope {
 public:
  LendingScope();
  ~LendingScope();
  LendingScope(const LendingScope&) = delete;
  LendingScope& operator=(const LendingScope&) = delete;

  // Testing and comparison: ONNXPORT_COPY_WEIGHTS=1 in the environment turns
  // lending off (the model bytes must be the same either way).
  static bool active();

 private:
  std::vector<uint64_t> ids_;
  friend bool lend_tensor(const Tensor&, onnx::TensorProto&);
};

// Makes `out` (name, data_type and dims already set) a lent initializer of
// `tensor` when a scope is active and the tensor is large enough; false (and
// `out` untouched) otherwise.
bool lend_tensor(const Tensor& tensor, onnx::TensorProto& out);

// The id of a lent initializer, or nullopt for an ordinary tensor.
std::optional<uint64_t> lent_id(const onnx::TensorProto& t);

// Makes `out` lend the same bytes as entry `id` (a folded Reshape of a
// weight shares its bytes).
void lend_again(uint64_t id, onnx::TensorProto& out);

// The bytes of entry `id`; throws std::logic_error for an id no scope holds.
std::string_view lent_bytes(uint64_t id);

// The data bytes of a tensor: its raw_data, or the lent bytes.
std::string_view tensor_data(const onnx::TensorProto& t);

// Removes the lent mark (the bytes are being written elsewhere) and returns
// the id; restore with lend_again.
std::optional<uint64_t> take_lent_mark(onnx::TensorProto& t);

// Bytes of lent data in a graph's initializers (subgraphs never hold lent
// tensors: only top-level parameters are lent).
size_t lent_data_size(const onnx::ModelProto& model);

}  // namespace onnxport::onnx_build
