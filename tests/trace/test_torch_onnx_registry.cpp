// torch.onnx 1.13 exports the aten ops of its symbolic registry (345 names,
// tests/trace/torch_onnx_registry.txt, written by
// scripts/gen_torch_onnx_registry.py). Issue 11 asks onnxport to capture
// every one of them, or to say in docs/torch-onnx-registry.md why not. This
// test holds both sides in step: a name the engine has no rule for must be
// listed there with a reason, and a listed name the engine now captures must
// leave the list. (That a captured tensor op is also translated at every
// opset is the op-consistency test's job: docs/op-consistency.md.)
#include "trace/tracer.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#ifndef ONNXPORT_REPO_ROOT
#error "ONNXPORT_REPO_ROOT must name the source tree"
#endif

namespace onnxport {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> registry_names() {
  std::ifstream in(fs::path(ONNXPORT_REPO_ROOT) / "tests" / "trace" / "torch_onnx_registry.txt");
  std::vector<std::string> names;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) names.push_back(line);
  return names;
}

// Rows `| \`aten::name\` | reason |` of docs/torch-onnx-registry.md's table of
// names onnxport does not capture.
std::map<std::string, std::string> documented_gaps(std::vector<std::string>& errors) {
  const fs::path path = fs::path(ONNXPORT_REPO_ROOT) / "docs" / "torch-onnx-registry.md";
  std::ifstream in(path);
  std::map<std::string, std::string> out;
  if (!in) {
    errors.push_back("cannot read " + path.string());
    return out;
  }
  const std::regex row(R"(^\|\s*`(aten::[^`]+)`\s*\|\s*(.*?)\s*\|\s*$)");
  int number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    std::smatch m;
    if (!std::regex_match(line, m, row)) continue;
    const std::string where = "docs/torch-onnx-registry.md:" + std::to_string(number);
    if (std::string(m[2]).empty()) errors.push_back(where + ": " + std::string(m[1]) + " has no reason");
    if (!out.emplace(m[1], m[2]).second) errors.push_back(where + ": " + std::string(m[1]) + " is listed twice");
  }
  return out;
}

// torch.onnx drops one trailing "_" (the in-place marker) from a node's kind
// before it looks the kind up, so a registry name N stands for the
// TorchScript kinds N and N + "_" ("aten::__and_" is aten::__and__).
bool engine_captures(const std::string& registry_name) {
  return trace::Tracer::has_rule_for(registry_name) || trace::Tracer::has_rule_for(registry_name + "_");
}

TEST(TorchOnnxRegistry, EveryNameIsCapturedOrDocumented) {
  const std::vector<std::string> names = registry_names();
  ASSERT_GT(names.size(), 300u) << "tests/trace/torch_onnx_registry.txt is missing or short";
  std::vector<std::string> errors;
  const std::map<std::string, std::string> gaps = documented_gaps(errors);
  const std::set<std::string> known(names.begin(), names.end());
  size_t captured = 0;
  for (const std::string& name : names) {
    const bool captures = engine_captures(name);
    const bool listed = gaps.count(name) != 0;
    captured += captures ? 1 : 0;
    if (!captures && !listed)
      errors.push_back(name + ": the engine has no rule for it and docs/torch-onnx-registry.md gives no reason");
    if (captures && listed)
      errors.push_back(name + ": the engine captures it now; remove its row from docs/torch-onnx-registry.md");
  }
  for (const auto& [name, reason] : gaps)
    if (known.count(name) == 0) errors.push_back(name + ": listed in docs/torch-onnx-registry.md but not a registry name");
  // The page's summary line states the count; keep it true.
  std::ifstream in(fs::path(ONNXPORT_REPO_ROOT) / "docs" / "torch-onnx-registry.md");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string summary = "onnxport captures **" + std::to_string(captured) + " of " + std::to_string(names.size());
  if (text.find(summary) == std::string::npos)
    errors.push_back("docs/torch-onnx-registry.md does not say \"" + summary + "\"");
  for (const std::string& e : errors) ADD_FAILURE() << e;
}

}  // namespace
}  // namespace onnxport
