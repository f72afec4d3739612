// ONNX Runtime through the Node.js runner (tools/ort-runner/run.js), and the
// numeric comparison of outputs used by verification and tests.
//
// The runner runs as a child process: no ONNX Runtime C API in our process,
// no second copy of its protobuf code, and a crash in the runtime cannot take
// the exporter down. Arguments go straight to posix_spawnp (no shell).
#include <onnxport_core/bundle.hpp>
#include <onnxport_core/ort.hpp>

#include "base/data_dirs.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <stdexcept>
#include <system_error>
#include <vector>

extern char** environ;

namespace onnxport {
namespace fs = std::filesystem;

namespace {

constexpr const char* kRunnerEnv = "ONNXPORT_ORT_RUNNER";
constexpr const char* kNodeModulesEnv = "ONNXPORT_NODE_MODULES";

std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

bool has_onnxruntime(const fs::path& node_modules) {
  std::error_code ec;
  return fs::is_regular_file(node_modules / "onnxruntime-node" / "package.json", ec);
}

// run.js: ONNXPORT_ORT_RUNNER (the file or its folder), else
// <data dir>/ort-runner/run.js of the installation or build tree.
std::optional<fs::path> find_runner_script() {
  std::error_code ec;
  if (const std::string env = env_or_empty(kRunnerEnv); !env.empty()) {
    fs::path p(env);
    if (fs::is_directory(p, ec)) p /= "run.js";
    if (fs::is_regular_file(p, ec)) return p;
    return std::nullopt;  // an explicit setting that is wrong must not silently fall back
  }
  for (const fs::path& dir : onnxport_data_dirs())
    if (fs::is_regular_file(dir / "ort-runner" / "run.js", ec)) return dir / "ort-runner" / "run.js";
  return std::nullopt;
}

// The node_modules folder holding onnxruntime-node: ONNXPORT_NODE_MODULES,
// else near the runner, never further up than its prefix: beside it and in
// its parents up to <prefix> (<prefix>/share/onnxport/node_modules, as
// `npm install --prefix <prefix>/share/onnxport onnxruntime-node` makes it;
// a source checkout's own node_modules for tools/ort-runner/run.js), then
// <prefix>/lib/node_modules (`npm install -g --prefix <prefix>`). Not Node's
// walk to the file system root: an installation must not pick up whatever
// node_modules happens to sit above it (a build tree's, say).
std::optional<fs::path> find_node_modules(const fs::path& runner) {
  if (const std::string env = env_or_empty(kNodeModulesEnv); !env.empty()) {
    if (has_onnxruntime(env)) return fs::path(env);
    return std::nullopt;
  }
  fs::path dir = fs::absolute(runner).parent_path();
  for (int up = 0; up < 4 && !dir.empty(); ++up, dir = dir.parent_path()) {
    if (has_onnxruntime(dir / "node_modules")) return dir / "node_modules";
    if (up == 3 && has_onnxruntime(dir / "lib" / "node_modules")) return dir / "lib" / "node_modules";
  }
  return std::nullopt;
}

struct OrtRunner {
  fs::path script;
  fs::path node_modules;
};

std::optional<OrtRunner> locate_runner() {
  auto script = find_runner_script();
  if (!script) return std::nullopt;
  auto modules = find_node_modules(*script);
  if (!modules) return std::nullopt;
  return OrtRunner{*script, *modules};
}

}  // namespace

std::string ort_not_found_reason() {
  const std::string modules_env = env_or_empty(kNodeModulesEnv);
  const std::string runner_env = env_or_empty(kRunnerEnv);
  if (!runner_env.empty() && !find_runner_script())
    return std::string(kRunnerEnv) + "=" + runner_env + " is not run.js or a folder holding it";
  if (!find_runner_script())
    return "the ONNX Runtime runner (share/onnxport/ort-runner/run.js) is not installed beside onnxport; set " +
           std::string(kRunnerEnv) + " to tools/ort-runner/run.js of an onnxport source tree";
  if (!modules_env.empty())
    return std::string(kNodeModulesEnv) + "=" + modules_env + " holds no onnxruntime-node (expected " +
           (fs::path(modules_env) / "onnxruntime-node" / "package.json").string() + ")";
  return "ONNX Runtime (npm onnxruntime-node) not found near " + find_runner_script()->string() +
         ": install it with 'npm install --ignore-scripts --prefix <prefix>/share/onnxport onnxruntime-node', or set " +
         std::string(kNodeModulesEnv) + " to a node_modules folder that holds onnxruntime-node";
}

namespace {

// The environment with NAME=VALUE set (replaced when present).
std::vector<std::string> environment_with(const std::string& name, const std::string& value) {
  std::vector<std::string> env;
  const std::string prefix = name + "=";
  for (char** e = environ; e != nullptr && *e != nullptr; ++e)
    if (std::strncmp(*e, prefix.c_str(), prefix.size()) != 0) env.emplace_back(*e);
  env.push_back(prefix + value);
  return env;
}

// A temporary folder removed (with its contents) when the object dies.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "onnxport-ort-XXXXXX").string();
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    if (::mkdtemp(buf.data()) == nullptr)
      throw std::system_error(errno, std::generic_category(), "cannot create a temporary folder in " +
                                                                  fs::temp_directory_path().string());
    path_ = buf.data();
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);  // best effort: never throw from a destructor
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

struct ProcessResult {
  int exit_code = -1;       // -1 when killed by a signal
  int signal = 0;
  std::string output;       // stdout and stderr, interleaved
};

// Runs argv[0] (looked up on PATH) with `argv` and environment `env`,
// collecting its stdout and stderr through one pipe.
ProcessResult run_process(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);

  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> envp;
  for (const std::string& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  pid_t pid = 0;
  int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    throw std::runtime_error("cannot start '" + argv[0] + "': " + std::strerror(rc) +
                             " (is Node.js installed and on PATH?)");
  }
  ProcessResult result;
  std::array<char, 4096> buf;
  for (;;) {
    ssize_t n = ::read(fds[0], buf.data(), buf.size());
    if (n > 0) result.output.append(buf.data(), static_cast<size_t>(n));
    else if (n == 0 || errno != EINTR) break;
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  return result;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

std::optional<fs::path> find_ort_runner() {
  if (auto runner = locate_runner()) return runner->script;
  return std::nullopt;
}

TensorMap run_onnxruntime(const fs::path& model, const TensorMap& inputs) {
  std::optional<OrtRunner> runner = locate_runner();
  if (!runner) throw std::runtime_error("ONNX Runtime not found: " + ort_not_found_reason());
  TempDir tmp;
  const fs::path in_file = tmp.path() / "inputs.safetensors";
  const fs::path out_file = tmp.path() / "outputs.safetensors";
  write_safetensors(in_file, inputs);

  const char* node_env = std::getenv("ONNXPORT_NODE");
  std::string node = node_env != nullptr && *node_env != '\0' ? node_env : "node";
  // run.js loads onnxruntime-node from the folder found here.
  ProcessResult r = run_process({node, runner->script.string(), fs::absolute(model).string(), in_file.string(),
                                 out_file.string()},
                                environment_with(kNodeModulesEnv, fs::absolute(runner->node_modules).string()));
  if (r.exit_code != 0) {
    std::string how = r.signal != 0 ? "was killed by signal " + std::to_string(r.signal)
                                    : "exited with status " + std::to_string(r.exit_code);
    throw std::runtime_error("ONNX Runtime failed on " + model.string() + " (runner " + how +
                             "): " + trim(r.output));
  }
  // The outputs borrow from a mapping of a file in `tmp`, which is about to
  // be deleted: copy them out.
  TensorMap mapped = read_safetensors(out_file);
  TensorMap outputs;
  for (const auto& [name, tensor] : mapped.items()) outputs.set(name, tensor.clone());
  return outputs;
}

namespace {

// Upper bounds of the |actual - expected| histogram buckets.
std::vector<double> histogram_bounds() {
  return {0.0, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, std::numeric_limits<double>::infinity()};
}

// |a - e| where NaN matches NaN and an infinity matches itself; a NaN on one
// side only is an infinite difference.
double abs_diff(double a, double e) {
  if (std::isnan(a) || std::isnan(e)) return std::isnan(a) && std::isnan(e) ? 0.0 : std::numeric_limits<double>::infinity();
  if (a == e) return 0.0;  // also equal infinities
  return std::fabs(a - e);
}

}  // namespace

Comparison compare_tensors(const std::string& name, const Tensor& actual, const Tensor& expected, double atol,
                           double rtol) {
  Comparison c;
  c.name = name;
  std::vector<double> bounds = histogram_bounds();
  for (double b : bounds) c.histogram.emplace_back(b, 0);
  if (!actual.defined() || !expected.defined()) {
    c.problem = !actual.defined() ? "missing actual output" : "missing expected output";
    return c;
  }
  if (actual.shape() != expected.shape()) {
    c.problem = "shape mismatch: got " + actual.type_str() + ", expected " + expected.type_str();
    return c;
  }
  if (actual.dtype() != expected.dtype())
    c.problem = "dtype mismatch: got " + actual.type_str() + ", expected " + expected.type_str();
  bool within = true;
  const int64_t n = expected.numel();
  for (int64_t i = 0; i < n; ++i) {
    const double a = actual.get_double(i);
    const double e = expected.get_double(i);
    const double diff = abs_diff(a, e);
    // Relative to |expected|; an exact zero expected gives 0 or infinity.
    const double rel = diff == 0.0 ? 0.0 : (e != 0.0 && std::isfinite(e)) ? diff / std::fabs(e)
                                                                         : std::numeric_limits<double>::infinity();
    c.max_abs = std::max(c.max_abs, diff);
    c.max_rel = std::max(c.max_rel, rel);
    if (!(diff <= atol + rtol * (std::isfinite(e) ? std::fabs(e) : 0.0))) within = false;
    for (auto& [bound, count] : c.histogram) {
      if (diff <= bound) {
        ++count;
        break;
      }
    }
  }
  c.ok = within && c.problem.empty();
  return c;
}

}  // namespace onnxport
