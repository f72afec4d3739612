// Consistency of the two sides of an op (issue 11): every op the engine can
// capture (the op library has a meta function for it) has a translator in
// translators-aten at every opset 13 to 18, and every op translators-aten
// translates can be captured; or the op is listed, with the reason, in
// docs/op-consistency.md. An op added to one side only fails this test, and
// so does a listed op that no longer needs its entry (the doc stays in step).
#include <onnxport/ops.hpp>
#include <onnxport_core/plugin_host.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#ifndef ONNXPORT_TEST_SOURCE_DIR
#error "ONNXPORT_TEST_SOURCE_DIR must name the source tree"
#endif

namespace onnxport::translator_tests {
namespace {

namespace fs = std::filesystem;

constexpr int kFirst = 13, kLast = 18;

// What an entry of docs/op-consistency.md excuses.
struct Exception {
  enum class Kind { NoTranslator, NoMeta } kind;
  int translated_from = kLast + 1;  // NoTranslator: the first opset that has one (19 = none)
  std::string reason;
};

// Rows of the tables in docs/op-consistency.md:
//   | `aten::op` | no translator | why |
//   | `aten::op` | no translator below opset 16 | why |
//   | `aten::op` | no meta function | why |
std::map<std::string, Exception> documented_exceptions(std::vector<std::string>& errors) {
  const fs::path path = fs::path(ONNXPORT_TEST_SOURCE_DIR) / "docs" / "op-consistency.md";
  std::ifstream in(path);
  std::map<std::string, Exception> out;
  if (!in) {
    errors.push_back("cannot read " + path.string());
    return out;
  }
  const std::regex row(R"(^\|\s*`([^`]+)`\s*\|\s*([^|]+?)\s*\|\s*(.*?)\s*\|\s*$)");
  const std::regex below(R"(no translator below opset (\d+))");
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    std::smatch m;
    if (!std::regex_match(line, m, row)) continue;
    const std::string where = path.filename().string() + ":" + std::to_string(number);
    Exception e;
    const std::string what = m[2];
    std::smatch b;
    if (what == "no translator") e.kind = Exception::Kind::NoTranslator;
    else if (std::regex_match(what, b, below)) {
      e.kind = Exception::Kind::NoTranslator;
      e.translated_from = std::stoi(b[1]);
    } else if (what == "no meta function") e.kind = Exception::Kind::NoMeta;
    else {
      errors.push_back(where + ": '" + what + "' is not 'no translator', 'no translator below opset N' or 'no meta function'");
      continue;
    }
    e.reason = m[3];
    if (e.reason.empty()) errors.push_back(where + ": " + std::string(m[1]) + " has no reason");
    if (!out.emplace(m[1], e).second) errors.push_back(where + ": " + std::string(m[1]) + " is listed twice");
  }
  return out;
}

// Opsets 13..18 at which translators-aten (loaded as the CLI loads it) translates each op.
std::map<std::string, std::set<int>> translated_opsets() {
  static PluginHost host;
  static bool loaded = host.load(ONNXPORT_TRANSLATORS_PLUGIN).loaded;
  std::map<std::string, std::set<int>> out;
  if (!loaded) return out;
  for (const RegisteredTranslator& t : host.registry().translators()) {
    if (t.plugin != "translators-aten") continue;
    std::set<int>& opsets = out[t.spec.op];
    for (int o = std::max(kFirst, t.spec.since_opset); o <= std::min(kLast, t.spec.until_opset); ++o) opsets.insert(o);
  }
  return out;
}

TEST(OpConsistency, EveryCapturableOpIsTranslatedAndEveryTranslatedOpCapturable) {
  std::vector<std::string> errors;
  const std::map<std::string, Exception> listed = documented_exceptions(errors);
  const std::map<std::string, std::set<int>> translated = translated_opsets();
  ASSERT_FALSE(translated.empty()) << "translators-aten did not load from " << ONNXPORT_TRANSLATORS_PLUGIN;
  const std::vector<std::string> names = OpLibrary::instance().names();
  const std::set<std::string> capturable(names.begin(), names.end());

  std::set<std::string> used;  // listed entries that excuse something
  for (const std::string& op : capturable) {
    auto t = translated.find(op);
    auto e = listed.find(op);
    for (int opset = kFirst; opset <= kLast; ++opset) {
      if (t != translated.end() && t->second.count(opset)) continue;
      if (e != listed.end() && e->second.kind == Exception::Kind::NoTranslator && opset < e->second.translated_from) {
        used.insert(op);
        continue;
      }
      errors.push_back(op + " can be captured but has no translator at opset " + std::to_string(opset) +
                       " (add one, or list it in docs/op-consistency.md with the reason)");
      break;
    }
  }
  for (const auto& [op, opsets] : translated) {
    if (capturable.count(op)) continue;
    auto e = listed.find(op);
    if (e != listed.end() && e->second.kind == Exception::Kind::NoMeta) {
      used.insert(op);
      continue;
    }
    errors.push_back(op + " has a translator but the op library has no meta function for it, so it cannot be captured "
                          "(add one, or list it in docs/op-consistency.md with the reason)");
  }
  for (const auto& [op, e] : listed)
    if (!used.count(op))
      errors.push_back("docs/op-consistency.md lists " + op + ", which needs no entry (or is neither captured nor translated)");

  std::ostringstream all;
  for (const std::string& e : errors) all << "\n  " << e;
  EXPECT_TRUE(errors.empty()) << errors.size() << " inconsistencies:" << all.str();
}

}  // namespace
}  // namespace onnxport::translator_tests
