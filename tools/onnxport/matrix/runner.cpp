#include "runner.hpp"

#include <onnxport/diagnostics.hpp>
#include <onnxport_core/json_input.hpp>
#include <onnxport_core/report.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <sys/resource.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace onnxport::matrix {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

volatile std::sig_atomic_t g_stop_signal = 0;

void on_stop_signal(int signal) { g_stop_signal = signal; }

// SIGINT/SIGTERM/SIGHUP set a flag while cells run, so the loop can kill
// every cell's process group before leaving; the previous handlers come
// back afterwards.
class StopSignals {
 public:
  StopSignals() {
    g_stop_signal = 0;
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < kSignals.size(); ++i) ::sigaction(kSignals[i], &sa, &previous_[i]);
  }
  ~StopSignals() {
    for (size_t i = 0; i < kSignals.size(); ++i) ::sigaction(kSignals[i], &previous_[i], nullptr);
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

 private:
  static constexpr std::array<int, 3> kSignals = {SIGINT, SIGTERM, SIGHUP};
  std::array<struct sigaction, 3> previous_{};
};

struct Child {
  pid_t pid = -1;
  std::string error;  // why it did not start
};

// fork + exec with the child in a process group of its own (so a timeout
// can kill the export and the ONNX Runtime process it started), stdin from
// /dev/null, stdout and stderr into `log`, working folder `cwd`.
Child spawn(const std::vector<std::string>& args, const fs::path& cwd, const fs::path& log) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const std::string log_path = log.string(), cwd_path = cwd.string();
  const int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0) return {-1, log_path + ": cannot open: " + std::strerror(errno)};
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int err = errno;
    ::close(log_fd);
    return {-1, std::string("fork failed: ") + std::strerror(err)};
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    // A crashing cell is a result, not a core file in the matrix's folder.
    const rlimit no_core{0, 0};
    ::setrlimit(RLIMIT_CORE, &no_core);
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    // The parent's handlers are not the child's business.
    for (int s : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) std::signal(s, SIG_DFL);
    if (::chdir(cwd_path.c_str()) != 0) {
      const char* msg = "onnxport matrix: cannot enter the matrix folder\n";
      (void)!::write(STDERR_FILENO, msg, std::strlen(msg));
      ::_exit(127);
    }
    ::execv(argv[0], argv.data());
    const std::string msg = std::string("onnxport matrix: cannot run ") + argv[0] + ": " + std::strerror(errno) + "\n";
    (void)!::write(STDERR_FILENO, msg.data(), msg.size());
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also in the parent: no window where a kill misses the group
  ::close(log_fd);
  return {pid, ""};
}

// Non-blocking: true when the child has ended (not yet reaped), so the
// group can still be killed under its id before reaping frees it.
bool has_ended(pid_t pid) {
  siginfo_t info{};
  return ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid;
}

int reap(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

// Ends a child and whatever it started: SIGKILL to its process group.
int kill_and_reap(pid_t pid) {
  ::kill(-pid, SIGKILL);
  return reap(pid);
}

std::string read_tail(const fs::path& file, size_t max_bytes) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return {};
  in.seekg(0, std::ios::end);
  const auto size = static_cast<size_t>(std::max<std::streamoff>(in.tellg(), 0));
  const size_t from = size > max_bytes ? size - max_bytes : 0;
  in.seekg(static_cast<std::streamoff>(from));
  std::string text(size - from, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  return text;
}

std::optional<json> read_report(const fs::path& file) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) return std::nullopt;
  try {
    return read_json_file(file);
  } catch (const std::exception&) {
    return std::nullopt;  // the cell is then a crash: "exited ... without writing report.json"
  }
}

struct Running {
  const Cell* cell = nullptr;
  pid_t pid = -1;
  std::chrono::steady_clock::time_point start;
  fs::path dir;
};

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

std::vector<std::string> cell_command(const MatrixSpec& spec, const Cell& cell, const RunOptions& o,
                                      const fs::path& dir) {
  const ModelEntry& model = spec.models[cell.model];
  // The bundle as the matrix names it, relative to the matrix's folder
  // (the cell runs there), so messages do not depend on where it is checked out.
  const std::string bundle = fs::path(model.path).is_absolute() ? model.dir.string() : model.path;
  std::vector<std::string> args = {o.self.string(),
                                   "export",
                                   bundle,
                                   "-c",
                                   (o.out_dir / combination_config_path(spec.combinations[cell.combination].name)).string(),
                                   "--opset",
                                   std::to_string(cell.opset),
                                   "-o",
                                   (dir / "model.onnx").string(),
                                   "--report",
                                   (dir / "report").string(),
                                   "--verify"};
  for (const auto& p : o.plugin_paths) {
    args.push_back("--plugin-path");
    args.push_back(p.string());
  }
  return args;
}

PathRewrite rewrite_for(const RunOptions& o, const MatrixSpec& spec) {
  PathRewrite r;
  // The output folder first: it may lie inside the matrix's folder.
  r.rules.emplace_back(o.out_dir.string() + "/", "");
  r.rules.emplace_back(spec.dir.string() + "/", "");
  return r;
}

json finish_cell(const MatrixSpec& spec, const Running& r, ProcessEnd end, const RunOptions& o) {
  const ModelEntry& model = spec.models[r.cell->model];
  end.log = read_tail(r.dir / "log.txt", 64 * 1024);
  const CellKey key{r.cell->id, model.name, spec.combinations[r.cell->combination].name, r.cell->opset,
                    cell_dir(r.cell->id)};
  const std::optional<json> report =
      end.kind == ProcessEnd::Kind::Exited ? read_report(r.dir / "report" / "report.json") : std::nullopt;
  json cell = make_cell(key, report, end, rewrite_for(o, spec));
  if (!o.keep_models) {
    std::error_code ec;
    fs::remove(r.dir / "model.onnx", ec);
    fs::remove(r.dir / "model.onnx.data", ec);
  }
  return cell;
}

