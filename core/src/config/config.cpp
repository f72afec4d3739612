// The JSON config (docs/config.md, core/include/onnxport_core/config.hpp).
//
// Every key is optional; an omitted key keeps the default shown in
// docs/config.md. Every error is an InputError naming the file and the JSON
// pointer of the offending value.
#include <onnxport_core/config.hpp>

#include "base/json_cursor.hpp"
#include "base/json_file.hpp"

#include <onnxport/diagnostics.hpp>
#include <onnxport_core/onnx_passes.hpp>
#include <onnxport_core/pipeline.hpp>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cctype>
#include <set>

namespace onnxport {

namespace {

// The built-in plugins and strategy order used when a config omits them
// (the same as config/default.json).
const std::vector<std::string> kDefaultPlugins = {"strategy-strict", "strategy-non-strict", "strategy-cond-rewrite",
                                                  "strategy-draft", "translators-aten"};
const std::vector<std::string> kDefaultStrategies = {"strict", "non-strict", "cond-rewrite", "draft"};

bool is_symbol_name(const std::string& s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.')) return false;
  return true;
}

PluginRef parse_plugin(const JsonCursor& c, const std::filesystem::path& config_dir) {
  c.expect_object();
  c.reject_unknown_keys({"name", "path", "priority"});
  PluginRef ref;
  ref.json_path = c.pointer();
  auto name = c.find("name");
  auto path = c.find("path");
  if (name && path) c.fail("give either 'name' or 'path', not both");
  if (!name && !path) c.fail("a plugin needs 'name' (found on the plugin search path) or 'path' (a library file)");
  if (name) {
    ref.name = name->as_string();
    if (ref.name.empty()) name->fail("empty plugin name");
    if (ref.name.find('/') != std::string::npos)
      name->fail("a plugin name cannot contain '/'; use \"path\" for a library file");
  } else {
    const auto text = path->as_string();
    if (text.empty()) path->fail("empty plugin path");
    std::filesystem::path p(text);
    ref.path = (p.is_absolute() ? p : config_dir / p).lexically_normal();
  }
  if (auto pr = c.find("priority")) ref.priority = static_cast<int>(pr->as_int_in(INT_MIN, INT_MAX));
  return ref;
}

std::vector<std::string> parse_strategies(const JsonCursor& c) {
  c.expect_array();
  if (c.size() == 0) c.fail("needs at least one strategy");
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (size_t i = 0; i < c.size(); ++i) {
    const auto name = c.at(i).as_string();
    if (name.empty()) c.at(i).fail("empty strategy name");
    if (!seen.insert(name).second) c.at(i).fail("strategy '" + name + "' is listed twice");
    out.push_back(name);
  }
  return out;
}

int parse_opset(const JsonCursor& c) {
  const int64_t v = c.as_int();
  const int opset = v < 0 ? -1 : v > 1000 ? 1000 : static_cast<int>(v);
  if (std::string why = unsupported_opset_reason(opset); !why.empty()) c.fail(why);
  return opset;
}

std::map<std::string, std::map<int, std::string>> parse_dynamic_shapes(const JsonCursor& c) {
  c.expect_object();
  std::map<std::string, std::map<int, std::string>> out;
  for (const auto& [input, dims] : c.json().items()) {
    const auto dims_cursor = c.at(input);
    dims_cursor.expect_object();
    auto& per_input = out[input];
    for (const auto& [dim_key, sym] : dims_cursor.json().items()) {
      const auto entry = dims_cursor.at(dim_key);
      int dim = -1;
      const bool numeric = !dim_key.empty() && dim_key.size() < 6 &&
                           std::all_of(dim_key.begin(), dim_key.end(), [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)); });
      if (numeric) dim = std::stoi(dim_key);
      if (dim < 0) entry.fail("dimension keys are axis numbers (\"0\", \"1\", ...), got \"" + dim_key + "\"");
      const auto name = entry.as_string();
      if (!is_symbol_name(name)) entry.fail("invalid symbolic dim name '" + name + "' (expected a name like \"batch\")");
      per_input[dim] = name;
    }
  }
  return out;
}

std::map<std::string, std::string> parse_pin(const JsonCursor& c) {
  c.expect_object();
  std::map<std::string, std::string> out;
  for (const auto& [op, plugin] : c.json().items()) {
    const auto name = c.at(op).as_string();
    if (name.empty()) c.at(op).fail("empty plugin name");
    out[op] = name;
  }
  return out;
}

double non_negative(const JsonCursor& c) {
  const double v = c.as_number();
  if (!(v >= 0)) c.fail("must be >= 0, got " + c.json().dump());
  return v;
}

