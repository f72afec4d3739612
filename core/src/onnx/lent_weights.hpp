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
#include <functional>
#include <memory>
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

// Below, with lent_bytes (declared here for LendingScope's friend list).
std::optional<uint64_t> lend_transposed(uint64_t id, int64_t rows, int64_t cols, size_t element_size);

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
  friend std::optional<uint64_t> lend_transposed(uint64_t, int64_t, int64_t, size_t);
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

// A new entry holding the transpose of entry `id`, a rows x cols matrix of
// `element_size`-byte elements (Transpose(W) of a lent weight W, folded): its
// bytes are made only when something asks for them all (lent_bytes), while
// the writers (write_lent_bytes) transpose it piece by piece from the
// mapping into a small buffer as they write. So folding W^T allocates
// nothing and the write touches no page of a transposed copy. nullopt when
// no scope is active (the caller then transposes as before).
std::optional<uint64_t> lend_transposed(uint64_t id, int64_t rows, int64_t cols, size_t element_size);

// The bytes of entry `id`; throws std::logic_error for an id no scope holds.
// A transposed entry is transposed into memory on the first call (and kept
// until its scope ends): readers that only need the size or write the
// bytes out use lent_size / write_lent_bytes instead.
std::string_view lent_bytes(uint64_t id);
size_t lent_size(uint64_t id);
// True for a transposed entry whose bytes are not made yet.
bool lent_is_deferred(uint64_t id);

// Hands the bytes of entry `id` to `write` in order, in one or more pieces
// (a transposed entry: pieces of about kLentWritePieceBytes); stops and
// returns false when `write` does.
constexpr size_t kLentWritePieceBytes = size_t{4} << 20;
bool write_lent_bytes(uint64_t id, const std::function<bool(std::string_view)>& write);

// Writes lent entries in a known order, transposing the deferred ones of up
// to kTransposeAheadMaxBytes on a second thread ahead of the writer, in
// strips of about half a megabyte through a ring of reused buffers (up to
// eight, 8 MB in all), so
// that the writer writes each strip while it is still in the cache. A
// model's transposed weights (vit_b_16: 48 of 2-9 MB) otherwise cost a
// transpose and a write(2) one after the other on one core (bench/README.md,
// "Start-up and transposes"). The bytes written are those of write_lent_bytes.
//
// Construct it with the ids in the order the writer will ask for them, then
// call write() for each; an id out of that order, or any trouble on the
// second thread, falls back to write_lent_bytes. The scope that lent the ids
// must outlive it.
constexpr size_t kTransposeAheadMaxBytes = size_t{16} << 20;
class LentWriter {
 public:
  explicit LentWriter(const std::vector<uint64_t>& ids_in_write_order);
  ~LentWriter();
  LentWriter(const LentWriter&) = delete;
  LentWriter& operator=(const LentWriter&) = delete;

  bool write(uint64_t id, const std::function<bool(std::string_view)>& write);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The data bytes of a tensor: its raw_data, or the lent bytes.
std::string_view tensor_data(const onnx::TensorProto& t);
// Their size, without making the bytes of a transposed entry.
size_t tensor_data_size(const onnx::TensorProto& t);

// Removes the lent mark (the bytes are being written elsewhere) and returns
// the id; restore with lend_again.
std::optional<uint64_t> take_lent_mark(onnx::TensorProto& t);

// Bytes of lent data in a graph's initializers (subgraphs never hold lent
// tensors: only top-level parameters are lent).
size_t lent_data_size(const onnx::ModelProto& model);

}  // namespace onnxport::onnx_build
