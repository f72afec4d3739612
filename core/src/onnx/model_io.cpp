// check_model, model_to_text, write/read, op histogram.
#include <onnxport_core/onnx_passes.hpp>

#include "base/checked_math.hpp"
#include "base/mapped_files.hpp"
#include "byte_writer.hpp"
#include "lent_weights.hpp"
#include "model_io.hpp"
#include "proto_util.hpp"
#include "segmented_inference.hpp"

#include <onnx/checker.h>
#include <onnx/defs/printer.h>
#include <onnx/shape_inference/implementation.h>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <google/protobuf/wire_format_lite.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace onnxport {
namespace onnx_build {
namespace {

std::string errno_text(int err) { return std::strerror(err); }

// Closes a descriptor and removes the temp file unless released.
class TempFile {
 public:
  TempFile(std::filesystem::path path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) {
      std::error_code ignored;
      std::filesystem::remove(path_, ignored);
    }
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  int fd() const { return fd_; }
  const std::filesystem::path& path() const { return path_; }
  // Closes the descriptor; false (errno set) when close reports a write error.
  bool close() {
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc == 0;
  }
  void commit() { committed_ = true; }

 private:
  std::filesystem::path path_;
  int fd_;
  bool committed_ = false;
};

// Makes the rename durable too (best effort: some file systems refuse).
void sync_folder(const std::filesystem::path& folder) {
  const int fd = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

// --- serializing a model with lent initializers --------------------------

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::io::CodedOutputStream;
using google::protobuf::internal::WireFormatLite;

// Takes `message` apart around one field for a scope: the fields numbered
// below it stay, the field moves to `middle`, the fields above it and the
// unknown fields (which protobuf writes last) move to `after`. Serializing
// `message`, then the field, then `after` gives the bytes of the whole.
// Swapping moves pointers only; the destructor swaps everything back.
class FieldSplit {
 public:
  FieldSplit(Message& message, int field_number) : message_(message) {
    const auto* r = message.GetReflection();
    std::vector<const FieldDescriptor*> set;
    r->ListFields(message, &set);
    for (const FieldDescriptor* f : set) {
      if (f->number() > field_number) after_fields_.push_back(f);
      if (f->number() == field_number) middle_fields_.push_back(f);
    }
    middle_.reset(message.New());
    after_.reset(message.New());
    swap();
  }
  ~FieldSplit() { swap(); }
  FieldSplit(const FieldSplit&) = delete;
  FieldSplit& operator=(const FieldSplit&) = delete;

  Message& middle() { return *middle_; }
  Message& after() { return *after_; }

 private:
  void swap() {
    const auto* r = message_.GetReflection();
    r->SwapFields(&message_, after_.get(), after_fields_);
    r->MutableUnknownFields(&message_)->Swap(r->MutableUnknownFields(after_.get()));
    r->SwapFields(&message_, middle_.get(), middle_fields_);
  }

  Message& message_;
  std::unique_ptr<Message> middle_, after_;
  std::vector<const FieldDescriptor*> after_fields_, middle_fields_;
};

constexpr int kSinkBufferBytes = 256 << 10;

// write(2) of whole buffers, for protobuf's copying adaptor. Not protobuf's
// FileOutputStream: that one ignores its block size and writes 8 KB at a
// time (3,526 calls for a 29 MB model of 16,384 layers).
class FdWriter : public google::protobuf::io::CopyingOutputStream {
 public:
  explicit FdWriter(int fd) : fd_(fd) {}
  bool Write(const void* buffer, int size) override {
    const char* data = static_cast<const char*>(buffer);
    auto left = static_cast<size_t>(size);
    while (left > 0) {
      const ssize_t n = ::write(fd_, data, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        errno_ = errno;
        return false;
      }
      data += n;
      left -= static_cast<size_t>(n);
    }
    return true;
  }
  int error() const { return errno_; }

 private:
  int fd_;
  int errno_ = 0;
};

// The buffered stream every model is serialized through.
class FdStream {
 public:
  explicit FdStream(int fd) : writer_(fd), stream_(&writer_, kSinkBufferBytes) {}
  google::protobuf::io::ZeroCopyOutputStream* stream() { return &stream_; }
  bool flush() { return stream_.Flush(); }
  std::string error_text() const {
    return writer_.error() != 0 ? errno_text(writer_.error()) : "protobuf serialization failed";
  }

 private:
  FdWriter writer_;
  google::protobuf::io::CopyingOutputStreamAdaptor stream_;
};

// The buffered stream above, plus byte ranges written straight from
// where they are.
class ModelSink {
 public:
  explicit ModelSink(int fd) : fd_(fd), stream_(fd) {}

  // `message`'s sizes must be cached (ByteSizeLong after the last change).
  bool message(const Message& message) {
    CodedOutputStream out(stream_.stream());
    message.SerializeWithCachedSizes(&out);
    return !out.HadError();
  }
  bool length_delimited(int field_number, size_t length) {
    CodedOutputStream out(stream_.stream());
    out.WriteTag(WireFormatLite::MakeTag(field_number, WireFormatLite::WIRETYPE_LENGTH_DELIMITED));
    out.WriteVarint64(length);
    return !out.HadError();
  }
  // Bytes written where they are (byte_writer.hpp); `what` names them in
  // the error.
  bool raw(std::string_view bytes, const std::string& what, std::string& error) {
    if (!stream_.flush()) return false;
    if (append_bytes(fd_, bytes, error)) return true;
    error = what + ": " + error;
    return false;
  }
  bool finish() { return stream_.flush(); }
  std::string stream_error() const { return stream_.error_text(); }

 private:
  int fd_;
  FdStream stream_;
};

size_t length_delimited_size(int field_number, size_t length) {
  return WireFormatLite::TagSize(field_number, WireFormatLite::TYPE_BYTES) + CodedOutputStream::VarintSize64(length) +
         length;
}

// Initializers whose raw_data is at least this large are written by the
// same path as lent ones: their bytes straight to the file with one
// write(2), not through protobuf's buffer a block at a time.
constexpr size_t kDirectWriteBytes = size_t{64} << 10;

// An initializer whose bytes are written straight, for the time of the
// write: a lent one has its mark removed and its raw_data unset, so that its
// own fields serialize as they would around the bytes. Put back on
// destruction.
struct DirectTensor {
  onnx::TensorProto* tensor;
  std::optional<uint64_t> lent;  // the lent entry, or nullopt for a large raw_data
  size_t data_size;
  size_t size;  // the serialized tensor with its bytes
};

class DirectTensors {
 public:
  ~DirectTensors() {
    for (DirectTensor& d : tensors_)
      if (d.lent) lend_again(*d.lent, *d.tensor);
  }
  // True when `t` is written straight (lent, or a large raw_data).
  bool add(onnx::TensorProto& t) {
    if (auto id = lent_id(t)) {
      const size_t data_size = lent_size(*id);
      take_lent_mark(t);
      t.clear_raw_data();
      push(t, id, data_size,
           t.ByteSizeLong() + length_delimited_size(onnx::TensorProto::kRawDataFieldNumber, data_size));
      return true;
    }
    if (t.raw_data().size() < kDirectWriteBytes) return false;
    push(t, std::nullopt, t.raw_data().size(), t.ByteSizeLong());
    return true;
  }
  const DirectTensor* find(const onnx::TensorProto* t) const {
    auto it = index_.find(t);
    return it == index_.end() ? nullptr : &tensors_[it->second];
  }

 private:
  void push(onnx::TensorProto& t, std::optional<uint64_t> lent, size_t data_size, size_t size) {
    index_.emplace(&t, tensors_.size());
    tensors_.push_back({&t, lent, data_size, size});
  }
  std::vector<DirectTensor> tensors_;
  std::unordered_map<const onnx::TensorProto*, size_t> index_;
};

bool serialize_with_direct_data(onnx::ModelProto& model, ModelSink& sink, std::string& error) {
  onnx::GraphProto& graph = *model.mutable_graph();
  // Collected before the graph is taken apart; the tensors stay where they
  // are (the splits below swap the repeated field's storage, not its elements).
  std::vector<onnx::TensorProto*> inits;
  for (auto& t : *graph.mutable_initializer()) inits.push_back(&t);
  DirectTensors direct;
  std::vector<size_t> sizes;
  sizes.reserve(inits.size());
  for (onnx::TensorProto* t : inits) sizes.push_back(direct.add(*t) ? direct.find(t)->size : t->ByteSizeLong());
  FieldSplit model_split(model, onnx::ModelProto::kGraphFieldNumber);
  FieldSplit graph_split(graph, onnx::GraphProto::kInitializerFieldNumber);
  size_t graph_size = graph.ByteSizeLong() + graph_split.after().ByteSizeLong();
  for (size_t size : sizes) graph_size += length_delimited_size(onnx::GraphProto::kInitializerFieldNumber, size);
  model.ByteSizeLong();

  auto failed = [&] {
    if (error.empty()) error = sink.stream_error();
    return false;
  };
  if (!sink.message(model) || !sink.length_delimited(onnx::ModelProto::kGraphFieldNumber, graph_size) ||
      !sink.message(graph))
    return failed();
  std::vector<uint64_t> lent_in_order;
  for (onnx::TensorProto* t : inits)
    if (const DirectTensor* d = direct.find(t); d != nullptr && d->lent) lent_in_order.push_back(*d->lent);
  LentWriter lent_writer(lent_in_order);
  for (size_t i = 0; i < inits.size(); ++i) {
    onnx::TensorProto& t = *inits[i];
    if (!sink.length_delimited(onnx::GraphProto::kInitializerFieldNumber, sizes[i])) return failed();
    const DirectTensor* d = direct.find(&t);
    if (d == nullptr) {
      if (!sink.message(t)) return failed();  // sizes cached by ByteSizeLong above
      continue;
    }
    FieldSplit tensor_split(t, onnx::TensorProto::kRawDataFieldNumber);
    t.ByteSizeLong();
    tensor_split.after().ByteSizeLong();
    if (!sink.message(t) || !sink.length_delimited(onnx::TensorProto::kRawDataFieldNumber, d->data_size))
      return failed();
    const std::string what = "initializer '" + t.name() + "'";
    auto write_piece = [&](std::string_view bytes) { return sink.raw(bytes, what, error); };
    const bool written = d->lent ? lent_writer.write(*d->lent, write_piece)
                                 : write_piece(static_cast<const onnx::TensorProto&>(tensor_split.middle()).raw_data());
    if (!written) return failed();
    if (!sink.message(tensor_split.after())) return failed();
  }
  graph_split.after().ByteSizeLong();
  model_split.after().ByteSizeLong();
  if (!sink.message(graph_split.after()) || !sink.message(model_split.after()) || !sink.finish()) return failed();
  return true;
}

}  // namespace

bool serialize_model(onnx::ModelProto& model, int fd, std::string& error, CachedSizes sizes) {
  bool direct = false;
  for (const auto& t : model.graph().initializer())
    direct = direct || lent_id(t).has_value() || t.raw_data().size() >= kDirectWriteBytes;
  if (direct) {
    ModelSink sink(fd);
    return serialize_with_direct_data(model, sink, error);
  }
  FdStream stream(fd);
  bool ok = false;
  if (sizes == CachedSizes::Current) {
    {
      CodedOutputStream out(stream.stream());  // gives its unused buffer back when destroyed, before the flush
      model.SerializeWithCachedSizes(&out);
      ok = !out.HadError();
    }
    ok = ok && stream.flush();
  } else {
    ok = model.SerializeToZeroCopyStream(stream.stream()) && stream.flush();
  }
  if (!ok) error = stream.error_text();
  return ok;
}

void write_file_atomic(const std::filesystem::path& file,
                       const std::function<bool(int fd, std::string& error)>& write) {
  namespace fs = std::filesystem;
  const fs::path folder = file.parent_path();
  if (!folder.empty()) {
    std::error_code ec;
    fs::create_directories(folder, ec);
    if (ec) throw std::runtime_error(file.string() + ": cannot create folder '" + folder.string() + "': " + ec.message());
  }
  fs::path tmp_path = file;
  tmp_path += ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error(file.string() + ": cannot create '" + tmp_path.string() + "': " + errno_text(errno));
  TempFile tmp(tmp_path, fd);
  std::string error;
  if (!write(tmp.fd(), error)) throw std::runtime_error(file.string() + ": write failed: " + error);
  if (::fsync(tmp.fd()) != 0) throw std::runtime_error(file.string() + ": fsync failed: " + errno_text(errno));
  if (!tmp.close()) throw std::runtime_error(file.string() + ": close failed: " + errno_text(errno));
  throw_if_a_mapped_file_shrank();  // what was read from a shrunk weights file since are zeros
  std::error_code ec;
  fs::rename(tmp.path(), file, ec);
  if (ec) throw std::runtime_error(file.string() + ": cannot move the temp file into place: " + ec.message());
  tmp.commit();
  sync_folder(folder);
}

}  // namespace onnx_build

namespace {

// The 1.12 printer writes subgraphs without indentation: indent each line
// by its brace depth (tensor values "{1,2}" open and close on one line).
std::string indent_node_text(const onnx::NodeProto& node) {
  std::ostringstream raw;
  raw << node;
  std::istringstream lines(raw.str());
  std::string line, out;
  int depth = 0;
  while (std::getline(lines, line)) {
    const int here = depth - (!line.empty() && line[0] == '}' ? 1 : 0);
    out += std::string(3 + 3 * static_cast<size_t>(std::max(here, 0)), ' ') + line + "\n";
    for (char ch : line) depth += ch == '{' ? 1 : ch == '}' ? -1 : 0;
  }
  return out;
}

// Initializers with more elements are summarized in model_to_text.
constexpr int64_t kMaxPrintedValues = 16;

Diagnostic check_diagnostic(std::string code, std::string message, std::string hint = "") {
  Diagnostic d;
  d.code = std::move(code);
  d.stage = "check";
  d.message = std::move(message);
  d.hint = std::move(hint);
  return d;
}

void count_ops(const onnx::GraphProto& g, std::vector<std::pair<std::string, int>>& out,
               std::unordered_map<std::string, size_t>& index) {
  for (const auto& node : g.node()) {
    const std::string key = node.domain().empty() || node.domain() == "ai.onnx"
                                ? node.op_type()
                                : node.domain() + "::" + node.op_type();
    auto [it, inserted] = index.emplace(key, out.size());
    if (inserted) out.emplace_back(key, 0);
    out[it->second].second++;
    for (const auto& attr : node.attribute()) {
      if (attr.has_g()) count_ops(attr.g(), out, index);
      for (const auto& sub : attr.graphs()) count_ops(sub, out, index);
    }
  }
}

// Bytes per element of a fixed-size ONNX data type; 0 for strings, nullopt
// for a type this build does not know.
std::optional<int64_t> onnx_element_size(int32_t data_type) {
  using T = onnx::TensorProto;
  switch (data_type) {
    case T::UINT8: case T::INT8: case T::BOOL: return 1;
    case T::UINT16: case T::INT16: case T::FLOAT16: case T::BFLOAT16: return 2;
    case T::FLOAT: case T::INT32: case T::UINT32: return 4;
    case T::INT64: case T::DOUBLE: case T::UINT64: case T::COMPLEX64: return 8;
    case T::COMPLEX128: return 16;
    case T::STRING: return 0;
    default: return std::nullopt;
  }
}

// How many entries the typed field for `data_type` holds, in elements.
int64_t typed_value_count(const onnx::TensorProto& t) {
  using T = onnx::TensorProto;
  switch (t.data_type()) {
    case T::FLOAT: return t.float_data_size();
    case T::COMPLEX64: return t.float_data_size() / 2;
    case T::DOUBLE: return t.double_data_size();
    case T::COMPLEX128: return t.double_data_size() / 2;
    case T::INT64: return t.int64_data_size();
    case T::UINT32: case T::UINT64: return t.uint64_data_size();
    case T::STRING: return t.string_data_size();
    default: return t.int32_data_size();  // the 8- and 16-bit types, int32 and bool
  }
}

// Every tensor of a model read from a file (initializers, Constant values,
// subgraphs, functions) has dims whose product fits in int64 and data that
// matches it: the printer and every later pass index the data by the dims.
class ModelTensorChecker {
 public:
  explicit ModelTensorChecker(const std::filesystem::path& file) : file_(file.string()), folder_(file.parent_path()) {}

