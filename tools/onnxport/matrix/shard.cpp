#include "shard.hpp"

#include "json_place.hpp"
#include "sha256.hpp"

#include <onnxport_core/json_input.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

namespace onnxport::matrix {

namespace {

bool parse_int(const std::string& s, long& out) {
  if (s.empty() || s.size() > 9 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return false;
  out = std::strtol(s.c_str(), nullptr, 10);
  return true;
}

}  // namespace

std::optional<Shard> parse_shard(const std::string& text, std::string* error) {
  const auto slash = text.find('/');
  long index = 0, count = 0;
  if (slash == std::string::npos || !parse_int(text.substr(0, slash), index) ||
      !parse_int(text.substr(slash + 1), count)) {
    if (error) *error = "--shard '" + text + "' must be I/N (shard I of N, 0 <= I < N), e.g. 0/4";
    return std::nullopt;
  }
  if (count < 1) {
    if (error) *error = "--shard '" + text + "': the shard count N must be at least 1";
    return std::nullopt;
  }
  if (index >= count) {
    if (error)
      *error = "--shard '" + text + "': shard indices run from 0 to N-1 (" + std::to_string(count - 1) + " here), got " +
               std::to_string(index);
    return std::nullopt;
  }
  return Shard{static_cast<int>(index), static_cast<int>(count)};
}

int hash_shard(const std::string& id, int count) {
  const std::string hex = sha256_hex(id).substr(0, 16);
  const unsigned long long h = std::strtoull(hex.c_str(), nullptr, 16);
  return static_cast<int>(h % static_cast<unsigned long long>(count));
}

std::vector<Cell> shard_cells(const std::vector<Cell>& cells, const Shard& shard,
                              const std::map<std::string, double>* times) {
  std::vector<Cell> out;
  if (times == nullptr) {
    for (const Cell& c : cells)
      if (hash_shard(c.id, shard.count) == shard.index) out.push_back(c);
    return out;
  }
  std::vector<double> known;
  for (const Cell& c : cells)
    if (auto it = times->find(c.id); it != times->end()) known.push_back(it->second);
  double fallback = 1.0;
  if (!known.empty()) {
    std::sort(known.begin(), known.end());
    fallback = known[known.size() / 2];
  }
  std::vector<std::pair<double, const Cell*>> order;
  for (const Cell& c : cells) {
    auto it = times->find(c.id);
    order.emplace_back(it != times->end() ? it->second : fallback, &c);
  }
  std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second->id < b.second->id;
  });
  std::vector<double> load(static_cast<size_t>(shard.count), 0.0);
  for (const auto& [seconds, cell] : order) {
    const size_t target = static_cast<size_t>(std::min_element(load.begin(), load.end()) - load.begin());
    load[target] += seconds;
    if (static_cast<int>(target) == shard.index) out.push_back(*cell);
  }
  std::sort(out.begin(), out.end(), [](const Cell& a, const Cell& b) { return a.id < b.id; });
  return out;
}

std::map<std::string, double> read_cell_times(const std::string& file) {
  const nlohmann::json doc = read_json_file(file);
  JsonPlace root(doc, file);
  root.object();
  if (auto f = root.find("format"); !f || !f->json().is_string() || f->string() != "onnxport-matrix")
    root.fail("not a matrix.json (\"format\": \"onnxport-matrix\")");
  const JsonPlace cells = root.at("cells").array();
  std::map<std::string, double> times;
  for (size_t i = 0; i < cells.size(); ++i) {
    const JsonPlace cell = cells.at(i).object();
    const std::string id = cell.at("id").string();
    auto seconds = cell.find("seconds");
    if (!seconds || seconds->json().is_null()) continue;  // a baseline has no times
    const double s = seconds->number();
    if (!(s >= 0)) seconds->fail("expected a number of seconds >= 0");
    times[id] = s;
  }
  return times;
}

}  // namespace onnxport::matrix
