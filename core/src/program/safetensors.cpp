// safetensors files: 8-byte little-endian header length, a JSON header
// {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}},
// then the raw little-endian tensor bytes. Reading maps the file once and
// every tensor borrows from that mapping (zero copy).
#include <onnxport_core/bundle.hpp>

#include "base/checked_math.hpp"
#include "base/flat_name_map.hpp"
#include "base/json_cursor.hpp"
#include "base/json_file.hpp"
#include "base/mapped_files.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <fstream>
#include <map>
#include <optional>

namespace onnxport {

namespace {

// Header sizes beyond this are corrupt files, not real headers (the
// reference implementation uses the same 100 MB cap).
constexpr uint64_t kMaxHeaderBytes = 100ull * 1024 * 1024;

// A read-only memory mapping, unmapped when the last tensor borrowing from
// it goes away.
struct Mapping {
  const std::byte* data = nullptr;
  size_t size = 0;
  int fd = -1;  // kept open so that mapped_file_problem can compare the file's size with the mapping
  Mapping() = default;
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  ~Mapping() {
    if (data) {
      forget_mapping(data);
      ::munmap(const_cast<std::byte*>(data), size);
    }
    if (fd >= 0) ::close(fd);
  }
};

std::shared_ptr<Mapping> map_file(const std::filesystem::path& file) {
  const std::string name = file.string();
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer
  // before the check below can refuse it.
  const int fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) throw InputError(name, "", std::string("cannot open: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    throw InputError(name, "", std::string("cannot stat: ") + std::strerror(err));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    throw InputError(name, "", "not a regular file (" + file_kind_text(st.st_mode) + "); expected a safetensors file");
  }
  auto mapping = std::make_shared<Mapping>();
  mapping->size = static_cast<size_t>(st.st_size);
  if (mapping->size > 0) {
    void* p = ::mmap(nullptr, mapping->size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      const int err = errno;
      ::close(fd);
      throw InputError(name, "", std::string("cannot memory-map: ") + std::strerror(err));
    }
    mapping->data = static_cast<const std::byte*>(p);
    mapping->fd = fd;
    note_mapping(p, mapping->size, name, fd);  // a SIGBUS in it becomes an error naming the file
    return mapping;
  }
  ::close(fd);
  return mapping;
}

uint64_t read_le64(const std::byte* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | std::to_integer<uint64_t>(p[i]);
  return v;
}

struct TensorEntry {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  uint64_t begin, end;
  std::string pointer;  // "/mlp.0.weight" in the header
};

TensorEntry read_entry(const std::string& name, const JsonCursor& c, uint64_t data_size) {
  c.expect_object();
  c.reject_unknown_keys({"dtype", "shape", "data_offsets"});
  TensorEntry e;
  e.name = name;
  e.pointer = c.pointer();
  const auto dtype_cursor = c.at("dtype");
  const auto dtype_text = dtype_cursor.as_string();
  auto dtype = dtype_from_name(dtype_text);
  if (!dtype || dtype_safetensors_name(*dtype) != dtype_text)
    dtype_cursor.fail("tensor '" + name + "': unsupported dtype '" + dtype_text + "'");
  e.dtype = *dtype;
  const auto shape = c.at("shape");
  shape.expect_array();
  for (size_t i = 0; i < shape.size(); ++i) {
    const int64_t d = shape.at(i).as_int();
    if (d < 0) shape.at(i).fail("tensor '" + name + "': negative dimension " + std::to_string(d));
    e.shape.push_back(d);
  }
  // Checked before it is compared with the byte range: a product that wraps
  // could match a small range and make readers run past the mapping.
  const auto nbytes = checked_nbytes(e.shape, dtype_size(e.dtype));
  if (!nbytes) shape.fail("tensor '" + name + "': the shape " + shape.json().dump() + " has more bytes than fit in 64 bits");
  const auto offsets = c.at("data_offsets");
  offsets.expect_array();
  if (offsets.size() != 2) offsets.fail("tensor '" + name + "': expected [begin, end]");
  const int64_t begin = offsets.at(0).as_int(), end = offsets.at(1).as_int();
  if (begin < 0 || end < begin)
    offsets.fail("tensor '" + name + "': invalid range [" + std::to_string(begin) + ", " + std::to_string(end) + "]");
  e.begin = static_cast<uint64_t>(begin);
  e.end = static_cast<uint64_t>(end);
  if (e.end > data_size)
    offsets.fail("tensor '" + name + "': data range [" + std::to_string(begin) + ", " + std::to_string(end) +
                 "] goes past the end of the data (" + std::to_string(data_size) +
                 " bytes; is the file truncated?)");
  const uint64_t expected = static_cast<uint64_t>(*nbytes);
  if (e.end - e.begin != expected)
    offsets.fail("tensor '" + name + "': " + std::to_string(e.end - e.begin) + " bytes for " +
                 std::string(dtype_short_name(e.dtype)) + shape.json().dump() + ", which needs " +
                 std::to_string(expected));
  return e;
}

void check_no_overlap(std::vector<TensorEntry>& entries, const std::string& file) {
  const auto by_range = [](const TensorEntry& a, const TensorEntry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  };
  std::sort(entries.begin(), entries.end(), by_range);
  // Entries with the same range (empty tensors at one offset) keep the order
  // they always had: that of this sort applied to the entries in name order,
  // the order in which a whole parsed header listed them. The entries arrive
  // in file order, so when some range repeats (rare) they are put in name
  // order and sorted again.
  const auto same_range = [](const TensorEntry& a, const TensorEntry& b) { return a.begin == b.begin && a.end == b.end; };
  if (std::adjacent_find(entries.begin(), entries.end(), same_range) != entries.end()) {
    std::sort(entries.begin(), entries.end(), [](const TensorEntry& a, const TensorEntry& b) { return a.name < b.name; });
    std::sort(entries.begin(), entries.end(), by_range);
  }
  const TensorEntry* prev = nullptr;
  for (const auto& e : entries) {
    if (e.begin == e.end) continue;  // empty tensors occupy no bytes
    if (prev && e.begin < prev->end)
      throw InputError(file, e.pointer + "/data_offsets",
                       "tensor '" + e.name + "' overlaps tensor '" + prev->name + "'");
    prev = &e;
  }
}

// Reads the header's tensor entries while the header is parsed: each member
// of the top-level object is checked and kept as a TensorEntry as soon as its
// value is complete, and its small document is dropped. A model's header has
// one member per tensor (32,768 for bench/scaling's 16,384-layer program):
// building it whole and then walking it (the map's nodes cold by then) grew
// 5x for 4x the tensors in perf samples.
//
// What the reader of a whole header did is kept: a name given twice is the
// last value's (json::parse keeps the last), and of the entries that fail the
// error is that of the first name in name order (the order the whole header
// was walked in), thrown after the parse, so a malformed header still fails
// as malformed first.
class HeaderEntryReader : public JsonParseObserver {
 public:
  HeaderEntryReader(std::string file, uint64_t data_size, size_t reserve)
      : file_(std::move(file)), data_size_(data_size) {
    entries_.reserve(reserve);
    index_.reserve(reserve);
  }

