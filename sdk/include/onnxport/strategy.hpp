// Strategies: how a Graph is captured from a Program.
#pragma once

#include <onnxport/diagnostics.hpp>
#include <onnxport/graph.hpp>
#include <onnxport/program.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace onnxport {

struct CaptureOptions {
  // input name -> (dim index -> symbol), from the config or the CLI; merged
  // with the program's own string dims.
  std::map<std::string, std::map<int, std::string>> dynamic_shapes;
  int opset = 17;
  uint64_t seed = 0;  // for random example inputs (draft without inputs.safetensors)
};

struct CaptureResult {
  std::optional<Graph> graph;           // empty on failure
  std::vector<Diagnostic> diagnostics;  // errors explain the failure; warnings may come with success
  // Readable graph captured up to the failure (shown like the seed does).
  std::string partial_graph;
  // Free-form details for the report (draft: which inputs were used, ...).
  nlohmann::json details = nlohmann::json::object();
};

// Services the host offers to strategies.
class HostServices {
 public:
  virtual ~HostServices() = default;
  virtual void log(Severity severity, std::string_view message) = 0;
};

class Strategy {
 public:
  virtual ~Strategy() = default;
  virtual std::string_view name() const = 0;
  virtual std::string_view description() const { return {}; }
  // Must not throw for a program it cannot capture: return diagnostics.
  // (The host still catches anything that escapes and reports it.)
  virtual CaptureResult capture(const Program& program, const CaptureOptions& options,
                                HostServices& host) = 0;
};

}  // namespace onnxport
