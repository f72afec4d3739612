// MATRIX.json reader (docs/matrix.md). Everything is checked here, before any
// cell runs, so a typo costs seconds rather than a matrix run.
#include "spec.hpp"

#include "json_place.hpp"
#include "sha256.hpp"

#include <onnxport_core/config.hpp>
#include <onnxport_core/json_input.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fnmatch.h>
#include <map>
#include <set>

namespace onnxport::matrix {

namespace fs = std::filesystem;

namespace {

bool has_glob(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }

bool glob_match(const std::string& pattern, const std::string& name) {
  return ::fnmatch(pattern.c_str(), name.c_str(), 0) == 0;
}

bool is_bundle(const fs::path& dir) {
  std::error_code ec;
  return fs::is_directory(dir, ec) && fs::is_regular_file(dir / "program.json", ec);
}

// Expands a path whose components may hold wildcards, one component at a
// time, into the bundle folders it matches (sorted; hidden entries only when
// the pattern says so, as a shell does). Each match is (resolved, as written).
std::vector<std::pair<fs::path, std::string>> expand_glob(const fs::path& base, const std::string& pattern) {
  std::vector<std::pair<fs::path, std::string>> current = {{fs::path(pattern).is_absolute() ? fs::path("/") : base, ""}};
  if (fs::path(pattern).is_absolute()) current.front().second = "/";
  for (const auto& part : fs::path(pattern).relative_path()) {
    const std::string comp = part.string();
    std::vector<std::pair<fs::path, std::string>> next;
    const auto join = [](const std::string& written, const std::string& c) {
      return written.empty() || written == "/" ? written + c : written + "/" + c;
    };
    for (const auto& [dir, written] : current) {
      if (!has_glob(comp)) {
        next.emplace_back(dir / comp, join(written, comp));
        continue;
      }
      std::error_code ec;
      std::vector<std::string> names;
      for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name[0] == '.' && comp[0] != '.') continue;
        if (glob_match(comp, name) && it->is_directory(ec)) names.push_back(name);
      }
      std::sort(names.begin(), names.end());
      for (const auto& name : names) next.emplace_back(dir / name, join(written, name));
    }
    current = std::move(next);
  }
  std::vector<std::pair<fs::path, std::string>> bundles;
  for (auto& [dir, written] : current)
    if (is_bundle(dir)) bundles.emplace_back(dir.lexically_normal(), written);
  return bundles;
}

void check_bundle(const JsonPlace& at, const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) at.fail("no such folder: " + dir.string());
  if (!fs::is_directory(dir, ec)) at.fail(dir.string() + " is not a folder (a model is a program bundle folder)");
  if (!fs::is_regular_file(dir / "program.json", ec))
    at.fail(dir.string() + " is not a program bundle (no program.json in it)");
}

std::string name_rule() {
  return "names are made of letters, digits, '_', '.', '+' and '-', and do not start with '.' or '-'";
}

void add_models(const JsonPlace& entry, const fs::path& base, std::vector<ModelEntry>& models) {
  std::optional<std::string> name;
  std::string path;
  if (entry.json().is_object()) {
    entry.reject_unknown_keys({"name", "path"});
    name = entry.at("name").string();
    path = entry.at("path").string();
    if (!valid_axis_name(*name)) entry.at("name").fail("'" + *name + "' is not a valid model name: " + name_rule());
    if (has_glob(path)) entry.at("path").fail("a model with a \"name\" is one folder, not a glob");
  } else {
    path = entry.string();
  }
  if (path.empty()) entry.fail("empty model path");
  if (has_glob(path)) {
    const auto matches = expand_glob(base, path);
    if (matches.empty()) entry.fail("'" + path + "' matches no program bundle folder (relative to " + base.string() + ")");
    for (const auto& [dir, written] : matches) {
      const std::string folder = dir.filename().string();
      if (!valid_axis_name(folder))
        entry.fail("'" + path + "' matches " + dir.string() + ", whose folder name is not a valid model name (" +
                   name_rule() + "); list it as {\"name\": ..., \"path\": ...}");
      models.push_back({folder, dir, written, entry.pointer()});
    }
    return;
  }
  const fs::path given(path);
  const fs::path dir = (given.is_absolute() ? given : base / given).lexically_normal();
  check_bundle(name ? entry.at("path") : entry, dir);
  if (!name) {
    const fs::path clean = fs::path(path).lexically_normal();
    name = (clean.has_filename() ? clean.filename() : clean.parent_path().filename()).string();
    if (!valid_axis_name(*name))
      entry.fail("the folder name '" + *name + "' is not a valid model name (" + name_rule() +
                 "); give one: {\"name\": ..., \"path\": ...}");
  }
  models.push_back({*name, dir, path, entry.pointer()});
}