  void check(const onnx::ModelProto& model) {
    check_graph(model.graph(), "graph");
    for (int i = 0; i < model.functions_size(); ++i)
      check_nodes(model.functions(i).node(), "functions[" + std::to_string(i) + "]");
  }

 private:
  void check_graph(const onnx::GraphProto& g, const std::string& place) {
    for (int i = 0; i < g.initializer_size(); ++i)
      check_tensor(g.initializer(i), place + ".initializer[" + std::to_string(i) + "] '" + g.initializer(i).name() + "'");
    check_nodes(g.node(), place);
  }

  template <class Nodes>
  void check_nodes(const Nodes& nodes, const std::string& place) {
    for (int i = 0; i < nodes.size(); ++i) {
      const onnx::NodeProto& node = nodes.Get(i);
      const std::string at = place + ".node[" + std::to_string(i) + "] (" + node.op_type() + ")";
      for (const auto& attr : node.attribute()) {
        const std::string attr_at = at + " attribute '" + attr.name() + "'";
        if (attr.has_t()) check_tensor(attr.t(), attr_at);
        for (int k = 0; k < attr.tensors_size(); ++k) check_tensor(attr.tensors(k), attr_at + "[" + std::to_string(k) + "]");
        if (attr.has_g()) check_graph(attr.g(), attr_at);
        for (int k = 0; k < attr.graphs_size(); ++k) check_graph(attr.graphs(k), attr_at + "[" + std::to_string(k) + "]");
      }
    }
  }

