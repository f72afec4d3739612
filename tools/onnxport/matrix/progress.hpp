// Progress of a matrix run on stderr: on a terminal, one line redrawn in
// place (done/total, failures so far, the cells running, ETA); otherwise one
// plain line per finished cell, which logs and CI read well.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <iosfwd>
#include <set>
#include <string>

namespace onnxport::matrix {

class Progress {
 public:
  Progress(std::ostream& out, bool terminal, size_t total);

  void started(const std::string& id);
  void finished(const nlohmann::json& cell);
  // Redraws the bar when due (terminal only); call it while waiting.
  void tick();
  // Clears the bar, leaving the terminal as it was.
  void done();

  // The bar's text, exposed for tests: "[matrix] 12/40 ❌ 3 · running a, b · ETA 1m05s".
  std::string bar_text(int width) const;

 private:
  void draw();

  std::ostream& out_;
  bool terminal_;
  size_t total_;
  size_t done_ = 0;
  size_t failed_ = 0;
  std::set<std::string> running_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_{};
  bool drawn_ = false;
};

// "1m05s", "42s", "2h03m".
std::string duration_text(double seconds);

// The terminal's width in columns (80 when unknown).
int terminal_columns(int fd);

// `text` cut to at most `columns` display columns (emoji marks count two).
std::string fit_columns(const std::string& text, int columns);

}  // namespace onnxport::matrix
