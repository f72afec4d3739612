#include "lent_weights.hpp"

#include "transpose_tiles.hpp"

#include <google/protobuf/unknown_field_set.h>

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <memory>
#include <cstring>
#include <string>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <unordered_map>

namespace onnxport::onnx_build {

namespace {

// A lent tensor: the bytes of `source`, or, when `transposed`, those of
// source (a rows x cols matrix) transposed, made in `made` on first need.
struct Entry {
  Tensor source;  // a copy of the handle: shares the bytes and their owner
  bool transposed = false;
  int64_t rows = 0, cols = 0;
  size_t element_size = 0;
  std::string made;  // the transposed bytes, once lent_bytes asked for them
};

// The entries of every live scope, by id. A mutex, not a per-scope table:
// constant folding may resolve ids from worker threads. Entries are nodes
// of the map, so a view of an entry's bytes stays valid while it lives.
struct Table {
  std::mutex mutex;
  std::unordered_map<uint64_t, Entry> entries;
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
    t.entries.emplace(id, Entry{tensor, false, 0, 0, 0, std::string()});
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
  static_cast<void>(lent_size(id));  // throws for an id no scope holds
  set_mark(out, id);
}

std::optional<uint64_t> lend_transposed(uint64_t id, int64_t rows, int64_t cols, size_t element_size) {
  if (current_scope == nullptr || rows <= 0 || cols <= 0) return std::nullopt;
  Table& t = table();
  uint64_t view = 0;
  {
    std::lock_guard lock(t.mutex);
    auto it = t.entries.find(id);
    if (it == t.entries.end())
      throw std::logic_error("internal error: lent initializer " + std::to_string(id) + " outlived its LendingScope");
    // A transpose of a transposed entry that was never made reads the
    // source once more; one that was made is an ordinary copy to the caller.
    if (it->second.transposed ||
        it->second.source.nbytes() != static_cast<size_t>(rows) * static_cast<size_t>(cols) * element_size)
      return std::nullopt;
    view = t.next_id++;
    t.entries.emplace(view, Entry{it->second.source, true, rows, cols, element_size, std::string()});
  }
  current_scope->ids_.push_back(view);
  return view;
}

namespace {

Entry& find_entry(Table& t, uint64_t id) {
  auto it = t.entries.find(id);
  if (it == t.entries.end())
    throw std::logic_error("internal error: lent initializer " + std::to_string(id) + " outlived its LendingScope");
  return it->second;
}

}  // namespace

std::string_view lent_bytes(uint64_t id) {
  Table& t = table();
  std::lock_guard lock(t.mutex);
  Entry& e = find_entry(t, id);
  if (!e.transposed) return {reinterpret_cast<const char*>(e.source.bytes()), e.source.nbytes()};
  if (e.made.empty()) {
    e.made.resize(e.source.nbytes());
    transpose_columns(e.source.bytes(), reinterpret_cast<std::byte*>(e.made.data()), e.rows, e.cols, 0, e.cols,
                      e.element_size);
  }
  return e.made;
}

size_t lent_size(uint64_t id) {
  Table& t = table();
  std::lock_guard lock(t.mutex);
  return find_entry(t, id).source.nbytes();
}

bool lent_is_deferred(uint64_t id) {
  Table& t = table();
  std::lock_guard lock(t.mutex);
  const Entry& e = find_entry(t, id);
  return e.transposed && e.made.empty();
}

namespace {

// The pieces of a transposed entry: output row c of the transpose is column
// c of the source, so a piece is a run of output rows [c0, c1).
struct Pieces {
  const Entry& e;
  size_t row_bytes;
  int64_t rows_per_piece;

  explicit Pieces(const Entry& entry)
      : e(entry),
        row_bytes(static_cast<size_t>(entry.rows) * entry.element_size),
        rows_per_piece(std::max<int64_t>(1, static_cast<int64_t>(kLentWritePieceBytes / row_bytes))) {}