  void check_tensor(const onnx::TensorProto& t, const std::string& place) {
    const std::vector<int64_t> dims(t.dims().begin(), t.dims().end());
    for (int64_t d : dims)
      if (d < 0) fail(place, "negative dimension " + std::to_string(d));
    const auto numel = checked_numel(dims);
    if (!numel) fail(place, "the dims multiply to more elements than fit in 64 bits");
    const auto element = onnx_element_size(t.data_type());
    if (!element) fail(place, "unknown data_type " + std::to_string(t.data_type()));
    if (t.data_location() == onnx::TensorProto::EXTERNAL) {
      if (*element == 0) fail(place, "a string tensor cannot be in external data");
      const auto expected = checked_mul(*numel, *element);
      if (!expected) fail(place, "the dims need more than 2^63 bytes");
      check_external(t, place, *expected);
      return;
    }
    if (t.has_raw_data()) {
      if (*element == 0) fail(place, "a string tensor cannot have raw_data");
      const auto expected = checked_mul(*numel, *element);
      if (!expected || static_cast<int64_t>(t.raw_data().size()) != *expected)
        fail(place, "raw_data has " + std::to_string(t.raw_data().size()) + " bytes, the dims need " +
                        (expected ? std::to_string(*expected) : std::string("more than 2^63")));
      return;
    }
    const int64_t count = typed_value_count(t);
    if (count != 0 && count != *numel)
      fail(place, "holds " + std::to_string(count) + " values, the dims need " + std::to_string(*numel));
  }

