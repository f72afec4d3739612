// Strategy attempts in a child process. The protocol is one JSON document per
// line on a pipe, child -> parent:
//   {"log": {"severity": 0|1|2, "message": "..."}}   any number, as they happen
//   {"result": {"graph": {"graph": <Graph::to_json>, "borrowed": [...]} | null,
//               "diagnostics": [...], "partial_graph": "...", "details": {...}}}   once, last
//   {"error": "..."}                                  instead of a result when the
//                                                     child cannot serialize it
// JSON text never contains a raw newline, so a line is a message.
//
// Tensor data: the parent must not depend on memory the child allocated, so
// data the strategy made (folded constants, ...) goes as base64. Data that
// lies inside one of the program's weights (parameters borrow the mapped
// weights file) is not copied: "borrowed" says which weight and at which byte
// offset, and the parent borrows the same bytes from its own program (the
// child is a fork of it). Copying ResNet-50's weights through JSON would cost
// far more than the capture itself.
#include "pipeline/isolated_capture.hpp"

#include <onnxport_core/plugin_host.hpp>

#include "base/base64.hpp"
#include "base/mapped_files.hpp"
#include "pipeline/stopwatch.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>

#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace onnxport::pipeline {

namespace {

Diagnostic capture_error(std::string code, std::string message, const std::string& plugin, std::string hint = "") {
  return Diagnostic::error("capture", std::move(code), std::move(message), plugin, std::move(hint));
}

CaptureResult failed_with(Diagnostic d) {
  CaptureResult r;
  r.diagnostics.push_back(std::move(d));
  return r;
}

// "1", "1.5", "0.25": seconds as the user wrote them.
std::string seconds_text(double s) {
  std::ostringstream out;
  out << s;
  return out.str();
}

// ----------------------------------------------------------------- child side

// Writes whole lines to the pipe; a failed write (the parent is gone) makes
// the rest no-ops.
class LineWriter {
 public:
  explicit LineWriter(int fd) : fd_(fd) {}
  void write(const nlohmann::json& message) {
    std::string line = message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    line += '\n';
    const char* p = line.data();
    size_t left = line.size();
    while (ok_ && left > 0) {
      const ssize_t n = ::write(fd_, p, left);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        ok_ = false;
        break;
      }
      p += n;
      left -= static_cast<size_t>(n);
    }
  }
  bool ok() const { return ok_; }

 private:
  int fd_;
  bool ok_ = true;
};

class ForwardingServices final : public HostServices {
 public:
  explicit ForwardingServices(LineWriter& out) : out_(out) {}
  void log(Severity severity, std::string_view message) override {
    out_.write({{"log", {{"severity", static_cast<int>(severity)}, {"message", std::string(message)}}}});
  }

 private:
  LineWriter& out_;
};

// The program's weights by start address, to find the one holding a
// parameter's bytes in O(log W).
class WeightIndex {
 public:
  struct Hit {
    std::string name;
    size_t offset = 0;
  };
  explicit WeightIndex(const Program& program) {
    for (const auto& [name, t] : program.weights.items())
      if (t.bytes() != nullptr) by_start_.emplace(t.bytes(), std::make_pair(t.nbytes(), &name));
  }
  std::optional<Hit> find(const std::byte* data, size_t nbytes) const {
    auto it = by_start_.upper_bound(data);
    if (it == by_start_.begin()) return std::nullopt;
    --it;
    const size_t offset = static_cast<size_t>(data - it->first);
    if (offset + nbytes > it->second.first) return std::nullopt;
    return Hit{*it->second.second, offset};
  }

 private:
  std::map<const std::byte*, std::pair<size_t, const std::string*>> by_start_;
};

nlohmann::json graph_to_json(const Graph& g, const Program& program) {
  const WeightIndex weights(program);
  nlohmann::json j = g.to_json(false);  // tensor data as metadata only; bytes added below
  nlohmann::json borrowed = nlohmann::json::array();
  for (size_t i = 0; i < g.values.size(); ++i) {
    const Tensor& data = g.values[i].data;
    if (!data.defined() || data.bytes() == nullptr) continue;
    if (auto hit = weights.find(data.bytes(), data.nbytes()))
      borrowed.push_back({{"value", i}, {"weight", hit->name}, {"offset", hit->offset}});
    else
      j["values"][i]["data"]["base64"] = base64_encode(std::span<const std::byte>(data.bytes(), data.nbytes()));
  }
  return {{"graph", std::move(j)}, {"borrowed", std::move(borrowed)}};
}

