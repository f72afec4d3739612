// load_program: a bundle folder -> Program with weights, example inputs and
// expected outputs attached and cross-checked against the declarations.
#include <onnxport_core/bundle.hpp>

#include "base/json_cursor.hpp"
#include "base/json_file.hpp"

namespace onnxport {

namespace {

// A parameter or buffer the module tree declares, with where it is declared.
struct DeclaredTensor {
  std::string dotted_name;  // "mlp.0.weight"
  std::string pointer;      // "/module/children/mlp/children/0/parameters/0"
  const std::vector<int64_t>* shape = nullptr;  // from parameter_shapes, if declared
  std::string shape_pointer;                    // ".../parameter_shapes/weight"
};

void collect_declared(const ModuleInfo& m, const std::string& prefix, const std::string& pointer,
                      std::vector<DeclaredTensor>& out) {
  auto add = [&](const std::vector<std::string>& names, const char* list) {
    for (size_t i = 0; i < names.size(); ++i) {
      DeclaredTensor d;
      d.dotted_name = prefix + names[i];
      d.pointer = pointer + "/" + list + "/" + std::to_string(i);
      for (const auto& [name, shape] : m.parameter_shapes)
        if (name == names[i]) {
          d.shape = &shape;
          d.shape_pointer = pointer + "/parameter_shapes/" + json_pointer_token(name);
        }
      out.push_back(std::move(d));
    }
  };
  add(m.parameters, "parameters");
  add(m.buffers, "buffers");
  for (const auto& [name, child] : m.children)
    collect_declared(child, prefix + name + ".", pointer + "/children/" + json_pointer_token(name), out);
}

std::string sizes_str(const std::vector<int64_t>& sizes) { return shape_str(shape_of(sizes)); }

void check_weights(const Program& p, const std::vector<DeclaredTensor>& declared, const std::filesystem::path& file) {
  for (const auto& d : declared) {
    const Tensor* t = p.weights.find(d.dotted_name);
    if (!t) throw InputError(file.string(), "", "missing weight '" + d.dotted_name + "' declared at " + d.pointer);
    if (d.shape && t->shape() != *d.shape)
      throw InputError(file.string(), "/" + json_pointer_token(d.dotted_name),
                       "weight '" + d.dotted_name + "' has shape " + sizes_str(t->shape()) + " in " +
                           file.filename().string() + " but the program declares " + sizes_str(*d.shape) + " at " +
                           d.shape_pointer);
  }
}

// Example inputs must name a user input ("x") or a position ("args.0") and
// agree with its declared dtype and static dims.
void check_example_inputs(const Program& p, const std::filesystem::path& file) {
  const auto users = p.user_inputs();
  auto declaration = [&](const std::string& name) -> std::pair<const ProgramValue*, size_t> {
    for (size_t i = 0; i < users.size(); ++i) {
      if (users[i]->name == name || name == "args." + std::to_string(i)) return {users[i], i};
    }
    return {nullptr, 0};
  };
  auto input_pointer = [&](const ProgramValue* v) {
    for (size_t i = 0; i < p.inputs.size(); ++i)
      if (&p.inputs[i] == v) return "/graph/inputs/" + std::to_string(i);
    return std::string("/graph/inputs");
  };
  for (const auto& [name, t] : p.example_inputs.items()) {
    const std::string place = "/" + json_pointer_token(name);
    auto [decl, index] = declaration(name);
    if (!decl) {
      std::string known;
      for (const auto* u : users) known += (known.empty() ? "" : ", ") + u->name;
      throw InputError(file.string(), place, "tensor '" + name + "' matches no input of forward (inputs: " + known + ")");
    }
    if (decl->type != "Tensor") continue;
    bool ok = decl->dtype == DType::Undefined || decl->dtype == t.dtype();
    if (decl->has_shape) {
      ok = ok && decl->shape.size() == t.shape().size();
      for (size_t k = 0; ok && k < decl->shape.size(); ++k)
        ok = decl->shape[k].is_symbolic() || decl->shape[k].value() == t.shape()[k];
    }
    if (!ok)
      throw InputError(file.string(), place,
                       "tensor '" + name + "' is " + t.type_str() + " but the program declares " + decl->name + ": " +
                           std::string(dtype_short_name(decl->dtype)) + shape_str(decl->shape) + " at " +
                           input_pointer(decl));
  }
}

}  // namespace

Program load_program(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    throw InputError(dir.string(), "", "not a directory (expected a program bundle: a folder with program.json)");
  const auto program_file = dir / "program.json";
  Program p = parse_program(read_json_file(program_file), program_file);
  p.dir = dir;

  std::vector<DeclaredTensor> declared;
  collect_declared(p.module, "", "/module", declared);
  const auto weights_file = dir / "weights.safetensors";
  if (std::filesystem::exists(weights_file, ec)) {
    p.weights = read_safetensors(weights_file);
  } else if (!declared.empty()) {
    throw InputError(weights_file.string(), "",
                     "file not found, but the module tree declares " + std::to_string(declared.size()) +
                         " parameters/buffers (e.g. '" + declared.front().dotted_name + "' at " +
                         declared.front().pointer + ")");
  }
  check_weights(p, declared, weights_file);

  const auto inputs_file = dir / "inputs.safetensors";
  if (std::filesystem::exists(inputs_file, ec)) {
    p.example_inputs = read_safetensors(inputs_file);
    check_example_inputs(p, inputs_file);
  }
  const auto expected_file = dir / "expected.safetensors";
  if (std::filesystem::exists(expected_file, ec)) p.expected_outputs = read_safetensors(expected_file);
  return p;
}

}  // namespace onnxport