// A "config"/"base" value: a shipped config name ("default",
// "torch-compatible", as a config's "extends" takes it) or a path, made
// absolute against the matrix's folder.
std::string resolve_config_ref(const JsonPlace& at, const fs::path& base) {
  const std::string text = at.string();
  if (text.empty()) at.fail("empty config (give a path to a config file, or \"default\")");
  const bool shipped = text.find('/') == std::string::npos && text.find('.') == std::string::npos;
  if (shipped) return text;
  const fs::path given(text);
  const fs::path file = (given.is_absolute() ? given : base / given).lexically_normal();
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) at.fail("no such config file: " + file.string());
  return file.string();
}

// The overlay's plugin paths are relative to the matrix's folder; the
// generated config lives elsewhere, so they are made absolute.
nlohmann::json absolute_plugin_paths(const JsonPlace& overlay, const fs::path& base) {
  nlohmann::json out = overlay.json();
  auto plugins = overlay.find("plugins");
  if (!plugins || !plugins->json().is_array()) return out;
  for (size_t i = 0; i < plugins->size(); ++i) {
    const JsonPlace p = plugins->at(i);
    if (!p.json().is_object()) continue;  // the config loader says what is wrong with it
    auto path = p.find("path");
    if (!path || !path->json().is_string()) continue;
    const fs::path given(path->string());
    if (!given.empty() && given.is_relative()) out["plugins"][i]["path"] = (base / given).lexically_normal().string();
  }
  return out;
}

Combination parse_combination(const JsonPlace& entry, const fs::path& base, const Tolerances& tol) {
  entry.reject_unknown_keys({"name", "config", "base", "overlay", "description"});
  Combination c;
  c.pointer = entry.pointer();
  c.given = entry.json();
  c.given.erase("description");  // words, not part of what runs
  c.name = entry.at("name").string();
  if (!valid_axis_name(c.name)) entry.at("name").fail("'" + c.name + "' is not a valid combination name: " + name_rule());
  const auto config = entry.find("config");
  const auto base_ref = entry.find("base");
  const auto overlay = entry.find("overlay");
  if (config && (base_ref || overlay)) entry.fail("give either \"config\" or \"base\" with \"overlay\", not both");
  if (!config && !base_ref) entry.fail("a combination needs \"config\" (a config file) or \"base\" and \"overlay\"");
  if (base_ref && !overlay) entry.fail("\"base\" needs an \"overlay\" (or use \"config\")");
  c.config = nlohmann::json::object();
  if (overlay) {
    overlay->object();
    // What the matrix's own axes and tolerances decide cannot be overlaid.
    if (auto k = overlay->find("extends")) k->fail("the combination's \"base\" is what the overlay extends");
    if (auto k = overlay->find("opset")) k->fail("the matrix's \"opsets\" set the opset of each cell");
    if (auto k = overlay->find("verify")) k->fail("the matrix's \"tolerances\" set verification");
    c.config = absolute_plugin_paths(*overlay, base);
  }
  c.config["extends"] = resolve_config_ref(config ? *config : *base_ref, base);
  c.config["verify"] = {{"enabled", true}, {"atol", tol.atol}, {"rtol", tol.rtol}};
  // The cell is read from its report.json, whatever the configs say.
  if (!c.config.contains("report")) c.config["report"] = nlohmann::json::object();
  if (c.config["report"].is_object()) c.config["report"]["json"] = true;
  // The config loader decides whether it loads, exactly as the cells' exports
  // will. A notional file beside MATRIX.json names the combination in errors.
  const fs::path notional = base / (c.name + ".combination.json");
  try {
    (void)parse_config(c.config, notional);
  } catch (const InputError& e) {
    if (e.file() == notional.string()) {
      const std::string where = e.place().rfind("/extends", 0) == 0 ? (config ? "/config" : "/base") : "/overlay" + e.place();
      std::string reason = e.what();
      const std::string prefix = e.file() + (e.place().empty() ? "" : ": " + e.place()) + ": ";
      if (reason.rfind(prefix, 0) == 0) reason = reason.substr(prefix.size());
      throw InputError(entry.file(), c.pointer + where, "the combination's config does not load: " + reason);
    }
    throw InputError(entry.file(), c.pointer + (config ? "/config" : "/base"),
                     "the combination's config does not load: " + std::string(e.what()));
  }
  return c;
}

