// One strategy attempt in a child process (config "isolate", CLI --isolate):
// a strategy that crashes or hangs takes down only the child.
#pragma once

#include <onnxport/program.hpp>
#include <onnxport/strategy.hpp>

#include <string>

namespace onnxport::pipeline {

struct IsolationOptions {
  bool enabled = false;
  double timeout_s = 0;  // per attempt; 0 = no limit (only honoured when enabled)
};

// Forks; the child runs safe_capture and streams its log lines and then the
// result (graph with tensor data, diagnostics, partial graph, details) to the
// parent as JSON lines over a pipe. The parent relays the log lines to `host`
// as they arrive and turns a child that dies by a signal, exits without a
// result, or outlives `timeout_s` (it is then killed with SIGKILL) into an
// error diagnostic: codes "strategy-crashed", "strategy-timeout",
// "strategy-no-result", "strategy-isolation-failed".
CaptureResult isolated_capture(Strategy& strategy, const Program& program, const CaptureOptions& options,
                               HostServices& host, const std::string& plugin, double timeout_s);

// "SIGSEGV", "SIGABRT", ...; "signal N" for one without a name here.
std::string signal_name(int signal);

}  // namespace onnxport::pipeline