  [[noreturn]] void fail(const std::string& place, const std::string& message) const {
    throw InputError(file_, place, message);
  }

  static std::optional<int64_t> parse_size(const std::string& text) {
    if (text.empty() || text.size() > 18 || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return std::nullopt;
    return std::stoll(text);
  }

  // An external entry (docs/large-models.md): its location is a file in the
  // model's folder or below it, and the file holds the tensor's bytes at
  // offset..offset+length. The bytes themselves are not read.
  void check_external(const onnx::TensorProto& t, const std::string& place, int64_t expected) {
    std::string location;
    int64_t offset = 0;
    std::optional<int64_t> length;
    for (const auto& entry : t.external_data()) {
      if (entry.key() == "location") {
        location = entry.value();
      } else if (entry.key() == "offset" || entry.key() == "length") {
        const auto value = parse_size(entry.value());
        if (!value) fail(place, "external data " + entry.key() + " '" + entry.value() + "' is not a byte count");
        if (entry.key() == "offset") offset = *value;
        else length = *value;
      }
    }
    if (location.empty()) fail(place, "data_location is EXTERNAL but no \"location\" entry names the data file");
    const std::filesystem::path relative(location);
    if (relative.is_absolute())
      fail(place, "external data location '" + location + "' is absolute; it must be relative to the model's folder");
    for (const auto& part : relative)
      if (part == "..") fail(place, "external data location '" + location + "' leaves the model's folder");
    if (length && *length != expected)
      fail(place, "external data length " + std::to_string(*length) + " bytes, the dims need " + std::to_string(expected));
    const std::filesystem::path data = folder_ / relative;
    const std::string at = place + " (external data of " + file_ + ")";
    const int64_t size = data_file_size(data, at);
    if (offset > size || size - offset < expected)
      throw InputError(data.string(), at,
                       "the file has " + std::to_string(size) + " bytes, the tensor needs bytes " + std::to_string(offset) +
                           " to " + std::to_string(offset + expected) + " (the data file is shorter than the model says)");
  }

  int64_t data_file_size(const std::filesystem::path& data, const std::string& at) {
    if (auto it = sizes_.find(data.string()); it != sizes_.end()) return it->second;
    struct stat st {};
    if (::stat(data.c_str(), &st) != 0)
      throw InputError(data.string(), at,
                       errno == ENOENT ? std::string("missing: the model keeps this tensor's data in that file")
                                       : std::string("cannot read: ") + std::strerror(errno));
    if (!S_ISREG(st.st_mode)) throw InputError(data.string(), at, "not a regular file");
    sizes_.emplace(data.string(), static_cast<int64_t>(st.st_size));
    return st.st_size;
  }

  std::string file_;
  std::filesystem::path folder_;
  std::unordered_map<std::string, int64_t> sizes_;  // data file sizes, by path
};

// "model.onnx.data at 4096" for an external tensor (read_model checked the entries).
std::string external_place(const onnx::TensorProto& t) {
  std::string location, offset = "0";
  for (const auto& entry : t.external_data()) {
    if (entry.key() == "location") location = entry.value();
    if (entry.key() == "offset") offset = entry.value();
  }
  return location + " at " + offset;
}

}  // namespace

int onnx_checker_max_opset() {
  const auto& ranges = onnx::OpSchemaRegistry::DomainToVersionRange::Instance().Map();
  auto it = ranges.find(onnx::ONNX_DOMAIN);
  return it == ranges.end() ? 0 : it->second.second;
}

int model_default_opset(const onnx::ModelProto& model) {
  for (const auto& imp : model.opset_import())
    if (imp.domain().empty() || imp.domain() == "ai.onnx") return static_cast<int>(imp.version());
  return 0;
}

namespace {

// The ONNX checker counts a tensor's value fields and an empty raw_data is
// none: for the check, each lent initializer (lent_weights.hpp) holds one
// byte, which the checker only counts (it does not compare raw_data with the
// dims) and shape inference never reads (a weight is no shape input). Put
// back on destruction.
class LentTensorsForCheck {
 public:
  explicit LentTensorsForCheck(onnx::ModelProto& model) {
    for (auto& t : *model.mutable_graph()->mutable_initializer())
      if (onnx_build::lent_id(t)) {
        t.set_raw_data(std::string(1, '\0'));
        tensors_.push_back(&t);
      }
  }
  ~LentTensorsForCheck() {
    for (onnx::TensorProto* t : tensors_) t->set_raw_data(std::string());
  }
  LentTensorsForCheck(const LentTensorsForCheck&) = delete;
  LentTensorsForCheck& operator=(const LentTensorsForCheck&) = delete;