  int64_t count() const { return (e.cols + rows_per_piece - 1) / rows_per_piece; }
  size_t buffer_bytes() const { return static_cast<size_t>(std::min(rows_per_piece, e.cols)) * row_bytes; }
  // Transposes piece `p` into `buffer`; its bytes.
  std::string_view make(int64_t p, std::byte* buffer) const {
    const int64_t c0 = p * rows_per_piece, c1 = std::min(e.cols, c0 + rows_per_piece);
    transpose_columns(e.source.bytes(), buffer, e.rows, e.cols, c0, c1, e.element_size);
    return {reinterpret_cast<const char*>(buffer), static_cast<size_t>(c1 - c0) * row_bytes};
  }
};

// One buffer, reused for every piece of the tensor and never zeroed (each
// piece overwrites it).
// Overlapping the transpose of the next piece with the write of this one on
// a helper thread was measured and did not pay (bench/README.md).
bool write_pieces_in_turn(const Pieces& pieces, const std::function<bool(std::string_view)>& write) {
  auto buffer = std::make_unique_for_overwrite<std::byte[]>(pieces.buffer_bytes());
  for (int64_t p = 0; p < pieces.count(); ++p)
    if (!write(pieces.make(p, buffer.get()))) return false;
  return true;
}

}  // namespace

bool write_lent_bytes(uint64_t id, const std::function<bool(std::string_view)>& write) {
  Entry* e = nullptr;
  {
    Table& t = table();
    std::lock_guard lock(t.mutex);
    e = &find_entry(t, id);  // entries are map nodes: stable until their scope ends
  }
  if (!e->transposed || !e->made.empty()) return write(lent_bytes(id));
  return write_pieces_in_turn(Pieces(*e), write);
}

// LentWriter cuts each deferred transpose into strips of output rows (whole
// 64-column blocks of the source, about kStripBytes each). The second thread
// makes the strips in order into a ring of reused buffers; the
// writer writes them in the same order, each while it is still in the cache:
// with whole transposes (up to 9 MB on vit_b_16, two buffers) the writer
// read back from memory every byte the other thread had just written there
// (bench/README.md, "program.json's fast reader and transposes in strips").
struct LentWriter::State {
  struct Job {
    uint64_t id;
    size_t first_strip, end_strip;  // its strips: [first_strip, end_strip)
  };
  struct Strip {
    const std::byte* source;
    int64_t rows, cols, c0, c1;  // rows [c0, c1) of the transpose of a rows x cols matrix
    size_t element_size, bytes;
  };
  static constexpr size_t kStripBytes = size_t{512} << 10;
  // The ring: up to 8 MB of buffers, 2 to 8 of them (a strip is at least 64
  // rows of the transpose, so a tall weight's strips can be large).
  static constexpr size_t kRingBytes = size_t{8} << 20;
  static constexpr size_t kMinBuffers = 2, kMaxBuffers = 8;

  std::vector<Job> jobs;
  std::vector<Strip> strips;
  std::vector<std::unique_ptr<std::byte[]>> buffers;  // strip s is made in buffers[s % buffers.size()]
  size_t made = 0;      // strips [0, made) are made
  size_t written = 0;   // strips [0, written) are written: their buffers are free
  size_t next_job = 0;  // the job the writer takes next
  bool stop = false;    // the writer is done (or a write failed): the thread ends
  std::mutex mutex;
  std::condition_variable changed;
  std::thread thread;

  void add_job(uint64_t id, const std::byte* source, int64_t rows, int64_t cols, size_t element_size) {
    const size_t row_bytes = static_cast<size_t>(rows) * element_size;  // one row of the transpose
    const int64_t per_strip =
        std::max<int64_t>(64, static_cast<int64_t>(kStripBytes / std::max<size_t>(row_bytes, 1)) / 64 * 64);
    Job job{id, strips.size(), 0};
    for (int64_t c0 = 0; c0 < cols; c0 += per_strip) {
      const int64_t c1 = std::min(cols, c0 + per_strip);
      strips.push_back({source, rows, cols, c0, c1, element_size, static_cast<size_t>(c1 - c0) * row_bytes});
    }
    job.end_strip = strips.size();
    jobs.push_back(job);
  }