nlohmann::json result_to_json(const CaptureResult& r, const Program& program) {
  nlohmann::json j;
  j["graph"] = r.graph ? graph_to_json(*r.graph, program) : nlohmann::json(nullptr);
  j["diagnostics"] = nlohmann::json::array();
  for (const Diagnostic& d : r.diagnostics) j["diagnostics"].push_back(d.to_json());
  j["partial_graph"] = r.partial_graph;
  j["details"] = r.details;
  return j;
}

// Never returns: the child must not run the parent's atexit handlers or
// flush stdio buffers it inherited.
[[noreturn]] void run_child(int fd, Strategy& strategy, const Program& program, const CaptureOptions& options,
                            const std::string& plugin) {
  // A crash is the expected case here; no core file for it.
  struct rlimit no_core {0, 0};
  ::setrlimit(RLIMIT_CORE, &no_core);
  std::signal(SIGPIPE, SIG_IGN);
  LineWriter out(fd);
  int code = 0;
  try {
    ForwardingServices services(out);
    CaptureResult result = safe_capture(strategy, program, options, services, plugin);
    // A graph built from the zero pages of a shrunk weights file is not sent.
    throw_if_a_mapped_file_shrank();
    out.write({{"result", result_to_json(result, program)}});
  } catch (const std::exception& e) {
    out.write({{"error", std::string("the isolated process could not send its result: ") + e.what()}});
    code = 3;
  } catch (...) {
    out.write({{"error", "the isolated process could not send its result"}});
    code = 3;
  }
  std::cout.flush();
  std::cerr.flush();
  ::_exit(out.ok() ? code : 4);
}

// ---------------------------------------------------------------- parent side

// Points the borrowed values' data at the parent's own copy of the weights.
Graph graph_from_json(const nlohmann::json& j, const Program& program) {
  Graph g = Graph::from_json(j.at("graph"));
  for (const auto& b : j.at("borrowed")) {
    const size_t id = b.at("value").get<size_t>();
    const std::string name = b.at("weight").get<std::string>();
    const size_t offset = b.at("offset").get<size_t>();
    const Tensor* weight = program.weights.find(name);
    if (id >= g.values.size() || weight == nullptr) throw std::runtime_error("borrowed weight '" + name + "' is unknown");
    const auto& meta = j.at("graph").at("values").at(id).at("data");
    const std::optional<DType> dtype = dtype_from_name(meta.at("dtype").get<std::string>());
    if (!dtype) throw std::runtime_error("borrowed weight '" + name + "' has an unknown dtype");
    Tensor view = Tensor::borrow(*dtype, meta.at("shape").get<std::vector<int64_t>>(), weight->bytes() + offset,
                                 std::make_shared<const Tensor>(*weight));
    if (offset + view.nbytes() > weight->nbytes())
      throw std::runtime_error("borrowed bytes lie outside weight '" + name + "'");
    g.values[id].data = std::move(view);
  }
  return g;
}

CaptureResult result_from_json(const nlohmann::json& j, const Program& program) {
  CaptureResult r;
  if (const auto& g = j.at("graph"); !g.is_null()) r.graph = graph_from_json(g, program);
  for (const auto& d : j.at("diagnostics")) r.diagnostics.push_back(Diagnostic::from_json(d));
  r.partial_graph = j.value("partial_graph", std::string());
  if (auto it = j.find("details"); it != j.end() && it->is_object()) r.details = *it;
  return r;
}

// What the parent learned from the child's lines.
struct ChildOutput {
  std::optional<CaptureResult> result;
  std::string error;  // protocol or child-side failure
};

// Reads lines until EOF or the deadline. Relays logs as they come.
class ChildReader {
 public:
  ChildReader(int fd, HostServices& host, const Program& program) : fd_(fd), host_(host), program_(program) {}

