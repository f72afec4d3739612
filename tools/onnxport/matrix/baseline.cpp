#include "baseline.hpp"

#include <onnxport/diagnostics.hpp>

#include <cstdio>
#include <map>
#include <sstream>

namespace onnxport::matrix {

using nlohmann::json;

namespace {

int rank(const std::string& status) { return status == "pass" ? 2 : status == "unsound" ? 1 : 0; }

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

std::string stage_problem(const json& cell) {
  for (const json& s : cell.value("stages", json::array())) {
    const std::string st = s.value("status", "");
    if (st == "ok" || st == "skipped") continue;
    std::string message = s.value("message", "");
    if (auto nl = message.find('\n'); nl != std::string::npos) message = message.substr(0, nl);
    if (message.size() > 160) message = message.substr(0, 157) + "...";
    return " (" + s.value("name", "") + " " + st + (message.empty() ? "" : ": " + message) + ")";
  }
  return "";
}

std::string strategy_of(const json& cell) {
  return cell.contains("strategy") && cell["strategy"].is_string() ? cell["strategy"].get<std::string>() : "none";
}

bool has_number(const json& cell, const char* key) { return cell.contains(key) && cell[key].is_number(); }

void compare_cell(const json& cur, const json& base, const json& tol, Comparison& out) {
  CellChange worse{cur["id"].get<std::string>(), {}}, better = worse, other = worse;
  const std::string cs = cur.value("status", ""), bs = base.value("status", "");
  if (rank(cs) < rank(bs)) worse.reasons.push_back(bs + " → " + cs + stage_problem(cur));
  else if (rank(cs) > rank(bs)) better.reasons.push_back(bs + " → " + cs);
  else if (cs != bs) other.reasons.push_back(bs + " → " + cs + stage_problem(cur));

  const bool base_sound = base.contains("sound") && base["sound"].is_boolean() && base["sound"].get<bool>();
  const bool base_unsound = base.contains("sound") && base["sound"].is_boolean() && !base["sound"].get<bool>();
  const bool cur_sound = cur.contains("sound") && cur["sound"].is_boolean() && cur["sound"].get<bool>();
  const bool cur_unsound = cur.contains("sound") && cur["sound"].is_boolean() && !cur["sound"].get<bool>();
  if (base_sound && cur_unsound && cs == bs) worse.reasons.push_back("the graph became unsound (" + strategy_of(cur) + ")");
  if (base_unsound && cur_sound && cs == bs) better.reasons.push_back("the graph became sound (" + strategy_of(cur) + ")");
  if (cs == bs && rank(cs) > 0 && strategy_of(cur) != strategy_of(base))
    other.reasons.push_back("strategy " + strategy_of(base) + " → " + strategy_of(cur));

  const auto diff = [&](const char* key, const char* tol_key, const char* what) {
    if (!has_number(cur, key) || !has_number(base, key)) return;
    const double c = cur[key].get<double>(), b = base[key].get<double>(), t = tol.value(tol_key, 0.0);
    if (c > b + t)
      worse.reasons.push_back(std::string(what) + " grew from " + num(b) + " to " + num(c) + " (more than " + tol_key +
                              " " + num(t) + ")");
    else if (c < b - t)
      better.reasons.push_back(std::string(what) + " fell from " + num(b) + " to " + num(c));
  };
  diff("max_abs_diff", "atol", "max abs diff");
  diff("max_rel_diff", "rtol", "max rel diff");

  if (has_number(cur, "node_count") && has_number(base, "node_count")) {
    const double c = cur["node_count"].get<double>(), b = base["node_count"].get<double>();
    const double growth = tol.value("node_growth", 0.0);
    if (c > b * (1 + growth))
      worse.reasons.push_back("node count grew from " + num(b) + " to " + num(c) + " (more than node_growth " +
                              num(growth * 100) + "%)");
    else if (c < b * (1 - growth))
      better.reasons.push_back("node count fell from " + num(b) + " to " + num(c));
  }
  if (!worse.reasons.empty()) out.regressions.push_back(std::move(worse));
  // Fewer nodes in a model that no longer passes is no improvement.
  if (!better.reasons.empty() && rank(cs) >= rank(bs)) out.improvements.push_back(std::move(better));
  if (!other.reasons.empty()) out.changes.push_back(std::move(other));
}

void list(std::ostringstream& out, const char* label, const std::vector<CellChange>& changes) {
  for (const CellChange& c : changes) {
    out << "  " << label << " " << c.id << ": ";
    for (size_t i = 0; i < c.reasons.size(); ++i) out << (i ? "; " : "") << c.reasons[i];
    out << "\n";
  }
}

}  // namespace

Comparison compare_with_baseline(const json& current, const json& baseline, const std::string& baseline_file) {
  const std::string cur_digest = current["matrix"]["digest"].get<std::string>();
  const std::string base_digest = baseline["matrix"]["digest"].get<std::string>();
  if (cur_digest != base_digest)
    throw InputError(baseline_file, "/matrix/digest",
                     "the baseline is of another matrix (digest " + base_digest.substr(0, 12) + "..., this run's is " +
                         cur_digest.substr(0, 12) + "...): its models, combinations, opsets, tolerances or excludes "
                         "differ; run with --update-baseline to replace it");
  std::map<std::string, const json*> base_cells;
  for (const json& c : baseline["cells"]) base_cells[c["id"].get<std::string>()] = &c;
  Comparison out;
  const json tol = current.value("tolerances", json::object());
  for (const json& cell : current["cells"]) {
    auto it = base_cells.find(cell["id"].get<std::string>());
    if (it == base_cells.end()) continue;
    ++out.compared;
    compare_cell(cell, *it->second, tol, out);
  }
  return out;
}

std::string comparison_text(const Comparison& c, const std::string& baseline_file) {
  std::ostringstream out;
  out << "Baseline " << baseline_file << ": " << c.compared << " cell(s) compared, " << c.regressions.size()
      << " regression(s), " << c.improvements.size() << " improvement(s), " << c.changes.size()
      << " other change(s)\n";
  list(out, "REGRESSION", c.regressions);
  list(out, "IMPROVED  ", c.improvements);
  list(out, "CHANGED   ", c.changes);
  return out.str();
}

}  // namespace onnxport::matrix
