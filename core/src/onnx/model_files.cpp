// StagedModel: an export's model, and its external data file when it has
// one, written to a staging folder beside the output and moved into place at
// the end (docs/large-models.md).
#include <onnxport_core/onnx_passes.hpp>

#include "base/mapped_files.hpp"
#include "byte_writer.hpp"
#include "lent_weights.hpp"
#include "model_io.hpp"

#include <onnx/checker.h>

#include <google/protobuf/io/zero_copy_stream_impl.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include <fcntl.h>
#include <unistd.h>

namespace onnxport {

namespace {

namespace fs = std::filesystem;

// Offsets of external tensors are multiples of this: ONNX Runtime (and
// numpy-style readers) may map the file and read the tensors in place.
constexpr int64_t kExternalAlignment = 64;

std::string errno_text(int err) { return std::strerror(err); }

// Opens `path` for writing, fills it with `write`, fsyncs it when asked and
// closes it; throws runtime_error naming `shown` (the final path the user
// asked for).
template <class Write>
void write_new_file(const fs::path& path, const fs::path& shown, Durability durability, Write&& write) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error(shown.string() + ": cannot create '" + path.string() + "': " + errno_text(errno));
  std::string error;
  bool ok = write(fd, error);
  if (ok && durability == Durability::Synced && ::fsync(fd) != 0) {
    error = "fsync failed: " + errno_text(errno);
    ok = false;
  }
  if (::close(fd) != 0 && ok) {
    error = "close failed: " + errno_text(errno);
    ok = false;
  }
  if (!ok) throw std::runtime_error(shown.string() + ": write failed: " + error);
}

void sync_folder(const fs::path& folder) {
  const int fd = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);  // best effort: makes the renames durable where the file system allows it
  ::close(fd);
}

void add_entry(onnx::TensorProto& t, const std::string& key, const std::string& value) {
  auto* e = t.add_external_data();
  e->set_key(key);
  e->set_value(value);
}

// Moves the bytes of the large initializers out of the model for a scope
// and puts them back, leaving the model as it was (also when the write
// throws). While moved, each tensor is an external data entry.
class ExternalizedTensors {
 public:
  explicit ExternalizedTensors(onnx::ModelProto& model) : model_(model) {}
  ~ExternalizedTensors() {
    for (Moved& m : moved_) {
      m.tensor->mutable_raw_data()->swap(m.bytes);
      m.tensor->clear_external_data();
      m.tensor->clear_data_location();
      if (m.lent) onnx_build::lend_again(*m.lent, *m.tensor);
    }
  }
  ExternalizedTensors(const ExternalizedTensors&) = delete;
  ExternalizedTensors& operator=(const ExternalizedTensors&) = delete;

  // The top-level initializers that go out: raw data (or lent bytes) of at
  // least `threshold` bytes (and at least one byte).
  std::vector<onnx::TensorProto*> chosen(int64_t threshold) const {
    std::vector<onnx::TensorProto*> out;
    for (auto& t : *model_.mutable_graph()->mutable_initializer()) {
      if (t.data_location() == onnx::TensorProto::EXTERNAL) continue;
      const size_t size = onnx_build::tensor_data_size(t);
      if (size > 0 && static_cast<int64_t>(size) >= threshold) out.push_back(&t);
    }
    return out;
  }

  void move_out(onnx::TensorProto& t, const std::string& location, int64_t offset) {
    const auto length = static_cast<int64_t>(onnx_build::tensor_data_size(t));
    moved_.push_back(Moved{&t, std::string(), onnx_build::take_lent_mark(t)});
    moved_.back().bytes.swap(*t.mutable_raw_data());
    t.clear_raw_data();
    t.set_data_location(onnx::TensorProto::EXTERNAL);
    add_entry(t, "location", location);
    add_entry(t, "offset", std::to_string(offset));
    add_entry(t, "length", std::to_string(length));
  }

 private:
  struct Moved {
    onnx::TensorProto* tensor;
    std::string bytes;           // its raw_data, while out
    std::optional<uint64_t> lent;  // its lent mark, while out
  };
  onnx::ModelProto& model_;
  std::vector<Moved> moved_;
};

