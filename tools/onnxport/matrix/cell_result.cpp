// report.json -> a matrix cell (docs/reports.md describes the input,
// docs/matrix.md the output). Reads defensively: a field missing or of
// another type counts as absent, never as an exception.
#include "cell_result.hpp"

#include <algorithm>
#include <csignal>
#include <cstring>
#include <sstream>

namespace onnxport::matrix {

using nlohmann::json;

namespace {

const json& field(const json& j, const char* key) {
  static const json null;
  if (!j.is_object()) return null;
  const auto it = j.find(key);
  return it == j.end() ? null : *it;
}

std::string text(const json& j, const char* key) {
  const json& v = field(j, key);
  return v.is_string() ? v.get<std::string>() : std::string();
}

double number(const json& j, const char* key) {
  const json& v = field(j, key);
  return v.is_number() ? v.get<double>() : 0.0;
}

// The export's stages as the matrix groups them: producing the model
// (capture through write), the ONNX checker, and verification in ONNX Runtime.
struct StageGroup {
  const char* name;
  std::vector<std::string> members;
};

const std::vector<StageGroup>& stage_groups() {
  static const std::vector<StageGroup> groups = {
      {"export", {"capture", "decompose", "translate", "optimize", "write"}},
      {"check", {"check"}},
      {"verify", {"runtime", "accuracy"}}};
  return groups;
}

double round_ms(double s) { return static_cast<double>(static_cast<long long>(s * 1000 + 0.5)) / 1000; }

std::string last_lines(const std::string& log, size_t count) {
  std::vector<std::string> lines;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(line);
  std::string out;
  for (size_t i = lines.size() > count ? lines.size() - count : 0; i < lines.size(); ++i)
    out += (out.empty() ? "" : "\n") + lines[i];
  return out;
}

json stage_entry(const std::string& name, const std::string& status, double seconds, const std::string& message) {
  return {{"name", name}, {"status", status}, {"seconds", round_ms(seconds)}, {"message", message}};
}

json stages_from_report(const json& report, const PathRewrite& rewrite) {
  const json& stages = field(report, "stages");
  json out = json::array();
  bool any_failed = false;
  for (const StageGroup& group : stage_groups()) {
    std::string message;
    double seconds = 0;
    bool any_ok = false, failed = false;
    if (stages.is_array())
      for (const json& s : stages) {
        if (std::find(group.members.begin(), group.members.end(), text(s, "name")) == group.members.end()) continue;
        seconds += number(s, "seconds");
        const std::string st = text(s, "status");
        if (st == "failed" && !failed) {
          failed = true;
          message = text(s, "summary");
        }
        any_ok = any_ok || st == "ok";
      }
    if (std::string(group.name) == "export") {
      const json& timings = field(report, "timings");
      for (const char* step : {"load config", "load plugins", "load program"}) seconds += number(timings, step);
    }
    if (failed && message.empty()) message = text(field(report, "status"), "error");
    any_failed = any_failed || failed;
    out.push_back(stage_entry(group.name, failed ? "failed" : any_ok ? "ok" : "skipped", seconds,
                              rewrite.apply(message)));
  }
  // An input error (config, plugins, program) stops the export before its
  // stages run: only status.error says why.
  const json& ok = field(field(report, "status"), "ok");
  if (!any_failed && !(ok.is_boolean() && ok.get<bool>())) {
    out[0]["status"] = "failed";
    out[0]["message"] = rewrite.apply(text(field(report, "status"), "error"));
  }
  return out;
}

std::string loc_text(const json& loc) {
  const std::string file = text(loc, "file");
  if (file.empty()) return {};
  std::string out = file;
  if (number(loc, "line") > 0) out += ":" + std::to_string(static_cast<long long>(number(loc, "line")));
  if (number(loc, "col") > 0) out += ":" + std::to_string(static_cast<long long>(number(loc, "col")));
  return out;
}

json diagnostic_entry(const json& d, const std::string& where, const PathRewrite& rewrite) {
  json out = {{"severity", text(d, "severity").empty() ? "error" : text(d, "severity")},
              {"code", text(d, "code")},
              {"message", rewrite.apply(text(d, "message"))},
              {"where", where}};
  if (const std::string loc = loc_text(field(d, "loc")); !loc.empty()) out["loc"] = rewrite.apply(loc);
  if (const std::string hint = text(d, "hint"); !hint.empty()) out["hint"] = rewrite.apply(hint);
  return out;
}

// Every diagnostic the export reported, with where it came from. A strategy
// that failed before another one won is a note, not an error of the cell:
// the chain is doing its job.
json diagnostics_from_report(const json& report, const PathRewrite& rewrite) {
  json out = json::array();
  const json& capture = field(report, "capture");
  const std::string chosen = text(capture, "chosen_strategy");
  if (const json& attempts = field(capture, "attempts"); attempts.is_array())
    for (const json& a : attempts) {
      const std::string strategy = text(a, "strategy");
      const std::string where = "capture/" + strategy;
      if (!chosen.empty() && strategy != chosen) {
        const std::string failure = text(a, "failure");
        out.push_back({{"severity", "note"},
                       {"code", text(a, "status") == "unsound" ? "strategy-unsound" : "strategy-failed"},
                       {"message", rewrite.apply("`" + strategy + "` " + text(a, "status") +
                                                 (failure.empty() ? "" : ": " + failure))},
                       {"where", where}});
        continue;
      }
      if (const json& ds = field(a, "diagnostics"); ds.is_array())
        for (const json& d : ds) out.push_back(diagnostic_entry(d, where, rewrite));
    }
  if (const json& stages = field(report, "stages"); stages.is_array())
    for (const json& s : stages)
      if (const json& ds = field(s, "diagnostics"); ds.is_array())
        for (const json& d : ds) out.push_back(diagnostic_entry(d, text(s, "name"), rewrite));
  if (const json& ds = field(report, "diagnostics"); ds.is_array())
    for (const json& d : ds) out.push_back(diagnostic_entry(d, "host", rewrite));
  return out;
}

std::string cell_status(const json& report) {
  const json& status = field(report, "status");
  const json& ok = field(status, "ok");
  if (!ok.is_boolean() || !ok.get<bool>()) return "fail";
  const json& sound = field(status, "sound");
  return sound.is_boolean() && !sound.get<bool>() ? "unsound" : "pass";
}

void fill_from_report(json& cell, const json& report, const PathRewrite& rewrite) {
  cell["status"] = cell_status(report);
  const std::string chosen = text(field(report, "status"), "chosen_strategy");
  cell["strategy"] = chosen.empty() ? json(nullptr) : json(chosen);
  const json& sound = field(field(report, "status"), "sound");
  cell["sound"] = sound.is_boolean() ? sound : json(nullptr);
  cell["stages"] = stages_from_report(report, rewrite);
  json by_op = json::object();
  long long nodes = 0;
  if (const json& counts = field(field(report, "analysis"), "op_counts"); counts.is_array())
    for (const json& c : counts) {
      const auto n = static_cast<long long>(number(c, "count"));
      by_op[text(c, "op")] = n;
      nodes += n;
    }
  cell["node_count"] = by_op.empty() ? json(nullptr) : json(nodes);
  cell["nodes_by_op"] = by_op;
  std::optional<double> max_abs, max_rel;
  if (const json& outputs = field(field(report, "verification"), "outputs"); outputs.is_array())
    for (const json& o : outputs) {
      if (field(o, "max_abs").is_number()) max_abs = std::max(max_abs.value_or(0.0), number(o, "max_abs"));
      if (field(o, "max_rel").is_number()) max_rel = std::max(max_rel.value_or(0.0), number(o, "max_rel"));
    }
  cell["max_abs_diff"] = max_abs ? json(*max_abs) : json(nullptr);
  cell["max_rel_diff"] = max_rel ? json(*max_rel) : json(nullptr);
  cell["diagnostics"] = diagnostics_from_report(report, rewrite);
}

// A cell whose process was killed or died: no report, so the stages before
// the one that was running passed (the pipeline is sequential), that one
// gets `stage_status`, the rest did not run.
void fill_without_report(json& cell, const std::string& status, const std::string& stage_status,
                         const std::string& stage, const std::string& message, const std::string& code) {
  cell["status"] = status;
  cell["strategy"] = nullptr;
  cell["sound"] = nullptr;
  cell["stages"] = json::array();
  bool reached = false;
  for (const StageGroup& group : stage_groups()) {
    const bool here = group.name == stage;
    cell["stages"].push_back(
        stage_entry(group.name, here ? stage_status : reached ? "skipped" : "ok", 0, here ? message : ""));
    reached = reached || here;
  }
  cell["node_count"] = nullptr;
  cell["nodes_by_op"] = json::object();
  cell["max_abs_diff"] = nullptr;
  cell["max_rel_diff"] = nullptr;
  cell["diagnostics"] = json::array({{{"severity", "error"}, {"code", code}, {"message", message}, {"where", stage}}});
}

}  // namespace

std::string PathRewrite::apply(std::string s) const {
  for (const auto& [from, to] : rules) {
    if (from.empty()) continue;
    for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
      s.replace(pos, from.size(), to);
  }
  return s;
}

std::string signal_name(int signal) {
  switch (signal) {
    case SIGSEGV: return "SIGSEGV";
    case SIGABRT: return "SIGABRT";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGILL: return "SIGILL";
    case SIGKILL: return "SIGKILL";
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    case SIGPIPE: return "SIGPIPE";
    default: return "signal " + std::to_string(signal);
  }
}

std::string running_stage(const std::string& log) {
  const std::string prefix = "[onnxport] ";
  std::string stage = "export";
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(prefix, 0) != 0 || line.size() < prefix.size() + 3 || line.compare(line.size() - 3, 3, "...") != 0)
      continue;  // only "begin" lines end with "..."
    const std::string what = line.substr(prefix.size());
    if (what.rfind("Check the model", 0) == 0) stage = "check";
    else if (what.rfind("Run the model in ONNX Runtime", 0) == 0 || what.rfind("Compare the outputs", 0) == 0)
      stage = "verify";
    else if (stage != "verify") stage = "export";  // "Save the model" comes after verification
  }
  return stage;
}

