// load_program: a bundle folder -> Program with weights, example inputs and
// expected outputs attached and cross-checked against the declarations.
#include <onnxport_core/bundle.hpp>

#include "base/json_cursor.hpp"
#include "base/json_file.hpp"
#include "program/node_schemas.hpp"
#include "program_constants.hpp"
#include "program_json.hpp"

#include <algorithm>
#include <optional>
#include <unordered_map>
#include <unordered_set>

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

// Tied weights (program.json "tied_weights"): each name gets the tensor of
// its target, the same bytes (translation then writes one initializer).
void resolve_tied_weights(Program& p, const TiedWeights& tied_weights, const std::vector<DeclaredTensor>& declared,
                          const std::filesystem::path& file) {
  std::unordered_set<std::string> is_declared, tied;
  for (const DeclaredTensor& d : declared) is_declared.insert(d.dotted_name);
  for (const auto& [name, target] : tied_weights) tied.insert(name);
  for (const auto& [name, target] : tied_weights) {
    const std::string where = "/tied_weights/" + json_pointer_token(name);
    const std::string program = p.program_file.string();
    if (!is_declared.count(name))
      throw InputError(program, where, "'" + name + "' is not a parameter or buffer of the module tree");
    if (p.weights.find(name) != nullptr)
      throw InputError(program, where, "'" + name + "' is tied to '" + target + "', but " + file.filename().string() +
                                           " also stores it (a tied weight is stored once, under its target)");
    if (tied.count(target))
      throw InputError(program, where, "'" + name + "' is tied to '" + target + "', which is tied itself; name the "
                                           "weight that " + file.filename().string() + " stores");
    const Tensor* t = p.weights.find(target);
    if (t == nullptr)
      throw InputError(program, where, "'" + name + "' is tied to '" + target + "', which " + file.filename().string() +
                                           " does not store");
    p.weights.set(name, *t);
  }
}

// ------------------------------------------------------------------ tensor constants

// {"tensor_ref": name} in constants and module attributes must name a tensor
// of weights.safetensors.
void check_tensor_ref(const std::string& name, const std::string& pointer, const Program& p,
                      const std::filesystem::path& weights_file) {
  if (p.weights.contains(name)) return;
  std::error_code ec;
  const bool exists = std::filesystem::exists(weights_file, ec);
  throw InputError(p.program_file.string(), pointer,
                   "tensor '" + name + "' is not in " + weights_file.string() +
                       (exists ? "" : " (the file does not exist)"));
}

void check_tensor_refs_in_module(const ModuleInfo& m, const std::string& pointer, const Program& p,
                                 const std::filesystem::path& weights_file) {
  for (const auto& [name, value] : m.attributes.items())
    for_each_tensor_ref(value, pointer + "/attributes/" + json_pointer_token(name),
                        [&](const std::string& ref, const std::string& at) { check_tensor_ref(ref, at, p, weights_file); });
  for (const auto& [name, child] : m.children)
    check_tensor_refs_in_module(child, pointer + "/children/" + json_pointer_token(name), p, weights_file);
}

void check_tensor_refs(const Program& p, const std::filesystem::path& weights_file) {
  p.for_each_node([&](const ProgramNode& n) {
    if (n.kind != "prim::Constant" || !n.attrs.contains("value")) return;
    for_each_tensor_ref(n.attrs["value"], n.json_path + "/attrs/value",
                        [&](const std::string& ref, const std::string& at) { check_tensor_ref(ref, at, p, weights_file); });
  });
  check_tensor_refs_in_module(p.module, "/module", p, weights_file);
}

// ------------------------------------------------------------------ example inputs

bool starts_with(const std::string& s, std::string_view prefix) { return s.rfind(prefix, 0) == 0; }
bool is_sequence_type(const std::string& type) { return starts_with(type, "List[") || starts_with(type, "Tuple["); }

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "output.12" -> 12; nullopt for other names (and absurdly long numbers).
std::optional<size_t> output_index(const std::string& name) {
  constexpr std::string_view prefix = "output.";
  if (!starts_with(name, prefix)) return std::nullopt;
  const std::string digits = name.substr(prefix.size());
  if (!all_digits(digits) || digits.size() > 9) return std::nullopt;
  return static_cast<size_t>(std::stoul(digits));
}

// What a name in inputs.safetensors stands for: a user input ("x", "args.0")
// or an element of a List/Tuple input ("lx.1").
struct InputSlot {
  const ProgramValue* decl = nullptr;  // what the tensor must fit
  std::string pointer;                 // "/graph/inputs/5/elements/1"
};