  // False when the deadline passed before EOF.
  bool read_until_eof(std::optional<double> seconds_left_at_start) {
    Stopwatch clock;
    char chunk[65536];
    for (;;) {
      int wait_ms = -1;
      if (seconds_left_at_start) {
        const double left = *seconds_left_at_start - clock.seconds();
        if (left <= 0) return false;
        wait_ms = static_cast<int>(std::min(left * 1000.0 + 1, 60'000.0));
      }
      pollfd p{fd_, POLLIN, 0};
      const int ready = ::poll(&p, 1, wait_ms);
      if (ready < 0 && errno == EINTR) continue;
      if (ready < 0) {
        output_.error = std::string("poll failed: ") + std::strerror(errno);
        return true;
      }
      if (ready == 0) continue;  // re-check the deadline
      const ssize_t n = ::read(fd_, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return true;  // EOF (or an error: treated as the end)
      buffer_.append(chunk, static_cast<size_t>(n));
      take_lines();
    }
  }

  ChildOutput take() { return std::move(output_); }

 private:
  void take_lines() {
    size_t start = 0;
    for (size_t nl; (nl = buffer_.find('\n', start)) != std::string::npos; start = nl + 1)
      handle_line(std::string_view(buffer_).substr(start, nl - start));
    buffer_.erase(0, start);
  }

  void handle_line(std::string_view line) {
    try {
      const nlohmann::json j = nlohmann::json::parse(line);
      if (auto it = j.find("log"); it != j.end()) {
        host_.log(static_cast<Severity>(std::clamp(it->at("severity").get<int>(), 0, 2)),
                  it->at("message").get<std::string>());
      } else if (auto r = j.find("result"); r != j.end()) {
        output_.result = result_from_json(*r, program_);
      } else if (auto e = j.find("error"); e != j.end()) {
        output_.error = e->get<std::string>();
      }
    } catch (const std::exception& e) {
      output_.error = std::string("unreadable message from the isolated process: ") + e.what();
    }
  }

  int fd_;
  HostServices& host_;
  const Program& program_;
  std::string buffer_;
  ChildOutput output_;
};

int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

// A child may close the pipe and go on running: the deadline still holds.
std::optional<int> wait_until(pid_t pid, const Stopwatch& clock, double timeout_s) {
  if (timeout_s <= 0) return wait_for(pid);
  for (;;) {
    int status = 0;
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) return status;
    if (done < 0 && errno != EINTR) return status;
    if (clock.seconds() >= timeout_s) return std::nullopt;
    ::usleep(10'000);
  }
}

std::string who(const Strategy& strategy, const std::string& plugin) {
  return "strategy '" + std::string(strategy.name()) + "' (plugin " + plugin + ")";
}

CaptureResult timed_out(const Strategy& strategy, const std::string& plugin, double timeout_s) {
  return failed_with(capture_error(
      "strategy-timeout",
      who(strategy, plugin) + " did not finish within " + seconds_text(timeout_s) +
          " s (timeout_s) and was killed",
      plugin, "raise \"timeout_s\" in the config (or --timeout) if the capture is only slow"));
}

// The outcome once the child is gone: its result, or why there is none.
CaptureResult outcome_of(int status, ChildOutput output, const Strategy& strategy, const std::string& plugin) {
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    return failed_with(capture_error(
        "strategy-crashed",
        who(strategy, plugin) + " crashed with " + signal_name(sig) + " (" + strsignal(sig) +
            ") in its isolated process",
        plugin, "the plugin has a bug; the other strategies still run"));
  }
  if (output.result) return std::move(*output.result);
  std::string why = output.error.empty() ? "ended without sending a result" : output.error;
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
    why += " (exit status " + std::to_string(WEXITSTATUS(status)) + ")";
  return failed_with(capture_error("strategy-no-result", who(strategy, plugin) + " in its isolated process: " + why,
                                   plugin));
}

}  // namespace

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
    case SIGTRAP: return "SIGTRAP";
    case SIGSYS: return "SIGSYS";
    case SIGPIPE: return "SIGPIPE";
    default: return "signal " + std::to_string(signal);
  }
}

CaptureResult isolated_capture(Strategy& strategy, const Program& program, const CaptureOptions& options,
                               HostServices& host, const std::string& plugin, double timeout_s) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    return failed_with(capture_error("strategy-isolation-failed",
                                     "cannot create a pipe for the isolated process: " + std::string(std::strerror(errno)),
                                     plugin));
  // Whatever is buffered now would otherwise be written twice.
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int err = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    return failed_with(capture_error("strategy-isolation-failed",
                                     "cannot fork the isolated process: " + std::string(std::strerror(err)), plugin));
  }
  if (pid == 0) {
    ::close(fds[0]);
    run_child(fds[1], strategy, program, options, plugin);
  }
  ::close(fds[1]);
  Stopwatch clock;
  ChildReader reader(fds[0], host, program);
  const bool finished = reader.read_until_eof(timeout_s > 0 ? std::optional<double>(timeout_s) : std::nullopt);
  ::close(fds[0]);
  const std::optional<int> status = finished ? wait_until(pid, clock, timeout_s) : std::nullopt;
  if (!status) {
    ::kill(pid, SIGKILL);
    wait_for(pid);
    return timed_out(strategy, plugin, timeout_s);
  }
  try {
    return outcome_of(*status, reader.take(), strategy, plugin);
  } catch (const std::exception& e) {
    return failed_with(capture_error("strategy-isolation-failed",
                                     who(strategy, plugin) + ": its result could not be read: " + e.what(), plugin));
  }
}

}  // namespace onnxport::pipeline