json make_cell(const CellKey& key, const std::optional<json>& report, const ProcessEnd& end,
               const PathRewrite& rewrite) {
  json cell = {{"id", key.id}, {"model", key.model}, {"combination", key.combination}, {"opset", key.opset},
               {"dir", key.dir}, {"seconds", round_ms(end.seconds)}};
  const std::string tail = rewrite.apply(last_lines(end.log, 12));
  const std::string output_note = tail.empty() ? "" : "; its output ends with:\n" + tail;
  switch (end.kind) {
    case ProcessEnd::Kind::NotStarted:
      cell["exit_code"] = nullptr;
      fill_without_report(cell, "crash", "crashed", "export", "the cell's process could not start: " + end.error,
                          "cell-not-started");
      return cell;
    case ProcessEnd::Kind::TimedOut: {
      cell["exit_code"] = nullptr;
      char limit[32];
      std::snprintf(limit, sizeof limit, "%g", end.timeout_s);
      const std::string stage = running_stage(end.log);
      fill_without_report(cell, "timeout", "timeout", stage,
                          std::string("the cell did not finish within ") + limit + " s (timeout_s) and was killed during " +
                              stage + output_note,
                          "cell-timeout");
      return cell;
    }
    case ProcessEnd::Kind::Signaled: {
      cell["exit_code"] = nullptr;
      const std::string stage = running_stage(end.log);
      fill_without_report(cell, "crash", "crashed", stage,
                          "the cell's process died of " + signal_name(end.code) + " during " + stage + output_note,
                          "cell-crashed");
      return cell;
    }
    case ProcessEnd::Kind::Exited:
      cell["exit_code"] = end.code;
      break;
  }
  if (!report || (end.code != 0 && end.code != 1 && end.code != 2)) {
    const std::string stage = running_stage(end.log);
    fill_without_report(cell, "crash", "crashed", stage,
                        "the cell's process exited with " + std::to_string(end.code) +
                            (report ? "" : " without writing report.json") + output_note,
                        "cell-crashed");
    return cell;
  }
  fill_from_report(cell, *report, rewrite);
  return cell;
}

}  // namespace onnxport::matrix