  void object_start() override { ++depth_; }
  void object_end() override { --depth_; }
  void array_start() override { ++depth_; }
  void array_end() override { --depth_; }
  bool wants_object_members() const override { return true; }

  bool take_object_member(const std::string& key, nlohmann::json& value) override {
    if (depth_ != 1) return false;  // a member of an entry (dtype, shape...), or of __metadata__
    if (key == "__metadata__") return false;
    std::optional<TensorEntry> entry;
    try {
      entry = read_entry(key, JsonCursor(value, file_, "/" + json_pointer_token(key)), data_size_);
      errors_.erase(key);
    } catch (const InputError&) {
      errors_[key] = std::current_exception();
    }
    auto [number, inserted] = index_.emplace(key, entries_.size());
    if (inserted) {
      entries_.emplace_back();
      live_.push_back(false);
    }
    live_[*number] = entry.has_value();
    if (entry) entries_[*number] = std::move(*entry);
    return true;
  }

  // The entries read, or the error of the first failing name.
  std::vector<TensorEntry> take_entries() {
    if (!errors_.empty()) std::rethrow_exception(errors_.begin()->second);
    std::vector<TensorEntry> out;
    out.reserve(entries_.size());
    for (size_t i = 0; i < entries_.size(); ++i)
      if (live_[i]) out.push_back(std::move(entries_[i]));
    return out;
  }