ProcessEnd end_of(int status, double seconds) {
  ProcessEnd end;
  end.seconds = seconds;
  if (WIFSIGNALED(status)) {
    end.kind = ProcessEnd::Kind::Signaled;
    end.code = WTERMSIG(status);
  } else {
    end.kind = ProcessEnd::Kind::Exited;
    end.code = WEXITSTATUS(status);
  }
  return end;
}

}  // namespace

std::string cell_dir(const std::string& id) { return "cells/" + id; }

std::string combination_config_path(const std::string& combination) { return "configs/" + combination + ".json"; }

void write_combination_configs(const MatrixSpec& spec, const fs::path& out_dir) {
  for (const Combination& c : spec.combinations)
    write_text_atomic(out_dir / combination_config_path(c.name), c.config.dump(2) + "\n");
}

void check_combination_plugins(const MatrixSpec& spec, const RunOptions& o) {
  for (const Combination& c : spec.combinations) {
    const fs::path config = o.out_dir / combination_config_path(c.name);
    const fs::path log = o.out_dir / "configs" / (c.name + ".plugins.txt");
    std::vector<std::string> args = {o.self.string(), "plugins", "-c", config.string()};
    for (const auto& p : o.plugin_paths) {
      args.push_back("--plugin-path");
      args.push_back(p.string());
    }
    const Child child = spawn(args, spec.dir, log);
    if (child.pid < 0) throw std::runtime_error("cannot check the plugins of combination '" + c.name + "': " + child.error);
    const auto start = std::chrono::steady_clock::now();
    while (!has_ended(child.pid) && seconds_since(start) < 120)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    const bool hung = !has_ended(child.pid);
    const int status = kill_and_reap(child.pid);
    const std::string output = read_tail(log, 256 * 1024);
    std::string problems;
    std::istringstream lines(output);
    for (std::string line; std::getline(lines, line);)
      if (line.find("❌") != std::string::npos || line.find("refused:") != std::string::npos ||
          line.rfind("error:", 0) == 0)
        problems += "\n  " + line.substr(line.find_first_not_of(' '));
    const bool failed = hung || !WIFEXITED(status) || WEXITSTATUS(status) != 0;
    if (failed || !problems.empty()) {
      const std::string how = hung ? "did not finish within 120 s"
                              : WIFSIGNALED(status) ? "died of signal " + std::to_string(WTERMSIG(status))
                                                    : "exited with " + std::to_string(WEXITSTATUS(status));
      throw InputError(spec.file, c.pointer,
                       "the combination's plugins do not load as configured (`onnxport plugins -c " + config.string() +
                           "` " + how + ", output in " + log.string() + ")" + problems);
    }
  }
}

std::vector<json> run_cells(const MatrixSpec& spec, const std::vector<Cell>& cells, const RunOptions& o,
                            Progress& progress) {
  StopSignals stop_signals;
  std::vector<json> results;
  std::vector<Running> running;
  size_t next = 0;
  const auto kill_all = [&] {
    for (const Running& r : running) kill_and_reap(r.pid);
    running.clear();
  };
  while (next < cells.size() || !running.empty()) {
    if (g_stop_signal != 0) {
      const int signal = g_stop_signal;
      kill_all();
      progress.done();
      throw std::runtime_error("interrupted by " + signal_name(signal) + ": the running cells were killed and no "
                               "matrix was written");
    }
    while (next < cells.size() && running.size() < static_cast<size_t>(o.jobs)) {
      const Cell& cell = cells[next++];
      const fs::path dir = o.out_dir / cell_dir(cell.id);
      std::error_code ec;
      fs::remove_all(dir, ec);  // a previous run's report must not be read as this one's
      fs::create_directories(dir, ec);
      if (ec) throw std::runtime_error(dir.string() + ": cannot create folder: " + ec.message());
      const auto start = std::chrono::steady_clock::now();
      const Child child = spawn(cell_command(spec, cell, o, dir), spec.dir, dir / "log.txt");
      progress.started(cell.id);
      if (child.pid < 0) {
        ProcessEnd end;
        end.kind = ProcessEnd::Kind::NotStarted;
        end.error = child.error;
        results.push_back(finish_cell(spec, {&cell, -1, start, dir}, end, o));
        progress.finished(results.back());
        continue;
      }
      running.push_back({&cell, child.pid, start, dir});
    }
    bool any_finished = false;
    for (size_t i = 0; i < running.size();) {
      Running& r = running[i];
      const double elapsed = seconds_since(r.start);
      ProcessEnd end;
      if (has_ended(r.pid)) {
        end = end_of(kill_and_reap(r.pid), elapsed);  // the kill ends any process the cell left behind
      } else if (elapsed > o.timeout_s) {
        kill_and_reap(r.pid);
        end.kind = ProcessEnd::Kind::TimedOut;
        end.seconds = elapsed;
        end.timeout_s = o.timeout_s;
      } else {
        ++i;
        continue;
      }
      results.push_back(finish_cell(spec, r, end, o));
      progress.finished(results.back());
      running.erase(running.begin() + static_cast<std::ptrdiff_t>(i));
      any_finished = true;
    }
    if (!any_finished && !running.empty()) {
      progress.tick();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  progress.done();
  return results;
}

}  // namespace onnxport::matrix
