#include "markdown.hpp"

#include "spec.hpp"

#include <map>
#include <set>
#include <sstream>

namespace onnxport::matrix {

using nlohmann::json;

namespace {

// A message on one table-safe line.
std::string one_line(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') break;
    out += c == '|' ? std::string("\\|") : std::string(1, c);
  }
  return out.size() > 200 ? out.substr(0, 197) + "..." : out;
}

// Why a cell did not pass: its first stage that did not end "ok".
std::string failure_reason(const json& cell) {
  for (const json& stage : cell.value("stages", json::array()))
    if (stage.value("status", "") != "ok" && stage.value("status", "") != "skipped")
      return stage.value("name", "") + " " + stage.value("status", "") + ": " + one_line(stage.value("message", ""));
  if (cell.value("status", "") == "unsound") return "exported a graph that is not sound";
  return cell.value("status", "");
}

}  // namespace

std::string cell_mark(const json& cell) {
  const std::string status = cell.value("status", "");
  const std::string strategy = cell.contains("strategy") && cell["strategy"].is_string()
                                   ? " " + cell["strategy"].get<std::string>() : "";
  if (status == "pass") return "✅" + strategy;
  if (status == "unsound") return "⚠" + strategy;
  if (status == "timeout") return "❌ timeout";
  if (status == "crash") return "❌ crash";
  return "❌";
}

std::string summary_line(const json& summary) {
  std::ostringstream out;
  out << summary.value("total", 0) << " cells: " << summary.value("pass", 0) << " pass, " << summary.value("fail", 0)
      << " fail, " << summary.value("unsound", 0) << " unsound, " << summary.value("timeout", 0) << " timeout, "
      << summary.value("crash", 0) << " crash";
  return out.str();
}

std::string render_matrix_markdown(const json& doc) {
  std::map<std::string, const json*> by_id;
  for (const json& c : doc["cells"]) by_id[c["id"].get<std::string>()] = &c;
  std::set<std::string> excluded;
  for (const json& e : doc.value("excluded", json::array())) excluded.insert(e.get<std::string>());
  const json& axes = doc["axes"];

  std::ostringstream out;
  out << "# onnxport matrix\n\n";
  out << "Matrix `" << doc["matrix"].value("file", "") << "` (digest `"
      << doc["matrix"].value("digest", "").substr(0, 12) << "`)";
  if (doc["shard"].is_object())
    out << ", shard " << doc["shard"]["index"].get<int>() << " of " << doc["shard"]["count"].get<int>()
        << " (other shards' cells are blank)";
  out << ".\n\n**" << summary_line(doc["summary"]) << "**\n\n";
  out << "✅ passed (export, check, verify) · ⚠ exported, not sound · ❌ failed · – excluded; "
         "the word after the mark is the strategy that captured the graph.\n\n";

  out << "| model |";
  for (const json& c : axes["combinations"])
    for (const json& o : axes["opsets"]) out << " " << c.get<std::string>() << " · " << o.get<int>() << " |";
  out << "\n|---|";
  for (size_t i = 0; i < axes["combinations"].size() * axes["opsets"].size(); ++i) out << "---|";
  out << "\n";
  for (const json& m : axes["models"]) {
    out << "| " << m.get<std::string>() << " |";
    for (const json& c : axes["combinations"])
      for (const json& o : axes["opsets"]) {
        const std::string id = cell_id(m.get<std::string>(), c.get<std::string>(), o.get<int>());
        auto it = by_id.find(id);
        out << " " << (it != by_id.end() ? cell_mark(*it->second) : excluded.count(id) ? "–" : "") << " |";
      }
    out << "\n";
  }

  bool header = false;
  for (const json& c : doc["cells"]) {
    if (c.value("status", "") == "pass") continue;
    if (!header) out << "\n## Cells that did not pass\n\n";
    header = true;
    out << "- `" << c["id"].get<std::string>() << "` " << cell_mark(c) << ": " << failure_reason(c) << "\n";
  }
  return out.str();
}

}  // namespace onnxport::matrix
