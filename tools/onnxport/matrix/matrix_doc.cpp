#include "matrix_doc.hpp"

#include "json_place.hpp"

#include <onnxport_core/json_input.hpp>

#include <algorithm>
#include <map>
#include <set>

namespace onnxport::matrix {

using nlohmann::json;

namespace {

const std::vector<std::string>& statuses() {
  static const std::vector<std::string> all = {"pass", "fail", "unsound", "timeout", "crash"};
  return all;
}

void sort_cells(json& cells) {
  std::sort(cells.begin(), cells.end(),
            [](const json& a, const json& b) { return a["id"].get<std::string>() < b["id"].get<std::string>(); });
}

std::string ids_text(const std::vector<std::string>& ids) {
  std::string out;
  for (size_t i = 0; i < ids.size() && i < 10; ++i) out += (out.empty() ? "" : ", ") + ids[i];
  if (ids.size() > 10) out += ", ... (" + std::to_string(ids.size()) + " in all)";
  return out;
}

}  // namespace

json summarize_cells(const json& cells) {
  json summary = {{"total", cells.size()}};
  for (const std::string& s : statuses()) summary[s] = 0;
  for (const json& c : cells) {
    const std::string s = c.value("status", "");
    if (summary.contains(s)) summary[s] = summary[s].get<int>() + 1;
  }
  return summary;
}

json matrix_document(const MatrixSpec& spec, const std::optional<Shard>& shard, std::vector<json> cells) {
  json doc = json::object();
  doc["format"] = kMatrixFormat;
  doc["version"] = kMatrixVersion;
  doc["matrix"] = {{"file", spec.file},
                   {"digest", spec.digest},
                   {"cell_count", spec.cells.size()},
                   {"timeout_s", spec.timeout_s}};
  doc["shard"] = shard ? json{{"index", shard->index}, {"count", shard->count}} : json(nullptr);
  json models = json::array(), combinations = json::array();
  for (const auto& m : spec.models) models.push_back(m.name);
  for (const auto& c : spec.combinations) combinations.push_back(c.name);
  doc["axes"] = {{"models", models}, {"combinations", combinations}, {"opsets", spec.opsets}};
  doc["excluded"] = spec.excluded;
  doc["tolerances"] = {{"atol", spec.tolerances.atol},
                       {"rtol", spec.tolerances.rtol},
                       {"node_growth", spec.tolerances.node_growth}};
  json list = json::array();
  for (auto& c : cells) list.push_back(std::move(c));
  sort_cells(list);
  doc["summary"] = summarize_cells(list);
  doc["cells"] = std::move(list);
  return doc;
}

json without_times(json doc) {
  if (doc.is_object()) doc.erase("timing");
  if (!doc.contains("cells") || !doc["cells"].is_array()) return doc;
  for (json& cell : doc["cells"]) {
    cell.erase("seconds");
    if (cell.contains("stages") && cell["stages"].is_array())
      for (json& stage : cell["stages"]) stage.erase("seconds");
  }
  return doc;
}

std::vector<std::string> expected_cell_ids(const json& doc) {
  const json& axes = doc["axes"];
  std::set<std::string> excluded;
  for (const json& e : doc.value("excluded", json::array())) excluded.insert(e.get<std::string>());
  std::vector<std::string> ids;
  for (const json& m : axes["models"])
    for (const json& c : axes["combinations"])
      for (const json& o : axes["opsets"]) {
        const std::string id = cell_id(m.get<std::string>(), c.get<std::string>(), o.get<int>());
        if (!excluded.count(id)) ids.push_back(id);
      }
  std::sort(ids.begin(), ids.end());
  return ids;
}

json read_matrix_file(const std::string& file) {
  json doc = read_json_file(file);
  JsonPlace root(doc, file);
  root.object();
  const auto format = root.find("format");
  if (!format || !format->json().is_string() || format->string() != kMatrixFormat)
    root.fail("not a matrix.json (expected \"format\": \"onnxport-matrix\")");
  const JsonPlace version = root.at("version");
  if (version.integer() != kMatrixVersion)
    version.fail("matrix.json version " + std::to_string(version.integer()) + " is not supported (this onnxport reads " +
                 std::to_string(kMatrixVersion) + ")");
  const JsonPlace matrix = root.at("matrix").object();
  if (matrix.at("digest").string().size() != 64) matrix.at("digest").fail("expected a sha256 hex digest");
  const JsonPlace axes = root.at("axes").object();
  for (const char* key : {"models", "combinations"}) {
    const JsonPlace list = axes.at(key).array();
    for (size_t i = 0; i < list.size(); ++i) (void)list.at(i).string();
  }
  const JsonPlace opsets = axes.at("opsets").array();
  for (size_t i = 0; i < opsets.size(); ++i) (void)opsets.at(i).integer();
  if (auto excluded = root.find("excluded")) {
    excluded->array();
    for (size_t i = 0; i < excluded->size(); ++i) (void)excluded->at(i).string();
  }
  if (auto shard = root.find("shard"); shard && !shard->json().is_null()) {
    shard->object();
    const int64_t index = shard->at("index").integer(), count = shard->at("count").integer();
    if (count < 1 || index < 0 || index >= count) shard->fail("expected 0 <= index < count");
  }
  const JsonPlace cells = root.at("cells").array();
  std::set<std::string> seen;
  for (size_t i = 0; i < cells.size(); ++i) {
    const JsonPlace cell = cells.at(i).object();
    const std::string id = cell.at("id").string();
    if (!seen.insert(id).second) cell.at("id").fail("cell '" + id + "' is listed twice");
    const std::string status = cell.at("status").string();
    if (std::find(statuses().begin(), statuses().end(), status) == statuses().end())
      cell.at("status").fail("unknown cell status '" + status + "'");
    (void)cell.at("model").string();
    (void)cell.at("combination").string();
    (void)cell.at("opset").integer();
  }
  return doc;
}

json merge_matrix_parts(const std::vector<std::pair<std::string, json>>& parts) {
  if (parts.empty()) throw InputError("<merge>", "", "no matrix.json to merge");
  const auto& [first_file, first] = parts.front();
  const std::string digest = first["matrix"]["digest"].get<std::string>();
  std::map<int, std::string> shard_files;
  std::optional<int> shard_count;
  std::map<std::string, std::string> owner;  // cell id -> part file
  json cells = json::array();
  for (const auto& [file, doc] : parts) {
    if (doc["matrix"]["digest"] != digest)
      throw InputError(file, "/matrix/digest",
                       "this part comes from another matrix than " + first_file + " (digest " +
                           doc["matrix"]["digest"].get<std::string>().substr(0, 12) + "... vs " + digest.substr(0, 12) +
                           "...): parts of one merge must all be shards of the same MATRIX.json");
    if (doc["axes"] != first["axes"] || doc.value("excluded", json::array()) != first.value("excluded", json::array()))
      throw InputError(file, "/axes", "the axes differ from those of " + first_file + " despite the same digest");
    if (const json& shard = doc["shard"]; shard.is_object()) {
      const int count = shard["count"].get<int>(), index = shard["index"].get<int>();
      if (shard_count && *shard_count != count)
        throw InputError(file, "/shard/count",
                         "shard " + std::to_string(index) + "/" + std::to_string(count) + " does not split the matrix like " +
                             "the other parts (" + std::to_string(*shard_count) + " shards)");
      shard_count = count;
      auto [it, fresh] = shard_files.emplace(index, file);
      if (!fresh)
        throw InputError(file, "/shard/index", "shard " + std::to_string(index) + " is also given as " + it->second);
    }
    for (size_t i = 0; i < doc["cells"].size(); ++i) {
      const json& cell = doc["cells"][i];
      const std::string id = cell["id"].get<std::string>();
      auto [it, fresh] = owner.emplace(id, file);
      if (!fresh)
        throw InputError(file, "/cells/" + std::to_string(i), "cell '" + id + "' is also in " + it->second +
                                                                   " (overlapping parts)");
      cells.push_back(cell);
    }
  }
  const std::vector<std::string> expected = expected_cell_ids(first);
  const std::set<std::string> expected_set(expected.begin(), expected.end());
  for (const auto& [id, file] : owner)
    if (!expected_set.count(id))
      throw InputError(file, "/cells", "cell '" + id + "' is not a cell of the matrix its axes describe");
  std::vector<std::string> missing;
  for (const std::string& id : expected)
    if (!owner.count(id)) missing.push_back(id);
  if (!missing.empty()) {
    std::string shards;
    if (shard_count)
      for (int i = 0; i < *shard_count; ++i)
        if (!shard_files.count(i)) shards += (shards.empty() ? "" : ", ") + std::to_string(i);
    throw InputError(first_file, "/cells",
                     std::to_string(missing.size()) + " cell(s) of the matrix are in no part: " + ids_text(missing) +
                         (shards.empty() ? "" : " (missing shard(s): " + shards + " of " + std::to_string(*shard_count) + ")"));
  }
  json merged = first;
  merged["shard"] = nullptr;
  merged["timing"] = nullptr;  // the parts ran apart: no one wall time
  sort_cells(cells);
  merged["summary"] = summarize_cells(cells);
  merged["cells"] = std::move(cells);
  return merged;
}

}  // namespace onnxport::matrix
