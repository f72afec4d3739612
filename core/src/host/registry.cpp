// Translator and decomposition registry.
//
// Selection rule (docs/architecture.md §5): among the translators whose opset range
// covers the target opset, a config pin wins; otherwise the highest priority,
// then the most recent since_opset. Two different plugins tied on both is a
// conflict: the first registered (config order) is used and the choice says so.
#include <onnxport_core/registry.hpp>

#include <algorithm>
#include <climits>
#include <sstream>

namespace onnxport {
namespace {

bool applies_at(const TranslatorSpec& spec, int opset) {
  return spec.since_opset <= opset && opset <= spec.until_opset;
}

// True when `a` should be preferred over `b` (strictly better rank).
bool ranks_higher(const TranslatorSpec& a, const TranslatorSpec& b) {
  if (a.priority != b.priority) return a.priority > b.priority;
  return a.since_opset > b.since_opset;
}

bool same_rank(const TranslatorSpec& a, const TranslatorSpec& b) {
  return a.priority == b.priority && a.since_opset == b.since_opset;
}

std::string range_str(const TranslatorSpec& spec) {
  std::string s = std::to_string(spec.since_opset) + "..";
  if (spec.until_opset != INT_MAX) s += std::to_string(spec.until_opset);
  return s;
}

// Best candidate in registration order (ties keep the earliest).
const RegisteredTranslator* best_of(const std::vector<const RegisteredTranslator*>& candidates) {
  const RegisteredTranslator* best = nullptr;
  for (const RegisteredTranslator* c : candidates)
    if (best == nullptr || ranks_higher(c->spec, best->spec)) best = c;
  return best;
}

// "aten::foo is registered for opsets 13..15 (plugin-a), 18.. (plugin-b)"
std::string describe_ranges(const std::string& op, const std::vector<const RegisteredTranslator*>& all) {
  std::ostringstream out;
  out << "'" << op << "' is registered for opsets ";
  for (size_t i = 0; i < all.size(); ++i)
    out << (i ? ", " : "") << range_str(all[i]->spec) << " (" << all[i]->plugin << ")";
  return out.str();
}

}  // namespace

void TranslatorRegistry::add(TranslatorSpec spec, const std::string& plugin) {
  if (auto it = plugin_priority_.find(plugin); it != plugin_priority_.end()) spec.priority = it->second;
  by_op_.emplace(spec.op, translators_.size());
  translators_.push_back({std::move(spec), plugin});
}

void TranslatorRegistry::add_decomposition(DecompositionSpec spec, const std::string& plugin) {
  if (auto it = plugin_priority_.find(plugin); it != plugin_priority_.end()) spec.priority = it->second;
  decompositions_by_op_.emplace(spec.op, decompositions_.size());
  decompositions_.emplace_back(std::move(spec), plugin);
}

void TranslatorRegistry::set_plugin_priority(const std::string& plugin, int priority) {
  plugin_priority_[plugin] = priority;
  for (auto& t : translators_)
    if (t.plugin == plugin) t.spec.priority = priority;
  for (auto& [spec, owner] : decompositions_)
    if (owner == plugin) spec.priority = priority;
}

void TranslatorRegistry::pin(const std::string& op, const std::string& plugin) { pins_[op] = plugin; }

TranslatorChoice TranslatorRegistry::choose(const std::string& op, int opset) const {
  TranslatorChoice choice;
  std::vector<const RegisteredTranslator*> registered;  // every opset range, for the explanation
  auto [first, last] = by_op_.equal_range(op);
  for (auto it = first; it != last; ++it) {
    const RegisteredTranslator& t = translators_[it->second];
    registered.push_back(&t);
    if (applies_at(t.spec, opset)) choice.candidates.push_back(&t);
  }
  const std::string at_opset = " at opset " + std::to_string(opset);

  if (auto pin = pins_.find(op); pin != pins_.end()) {
    std::vector<const RegisteredTranslator*> pinned;
    for (const RegisteredTranslator* c : choice.candidates)
      if (c->plugin == pin->second) pinned.push_back(c);
    choice.chosen = best_of(pinned);
    choice.reason = choice.chosen != nullptr
                        ? "pinned by config to plugin '" + pin->second + "'"
                        : "pinned by config to plugin '" + pin->second + "', which has no translator for '" +
                              op + "'" + at_opset;
    return choice;
  }

  if (choice.candidates.empty()) {
    choice.reason = "no translator for '" + op + "'" + at_opset;
    if (!registered.empty()) choice.reason += " (" + describe_ranges(op, registered) + ")";
    return choice;
  }

  choice.chosen = best_of(choice.candidates);
  for (const RegisteredTranslator* c : choice.candidates) {
    if (c->plugin != choice.chosen->plugin && same_rank(c->spec, choice.chosen->spec)) {
      choice.conflict = true;
      choice.reason = "conflict: plugins '" + choice.chosen->plugin + "' and '" + c->plugin + "' both translate '" +
                      op + "' with priority " + std::to_string(c->spec.priority) + " since opset " +
                      std::to_string(c->spec.since_opset) + "; using '" + choice.chosen->plugin +
                      "' (loaded first); raise a plugin's priority or pin the op in the config";
      return choice;
    }
  }

  if (choice.candidates.size() == 1) {
    choice.reason = "only translator" + at_opset;
    return choice;
  }
  // Explain which rule decided: priority, or (at equal priority) the opset.
  bool priority_decided = std::all_of(choice.candidates.begin(), choice.candidates.end(), [&](auto* c) {
    return c == choice.chosen || c->spec.priority < choice.chosen->spec.priority;
  });
  choice.reason = priority_decided
                      ? "highest priority (" + std::to_string(choice.chosen->spec.priority) + ")"
                      : "most recent since_opset (" + std::to_string(choice.chosen->spec.since_opset) +
                            ") at priority " + std::to_string(choice.chosen->spec.priority);
  return choice;
}

std::vector<std::string> TranslatorRegistry::decomposition_ops() const {
  std::vector<std::string> out;
  for (const auto& [op, index] : decompositions_by_op_)
    if (out.empty() || out.back() != op) out.push_back(op);
  return out;
}

const DecompositionSpec* TranslatorRegistry::decomposition(const std::string& op) const {
  const DecompositionSpec* best = nullptr;
  auto [first, last] = decompositions_by_op_.equal_range(op);
  for (auto it = first; it != last; ++it) {
    const DecompositionSpec& spec = decompositions_[it->second].first;
    if (best == nullptr || spec.priority > best->priority) best = &spec;
  }
  return best;
}

std::vector<std::string> TranslatorRegistry::ops() const {
  std::vector<std::string> out;
  for (auto it = by_op_.begin(); it != by_op_.end(); it = by_op_.upper_bound(it->first)) out.push_back(it->first);
  return out;  // multimap keys are already sorted
}

}  // namespace onnxport
