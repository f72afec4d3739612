// The draft-export report (the seed's "Draft Export report"): what a capture
// had to assume to produce a graph, issue by issue.
#include <onnxport_core/report.hpp>

#include <sstream>

namespace onnxport {

namespace {

bool is_issue(const Diagnostic& d) {
  return !d.category.empty() || d.severity != Severity::Note;
}

std::string category_title(const std::string& category) {
  if (category == "data-dependent") return "Data dependent error";
  if (category == "guard-added") return "Guard added";
  if (category == "missing-kernel") return "Missing kernel";
  if (category == "side-effect") return "Side effect dropped";
  if (category.empty()) return "Issue";
  return category;
}

std::string ordinal(int n) {
  const int mod100 = n % 100;
  const char* suffix = "th";
  if (mod100 < 11 || mod100 > 13) {
    if (n % 10 == 1) suffix = "st";
    if (n % 10 == 2) suffix = "nd";
    if (n % 10 == 3) suffix = "rd";
  }
  return std::to_string(n) + suffix;
}

bool same_place(const SourceLoc& a, const SourceLoc& b) {
  return a.known() && a.file == b.file && a.line == b.line;
}

// The runtime assertion that guards this issue: named in the details, or the
// one inserted at the same source line.
const RuntimeAssertion* assertion_for(const Graph& graph, const Diagnostic& d) {
  if (auto it = d.details.find("assertion"); it != d.details.end() && it->is_string())
    for (const auto& a : graph.assertions)
      if (a.expr == it->get<std::string>()) return &a;
  for (const auto& a : graph.assertions)
    if (same_place(a.loc, d.loc)) return &a;
  return nullptr;
}

std::string specialized_value(const Diagnostic& d) {
  for (const char* key : {"specialized_to", "value"}) {
    auto it = d.details.find(key);
    if (it == d.details.end() || it->is_null()) continue;
    if (it->is_boolean()) return it->get<bool>() ? "True" : "False";  // Python's spelling, as in the source
    return it->is_string() ? it->get<std::string>() : it->dump();
  }
  return {};
}

void write_location(std::ostringstream& out, const SourceLoc& loc) {
  out << "        " << loc.str() << "\n";
  if (!loc.text.empty()) out << "            " << loc.text << "\n";
}

void write_issue(std::ostringstream& out, int index, const Graph& graph, const Diagnostic& d) {
  out << index << ". " << category_title(d.category) << ".\n";
  out << "    " << d.message << "\n";
  out << "    This was encountered " << d.occurrences << " time" << (d.occurrences == 1 ? "" : "s") << ".\n";
  if (d.loc.known()) {
    out << "    This occurred at:\n";
    write_location(out, d.loc);
    for (const auto& more : d.more_locs) write_location(out, more);
  }
  const RuntimeAssertion* assertion = assertion_for(graph, d);
  const std::string value = specialized_value(d);
  if (assertion != nullptr || !value.empty()) {
    out << "    As a result, it was specialized to a constant";
    if (!value.empty()) out << " (`" << value << "` in the " << ordinal(1) << " occurrence)";
    else out << " (the value seen on the example inputs)";
    if (assertion != nullptr) out << ", and a runtime assertion `" << assertion->expr << "` was inserted into the graph";
    out << ".\n";
  }
  if (!d.hint.empty()) out << "    Hint: " << d.hint << "\n";
  out << "\n";
}

}  // namespace

std::string format_draft_report(const Graph& graph, const std::vector<Diagnostic>& diagnostics) {
  std::vector<const Diagnostic*> issues;
  for (const auto& d : diagnostics)
    if (is_issue(d)) issues.push_back(&d);
  if (issues.empty() && graph.sound && graph.assertions.empty()) return {};

  const std::string rule(99, '#');
  std::ostringstream out;
  out << "\n" << rule << "\n";
  out << (graph.sound ? "NOTE: " : "WARNING: ") << issues.size() << " issue(s) found during export, and it ";
  out << (graph.sound ? "still produced a sound graph." : "was not able to soundly produce a graph (the graph is not sound).");
  out << "\n" << rule << "\n\n";
  int index = 1;
  for (const Diagnostic* d : issues) write_issue(out, index++, graph, *d);
  if (!graph.assertions.empty()) {
    out << "Runtime assertions (the graph is only right when they hold):\n";
    for (const auto& a : graph.assertions) {
      out << "    " << a.expr;
      if (a.loc.known()) out << "  at " << a.loc.str();
      if (!a.loc.text.empty()) out << ": " << a.loc.text;
      if (!a.note.empty()) out << "  (" << a.note << ")";
      out << "\n";
    }
  }
  return out.str();
}

}  // namespace onnxport