 private:
  std::string file_;
  uint64_t data_size_;
  int depth_ = 0;                     // open containers; 1: inside the top-level object
  std::vector<TensorEntry> entries_;  // in file order, one per name
  std::vector<bool> live_;            // entries_[i] holds the name's last value (false: it failed)
  FlatNameMap<size_t> index_;         // name -> its place in entries_
  std::map<std::string, std::exception_ptr> errors_;  // name -> the error of its last value (usually none)
};

// Room for the entries before the header is read, from its length: an entry
// takes at least 50 bytes ("a":{"dtype":"F32","shape":[],"data_offsets":[0,0]}),
// and the estimate is capped, since a header may also hold a large __metadata__.
size_t entries_to_reserve(uint64_t header_len) { return static_cast<size_t>(std::min<uint64_t>(header_len / 50, 1u << 20)); }

}  // namespace

TensorMap read_safetensors(const std::filesystem::path& file) {
  const std::string name = file.string();
  auto mapping = map_file(file);
  if (mapping->size < 8)
    throw InputError(name, "byte 0", "file is " + std::to_string(mapping->size) +
                                         " bytes, too short for the 8-byte header length (truncated?)");
  const uint64_t header_len = read_le64(mapping->data);
  if (header_len > kMaxHeaderBytes || header_len > mapping->size - 8)
    throw InputError(name, "byte 0", "header length " + std::to_string(header_len) + " exceeds the file size (" +
                                         std::to_string(mapping->size) + " bytes; truncated or not safetensors?)");
  const char* header_text = reinterpret_cast<const char*>(mapping->data + 8);
  const uint64_t data_start = 8 + header_len;
  const uint64_t data_size = mapping->size - data_start;
  HeaderEntryReader reader(name, data_size, entries_to_reserve(header_len));
  nlohmann::json header;  // what the reader leaves: __metadata__ (and anything that is not a top-level object)
  try {
    parse_json_text_into(header, std::string_view(header_text, header_len), name, reader);
  } catch (const InputError& e) {
    // Lines and columns count in the header text, which starts at byte 8.
    std::string reason = input_error_reason(e);
    if (reason.rfind("malformed JSON: ", 0) == 0) reason = reason.substr(16);
    throw InputError(name, "header", "malformed JSON header at " + e.place() + ": " + reason);
  }
  JsonCursor root(header, name);
  root.expect_object();
  std::vector<TensorEntry> entries = reader.take_entries();
  check_no_overlap(entries, name);  // also puts the tensors in file order

  std::shared_ptr<const void> owner(mapping, mapping->data);
  TensorMap out;
  for (auto& e : entries) {
    const std::byte* data = mapping->data + data_start + e.begin;
    // The format does not require aligned data (a header not padded to a
    // multiple of 8 shifts every tensor): kernels read elements through typed
    // pointers, so a misaligned tensor is copied into aligned memory.
    if (reinterpret_cast<uintptr_t>(data) % dtype_size(e.dtype) != 0) {
      try {
        out.set(e.name, Tensor::from_bytes(e.dtype, std::move(e.shape), std::span(data, e.end - e.begin)));
      } catch (const std::exception& ex) {
        throw InputError(name, e.pointer, "tensor '" + e.name + "' (not aligned in the file, so copied): " + ex.what());
      }
      continue;
    }
    out.set(e.name, Tensor::borrow(e.dtype, std::move(e.shape), data, owner));
  }
  return out;
}

namespace {

std::string header_text(const TensorMap& tensors, const nlohmann::json& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) {
    nlohmann::ordered_json meta = nlohmann::ordered_json::object();
    for (const auto& [k, v] : metadata.items()) meta[k] = v.is_string() ? v.get<std::string>() : v.dump();
    header["__metadata__"] = meta;
  }
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors.items()) {
    if (!t.defined()) throw std::invalid_argument("write_safetensors: tensor '" + name + "' is undefined");
    header[name] = {{"dtype", dtype_safetensors_name(t.dtype())},
                    {"shape", t.shape()},
                    {"data_offsets", {offset, offset + t.nbytes()}}};
    offset += t.nbytes();
  }
  std::string text = header.dump();
  // Pad with spaces so the data starts 8-byte aligned (8 + header length).
  text.append((8 - text.size() % 8) % 8, ' ');
  return text;
}

}  // namespace

void write_safetensors(const std::filesystem::path& file, const TensorMap& tensors, const nlohmann::json& metadata) {
  const std::string header = header_text(tensors, metadata);
  const auto tmp = std::filesystem::path(file.string() + ".tmp." + std::to_string(::getpid()));
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write " + tmp.string() + ": " + std::strerror(errno));
    char len[8];
    uint64_t n = header.size();
    for (int i = 0; i < 8; ++i, n >>= 8) len[i] = static_cast<char>(n & 0xff);
    out.write(len, 8);
    out.write(header.data(), static_cast<std::streamsize>(header.size()));
    for (const auto& [name, t] : tensors.items())
      out.write(reinterpret_cast<const char*>(t.bytes()), static_cast<std::streamsize>(t.nbytes()));
    out.flush();
    if (!out) {
      std::error_code ec;
      std::filesystem::remove(tmp, ec);
      throw std::runtime_error("cannot write " + tmp.string() + " (disk full?)");
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, file, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    throw std::runtime_error("cannot rename " + tmp.string() + " to " + file.string() + ": " + ec.message());
  }
}

}  // namespace onnxport
