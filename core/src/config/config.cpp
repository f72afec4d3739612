// The JSON config (docs/config.md, core/include/onnxport_core/config.hpp).
//
// Every key is optional; an omitted key keeps the default shown in
// docs/config.md. Every error is an InputError naming the file and the JSON
// pointer of the offending value.
#include <onnxport_core/config.hpp>

#include "base/json_cursor.hpp"
#include "base/json_file.hpp"

#include <onnxport/diagnostics.hpp>

#include <algorithm>
#include <cctype>
#include <set>

namespace onnxport {

namespace {

constexpr int kMinOpset = 13;
constexpr int kMaxOpset = 18;

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
  if (auto pr = c.find("priority")) ref.priority = static_cast<int>(pr->as_int());
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
  if (v < kMinOpset || v > kMaxOpset)
    c.fail("opset " + std::to_string(v) + " is not supported (supported: " + std::to_string(kMinOpset) + ".." +
           std::to_string(kMaxOpset) + ")");
  return static_cast<int>(v);
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

VerifyOptions parse_verify(const JsonCursor& c) {
  c.expect_object();
  c.reject_unknown_keys({"enabled", "atol", "rtol"});
  VerifyOptions v;
  if (auto e = c.find("enabled")) v.enabled = e->as_bool();
  if (auto a = c.find("atol")) v.atol = non_negative(*a);
  if (auto r = c.find("rtol")) v.rtol = non_negative(*r);
  return v;
}

void parse_report(const JsonCursor& c, Config& cfg) {
  c.expect_object();
  c.reject_unknown_keys({"markdown", "json"});
  if (auto m = c.find("markdown")) cfg.report_markdown = m->as_bool();
  if (auto j = c.find("json")) cfg.report_json = j->as_bool();
}

}  // namespace

Config parse_config(const nlohmann::json& doc, const std::filesystem::path& file) {
  JsonCursor root(doc, file.string());
  root.expect_object();
  root.reject_unknown_keys({"$schema", "plugins", "strategies", "opset", "optimize", "dynamic_shapes", "pin",
                            "verify", "report", "isolate", "timeout_s"});
  Config cfg;
  cfg.file = file;
  const auto config_dir = file.parent_path();

  if (auto p = root.find("plugins")) {
    p->expect_array();
    for (size_t i = 0; i < p->size(); ++i) cfg.plugins.push_back(parse_plugin(p->at(i), config_dir));
  } else {
    for (const auto& name : kDefaultPlugins) cfg.plugins.push_back(PluginRef{name, {}, std::nullopt, ""});
  }
  cfg.strategies = kDefaultStrategies;
  if (auto s = root.find("strategies")) cfg.strategies = parse_strategies(*s);
  if (auto o = root.find("opset")) cfg.opset = parse_opset(*o);
  if (auto o = root.find("optimize")) cfg.optimize = o->as_bool();
  if (auto d = root.find("dynamic_shapes")) cfg.dynamic_shapes = parse_dynamic_shapes(*d);
  if (auto p = root.find("pin")) cfg.pin = parse_pin(*p);
  if (auto v = root.find("verify")) cfg.verify = parse_verify(*v);
  if (auto r = root.find("report")) parse_report(*r, cfg);
  if (auto i = root.find("isolate")) cfg.isolate = i->as_bool();
  if (auto t = root.find("timeout_s")) cfg.timeout_s = non_negative(*t);
  return cfg;
}

Config load_config(const std::filesystem::path& file) { return parse_config(read_json_file(file), file); }

}  // namespace onnxport