  // The buffers, allocated here, on the writer's thread: without them there
  // is nothing to do ahead (false), and the thread never allocates.
  bool allocate() {
    size_t largest = 0;
    for (const Strip& s : strips) largest = std::max(largest, s.bytes);
    const size_t count = std::clamp(kRingBytes / std::max<size_t>(largest, 1), kMinBuffers, kMaxBuffers);
    try {
      for (size_t b = 0; b < count; ++b)
        buffers.push_back(std::make_unique_for_overwrite<std::byte[]>(largest));  // each strip overwrites its bytes
      return true;
    } catch (const std::bad_alloc&) {
      return false;
    }
  }

  void make(size_t s) {
    const Strip& strip = strips[s];
    transpose_columns(strip.source, buffers[s % buffers.size()].get(), strip.rows, strip.cols, strip.c0, strip.c1,
                      strip.element_size);
  }

  void run() {
    for (size_t s = 0; s < strips.size(); ++s) {
      {
        std::unique_lock lock(mutex);
        changed.wait(lock, [&] { return stop || s < written + buffers.size(); });  // its buffer is free
        if (stop) return;
      }
      make(s);
      std::lock_guard lock(mutex);
      made = s + 1;
      changed.notify_all();
    }
  }

  void finish() {
    {
      std::lock_guard lock(mutex);
      stop = true;
      changed.notify_all();
    }
    if (thread.joinable()) thread.join();
  }
};

LentWriter::LentWriter(const std::vector<uint64_t>& ids_in_write_order) : state_(std::make_unique<State>()) {
  State& s = *state_;
  {
    Table& t = table();
    std::lock_guard lock(t.mutex);
    for (uint64_t id : ids_in_write_order) {
      const Entry& e = find_entry(t, id);
      const size_t bytes = e.source.nbytes();
      const bool known_size = e.element_size == 1 || e.element_size == 2 || e.element_size == 4 || e.element_size == 8;
      if (e.transposed && e.made.empty() && bytes <= kTransposeAheadMaxBytes && known_size)
        s.add_job(id, e.source.bytes(), e.rows, e.cols, e.element_size);
    }
  }
  // One job has nothing to overlap with.
  if (s.jobs.size() < 2 || !s.allocate()) {
    s.jobs.clear();
    s.strips.clear();
    return;
  }
  s.thread = std::thread([&s] { s.run(); });
}

LentWriter::~LentWriter() { state_->finish(); }

bool LentWriter::write(uint64_t id, const std::function<bool(std::string_view)>& write) {
  State& s = *state_;
  std::unique_lock lock(s.mutex);
  // Not the job announced next (or the writer stopped): written as without
  // a LentWriter. The jobs after it are then never reached, as their strips
  // queue behind this job's.
  if (s.stop || s.next_job >= s.jobs.size() || s.jobs[s.next_job].id != id) {
    lock.unlock();
    return write_lent_bytes(id, write);
  }
  const State::Job job = s.jobs[s.next_job++];
  for (size_t k = job.first_strip; k < job.end_strip; ++k) {
    s.changed.wait(lock, [&] { return s.made > k; });
    lock.unlock();
    const bool ok = write({reinterpret_cast<const char*>(s.buffers[k % s.buffers.size()].get()), s.strips[k].bytes});
    lock.lock();
    s.written = k + 1;
    if (!ok) s.stop = true;
    s.changed.notify_all();
    if (!ok) return false;
  }
  return true;
}

std::string_view tensor_data(const onnx::TensorProto& t) {
  if (auto id = lent_id(t)) return lent_bytes(*id);
  return t.raw_data();
}

size_t tensor_data_size(const onnx::TensorProto& t) {
  if (auto id = lent_id(t)) return lent_size(*id);
  return t.raw_data().size();
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
    if (auto id = lent_id(t)) total += lent_size(*id);
  return total;
}

}  // namespace onnxport::onnx_build
