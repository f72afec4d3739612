#include "pipeline/trace_specialization.hpp"

#include <algorithm>
#include <string_view>

namespace onnxport::pipeline {

namespace {

// torch 1.13 ends every warning about a value the trace could not follow with
// one of these (tensor → Python bool/int/float/index, len() or iteration of a
// tensor, an in-place write to a view, a container built from inputs).
constexpr std::string_view kSpecializedMarkers[] = {
    "might cause the trace to be incorrect",
    "might not generalize to other inputs",
    "silently give incorrect results",
};

// The one TracerWarning of that family that is usually harmless: torch.tensor()
// of Python constants. It is kept as a warning in the program, not treated as
// a specialization.
constexpr std::string_view kConstantTensorWarning = "results are registered as constants in the trace";

bool says_specialized(std::string_view warning) {
  if (warning.find(kConstantTensorWarning) != std::string_view::npos) return false;
  for (std::string_view marker : kSpecializedMarkers)
    if (warning.find(marker) != std::string_view::npos) return true;
  return false;
}

// "a.py:3: Converting ... incorrect. We can't record ..." → up to the first ". ".
std::string first_sentence(const std::string& warning) {
  const size_t end = warning.find(". ");
  return end == std::string::npos ? warning : warning.substr(0, end + 1);
}

// The strings of producer[key], or none.
std::vector<std::string> producer_strings(const Program& program, const char* key) {
  std::vector<std::string> out;
  if (!program.producer.is_object()) return out;
  auto list = program.producer.find(key);
  if (list == program.producer.end() || !list->is_array()) return out;
  for (const auto& item : *list)
    if (item.is_string()) out.push_back(item.get<std::string>());
  return out;
}

}  // namespace

std::vector<std::string> trace_specializations(const Program& program) {
  // An argument check (`assert`, `if ...: raise`) only decides whether eager
  // raises: the trace kept the path of every valid input, as the engine's
  // raise-branch rule does for scripted programs.
  const std::vector<std::string> checks = producer_strings(program, "trace_checks");
  // A frozen number that torch2program guards (aten::_assert_async in the
  // graph) is the tracing engine's to decide, like any size condition.
  const std::vector<std::string> guarded = producer_strings(program, "trace_guards");
  auto listed = [](const std::vector<std::string>& list, const std::string& w) {
    return std::find(list.begin(), list.end(), w) != list.end();
  };
  std::vector<std::string> found;
  for (const std::string& w : producer_strings(program, "trace_warnings"))
    if (says_specialized(w) && !listed(checks, w) && !listed(guarded, w)) found.push_back(first_sentence(w));
  return found;
}

}  // namespace onnxport::pipeline
