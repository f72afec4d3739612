// Plugin host: finds plugin libraries, opens them with Boost.DLL, checks their
// descriptor (docs/plugin-abi.md) and commits what they register.
//
// Like LLVM's pass-plugin loader, loading is one sequence of checks, each with
// its own precise message: file -> library -> entry point -> descriptor
// (ABI version, size, name, fingerprint) -> unique name -> registration.
// Any refusal is recorded and the run goes on without that plugin.
#include <onnxport_core/plugin_host.hpp>

#include "host/library_keeper.hpp"
#include "host/op_providers.hpp"
#include "host/staging_registrar.hpp"
#include "ops/schema/plugin_schemas.hpp"

#include <onnxport/plugin.h>
#include <onnxport/version.hpp>

#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>

#include <dlfcn.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <sstream>

namespace onnxport {
namespace fs = std::filesystem;
namespace dll = boost::dll;

namespace {

// ---------------------------------------------------------------------------
// Search path

constexpr const char* kPluginPathEnv = "ONNXPORT_PLUGIN_PATH";

#ifndef ONNXPORT_PLUGIN_INSTALL_DIR
#define ONNXPORT_PLUGIN_INSTALL_DIR "lib/onnxport/plugins"
#endif

void add_unique(std::vector<fs::path>& dirs, const fs::path& dir) {
  if (dir.empty()) return;
  fs::path normal = dir.lexically_normal();
  if (std::find(dirs.begin(), dirs.end(), normal) == dirs.end()) dirs.push_back(std::move(normal));
}

std::vector<fs::path> split_path_list(std::string_view list) {
  std::vector<fs::path> out;
  while (!list.empty()) {
    size_t colon = list.find(':');
    std::string_view entry = list.substr(0, colon);
    if (!entry.empty()) out.emplace_back(std::string(entry));
    if (colon == std::string_view::npos) break;
    list.remove_prefix(colon + 1);
  }
  return out;
}

// The built-in plugins sit in ../lib/onnxport/plugins beside the executable,
// in the build tree and after `cmake --install` alike. When the install libdir
// is not plain "lib" (Debian's lib/<multiarch> under /usr), look there too.
std::vector<fs::path> builtin_plugin_dirs() {
  boost::dll::fs::error_code ec;
  boost::dll::fs::path exe = dll::program_location(ec);
  if (ec) return {};
  fs::path prefix = fs::path(exe.string()).parent_path() / "..";
  return {prefix / "lib" / "onnxport" / "plugins", prefix / ONNXPORT_PLUGIN_INSTALL_DIR};
}

// "libonnxport-strategy-strict.so" -> "strategy-strict": the name a refused
// plugin is listed under when its descriptor could not be read.
std::string name_from_file(const fs::path& file) {
  std::string stem = file.stem().string();
  constexpr std::string_view prefix = "libonnxport-";
  if (stem.rfind(prefix, 0) == 0 && stem.size() > prefix.size()) return stem.substr(prefix.size());
  return stem;
}

std::string join_paths(const std::vector<fs::path>& dirs) {
  std::string out;
  for (const auto& d : dirs) out += (out.empty() ? "" : ", ") + d.string();
  return out.empty() ? "<empty search path>" : out;
}

// ---------------------------------------------------------------------------
// Load steps. Each returns a Refusal or nothing.

struct Refusal {
  std::string code;
  std::string message;
  std::string hint;
};

std::optional<Refusal> open_library(const fs::path& file, dll::shared_library& lib) {
  boost::dll::fs::error_code ec;
  // rtld_now: unresolved symbols are reported here, with the file, rather than
  // as a crash in the middle of a run. rtld_local: plugins do not see each other.
  lib.load(boost::dll::fs::path(file.string()), ec, dll::load_mode::rtld_now | dll::load_mode::rtld_local);
  if (!ec) return std::nullopt;
  // Boost.DLL leaves dlopen's own explanation in dlerror(); it is the precise one
  // ("invalid ELF header", "undefined symbol: ...").
  const char* why = dlerror();
  return Refusal{"plugin-not-a-library",
                 "Could not load library '" + file.string() + "': " + (why != nullptr ? why : ec.message()),
                 "the file must be a shared library built with onnxport_add_plugin"};
}

std::optional<Refusal> call_entry_point(const dll::shared_library& lib, const fs::path& file,
                                        const onnxport_plugin_v1*& descriptor) {
  if (!lib.has(ONNXPORT_PLUGIN_SYMBOL)) {
    return Refusal{"plugin-no-entry-point",
                   "Plugin entry point not found in '" + file.string() + "': no symbol '" ONNXPORT_PLUGIN_SYMBOL
                   "' (is it an onnxport plugin built with ONNXPORT_PLUGIN?)",
                   "define the plugin with ONNXPORT_PLUGIN(...) from <onnxport/sdk.hpp>"};
  }
  // The alias is a pointer to the plugin's describe function.
  auto& describe = lib.get_alias<const onnxport_plugin_v1*()>(ONNXPORT_PLUGIN_SYMBOL);
  try {
    descriptor = describe();
  } catch (const std::exception& e) {
    return Refusal{"plugin-entry-threw", "Plugin entry point in '" + file.string() + "' threw: " + e.what(), ""};
  } catch (...) {
    return Refusal{"plugin-entry-threw", "Plugin entry point in '" + file.string() + "' threw a non-standard exception",
                   ""};
  }
  if (descriptor == nullptr)
    return Refusal{"plugin-null-descriptor",
                   "Plugin entry point in '" + file.string() + "' returned a null descriptor", ""};
  return std::nullopt;
}

// The host reads a field only when the plugin's struct_size covers it.
bool covers(uint32_t struct_size, size_t field_offset, size_t field_size) {
  return struct_size >= field_offset + field_size;
}

constexpr size_t kV1Size =
    offsetof(onnxport_plugin_v1, register_components) + sizeof(onnxport_plugin_v1::register_components);

// Checks version and size, then copies the part of the descriptor the plugin
// has into `out` (fields it lacks stay zero).
std::optional<Refusal> read_descriptor(const onnxport_plugin_v1& raw, const fs::path& file,
                                       onnxport_plugin_v1& out) {
  if (raw.abi_version < ONNXPORT_ABI_VERSION_MIN || raw.abi_version > ONNXPORT_ABI_VERSION) {
    return Refusal{"plugin-wrong-abi",
                   "Wrong ABI version in plugin '" + file.string() + "': got " + std::to_string(raw.abi_version) +
                       ", host supports " + std::to_string(ONNXPORT_ABI_VERSION_MIN) + ".." +
                       std::to_string(ONNXPORT_ABI_VERSION),
                   "rebuild the plugin against this onnxport SDK"};
  }
  // Every v1 field is required: the descriptor must reach past register_components.
  if (!covers(raw.struct_size, offsetof(onnxport_plugin_v1, register_components),
              sizeof(onnxport_plugin_v1::register_components))) {
    return Refusal{"plugin-descriptor-too-small",
                   "Plugin descriptor in '" + file.string() + "' is too small: struct_size is " +
                       std::to_string(raw.struct_size) + " bytes, the ABI v1 fields need " + std::to_string(kV1Size),
                   "set struct_size to sizeof(onnxport_plugin_v1), or use ONNXPORT_PLUGIN"};
  }
  out = onnxport_plugin_v1{};
  std::memcpy(&out, &raw, std::min<size_t>(raw.struct_size, sizeof(onnxport_plugin_v1)));
  if (out.name == nullptr || *out.name == '\0')
    return Refusal{"plugin-no-name", "Plugin descriptor in '" + file.string() + "' has no name", ""};
  if (out.register_components == nullptr)
    return Refusal{"plugin-no-register",
                   "Plugin '" + std::string(out.name) + "' (" + file.string() + ") has no register_components callback",
                   ""};
  return std::nullopt;
}

// "onnxport-sdk 0.1.3; gcc12; libstdc++cxx11abi1" -> {"onnxport-sdk 0.1", "gcc12", ...}:
// the SDK patch level does not change the C++ ABI, everything else must match.
std::vector<std::string> fingerprint_parts(std::string_view fp) {
  std::vector<std::string> parts;
  std::istringstream in{std::string(fp)};
  for (std::string part; std::getline(in, part, ';');) {
    part.erase(0, part.find_first_not_of(' '));
    part.erase(part.find_last_not_of(' ') + 1);
    parts.push_back(part);
  }
  if (!parts.empty()) {
    std::string& sdk = parts.front();
    size_t first_dot = sdk.find('.');
    size_t second_dot = first_dot == std::string::npos ? first_dot : sdk.find('.', first_dot + 1);
    if (second_dot != std::string::npos) sdk.resize(second_dot);
  }
  return parts;
}

std::optional<Refusal> check_fingerprint(const onnxport_plugin_v1& desc, const fs::path& file) {
  const char* plugin_fp = desc.build_fingerprint != nullptr ? desc.build_fingerprint : "";
  if (fingerprint_parts(plugin_fp) == fingerprint_parts(ONNXPORT_BUILD_FINGERPRINT)) return std::nullopt;
  return Refusal{"plugin-fingerprint-mismatch",
                 "Plugin '" + file.string() + "' was built with '" + plugin_fp + "', host is '" +
                     ONNXPORT_BUILD_FINGERPRINT + "'",
                 "rebuild the plugin with the same compiler and onnxport SDK (major.minor) as the host"};
}

std::optional<Refusal> run_registration(const onnxport_plugin_v1& desc, const fs::path& file,
                                        StagingRegistrar& staging) {
  char err[1024] = {};
  int status = 0;
  std::string escaped;
  try {
    // The callback receives the Registrar base pointer (sdk.hpp casts void* back to it).
    status = desc.register_components(static_cast<Registrar*>(&staging), err, sizeof err);
  } catch (const std::exception& e) {
    // Only a hand-written descriptor can get here: the SDK thunk catches everything.
    status = -1;
    escaped = std::string("exception escaped register_components: ") + e.what();
  } catch (...) {
    status = -1;
    escaped = "non-standard exception escaped register_components";
  }
  if (status == 0) return std::nullopt;
  err[sizeof err - 1] = '\0';
  std::string why = !escaped.empty() ? escaped : (err[0] != '\0' ? std::string(err) : "no message given");
  return Refusal{"plugin-registration-failed",
                 "Registration failed in plugin '" + std::string(desc.name) + "' (" + file.string() + "): " + why,
                 ""};
}

Diagnostic load_diagnostic(const Refusal& refusal, const std::string& plugin, const fs::path& file,
                           Severity severity = Severity::Error) {
  Diagnostic d;
  d.code = refusal.code;
  d.severity = severity;
  d.stage = "load";
  d.plugin = plugin;
  d.message = refusal.message;
  d.hint = refusal.hint;
  d.details["file"] = file.string();
  return d;
}

// A plugin's definition of an op at the priority of another plugin's: neither
// can win, and keeping the first would make the capture depend on the config's
// order. The second plugin is refused (export stops, exit 2), naming both
// plugins, the op and the priority (docs/plugin-authoring.md §3).
std::optional<Refusal> check_op_conflicts(const StagingRegistrar& staging, const LoadedPlugin& record,
                                          std::optional<int> config_priority) {
  for (const OpDef& def : staging.ops) {
    const int priority = config_priority.value_or(def.priority);
    const OpVerdict v = OpProviders::instance().decide(def.name, priority, record.name);
    if (v.kind == OpVerdict::Kind::Override && !def.schema.empty()) {
      // The op keeps its schema: programs were checked against it.
      return Refusal{"op-conflict",
                     "Plugin '" + record.name + "' (" + record.file.string() + ") overrides op '" + def.name +
                         "' with a schema of its own; an override keeps the schema of the op it replaces",
                     "leave OpDef::schema empty in the override"};
    }
    if (v.kind != OpVerdict::Kind::Conflict) continue;
    return Refusal{"op-conflict",
                   "Plugin '" + record.name + "' (" + record.file.string() + ") defines op '" + def.name +
                       "' at priority " + std::to_string(priority) + ", as " + v.holder +
                       " does; two plugins cannot define one op at the same priority",
                   "give one of them a higher priority (OpDef::priority, or the config's \"priority\"), load "
                   "only one of the two plugins, or give one of the ops another name"};
  }
  return std::nullopt;
}

}  // namespace

// ---------------------------------------------------------------------------

std::vector<fs::path> plugin_search_path(const std::vector<fs::path>& extra) {
  std::vector<fs::path> dirs;
  for (const auto& dir : extra) add_unique(dirs, dir);
  if (const char* env = std::getenv(kPluginPathEnv))
    for (const auto& dir : split_path_list(env)) add_unique(dirs, dir);
  for (const auto& dir : builtin_plugin_dirs()) add_unique(dirs, dir);
  return dirs;
}

std::optional<fs::path> find_plugin(const std::string& name, const std::vector<fs::path>& search_path) {
  if (name.empty() || name.find('/') != std::string::npos) return std::nullopt;
  for (const auto& dir : search_path) {
    for (const std::string& candidate : {"libonnxport-" + name + ".so", name + ".so"}) {
      std::error_code ec;
      fs::path file = dir / candidate;
      if (fs::is_regular_file(file, ec)) return file;
    }
  }
  return std::nullopt;
}

struct PluginHost::Impl {
  struct OwnedStrategy {
    std::unique_ptr<Strategy> strategy;
    std::string plugin;
  };

