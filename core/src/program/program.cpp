// Program IR helpers (sdk/include/onnxport/program.hpp).
#include <onnxport/program.hpp>

namespace onnxport {

const ModuleInfo* ModuleInfo::child(std::string_view name) const {
  // Modules have few children; a linear scan keeps registration order simple.
  for (const auto& [child_name, info] : children)
    if (child_name == name) return &info;
  return nullptr;
}

std::vector<const ProgramValue*> Program::user_inputs() const {
  std::vector<const ProgramValue*> out;
  out.reserve(inputs.size());
  for (const auto& v : inputs) {
    if (v.type == "Module") continue;  // "self": the module, not something a user feeds
    out.push_back(&v);
  }
  return out;
}

}  // namespace onnxport