class ExampleInputChecker {
 public:
  ExampleInputChecker(const Program& p, const std::filesystem::path& file) : p_(p), file_(file.string()) {
    size_t position = 0;
    for (size_t i = 0; i < p.inputs.size(); ++i) {
      const ProgramValue& in = p.inputs[i];
      if (in.type == "Module") continue;
      const std::string pointer = "/graph/inputs/" + std::to_string(i);
      add_slot(in.name, in, pointer);
      slots_.emplace("args." + std::to_string(position++), InputSlot{&in, pointer});
    }
  }

  void check_all() const {
    for (const auto& [name, t] : p_.example_inputs.items()) check(name, t);
    for (const auto& [decl, pointer] : sequences_) check_complete(*decl, pointer);
  }

 private:
  void add_slot(const std::string& name, const ProgramValue& decl, const std::string& pointer) {
    slots_.emplace(name, InputSlot{&decl, pointer});
    if (!decl.elements.empty()) sequences_.emplace_back(&decl, pointer);
    for (size_t k = 0; k < decl.elements.size(); ++k)
      add_slot(decl.elements[k].name, decl.elements[k], pointer + "/elements/" + std::to_string(k));
  }

  void check(const std::string& name, const Tensor& t) const {
    const std::string place = "/" + json_pointer_token(name);
    auto it = slots_.find(name);
    if (it == slots_.end()) {
      if (is_undeclared_element(name)) return;  // "lx.3" of a List input whose elements are not declared
      std::string known;
      for (const auto* u : p_.user_inputs()) known += (known.empty() ? "" : ", ") + u->name;
      throw InputError(file_, place, "tensor '" + name + "' matches no input of forward (inputs: " + known + ")");
    }
    const ProgramValue& d = *it->second.decl;
    auto fail = [&](const std::string& why) {
      throw InputError(file_, place, "tensor '" + name + "' is " + t.type_str() + " but " + why + " at " + it->second.pointer);
    };
    if (d.type == "NoneType") fail("the program declares " + d.name + ": NoneType (None has no tensor)");
    if (is_sequence_type(d.type))
      fail("the program declares " + d.name + ": " + d.type + " (its elements are stored as '" + d.name + ".0', '" +
           d.name + ".1', ...)");
    if (d.type == "int" || d.type == "float" || d.type == "bool") {
      const bool family = d.type == "bool"    ? t.dtype() == DType::Bool
                          : d.type == "float" ? is_floating(t.dtype())
                                              : is_integral(t.dtype()) && t.dtype() != DType::Bool;
      if (!family || t.numel() != 1) fail("the program declares " + d.name + ": " + d.type + " (a one-element tensor)");
      return;
    }
    if (d.type != "Tensor") return;  // Optional[Tensor], ...: nothing declared to compare with
    bool ok = d.dtype == DType::Undefined || d.dtype == t.dtype();
    if (d.has_shape) {
      ok = ok && d.shape.size() == t.shape().size();
      for (size_t k = 0; ok && k < d.shape.size(); ++k) ok = d.shape[k].is_symbolic() || d.shape[k].value() == t.shape()[k];
    }
    if (!ok)
      fail("the program declares " + d.name + ": " + std::string(dtype_short_name(d.dtype)) + shape_str(d.shape));
  }

  // "lx.3" where lx is a List/Tuple input that declares no elements.
  bool is_undeclared_element(const std::string& name) const {
    const size_t dot = name.rfind('.');
    if (dot == std::string::npos || !all_digits(std::string_view(name).substr(dot + 1))) return false;
    auto it = slots_.find(name.substr(0, dot));
    return it != slots_.end() && is_sequence_type(it->second.decl->type) && it->second.decl->elements.empty();
  }

  // A sequence given in part is an error: its elements go together.
  void check_complete(const ProgramValue& seq, const std::string& pointer) const {
    const ProgramValue* present = nullptr;
    const ProgramValue* missing = nullptr;
    size_t missing_index = 0;
    for (size_t k = 0; k < seq.elements.size(); ++k) {
      if (p_.example_inputs.contains(seq.elements[k].name)) present = present ? present : &seq.elements[k];
      else if (!missing) missing = &seq.elements[k], missing_index = k;
    }
    if (present && missing)
      throw InputError(file_, "/" + json_pointer_token(present->name),
                       "has '" + present->name + "' but not '" + missing->name + "' (element " +
                           std::to_string(missing_index) + " of " + seq.name + ", declared at " + pointer +
                           "/elements/" + std::to_string(missing_index) + ")");
  }

  const Program& p_;
  std::string file_;
  std::unordered_map<std::string, InputSlot> slots_;
  std::vector<std::pair<const ProgramValue*, std::string>> sequences_;  // inputs with declared elements
};

// ------------------------------------------------------------------ expected outputs

