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

// LentWriter's jobs are claimed in order, by the second thread (or by the
// writer, for a job the thread has not reached when the writer needs it:
// after a failed allocation there). Each claimed job holds one of two reused
// buffers until the writer has written it.
struct LentWriter::State {
  struct Job {
    uint64_t id;
    const std::byte* source;
    int64_t rows, cols;
    size_t element_size, bytes;
  };
  static constexpr size_t kBuffers = 2;
  static constexpr size_t kNone = SIZE_MAX;

  std::vector<Job> jobs;
  std::vector<size_t> buffer_of;  // per job: its buffer once claimed
  static constexpr char kNotYet = 0, kMade = 1, kGivenUp = 2;
  std::vector<char> made;         // per job: kMade once its bytes are in its buffer
  std::unique_ptr<std::byte[]> buffers[kBuffers];
  bool buffer_busy[kBuffers] = {};
  size_t next_claim = 0;  // jobs before it are claimed
  size_t next_write = 0;  // the job the writer takes next
  bool stop = false;      // the writer is done (or gave up): the thread ends
  std::mutex mutex;
  std::condition_variable changed;
  std::thread thread;

  size_t free_buffer() const {
    for (size_t b = 0; b < kBuffers; ++b)
      if (!buffer_busy[b]) return b;
    return kNone;
  }
  bool can_claim() const { return next_claim < jobs.size() && free_buffer() != kNone; }

  // Claims the next job (the caller holds the lock and checked can_claim).
  size_t claim() {
    const size_t j = next_claim++;
    const size_t b = free_buffer();
    buffer_busy[b] = true;
    buffer_of[j] = b;
    return j;
  }

  // Transposes job j into its buffer, without the lock; throws what
  // allocation throws.
  void make(size_t j) {
    const Job& job = jobs[j];
    std::unique_ptr<std::byte[]>& buffer = buffers[buffer_of[j]];
    // Allocated on first use and never zeroed (each job overwrites its bytes).
    if (!buffer) buffer = std::make_unique_for_overwrite<std::byte[]>(max_bytes());
    transpose_columns(job.source, buffer.get(), job.rows, job.cols, 0, job.cols, job.element_size);
  }

  void run() {
    std::unique_lock lock(mutex);
    while (true) {
      changed.wait(lock, [&] { return stop || next_claim >= jobs.size() || can_claim(); });
      if (stop || next_claim >= jobs.size()) return;
      const size_t j = claim();
      lock.unlock();
      const bool ok = try_make(j);
      lock.lock();
      settle(j, ok);
      if (!ok) return;  // the writer claims what is left
    }
  }

  bool try_make(size_t j) {
    try {
      make(j);
      return true;
    } catch (...) {
      return false;  // no memory for a buffer: the job is written piece by piece instead
    }
  }

  // Records how job j went (the caller holds the lock).
  void settle(size_t j, bool ok) {
    if (ok) {
      made[j] = kMade;
    } else {
      buffer_busy[buffer_of[j]] = false;
      made[j] = kGivenUp;
    }
    changed.notify_all();
  }

  size_t max_bytes() const {
    size_t m = 0;
    for (const Job& job : jobs) m = std::max(m, job.bytes);
    return m;
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
      if (e.transposed && e.made.empty() && bytes <= kTransposeAheadMaxBytes)
        s.jobs.push_back({id, e.source.bytes(), e.rows, e.cols, e.element_size, bytes});
    }
  }
  // One job has nothing to overlap with.
  if (s.jobs.size() < 2) {
    s.jobs.clear();
    return;
  }
  s.buffer_of.assign(s.jobs.size(), State::kNone);
  s.made.assign(s.jobs.size(), State::kNotYet);
  s.thread = std::thread([&s] { s.run(); });
}

LentWriter::~LentWriter() { state_->finish(); }

bool LentWriter::write(uint64_t id, const std::function<bool(std::string_view)>& write) {
  State& s = *state_;
  std::unique_lock lock(s.mutex);
  if (s.next_write >= s.jobs.size() || s.jobs[s.next_write].id != id) {
    lock.unlock();
    return write_lent_bytes(id, write);
  }
  const size_t j = s.next_write++;
  // The other thread claims the jobs in order; one it has not claimed yet
  // (both buffers were waiting for this writer) is claimed here.
  // Making the next job here as well, instead of waiting, was measured and
  // made it slower: two transposes at once share the memory bandwidth with
  // the write (bench/README.md, "Start-up and transposes").
  while (s.made[j] == State::kNotYet) {
    if (s.next_claim <= j && s.can_claim()) {
      const size_t k = s.claim();
      lock.unlock();
      const bool ok = s.try_make(k);
      lock.lock();
      s.settle(k, ok);
      continue;
    }
    s.changed.wait(lock);
  }
  if (s.made[j] == State::kGivenUp) {
    lock.unlock();
    return write_lent_bytes(id, write);
  }
  const size_t b = s.buffer_of[j];
  lock.unlock();
  const bool ok = write({reinterpret_cast<const char*>(s.buffers[b].get()), s.jobs[j].bytes});
  lock.lock();
  s.buffer_busy[b] = false;
  s.changed.notify_all();
  return ok;
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
