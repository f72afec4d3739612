// Diagnostics: JSON round trip and the human-readable block
// (sdk/include/onnxport/diagnostics.hpp).
#include <onnxport/diagnostics.hpp>

#include "base/json_helpers.hpp"

namespace onnxport {

std::string SourceLoc::str() const {
  if (!known()) return "<unknown>";
  std::string s = file.empty() ? "<unknown>" : file;
  if (line > 0) {
    s += ":" + std::to_string(line);
    if (col > 0) s += ":" + std::to_string(col);
  }
  return s;
}

std::string_view severity_name(Severity s) {
  switch (s) {
    case Severity::Note: return "note";
    case Severity::Warning: return "warning";
    case Severity::Error: return "error";
  }
  return "error";
}

namespace {

Severity severity_from_name(const std::string& name) {
  if (name == "note") return Severity::Note;
  if (name == "warning") return Severity::Warning;
  return Severity::Error;
}

template <class T>
T field_or(const nlohmann::json& j, const char* key, T fallback) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  return it->get<T>();
}

}  // namespace

nlohmann::json source_loc_to_json(const SourceLoc& loc) {
  nlohmann::json j = nlohmann::json::object();
  if (!loc.file.empty()) j["file"] = loc.file;
  if (loc.line > 0) j["line"] = loc.line;
  if (loc.col > 0) j["col"] = loc.col;
  if (!loc.text.empty()) j["text"] = loc.text;
  return j;
}

SourceLoc source_loc_from_json(const nlohmann::json& j) {
  SourceLoc loc;
  if (!j.is_object()) return loc;
  loc.file = field_or<std::string>(j, "file", "");
  loc.line = field_or<int>(j, "line", 0);
  loc.col = field_or<int>(j, "col", 0);
  loc.text = field_or<std::string>(j, "text", "");
  return loc;
}

nlohmann::json Diagnostic::to_json() const {
  nlohmann::json j;
  j["code"] = code;
  j["severity"] = severity_name(severity);
  j["stage"] = stage;
  j["plugin"] = plugin;
  j["message"] = message;
  j["loc"] = source_loc_to_json(loc);
  j["hint"] = hint;
  j["category"] = category;
  j["occurrences"] = occurrences;
  j["more_locs"] = nlohmann::json::array();
  for (const auto& l : more_locs) j["more_locs"].push_back(source_loc_to_json(l));
  j["details"] = details;
  return j;
}

Diagnostic Diagnostic::from_json(const nlohmann::json& j) {
  Diagnostic d;
  d.code = field_or<std::string>(j, "code", "");
  d.severity = severity_from_name(field_or<std::string>(j, "severity", "error"));
  d.stage = field_or<std::string>(j, "stage", "");
  d.plugin = field_or<std::string>(j, "plugin", "");
  d.message = field_or<std::string>(j, "message", "");
  if (auto it = j.find("loc"); it != j.end()) d.loc = source_loc_from_json(*it);
  d.hint = field_or<std::string>(j, "hint", "");
  d.category = field_or<std::string>(j, "category", "");
  d.occurrences = field_or<int>(j, "occurrences", 1);
  if (auto it = j.find("more_locs"); it != j.end() && it->is_array())
    for (const auto& l : *it) d.more_locs.push_back(source_loc_from_json(l));
  if (auto it = j.find("details"); it != j.end() && !it->is_null()) d.details = *it;
  return d;
}

std::string Diagnostic::to_text() const {
  // Shaped like a compiler diagnostic:
  //   error[code]: message
  //     --> file:line:col
  //      | source text
  //     = hint: ...
  std::string s(severity_name(severity));
  if (!code.empty()) s += "[" + code + "]";
  s += ": " + message + "\n";
  if (loc.known()) s += "  --> " + loc.str() + "\n";
  if (!loc.text.empty()) s += "   | " + loc.text + "\n";
  if (occurrences > 1) s += "  = note: seen " + std::to_string(occurrences) + " times\n";
  for (const auto& more : more_locs) s += "  = also at: " + more.str() + "\n";
  if (!plugin.empty() || !stage.empty()) {
    s += "  = reported by";
    if (!plugin.empty()) s += " " + plugin;
    if (!stage.empty()) s += " during " + stage;
    s += "\n";
  }
  if (!hint.empty()) s += "  = hint: " + hint + "\n";
  return s;
}

}  // namespace onnxport