Tolerances parse_tolerances(const JsonPlace& at) {
  at.reject_unknown_keys({"atol", "rtol", "node_growth"});
  Tolerances t;
  const auto non_negative = [&](const char* key, double& out) {
    if (auto v = at.find(key)) {
      out = v->number();
      if (!(out >= 0) || !std::isfinite(out)) v->fail("expected a number >= 0");
    }
  };
  non_negative("atol", t.atol);
  non_negative("rtol", t.rtol);
  non_negative("node_growth", t.node_growth);
  return t;
}

std::vector<int> parse_opsets(const JsonPlace& at) {
  at.array();
  if (at.size() == 0) at.fail("needs at least one opset");
  std::vector<int> out;
  for (size_t i = 0; i < at.size(); ++i) {
    const int64_t v = at.at(i).integer();
    const int opset = v < 0 ? -1 : v > 1000 ? 1000 : static_cast<int>(v);
    if (std::string why = unsupported_opset_reason(opset); !why.empty()) at.at(i).fail(why);
    if (std::find(out.begin(), out.end(), opset) != out.end()) at.at(i).fail("opset " + std::to_string(opset) + " is listed twice");
    out.push_back(opset);
  }
  return out;
}

ExcludeRule parse_exclude(const JsonPlace& at) {
  at.reject_unknown_keys({"model", "combination", "opset", "reason"});
  ExcludeRule r;
  r.pointer = at.pointer();
  if (auto m = at.find("model")) r.model = m->string();
  if (auto c = at.find("combination")) r.combination = c->string();
  if (auto o = at.find("opset")) {
    if (o->json().is_array()) {
      for (size_t i = 0; i < o->size(); ++i) r.opsets.push_back(static_cast<int>(o->at(i).integer()));
      if (r.opsets.empty()) o->fail("an empty opset list excludes nothing");
    } else {
      r.opsets.push_back(static_cast<int>(o->integer()));
    }
  }
  if (auto reason = at.find("reason")) (void)reason->string();
  if (!r.model && !r.combination && r.opsets.empty())
    at.fail("an exclude rule needs \"model\", \"combination\" or \"opset\" (it would exclude every cell)");
  return r;
}

bool excludes(const ExcludeRule& r, const std::string& model, const std::string& combination, int opset) {
  if (r.model && !glob_match(*r.model, model)) return false;
  if (r.combination && !glob_match(*r.combination, combination)) return false;
  if (!r.opsets.empty() && std::find(r.opsets.begin(), r.opsets.end(), opset) == r.opsets.end()) return false;
  return true;
}

// What identifies the matrix: the models (names and paths as written), the
// combinations as written, the opsets, the tolerances (with defaults) and
// the exclude rules. Not the timeout, not the configs' contents: a change of
// a config is what a baseline comparison is there to judge.
std::string spec_digest(const MatrixSpec& spec, const nlohmann::json& exclude_given) {
  nlohmann::json canon = nlohmann::json::object();
  canon["models"] = nlohmann::json::array();
  for (const auto& m : spec.models) canon["models"].push_back({{"name", m.name}, {"path", m.path}});
  canon["combinations"] = nlohmann::json::array();
  for (const auto& c : spec.combinations) canon["combinations"].push_back(c.given);
  canon["opsets"] = spec.opsets;
  canon["tolerances"] = {{"atol", spec.tolerances.atol}, {"rtol", spec.tolerances.rtol},
                         {"node_growth", spec.tolerances.node_growth}};
  canon["exclude"] = exclude_given;
  return sha256_hex(canon.dump());
}

