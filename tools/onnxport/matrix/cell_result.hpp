// One cell's entry of matrix.json (docs/matrix.md), made from what its
// child process left: its report.json (the export's own account, read
// rather than its console text) and how the process ended.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace onnxport::matrix {

struct ProcessEnd {
  enum class Kind { Exited, Signaled, TimedOut, NotStarted };
  Kind kind = Kind::Exited;
  int code = 0;                 // exit code, or the signal number
  double seconds = 0;           // wall time of the cell
  double timeout_s = 0;         // the limit it was killed at (TimedOut)
  std::string error;            // NotStarted: why
  // The child's output: its last lines go into crash and timeout messages,
  // and its status lines say which stage was running when it was killed.
  std::string log;
};

struct CellKey {
  std::string id, model, combination;
  int opset = 0;
  std::string dir;              // the cell's folder, relative to the output folder
};

// Replaces every occurrence of each `from` in messages by its `to`, so a
// message does not carry the absolute folders of one run (determinism).
struct PathRewrite {
  std::vector<std::pair<std::string, std::string>> rules;
  std::string apply(std::string text) const;
};

// `report`: the parsed report.json, nullopt when the child wrote none.
nlohmann::json make_cell(const CellKey& key, const std::optional<nlohmann::json>& report, const ProcessEnd& end,
                         const PathRewrite& rewrite);

// "export", "check" or "verify": the matrix stage of the last status line
// "[onnxport] <what>..." the export began in `log`; "export" when none.
std::string running_stage(const std::string& log);

// The signal's name: "SIGSEGV".
std::string signal_name(int signal);

}  // namespace onnxport::matrix
