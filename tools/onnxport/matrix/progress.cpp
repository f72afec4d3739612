#include "progress.hpp"

#include "markdown.hpp"

#include <cstdio>
#include <ostream>
#include <sys/ioctl.h>
#include <unistd.h>

namespace onnxport::matrix {

namespace {

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

std::string first_problem(const nlohmann::json& cell) {
  for (const auto& stage : cell.value("stages", nlohmann::json::array())) {
    const std::string status = stage.value("status", "");
    if (status != "ok" && status != "skipped") {
      std::string message = stage.value("message", "");
      if (auto nl = message.find('\n'); nl != std::string::npos) message = message.substr(0, nl);
      if (message.size() > 120) message = message.substr(0, 117) + "...";
      return " (" + stage.value("name", "") + " " + status + (message.empty() ? "" : ": " + message) + ")";
    }
  }
  return "";
}

}  // namespace

std::string duration_text(double seconds) {
  const long s = seconds < 0 ? 0 : static_cast<long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%ldh%02ldm", s / 3600, (s % 3600) / 60);
  else if (s >= 60) std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
  else std::snprintf(buf, sizeof buf, "%lds", s);
  return buf;
}

int terminal_columns(int fd) {
  winsize ws{};
  if (::ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 80;
}

std::string fit_columns(const std::string& text, int columns) {
  int used = 0;
  size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const size_t len = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    const int width = len >= 3 ? 2 : 1;  // the marks (✅ ❌ ⚠) are wide
    if (used + width > columns) break;
    used += width;
    i += len;
  }
  return text.substr(0, i);
}

Progress::Progress(std::ostream& out, bool terminal, size_t total)
    : out_(out), terminal_(terminal), total_(total), start_(std::chrono::steady_clock::now()) {}

void Progress::started(const std::string& id) {
  running_.insert(id);
  if (terminal_) draw();
}

void Progress::finished(const nlohmann::json& cell) {
  const std::string id = cell.value("id", "");
  running_.erase(id);
  ++done_;
  const std::string status = cell.value("status", "");
  if (status != "pass" && status != "unsound") ++failed_;
  if (terminal_) {
    // A failing cell keeps a line of its own above the bar.
    if (status != "pass" && status != "unsound") {
      out_ << "\r\033[K[matrix] " << cell_mark(cell) << " " << id << first_problem(cell) << "\n";
    }
    draw();
    return;
  }
  char secs[32];
  std::snprintf(secs, sizeof secs, "%.1f s", cell.value("seconds", 0.0));
  out_ << "[matrix] " << done_ << "/" << total_ << " " << cell_mark(cell) << " " << id << first_problem(cell) << " "
       << secs << std::endl;
}

void Progress::tick() {
  if (terminal_ && seconds_since(last_draw_) >= 0.5) draw();
}

std::string Progress::bar_text(int width) const {
  std::string text = "[matrix] " + std::to_string(done_) + "/" + std::to_string(total_);
  text += failed_ ? " ❌ " + std::to_string(failed_) : " ✅";
  const double elapsed = seconds_since(start_);
  if (done_ > 0 && done_ < total_)
    text += " · ETA " + duration_text(elapsed / static_cast<double>(done_) * static_cast<double>(total_ - done_));
  else
    text += " · " + duration_text(elapsed);
  if (!running_.empty()) {
    text += " · running";
    for (const auto& id : running_) text += " " + id;
  }
  return fit_columns(text, width);
}

void Progress::draw() {
  out_ << "\r\033[K" << bar_text(terminal_columns(STDERR_FILENO) - 1) << std::flush;
  last_draw_ = std::chrono::steady_clock::now();
  drawn_ = true;
}

void Progress::done() {
  if (terminal_ && drawn_) out_ << "\r\033[K" << std::flush;
}

}  // namespace onnxport::matrix