// Writes the chosen tensors back to back at aligned offsets, and turns each
// into an external entry naming `location`. Returns the tensor bytes written.
int64_t write_data_file(ExternalizedTensors& out, const std::vector<onnx::TensorProto*>& tensors,
                        const fs::path& path, const fs::path& shown, const std::string& location,
                        Durability durability) {
  int64_t total = 0;
  write_new_file(path, shown, durability, [&](int fd, std::string& error) {
    static const char zeros[kExternalAlignment] = {};
    std::vector<uint64_t> lent_in_order;
    for (const onnx::TensorProto* t : tensors)
      if (auto id = onnx_build::lent_id(*t)) lent_in_order.push_back(*id);
    onnx_build::LentWriter lent_writer(lent_in_order);
    int64_t offset = 0;
    for (onnx::TensorProto* t : tensors) {
      const int64_t pad = (kExternalAlignment - offset % kExternalAlignment) % kExternalAlignment;
      if (!onnx_build::append_bytes(fd, std::string_view(zeros, static_cast<size_t>(pad)), error)) return false;
      offset += pad;
      // Lent weights are copied from the mapped file by the kernel,
      // transposed ones piece by piece (byte_writer.hpp, lent_weights.hpp).
      const auto length = static_cast<int64_t>(onnx_build::tensor_data_size(*t));
      auto write_piece = [&](std::string_view bytes) { return onnx_build::append_bytes(fd, bytes, error); };
      const auto id = onnx_build::lent_id(*t);
      if (!(id ? lent_writer.write(*id, write_piece) : write_piece(t->raw_data()))) {
        error = "initializer '" + t->name() + "': " + error;
        return false;
      }
      out.move_out(*t, location, offset);
      offset += length;
      total += length;
    }
    return true;
  });
  return total;
}

// `sizes` Current: needs_external_data computed every size, found the model
// within the limit, and nothing changed it since.
void write_model_file(onnx::ModelProto& model, const fs::path& path, const fs::path& shown, Durability durability,
                      onnx_build::CachedSizes sizes) {
  write_new_file(path, shown, durability, [&](int fd, std::string& error) {
    if (sizes == onnx_build::CachedSizes::Stale &&
        model.ByteSizeLong() + onnx_build::lent_data_size(model) > static_cast<size_t>(INT_MAX)) {
      error = "the model is larger than 2 GB, the protobuf limit, even with its large initializers in external data "
              "(what remains: node attributes, Constant values, subgraph initializers)";
      return false;
    }
    // Either way, ByteSizeLong has just cached every message's size.
    return onnx_build::serialize_model(model, fd, error, onnx_build::CachedSizes::Current);
  });
}

fs::path data_file_for(const fs::path& output) {
  fs::path data = output;
  data += ".data";
  return data;
}

// A hidden folder beside `output`, so the final renames stay on one file system.
fs::path make_staging_dir(const fs::path& output) {
  const fs::path folder = output.parent_path();
  if (!folder.empty()) {
    std::error_code ec;
    fs::create_directories(folder, ec);
    if (ec) throw std::runtime_error(output.string() + ": cannot create the folder '" + folder.string() + "': " + ec.message());
  }
  const fs::path dir = folder / ("." + output.filename().string() + ".staging." + std::to_string(::getpid()));
  std::error_code ec;
  fs::remove_all(dir, ec);  // left by a killed run that had this process id
  if (!fs::create_directory(dir, ec))
    throw std::runtime_error(output.string() + ": cannot create the staging folder '" + dir.string() + "': " +
                             (ec ? ec.message() : std::string("it exists")));
  return dir;
}

}  // namespace

bool needs_external_data(const onnx::ModelProto& model, const ExternalDataOptions& options) {
  return options.always || model.ByteSizeLong() + onnx_build::lent_data_size(model) > static_cast<size_t>(INT_MAX);
}