 private:
  std::vector<onnx::TensorProto*> tensors_;
};

}  // namespace

std::vector<Diagnostic> check_model(onnx::ModelProto& model) {
  std::vector<Diagnostic> out;
  LentTensorsForCheck lent(model);
  // Both by segments of the main graph when that gives the same result
  // (segmented_inference.hpp: linear time on long graphs).
  onnx_build::SegmentedCheck segments(model);
  // check_type: inputs must match the schemas' type constraints;
  // error_mode 1: a node whose inference fails is an error, not skipped.
  const onnx::ShapeInferenceOptions options(/*check_type_val=*/true, /*strict_mode_val=*/1);
  try {
    // Each segment is inferred right after it is checked (while its nodes
    // are in the cache); infer_shapes() below then only reports.
    segments.check_model(&options);
  } catch (const onnx::checker::ValidationError& e) {
    out.push_back(check_diagnostic("onnx-checker", std::string("ONNX checker: ") + e.what()));
  } catch (const std::exception& e) {
    out.push_back(check_diagnostic("onnx-checker", std::string("ONNX checker failed: ") + e.what()));
  }
  if (!out.empty()) return out;  // shape inference on an invalid model only adds noise
  try {
    segments.infer_shapes(options);
  } catch (const onnx::InferenceError& e) {
    out.push_back(check_diagnostic("shape-inference", std::string("shape inference: ") + e.what()));
  } catch (const std::exception& e) {
    out.push_back(check_diagnostic("shape-inference", std::string("shape inference failed: ") + e.what()));
  }
  return out;
}

std::string model_to_text(const onnx::ModelProto& model) {
  // ONNX 1.12's printer has no ModelProto overload and leaves initializers
  // out of a graph's text: the header, the signature and the initializer list
  // are written here in the syntax of later releases' model printer; values,
  // types and nodes come from onnx/defs/printer.h.
  std::ostringstream os;
  os << "<\n   ir_version: " << model.ir_version() << ",\n   opset_import: [";
  for (int i = 0; i < model.opset_import_size(); ++i) {
    const auto& imp = model.opset_import(i);
    os << (i ? ", " : "") << '"' << imp.domain() << "\" : " << imp.version();
  }
  os << "]";
  if (!model.producer_name().empty()) os << ",\n   producer_name: \"" << model.producer_name() << '"';
  if (!model.producer_version().empty()) os << ",\n   producer_version: \"" << model.producer_version() << '"';
  os << "\n>\n";
  const onnx::GraphProto& g = model.graph();
  os << g.name() << " " << g.input() << " => " << g.output() << "\n";
  if (g.initializer_size() > 0) {
    os << "   <";
    for (int i = 0; i < g.initializer_size(); ++i) {
      const onnx::TensorProto& t = g.initializer(i);
      os << (i ? ",\n    " : "");
      const auto checked = checked_numel(std::vector<int64_t>(t.dims().begin(), t.dims().end()));
      const int64_t numel = checked.value_or(-1);  // -1: dims that do not describe a tensor
      // The printer indexes the data by the dims: only a tensor whose data
      // matches them (read_model checks every tensor it reads) is printed.
      const bool external = t.data_location() == onnx::TensorProto::EXTERNAL;
      if (numel >= 0 && numel <= kMaxPrintedValues && !external) {
        os << t;
        continue;
      }
      onnx::TypeProto_Tensor type;  // "float[256,256]" without the values
      type.set_elem_type(t.data_type());
      for (int64_t d : t.dims()) type.mutable_shape()->add_dim()->set_dim_value(d);
      os << type << " " << t.name() << " {" << (numel >= 0 ? std::to_string(numel) : std::string("?")) << " values";
      if (external) os << " in " << external_place(t);
      os << "}";
    }
    os << ">\n";
  }
  os << "{\n";
  for (const auto& node : g.node()) os << indent_node_text(node);
  os << "}\n";
  for (const auto& fn : model.functions()) os << fn << "\n";
  return os.str();
}

void write_model_atomic(const onnx::ModelProto& model, const std::filesystem::path& file) {
  onnx_build::write_file_atomic(file, [&](int fd, std::string& error) {
    if (model.ByteSizeLong() + onnx_build::lent_data_size(model) > static_cast<size_t>(INT_MAX)) {
      error = "the model is larger than 2 GB, the protobuf limit; write it with external data (StagedModel)";
      return false;
    }
    // serialize_model takes a model with lent initializers apart for the
    // write and puts it back as it was, so the caller's model is unchanged.
    return onnx_build::serialize_model(const_cast<onnx::ModelProto&>(model), fd, error);
  });
}

onnx::ModelProto read_model(const std::filesystem::path& file) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(file, ec)) throw InputError(file.string(), "", "no such file");
  if (fs::is_directory(file, ec)) throw InputError(file.string(), "", "is a folder, not an ONNX model file");
  // O_NONBLOCK so that a FIFO is refused below instead of waiting for a writer.
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) throw InputError(file.string(), "", std::string("cannot open: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw InputError(file.string(), "", "not a regular file; give the path of an .onnx file");
  }
  onnx::ModelProto model;
  bool parsed = false;
  {
    google::protobuf::io::FileInputStream stream(fd);
    stream.SetCloseOnDelete(true);
    parsed = model.ParseFromZeroCopyStream(&stream);
    if (!parsed && stream.GetErrno() != 0)
      throw InputError(file.string(), "", std::string("read failed: ") + std::strerror(stream.GetErrno()));
  }
  if (!parsed) throw InputError(file.string(), "", "not an ONNX model (the protobuf ModelProto does not parse)");
  if (!model.has_graph())
    throw InputError(file.string(), "", "not an ONNX model (parsed, but it has no graph)");
  ModelTensorChecker(file).check(model);
  return model;
}

std::vector<std::pair<std::string, std::string>> node_metadata(const onnx::NodeProto& node) {
  return onnx_build::read_node_metadata(node);
}

std::vector<std::pair<std::string, int>> count_op_types(const onnx::ModelProto& model) {
  std::vector<std::pair<std::string, int>> out;
  std::unordered_map<std::string, size_t> index;
  count_ops(model.graph(), out, index);
  return out;
}

}  // namespace onnxport
