// Translator and decomposition registry: (op, opset range, priority) -> function.
#pragma once

#include <onnxport/translator.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace onnxport {

struct RegisteredTranslator {
  TranslatorSpec spec;
  std::string plugin;  // plugin that registered it
};

struct TranslatorChoice {
  const RegisteredTranslator* chosen = nullptr;  // nullptr: none applies at this opset
  std::string reason;                             // "highest priority (10)", "pinned by config", ...
  std::vector<const RegisteredTranslator*> candidates;  // all applicable at this opset
  bool conflict = false;  // two plugins, same op, same best priority and opset
};

class TranslatorRegistry {
 public:
  void add(TranslatorSpec spec, const std::string& plugin);
  void add_decomposition(DecompositionSpec spec, const std::string& plugin);
  // Every translator and decomposition of `plugin` gets this priority (config
  // "priority"), including those it registers later.
  void set_plugin_priority(const std::string& plugin, int priority);
  void pin(const std::string& op, const std::string& plugin);

  // Highest priority, then the most recent since_opset; pins win. Two plugins
  // tied on both: conflict, the first registered is chosen.
  TranslatorChoice choose(const std::string& op, int opset) const;
  // Highest priority; ties keep the first registered.
  const DecompositionSpec* decomposition(const std::string& op) const;
  std::vector<std::string> ops() const;  // every op with a translator, sorted
  std::vector<std::string> decomposition_ops() const;  // every op with a decomposition, sorted
  const std::vector<RegisteredTranslator>& translators() const { return translators_; }

 private:
  std::vector<RegisteredTranslator> translators_;
  std::multimap<std::string, size_t> by_op_;
  std::vector<std::pair<DecompositionSpec, std::string>> decompositions_;
  std::multimap<std::string, size_t> decompositions_by_op_;
  std::map<std::string, std::string> pins_;
  std::map<std::string, int> plugin_priority_;  // config "priority", also applied to later adds
};

}  // namespace onnxport