// expected.safetensors holds forward's outputs ("output.0", "output.1", ...,
// or by graph output name) and then the buffers forward updated in place
// (dotted names). Splits them, outputs in output order (the file lays tensors
// out by element size, not by index).
void split_expected(Program& p, const TensorMap& all, const std::vector<DeclaredTensor>& declared,
                    const std::filesystem::path& file) {
  std::unordered_map<std::string, const DeclaredTensor*> state;
  for (const auto& d : declared) state.emplace(d.dotted_name, &d);
  std::unordered_map<std::string, size_t> output_position;
  for (size_t i = 0; i < p.graph.outputs.size(); ++i) output_position.emplace(p.graph.outputs[i], i);

  std::vector<std::pair<size_t, const std::pair<std::string, Tensor>*>> positional, named;
  for (const auto& item : all.items()) {
    const auto& [name, t] = item;
    const std::string place = "/" + json_pointer_token(name);
    if (const auto index = output_index(name)) {
      positional.emplace_back(*index, &item);
    } else if (auto o = output_position.find(name); o != output_position.end()) {
      named.emplace_back(o->second, &item);
    } else if (auto s = state.find(name); s != state.end()) {
      const Tensor* before = p.weights.find(name);
      if (before && (before->dtype() != t.dtype() || before->shape() != t.shape()))
        throw InputError(file.string(), place,
                         "buffer '" + name + "' is " + t.type_str() + " after forward but " + before->type_str() +
                             " in weights.safetensors (an in-place update keeps dtype and shape)");
      p.expected_buffers.set(name, t);
    } else {
      throw InputError(file.string(), place,
                       "tensor '" + name + "' is neither an output ('output.N' or a name in /graph/outputs) nor a "
                       "parameter or buffer of the module tree");
    }
  }
  if (!positional.empty() && !named.empty())
    throw InputError(file.string(), "/" + json_pointer_token(named.front().second->first),
                     "outputs are named both by position ('" + positional.front().second->first +
                         "') and by name; use one scheme");
  auto& outputs = positional.empty() ? named : positional;
  std::sort(outputs.begin(), outputs.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (&outputs == &positional && outputs[i].first != i)
      throw InputError(file.string(), "/" + json_pointer_token(outputs[i].second->first),
                       (i > 0 && outputs[i].first == outputs[i - 1].first ? "duplicate output index"
                                                                          : "there is no 'output." + std::to_string(i) + "'") +
                           std::string(" (outputs are numbered from 0 without gaps)"));
    p.expected_outputs.set(outputs[i].second->first, outputs[i].second->second);
  }
}

// ------------------------------------------------------------------ bundle files

// A bundle reads only its own files: program.json, weights.safetensors,
// inputs.safetensors and expected.safetensors in its folder. One of them may
// be a symbolic link, but only to a file inside the bundle folder, so a
// bundle from elsewhere cannot make the host read (and print, and copy into a
// model) a file outside it. Readers refuse what is not a regular file.
void check_inside_bundle(const std::filesystem::path& dir, const std::filesystem::path& file) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_symlink(fs::symlink_status(file, ec))) return;
  const fs::path root = fs::weakly_canonical(dir, ec);
  const fs::path target = fs::weakly_canonical(file, ec);
  if (ec) throw InputError(file.string(), "", "cannot resolve the symbolic link: " + ec.message());
  const fs::path rel = target.lexically_relative(root);
  if (rel.empty() || *rel.begin() == "..")
    throw InputError(file.string(), "",
                     "is a symbolic link to " + target.string() + ", outside the bundle folder " + root.string() +
                         "; a bundle may only read files inside its folder (copy the file in)");
}

}  // namespace

Program load_program(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    throw InputError(dir.string(), "", "not a directory (expected a program bundle: a folder with program.json)");
  const auto program_file = dir / "program.json";
  for (const char* name : {"program.json", "weights.safetensors", "inputs.safetensors", "expected.safetensors"})
    check_inside_bundle(dir, dir / name);
  TiedWeights tied_weights;
  Program p = parse_program_text(read_text_file(program_file), program_file, tied_weights);
  p.dir = dir;
  // Before the weights are read: a node that fits no schema of its op is
  // refused at its place in program.json (docs/program-format.md).
  check_node_schemas(p);

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
  resolve_tied_weights(p, tied_weights, declared, weights_file);
  check_weights(p, declared, weights_file);
  check_tensor_refs(p, weights_file);

  const auto inputs_file = dir / "inputs.safetensors";
  if (std::filesystem::exists(inputs_file, ec)) {
    p.example_inputs = read_safetensors(inputs_file);
    ExampleInputChecker(p, inputs_file).check_all();
  }
  const auto expected_file = dir / "expected.safetensors";
  if (std::filesystem::exists(expected_file, ec)) split_expected(p, read_safetensors(expected_file), declared, expected_file);
  return p;
}

}  // namespace onnxport