  std::vector<LoadedPlugin> plugins;
  std::vector<Diagnostic> diagnostics;
  std::vector<OwnedStrategy> strategies;
  std::map<std::string, fs::path, std::less<>> loaded_names;  // plugin name -> file
  TranslatorRegistry registry;

  const LoadedPlugin& refuse(LoadedPlugin record, const Refusal& refusal) {
    record.loaded = false;
    record.error = refusal.message;
    diagnostics.push_back(load_diagnostic(refusal, record.name, record.file));
    plugins.push_back(std::move(record));
    return plugins.back();
  }

  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  // This host's op overrides end with it (OpProviders).
  ~Impl() { OpProviders::instance().release(this); }

  const LoadedPlugin& load(const fs::path& requested, std::optional<int> priority);
  void commit(StagingRegistrar& staging, LoadedPlugin& record, std::optional<int> config_priority);
  void commit_ops(StagingRegistrar& staging, LoadedPlugin& record, std::optional<int> config_priority);
  Strategy* find_strategy(std::string_view name) const;
};

const LoadedPlugin& PluginHost::Impl::load(const fs::path& requested, std::optional<int> priority) {
  LoadedPlugin record;
  std::error_code ec;
  record.file = fs::absolute(requested, ec).lexically_normal();
  if (ec) record.file = requested;
  record.name = name_from_file(record.file);

  if (!fs::exists(record.file, ec)) {
    return refuse(std::move(record), {"plugin-not-found",
                                      "plugin '" + record.name + "': file not found: " + record.file.string(), ""});
  }
  dll::shared_library lib;
  if (auto r = open_library(record.file, lib)) return refuse(std::move(record), *r);
  // From here on the library stays loaded for the whole process, even if it is
  // refused below: its static initializers have run and may have registered
  // things (atexit handlers, protobuf descriptors) that must not dangle.
  const dll::shared_library& kept = keep_loaded_forever(std::move(lib));

  const onnxport_plugin_v1* raw = nullptr;
  if (auto r = call_entry_point(kept, record.file, raw)) return refuse(std::move(record), *r);
  onnxport_plugin_v1 desc{};
  if (auto r = read_descriptor(*raw, record.file, desc)) return refuse(std::move(record), *r);
  record.name = desc.name;
  record.version = desc.version != nullptr ? desc.version : "";
  record.description = desc.description != nullptr ? desc.description : "";
  if (auto r = check_fingerprint(desc, record.file)) return refuse(std::move(record), *r);

  if (auto other = loaded_names.find(record.name); other != loaded_names.end()) {
    return refuse(std::move(record),
                  {"plugin-duplicate",
                   "Plugin '" + record.name + "' (" + record.file.string() + ") is already loaded from '" +
                       other->second.string() + "'; the second copy is ignored",
                   "list each plugin once in the config"});
  }

  StagingRegistrar staging;
  if (auto r = run_registration(desc, record.file, staging)) return refuse(std::move(record), *r);
  if (std::string why = staging.check_declared_arguments(); !why.empty()) {
    return refuse(std::move(record), {"plugin-registration-failed",
                                      "Registration failed in plugin '" + record.name + "' (" +
                                          record.file.string() + "): " + why,
                                      "read only arguments the op's schema has (docs/plugin-authoring.md §7)"});
  }
  if (auto r = check_op_conflicts(staging, record, priority)) return refuse(std::move(record), *r);

  loaded_names.emplace(record.name, record.file);
  if (priority) registry.set_plugin_priority(record.name, *priority);
  commit(staging, record, priority);
  record.loaded = true;
  plugins.push_back(std::move(record));
  return plugins.back();
}

// Moves what a successful registration staged into the host. A strategy name
// that is already taken keeps its first owner.
void PluginHost::Impl::commit(StagingRegistrar& staging, LoadedPlugin& record, std::optional<int> config_priority) {
  for (auto& strategy : staging.strategies) {
    std::string name(strategy->name());
    auto taken = std::find_if(strategies.begin(), strategies.end(),
                              [&](const OwnedStrategy& s) { return s.strategy->name() == name; });
    if (taken != strategies.end()) {
      diagnostics.push_back(load_diagnostic(
          {"strategy-duplicate",
           "Strategy '" + name + "' is registered by plugins '" + taken->plugin + "' and '" + record.name +
               "'; keeping the one from '" + taken->plugin + "'",
           "remove one of the two plugins from the config"},
          record.name, record.file, Severity::Warning));
      continue;  // destroyed here, while its library is still loaded
    }
    record.strategies.push_back(name);
    strategies.push_back({std::move(strategy), record.name});
  }
  for (auto& spec : staging.translators) {
    registry.add(std::move(spec), record.name);
    ++record.translators;
  }
  for (auto& spec : staging.decompositions) {
    registry.add_decomposition(std::move(spec), record.name);
    ++record.decompositions;
  }
  commit_ops(staging, record, config_priority);
}

// A plugin adds ops the library lacks (for the process), and replaces one it
// has only at a priority above the current definition's; that override lasts
// as long as this host (OpProviders). Conflicts were refused before
// (check_op_conflicts).
void PluginHost::Impl::commit_ops(StagingRegistrar& staging, LoadedPlugin& record, std::optional<int> config_priority) {
  for (auto& def : staging.ops) {
    const int priority = config_priority.value_or(def.priority);
    const std::string name = def.name;
    std::optional<OpSchema> schema;
    for (const OpSchema& s : staging.op_schemas)
      if (s.name == name) schema = s;
    const OpVerdict v = OpProviders::instance().commit(std::move(def), priority, record.name, this);
    switch (v.kind) {
      case OpVerdict::Kind::Add:
        if (schema) add_plugin_schema(*schema);
        [[fallthrough]];
      case OpVerdict::Kind::AlreadyOurs:
        record.ops.push_back(name);
        break;
      case OpVerdict::Kind::Override:
        record.op_overrides.push_back(name);
        diagnostics.push_back(load_diagnostic(
            {"op-override",
             "Plugin '" + record.name + "' replaces " + v.holder + " of op '" + name + "' (priority " +
                 std::to_string(v.holder_priority) + ") with its own at priority " + std::to_string(priority),
             ""},
            record.name, record.file, Severity::Note));
        break;
      case OpVerdict::Kind::Keep:
      case OpVerdict::Kind::Conflict:  // refused before; kept for a complete switch
        diagnostics.push_back(load_diagnostic(
            {"op-duplicate",
             "Plugin '" + record.name + "' adds op '" + name + "' at priority " + std::to_string(priority) +
                 ", which " + v.holder + " at priority " + std::to_string(v.holder_priority) +
                 " already defines; keeping the existing definition",
             "give the plugin's op its own domain (mylib::op), or a priority above " +
                 std::to_string(v.holder_priority) + " to replace it (OpDef::priority, or the config's \"priority\")"},
            record.name, record.file, Severity::Warning));
        break;
    }
  }
}

Strategy* PluginHost::Impl::find_strategy(std::string_view name) const {
  for (const auto& s : strategies)
    if (s.strategy->name() == name) return s.strategy.get();
  return nullptr;
}

PluginHost::PluginHost() : impl_(std::make_unique<Impl>()) {}
PluginHost::~PluginHost() = default;

void PluginHost::load_all(const Config& config, const std::vector<fs::path>& search_path) {
  for (const PluginRef& ref : config.plugins) {
    size_t diagnostics_before = impl_->diagnostics.size();
    if (!ref.path.empty()) {
      load(ref.path, ref.priority);
    } else if (auto file = find_plugin(ref.name, search_path)) {
      load(*file, ref.priority);
    } else {
      LoadedPlugin record;
      record.name = ref.name;
      impl_->refuse(std::move(record),
                    {"plugin-not-found",
                     "plugin '" + ref.name + "': file not found: libonnxport-" + ref.name + ".so or " + ref.name +
                         ".so (searched: " + join_paths(search_path) + ")",
                     "build the plugin, or add its folder with --plugin-path or " + std::string(kPluginPathEnv)});
    }
    // Say which config entry the diagnostics of this plugin come from.
    for (size_t i = diagnostics_before; i < impl_->diagnostics.size(); ++i) {
      impl_->diagnostics[i].details["config"] = (ref.config_file.empty() ? config.file : ref.config_file).string();
      impl_->diagnostics[i].details["json_pointer"] = ref.json_path;
    }
  }
  for (const auto& [op, plugin] : config.pin) {
    impl_->registry.pin(op, plugin);
    if (!impl_->loaded_names.contains(plugin)) {
      Diagnostic d = load_diagnostic({"pin-unknown-plugin",
                                      "op '" + op + "' is pinned to plugin '" + plugin + "', which is not loaded",
                                      "load the plugin or remove the pin"},
                                     plugin, {}, Severity::Warning);
      d.details["config"] = config.file.string();
      d.details["json_pointer"] = "/pin/" + op;
      impl_->diagnostics.push_back(std::move(d));
    }
  }
}

const LoadedPlugin& PluginHost::load(const fs::path& file, std::optional<int> priority) {
  return impl_->load(file, priority);
}

const std::vector<LoadedPlugin>& PluginHost::plugins() const { return impl_->plugins; }
const std::vector<Diagnostic>& PluginHost::diagnostics() const { return impl_->diagnostics; }
Strategy* PluginHost::strategy(std::string_view name) const { return impl_->find_strategy(name); }

std::vector<std::pair<std::string, std::string>> PluginHost::strategies() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& s : impl_->strategies) out.emplace_back(std::string(s.strategy->name()), s.plugin);
  return out;
}