void parse_verify(const JsonCursor& c, VerifyOptions& v) {
  c.expect_object();
  c.reject_unknown_keys({"enabled", "atol", "rtol"});
  if (auto e = c.find("enabled")) v.enabled = e->as_bool();
  if (auto a = c.find("atol")) v.atol = non_negative(*a);
  if (auto r = c.find("rtol")) v.rtol = non_negative(*r);
}

void parse_external_data(const JsonCursor& c, ExternalDataOptions& e) {
  c.expect_object();
  c.reject_unknown_keys({"always", "threshold"});
  if (auto a = c.find("always")) e.always = a->as_bool();
  if (auto t = c.find("threshold")) e.threshold = t->as_int_in(0, INT64_MAX);
}

void parse_unroll_limit(const JsonCursor& c, Config& cfg) {
  c.expect_object();
  c.reject_unknown_keys({"nodes"});
  if (auto n = c.find("nodes")) cfg.unroll_limit_nodes = n->as_int_in(0, INT64_MAX);
}

void parse_report(const JsonCursor& c, Config& cfg) {
  c.expect_object();
  c.reject_unknown_keys({"markdown", "json"});
  if (auto m = c.find("markdown")) cfg.report_markdown = m->as_bool();
  if (auto j = c.find("json")) cfg.report_json = j->as_bool();
}

// The built-in defaults: what a config that omits every key gets, and what
// "extends": "default" starts from when no shipped default.json is found.
Config builtin_defaults() {
  Config cfg;
  for (const auto& name : kDefaultPlugins) cfg.plugins.push_back(PluginRef{name, {}, std::nullopt, "", {}});
  cfg.strategies = kDefaultStrategies;
  return cfg;
}

// Appends `entry`, or replaces the base entry of the same name in place (so a
// plugin keeps its place in the registration order).
void overlay_plugin(std::vector<PluginRef>& plugins, size_t base_count, PluginRef entry) {
  const std::string name = plugin_ref_name(entry);
  for (size_t i = 0; i < base_count; ++i) {
    if (plugin_ref_name(plugins[i]) == name) {
      plugins[i] = std::move(entry);
      return;
    }
  }
  plugins.push_back(std::move(entry));
}

constexpr size_t kMaxExtendsDepth = 16;

Config load_config_chain(const std::filesystem::path& file, std::vector<std::filesystem::path>& chain);

// The shipped configs' folder: where the default config file lives.
std::optional<std::filesystem::path> shipped_config_dir() {
  if (auto file = default_config_file()) return file->parent_path();
  return std::nullopt;
}

bool is_shipped_name(const std::string& text) {
  return !text.empty() && text.find('/') == std::string::npos && text.find('.') == std::string::npos;
}

// The base config "extends" names, loaded with its own chain.
Config load_base(const JsonCursor& c, const std::filesystem::path& config_dir,
                 std::vector<std::filesystem::path>& chain) {
  const std::string text = c.as_string();
  if (text.empty()) c.fail("empty \"extends\" (use \"default\", a shipped config name or a path)");
  std::filesystem::path base;
  if (is_shipped_name(text)) {
    const auto dir = shipped_config_dir();
    if (dir && std::filesystem::is_regular_file(*dir / (text + ".json"))) {
      base = *dir / (text + ".json");
    } else if (text == "default") {
      Config cfg = builtin_defaults();
      cfg.extends.insert(cfg.extends.begin(), "default");
      return cfg;
    } else {
      c.fail("no shipped config named '" + text + "'" + (dir ? " in " + dir->string() : std::string()) +
             " (use \"default\" or a path to a config file, relative to this one)");
    }
  } else {
    std::filesystem::path p(text);
    base = (p.is_absolute() ? p : config_dir / p).lexically_normal();
    std::error_code ec;
    if (!std::filesystem::is_regular_file(base, ec)) c.fail("cannot read the base config " + base.string());
  }
  std::error_code ec;
  const auto canonical = std::filesystem::weakly_canonical(base, ec);
  for (const auto& seen : chain)
    if (seen == canonical) c.fail("\"extends\" comes back to " + base.string() + ", a config of its own chain");
  if (chain.size() >= kMaxExtendsDepth) c.fail("more than " + std::to_string(kMaxExtendsDepth) + " configs extend each other");
  Config cfg = load_config_chain(base, chain);
  cfg.extends.insert(cfg.extends.begin(), base.string());
  return cfg;
}