StagedModel::StagedModel(onnx::ModelProto& model, const fs::path& output, const ExternalDataOptions& options,
                         Durability durability)
    : output_(output), durability_(durability) {
  if (output.filename().empty()) throw std::runtime_error(output.string() + ": not a file path");
  staging_dir_ = make_staging_dir(output);
  try {
    staged_model_ = staging_dir_ / output.filename();
    // Removed by the SIGBUS handler if it has to end the process.
    note_staged_path(staged_model_.string(), false);
    note_staged_path((staging_dir_ / data_file_for(output).filename()).string(), false);
    note_staged_path(staging_dir_.string(), true);
    ExternalizedTensors externalized(model);
    auto sizes = onnx_build::CachedSizes::Stale;
    if (!needs_external_data(model, options)) {
      // It ran ByteSizeLong (options.always is false) and nothing below changes the model.
      sizes = onnx_build::CachedSizes::Current;
    } else {
      const std::vector<onnx::TensorProto*> tensors = externalized.chosen(options.threshold);
      if (!tensors.empty()) {
        const fs::path data = data_file_for(output);
        staged_data_ = staging_dir_ / data.filename();
        external_bytes_ =
            write_data_file(externalized, tensors, staged_data_, data, data.filename().string(), durability);
        external_tensors_ = static_cast<int>(tensors.size());
      }
    }
    write_model_file(model, staged_model_, output, durability, sizes);
  } catch (...) {
    forget_staged_paths();
    std::error_code ignored;
    fs::remove_all(staging_dir_, ignored);
    throw;
  }
}

StagedModel::~StagedModel() {
  forget_staged_paths();
  std::error_code ignored;
  fs::remove_all(staging_dir_, ignored);
}

void StagedModel::forget_staged_paths() const {
  forget_staged_path(staged_model_.string());
  forget_staged_path((staging_dir_ / data_file_for(output_).filename()).string());
  forget_staged_path(staging_dir_.string());
}

std::optional<fs::path> StagedModel::data_file() const {
  if (staged_data_.empty()) return std::nullopt;
  return data_file_for(output_);
}

void StagedModel::commit() {
  if (committed_) return;
  // Nothing read from the zero pages of a shrunk weights file goes out.
  throw_if_a_mapped_file_shrank();
  std::error_code ec;
  fs::path previous_data;  // a hard link to the data file this one replaces
  const bool had_data = !staged_data_.empty() && fs::exists(data_file_for(output_), ec);
  if (!staged_data_.empty()) {
    const fs::path data = data_file_for(output_);
    if (had_data) {
      previous_data = staging_dir_ / "previous.data";
      if (::link(data.c_str(), previous_data.c_str()) != 0) previous_data.clear();
    }
    fs::rename(staged_data_, data, ec);
    if (ec) throw std::runtime_error(data.string() + ": cannot move the staged data file into place: " + ec.message());
  }
  fs::rename(staged_model_, output_, ec);
  if (ec) {
    const std::string why = ec.message();
    if (!staged_data_.empty()) {
      std::error_code ignored;
      const fs::path data = data_file_for(output_);
      if (!previous_data.empty()) fs::rename(previous_data, data, ignored);
      else if (!had_data) fs::remove(data, ignored);
    }
    throw std::runtime_error(output_.string() + ": cannot move the staged model into place: " + why);
  }
  committed_ = true;
  std::error_code ignored;
  fs::remove_all(staging_dir_, ignored);  // now empty, or holding the previous data file's link
  if (durability_ == Durability::Synced) sync_folder(output_.parent_path());
}

std::vector<Diagnostic> check_model_file(const fs::path& file) {
  std::vector<Diagnostic> out;
  auto problem = [&](std::string message) {
    Diagnostic d;
    d.code = "onnx-checker";
    d.stage = "write";
    d.message = std::move(message);
    out.push_back(std::move(d));
  };
  try {
    read_model(file);  // the external entries against their file
    onnx::checker::check_model(file.string());
  } catch (const onnx::checker::ValidationError& e) {
    problem(std::string("ONNX checker on ") + file.string() + ": " + e.what());
  } catch (const std::exception& e) {
    problem(std::string("checking ") + file.string() + ": " + e.what());
  }
  return out;
}

}  // namespace onnxport
