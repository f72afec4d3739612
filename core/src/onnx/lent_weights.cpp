#include "lent_weights.hpp"

#include <google/protobuf/unknown_field_set.h>

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <unordered_map>

namespace onnxport::onnx_build {

namespace {

// The entries of every live scope, by id. A mutex, not a per-scope table:
// constant folding may resolve ids from worker threads.
struct Table {
  std::mutex mutex;
  std::unordered_map<uint64_t, Tensor> entries;
  uint64_t next_id = 1;
};

Table& table() {
  static Table* t = new Table;  // never destroyed: scopes may end during static destruction
  return *t;
}

thread_local LendingScope* current_scope = nullptr;

bool copy_requested() {
  const char* v = std::getenv("ONNXPORT_COPY_WEIGHTS");
  return v != nullptr && std::strcmp(v, "") != 0 && std::strcmp(v, "0") != 0;
}

void set_mark(onnx::TensorProto& out, uint64_t id) {
  out.set_raw_data(std::string());
  out.mutable_unknown_fields()->AddFixed64(kLentField, id);
}

}  // namespace

LendingScope::LendingScope() {
  if (current_scope == nullptr) current_scope = this;
}

LendingScope::~LendingScope() {
  if (current_scope == this) current_scope = nullptr;
  Table& t = table();
  std::lock_guard lock(t.mutex);
  for (uint64_t id : ids_) t.entries.erase(id);
}

bool LendingScope::active() { return current_scope != nullptr && !copy_requested(); }

bool lend_tensor(const Tensor& tensor, onnx::TensorProto& out) {
  if (!LendingScope::active() || tensor.nbytes() <= kLendMinBytes) return false;
  Table& t = table();
  uint64_t id = 0;
  {
    std::lock_guard lock(t.mutex);
    id = t.next_id++;
    t.entries.emplace(id, tensor);  // a copy of the handle: shares the bytes and their owner
  }
  current_scope->ids_.push_back(id);
  set_mark(out, id);
  return true;
}

std::optional<uint64_t> lent_id(const onnx::TensorProto& t) {
  const auto& fields = t.unknown_fields();
  for (int i = 0; i < fields.field_count(); ++i) {
    const auto& f = fields.field(i);
    if (f.number() == kLentField && f.type() == google::protobuf::UnknownField::TYPE_FIXED64) return f.fixed64();
  }
  return std::nullopt;
}

void lend_again(uint64_t id, onnx::TensorProto& out) {
  static_cast<void>(lent_bytes(id));  // throws for an id no scope holds
  set_mark(out, id);
}

std::string_view lent_bytes(uint64_t id) {
  Table& t = table();
  std::lock_guard lock(t.mutex);
  auto it = t.entries.find(id);
  if (it == t.entries.end())
    throw std::logic_error("internal error: lent initializer " + std::to_string(id) + " outlived its LendingScope");
  return {reinterpret_cast<const char*>(it->second.bytes()), it->second.nbytes()};
}

std::string_view tensor_data(const onnx::TensorProto& t) {
  if (auto id = lent_id(t)) return lent_bytes(*id);
  return t.raw_data();
}

std::optional<uint64_t> take_lent_mark(onnx::TensorProto& t) {
  auto id = lent_id(t);
  if (!id) return std::nullopt;
  auto* fields = t.mutable_unknown_fields();
  for (int i = fields->field_count(); i-- > 0;)
    if (fields->field(i).number() == kLentField) fields->DeleteSubrange(i, 1);
  return id;
}

size_t lent_data_size(const onnx::ModelProto& model) {
  size_t total = 0;
  for (const auto& t : model.graph().initializer())
    if (auto id = lent_id(t)) total += lent_bytes(*id).size();
  return total;
}

}  // namespace onnxport::onnx_build