// Reads the keys of `root` into `cfg`, which holds the base's values (or the
// built-in defaults). `extended`: plugins overlay the base's instead of
// replacing them.
void apply_keys(const JsonCursor& root, const std::filesystem::path& file, bool extended, Config& cfg) {
  const auto config_dir = file.parent_path();
  if (auto p = root.find("plugins")) {
    p->expect_array();
    std::vector<PluginRef> plugins = extended ? cfg.plugins : std::vector<PluginRef>{};
    const size_t base_count = plugins.size();
    for (size_t i = 0; i < p->size(); ++i) {
      PluginRef ref = parse_plugin(p->at(i), config_dir);
      ref.config_file = file;
      overlay_plugin(plugins, base_count, std::move(ref));
    }
    cfg.plugins = std::move(plugins);
  }
  if (auto s = root.find("strategies")) cfg.strategies = parse_strategies(*s);
  if (auto o = root.find("opset")) cfg.opset = parse_opset(*o);
  if (auto o = root.find("optimize")) cfg.optimize = o->as_bool();
  if (auto d = root.find("dynamic_shapes"))
    for (auto& [input, dims] : parse_dynamic_shapes(*d))
      for (auto& [dim, symbol] : dims) cfg.dynamic_shapes[input][dim] = symbol;
  if (auto p = root.find("pin"))
    for (auto& [op, plugin] : parse_pin(*p)) cfg.pin[op] = plugin;
  if (auto v = root.find("verify")) parse_verify(*v, cfg.verify);
  if (auto r = root.find("report")) parse_report(*r, cfg);
  if (auto e = root.find("external_data")) parse_external_data(*e, cfg.external_data);
  if (auto i = root.find("isolate")) cfg.isolate = i->as_bool();
  if (auto t = root.find("timeout_s")) cfg.timeout_s = non_negative(*t);
  if (auto a = root.find("allow_unsound")) cfg.allow_unsound = a->as_bool();
  if (auto m = root.find("mutations_as_outputs")) cfg.mutations_as_outputs = m->as_bool();
  if (auto d = root.find("durable")) cfg.durable = d->as_bool();
  if (auto u = root.find("unroll_limit")) parse_unroll_limit(*u, cfg);
}

Config parse_config_chain(const nlohmann::json& doc, const std::filesystem::path& file,
                          std::vector<std::filesystem::path>& chain) {
  JsonCursor root(doc, file.string());
  root.expect_object();
  root.reject_unknown_keys({"$schema", "extends", "plugins", "strategies", "opset", "optimize", "dynamic_shapes",
                            "pin", "verify", "report", "isolate", "timeout_s", "allow_unsound", "mutations_as_outputs",
                            "external_data", "durable", "unroll_limit"});
  const auto extends = root.find("extends");
  Config cfg = extends ? load_base(*extends, file.parent_path(), chain) : builtin_defaults();
  apply_keys(root, file, extends.has_value(), cfg);
  cfg.file = file;
  return cfg;
}

Config load_config_chain(const std::filesystem::path& file, std::vector<std::filesystem::path>& chain) {
  std::error_code ec;
  chain.push_back(std::filesystem::weakly_canonical(file, ec));
  return parse_config_chain(read_json_file(file), file, chain);
}

}  // namespace

std::string unsupported_opset_reason(int opset) {
  if (opset >= kMinSupportedOpset && opset <= kMaxSupportedOpset) return {};
  return "opset " + std::to_string(opset) + " is not supported (supported: " + std::to_string(kMinSupportedOpset) +
         ".." + std::to_string(kMaxSupportedOpset) + ", the opsets the built-in translators cover; the installed ONNX "
         "checker validates up to " + std::to_string(onnx_checker_max_opset()) + ")";
}

std::string plugin_ref_name(const PluginRef& ref) {
  if (!ref.name.empty()) return ref.name;
  std::string stem = ref.path.filename().string();
  if (stem.size() > 3 && stem.compare(stem.size() - 3, 3, ".so") == 0) stem.resize(stem.size() - 3);
  if (stem.rfind("lib", 0) == 0) stem.erase(0, 3);
  if (stem.rfind("onnxport-", 0) == 0) stem.erase(0, 9);
  return stem;
}

Config parse_config(const nlohmann::json& doc, const std::filesystem::path& file) {
  std::error_code ec;
  std::vector<std::filesystem::path> chain{std::filesystem::weakly_canonical(file, ec)};
  return parse_config_chain(doc, file, chain);
}

Config load_config(const std::filesystem::path& file) {
  std::vector<std::filesystem::path> chain;
  return load_config_chain(file, chain);
}

}  // namespace onnxport
