// Status lines in the seed's format: "[onnxport] <what>..." when a stage
// starts, "[onnxport] <what>... ✅" (or ❌, or ⚠ for a capture that is not
// sound) when it ends.
#include <onnxport_core/pipeline.hpp>

#include <cstdio>
#include <ostream>

namespace onnxport {

namespace {
constexpr const char* kPrefix = "[onnxport] ";

void write_block(std::ostream& out, const std::string& text) {
  if (text.empty()) return;
  out << text;
  if (text.back() != '\n') out << '\n';
  out.flush();
}
}  // namespace

void StatusPrinter::begin(const std::string& what) {
  if (quiet()) return;
  out_ << kPrefix << what << "..." << std::endl;
}

void StatusPrinter::end(const std::string& what, bool ok, double seconds) {
  // A string_view, not a const char*: that would convert to bool and call this overload again.
  end(what, std::string_view(ok ? "✅" : "❌"), seconds);
}

void StatusPrinter::end(const std::string& what, std::string_view mark, double seconds) {
  if (quiet()) return;
  out_ << kPrefix << what << "... " << mark;
  if (verbose() && seconds >= 0) {
    char buf[32];
    std::snprintf(buf, sizeof buf, " (%.3f s)", seconds);
    out_ << buf;
  }
  out_ << std::endl;
}

void StatusPrinter::line(const std::string& text) {
  if (quiet()) return;
  out_ << kPrefix << text << std::endl;
}

void StatusPrinter::detail(const std::string& text) {
  if (quiet()) return;
  write_block(out_, text);
}

void StatusPrinter::debug(const std::string& text) {
  if (!verbose()) return;
  write_block(out_, text);
}

}  // namespace onnxport
