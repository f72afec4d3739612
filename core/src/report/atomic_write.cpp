// Text files written through a temp file and a rename, so a reader never sees
// half a report and a failed write leaves the previous file alone.
#include <onnxport_core/report.hpp>

#include <fstream>
#include <stdexcept>
#include <system_error>

#include <unistd.h>

namespace onnxport {

void write_text_atomic(const std::filesystem::path& file, std::string_view text) {
  namespace fs = std::filesystem;
  if (file.has_parent_path()) {
    std::error_code ec;
    fs::create_directories(file.parent_path(), ec);
    if (ec) throw std::runtime_error(file.parent_path().string() + ": cannot create folder: " + ec.message());
  }
  // Unique per process so two writers of the same file never share a temp file.
  fs::path tmp = file;
  tmp += ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error(tmp.string() + ": cannot open for writing");
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.flush();
    if (!out) {
      out.close();
      std::error_code ignored;
      fs::remove(tmp, ignored);
      throw std::runtime_error(tmp.string() + ": write failed");
    }
  }
  std::error_code ec;
  fs::rename(tmp, file, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw std::runtime_error(file.string() + ": cannot rename the temp file into place: " + ec.message());
  }
}

}  // namespace onnxport