const TranslatorRegistry& PluginHost::registry() const { return impl_->registry; }
TranslatorRegistry& PluginHost::registry() { return impl_->registry; }

// ---------------------------------------------------------------------------

namespace {

Diagnostic capture_diagnostic(std::string code, std::string message, const std::string& plugin) {
  return Diagnostic::error("capture", std::move(code), std::move(message), plugin);
}

bool has_error(const CaptureResult& result) {
  return std::any_of(result.diagnostics.begin(), result.diagnostics.end(),
                     [](const Diagnostic& d) { return d.severity == Severity::Error; });
}

}  // namespace

CaptureResult safe_capture(Strategy& strategy, const Program& program, const CaptureOptions& options,
                           HostServices& host, const std::string& plugin) {
  std::string name = "?";
  // The exception object's code lives in the plugin; its text is copied out
  // inside the handler.
  auto threw = [&](const std::string& what) {
    CaptureResult failed;
    failed.diagnostics.push_back(capture_diagnostic(
        "strategy-threw", "strategy '" + name + "' (plugin " + plugin + ") threw: " + what, plugin));
    return failed;
  };
  try {
    name = std::string(strategy.name());
    CaptureResult result = strategy.capture(program, options, host);
    if (!result.graph && !has_error(result)) {
      result.diagnostics.push_back(capture_diagnostic(
          "strategy-no-result",
          "strategy '" + name + "' (plugin " + plugin + ") returned neither a graph nor an error", plugin));
    }
    return result;
  } catch (const DiagnosticError& e) {
    CaptureResult failed = threw(e.what());
    Diagnostic& d = failed.diagnostics.back();
    d.loc = e.diagnostic().loc;
    d.hint = e.diagnostic().hint;
    d.details = e.diagnostic().details;
    return failed;
  } catch (const std::exception& e) {
    return threw(e.what());
  } catch (...) {
    return threw("a non-standard exception");
  }
}

}  // namespace onnxport