void expand_cells(MatrixSpec& spec) {
  std::vector<bool> used(spec.exclude.size(), false);
  for (size_t m = 0; m < spec.models.size(); ++m)
    for (size_t c = 0; c < spec.combinations.size(); ++c)
      for (int opset : spec.opsets) {
        const std::string id = cell_id(spec.models[m].name, spec.combinations[c].name, opset);
        bool excluded = false;
        for (size_t r = 0; r < spec.exclude.size(); ++r)
          if (excludes(spec.exclude[r], spec.models[m].name, spec.combinations[c].name, opset)) {
            used[r] = true;
            excluded = true;
          }
        if (excluded) spec.excluded.push_back(id);
        else spec.cells.push_back({id, m, c, opset});
      }
  for (size_t r = 0; r < spec.exclude.size(); ++r)
    if (!used[r]) throw InputError(spec.file, spec.exclude[r].pointer, "this exclude rule matches no cell");
  std::sort(spec.cells.begin(), spec.cells.end(), [](const Cell& a, const Cell& b) { return a.id < b.id; });
  std::sort(spec.excluded.begin(), spec.excluded.end());
}

}  // namespace

bool valid_axis_name(const std::string& name) {
  if (name.empty() || name[0] == '.' || name[0] == '-') return false;
  return std::all_of(name.begin(), name.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '.' || ch == '+' || ch == '-';
  });
}

std::string cell_id(const std::string& model, const std::string& combination, int opset) {
  return model + "/" + combination + "/opset" + std::to_string(opset);
}

MatrixSpec load_matrix_spec(const std::string& file) {
  MatrixSpec spec;
  spec.file = file;
  const nlohmann::json doc = read_json_file(file);
  const fs::path parent = fs::path(file).parent_path();
  spec.dir = fs::absolute(parent.empty() ? fs::path(".") : parent).lexically_normal();
  JsonPlace root(doc, spec.file);
  root.reject_unknown_keys({"$schema", "description", "models", "combinations", "opsets", "tolerances", "exclude", "timeout_s"});

  if (auto t = root.find("tolerances")) spec.tolerances = parse_tolerances(*t);

  const JsonPlace models = root.at("models").array();
  if (models.size() == 0) models.fail("needs at least one model");
  for (size_t i = 0; i < models.size(); ++i) add_models(models.at(i), spec.dir, spec.models);
  std::map<std::string, const ModelEntry*> model_names;
  for (const auto& m : spec.models) {
    auto [it, fresh] = model_names.emplace(m.name, &m);
    if (!fresh)
      throw InputError(spec.file, m.pointer, "model name '" + m.name + "' is already used by " + it->second->pointer +
                                                 " (" + it->second->dir.string() + "); give one of them another "
                                                 "name: {\"name\": ..., \"path\": ...}");
  }

  const JsonPlace combinations = root.at("combinations").array();
  if (combinations.size() == 0) combinations.fail("needs at least one combination");
  std::map<std::string, std::string> combination_names;
  for (size_t i = 0; i < combinations.size(); ++i) {
    const JsonPlace entry = combinations.at(i);
    entry.object();
    // Duplicate names first: cheaper than loading the config, and the clearer error.
    if (auto n = entry.find("name"); n && n->json().is_string()) {
      auto [it, fresh] = combination_names.emplace(n->string(), entry.pointer());
      if (!fresh) n->fail("combination name '" + n->string() + "' is already used by " + it->second);
    }
    spec.combinations.push_back(parse_combination(entry, spec.dir, spec.tolerances));
  }

  spec.opsets = parse_opsets(root.at("opsets"));

  nlohmann::json exclude_given = nlohmann::json::array();
  if (auto e = root.find("exclude")) {
    e->array();
    exclude_given = e->json();
    for (size_t i = 0; i < e->size(); ++i) spec.exclude.push_back(parse_exclude(e->at(i)));
  }
  if (auto t = root.find("timeout_s")) {
    spec.timeout_s = t->number();
    if (!(spec.timeout_s > 0) || !std::isfinite(spec.timeout_s)) t->fail("expected a number of seconds > 0");
  }
  spec.digest = spec_digest(spec, exclude_given);
  expand_cells(spec);
  if (spec.cells.empty()) root.fail("every cell is excluded: nothing to run");
  return spec;
}

}  // namespace onnxport::matrix
