// Diagnostics: every stage and every plugin reports through these, and the
// report aggregates all of them (we report all problems, not the first).
#pragma once

#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace onnxport {

struct SourceLoc {
  std::string file;
  int line = 0;
  int col = 0;
  std::string text;  // the source line, e.g. "if x.sum():"

  bool known() const { return !file.empty() || line > 0; }
  // "model.py:24:11" (or "<unknown>")
  std::string str() const;
};

enum class Severity { Note, Warning, Error };
std::string_view severity_name(Severity s);

struct Diagnostic {
  std::string code;      // stable id: "data-dependent-branch", "missing-translator", ...
  Severity severity = Severity::Error;
  std::string stage;     // "config", "load", "capture", "decompose", "translate", "check", ...
  std::string plugin;    // plugin (or strategy) that reported it; empty for the host
  std::string message;
  SourceLoc loc;
  std::string hint;
  // Draft-report grouping ("data-dependent", "guard-added", "missing-kernel",
  // "side-effect", ...) and how often it was met.
  std::string category;
  int occurrences = 1;
  std::vector<SourceLoc> more_locs;  // further occurrences
  nlohmann::json details = nlohmann::json::object();  // e.g. {"partial_graph": "..."}

  // An error of `stage` ("capture", ...) reported for `plugin`: the fields
  // nearly every diagnostic sets; set the others on the result.
  static Diagnostic error(std::string stage, std::string code, std::string message, std::string plugin = "",
                          std::string hint = "") {
    Diagnostic d;
    d.stage = std::move(stage);
    d.code = std::move(code);
    d.message = std::move(message);
    d.plugin = std::move(plugin);
    d.hint = std::move(hint);
    return d;
  }

  nlohmann::json to_json() const;
  static Diagnostic from_json(const nlohmann::json& j);
  // One human-readable block (message, location, source line, hint).
  std::string to_text() const;
};

// Thrown by stages for an error the user must fix; carries a diagnostic.
class DiagnosticError : public std::runtime_error {
 public:
  explicit DiagnosticError(Diagnostic d) : std::runtime_error(d.message), diag_(std::move(d)) {}
  const Diagnostic& diagnostic() const { return diag_; }

 private:
  Diagnostic diag_;
};

// Errors in input files: always name the file and the place in it
// (a JSON pointer like "/graph/nodes/3/kind", or a byte offset).
class InputError : public std::runtime_error {
 public:
  InputError(std::string file, std::string place, std::string what)
      : std::runtime_error(file + (place.empty() ? "" : (": " + place)) + ": " + what),
        file_(std::move(file)), place_(std::move(place)) {}
  const std::string& file() const { return file_; }
  const std::string& place() const { return place_; }

 private:
  std::string file_, place_;
};

}  // namespace onnxport
