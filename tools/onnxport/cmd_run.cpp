// onnxport run BUNDLE_DIR [--inputs FILE] [--onnx MODEL] [--save FILE] [--save-onnx FILE]
//
// Runs the reference interpreter on the program; compares with
// expected.safetensors when the inputs are the bundle's own; with --onnx, also
// runs that model in ONNX Runtime on the same inputs and compares it with the
// reference. Exit code 1 when any comparison fails.
#include "cli_common.hpp"
#include "program_text.hpp"

#include <onnxport/trace.hpp>
#include <onnxport_core/bundle.hpp>
#include <onnxport_core/onnx_passes.hpp>
#include <onnxport_core/ort.hpp>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace onnxport::cli {

namespace {

namespace fs = std::filesystem;

struct RunArgs {
  std::string bundle;
  std::string inputs;
  std::string onnx;
  std::string save;
  std::string save_onnx;
  double atol = 1e-4;
  double rtol = 1e-3;
  uint64_t seed = 0;
};

// The program's inputs as an inputs file names them: forward's parameters
// without self, a list or tuple input by its elements ("lx.0", "lx.1").
std::vector<std::string> input_file_names(const Program& program) {
  std::vector<std::string> names;
  for (const ProgramValue* v : program.user_inputs()) {
    if (v->elements.empty()) names.push_back(v->name);
    for (const ProgramValue& e : v->elements) names.push_back(e.name);
  }
  return names;
}

// An inputs file written without names (onnxport.save_inputs of a tuple)
// holds "input.0", "input.1", ...: they are the program's inputs in order.
TensorMap by_position_if_unnamed(const TensorMap& read, const Program& program, const std::string& file) {
  const size_t count = read.items().size();
  if (count == 0) return read;
  for (size_t i = 0; i < count; ++i)
    if (read.find("input." + std::to_string(i)) == nullptr) return read;  // named inputs
  const std::vector<std::string> names = input_file_names(program);
  if (count > names.size())
    throw InputError(file, "", std::to_string(count) + " positional inputs (input.0, ...) for " +
                                   std::to_string(names.size()) + " program input(s)");
  TensorMap named;
  for (size_t i = 0; i < count; ++i) named.set(names[i], *read.find("input." + std::to_string(i)));
  return named;
}

// The tensor declarations of a program input: itself, or a list's elements
// (by their own names, "lx.0", as the inputs file names them).
void tensor_declarations(const ProgramValue& v, std::vector<const ProgramValue*>& out) {
  if (v.elements.empty()) {
    if (v.has_shape) out.push_back(&v);
    return;
  }
  for (const ProgramValue& e : v.elements) tensor_declarations(e, out);
}

std::string example_sizes(const std::vector<const ProgramValue*>& declarations) {
  std::string text;
  for (const ProgramValue* d : declarations)
    text += (text.empty() ? "" : ", ") + d->name + ": " + shape_str(d->shape);
  return text;
}

// A bundle written without a dynamic dim declares the example's size there,
// and the reference interpreter runs only that size. `onnxport export
// --dynamic` makes the ONNX model dynamic, not the bundle that `run`
// interprets, so a user who exported that way is told the two ways out
// (issue 13): the bundle's sizes, or a bundle written with the dim dynamic.
// Inputs of another rank or a missing input are left to the interpreter's
// own input check.
void check_static_sizes(const Program& program, const TensorMap& inputs, const std::string& file) {
  std::vector<const ProgramValue*> declarations;
  for (const ProgramValue* v : program.user_inputs()) tensor_declarations(*v, declarations);
  for (const ProgramValue* d : declarations) {
    const Tensor* t = inputs.find(d->name);
    if (t == nullptr || t->dim() != static_cast<int64_t>(d->shape.size())) continue;
    for (size_t i = 0; i < d->shape.size(); ++i) {
      const Dim& declared = d->shape[i];
      const int64_t actual = t->shape()[i];
      if (!declared.is_static() || declared.value() == actual) continue;
      const std::string dim = std::to_string(i);
      throw InputError(
          file, "input `" + d->name + "`",
          "size " + std::to_string(actual) + " at dim " + dim + ", where the bundle declares " + declared.str() +
              ": the bundle was written without a dynamic dim there, and `onnxport run` interprets the bundle "
              "(`onnxport export --dynamic` makes the ONNX model dynamic, not the bundle). Either feed inputs "
              "of the bundle's sizes (" +
              example_sizes(declarations) +
              "), or write the bundle again with that dim dynamic: `python3 -m onnxport.torch2program ... "
              "--dynamic " +
              d->name + ":" + dim + "=batch` (Python: write_bundle(..., dynamic_shapes={\"" + d->name + "\": {" +
              dim + ": \"batch\"}}); docs/torch2program.md)");
    }
  }
}

TensorMap choose_inputs(const RunArgs& args, const Program& program, std::string& description) {
  if (!args.inputs.empty()) {
    description = args.inputs;
    TensorMap given = by_position_if_unnamed(read_safetensors(args.inputs), program, args.inputs);
    check_static_sizes(program, given, args.inputs);
    return given;
  }
  if (!program.example_inputs.empty()) {
    description = "the bundle's inputs.safetensors";
    return program.example_inputs;
  }
  description = "random inputs (seed " + std::to_string(args.seed) + ")";
  return random_inputs(program, args.seed);
}

TensorMap as_map(const RunOutputs& outputs) {
  TensorMap map;
  for (size_t i = 0; i < outputs.tensors.size(); ++i)
    map.set(i < outputs.names.size() ? outputs.names[i] : "output." + std::to_string(i), outputs.tensors[i]);
  return map;
}

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

bool print_comparison(const Comparison& c) {
  std::cout << "  " << (c.ok ? "✅ " : "❌ ") << c.name << ": max abs diff " << fmt(c.max_abs) << ", max rel diff "
            << fmt(c.max_rel);
  if (!c.problem.empty()) std::cout << " (" << c.problem << ")";
  std::cout << "\n";
  return c.ok;
}

// Reference outputs vs `other`, position by position (names may differ).
bool compare_all(const std::vector<std::pair<std::string, Tensor>>& other, const RunOutputs& reference,
                 const RunArgs& args) {
  bool ok = other.size() == reference.tensors.size();
  if (!ok) std::cout << "  ❌ " << other.size() << " output(s) vs " << reference.tensors.size() << " in the reference\n";
  for (size_t i = 0; i < other.size() && i < reference.tensors.size(); ++i)
    ok = print_comparison(compare_tensors(other[i].first, other[i].second, reference.tensors[i], args.atol, args.rtol)) && ok;
  return ok;
}

// Model inputs (not initializers) fed from the program's user inputs, by position.
TensorMap model_feeds(const onnx::ModelProto& model, const Program& program, const TensorMap& inputs) {
  std::vector<std::string> initializers;
  for (const auto& t : model.graph().initializer()) initializers.push_back(t.name());
  std::sort(initializers.begin(), initializers.end());
  std::vector<std::string> names;
  for (const auto& in : model.graph().input())
    if (!std::binary_search(initializers.begin(), initializers.end(), in.name())) names.push_back(in.name());
  const auto user_inputs = program.user_inputs();
  if (names.size() != user_inputs.size())
    throw std::runtime_error("the model has " + std::to_string(names.size()) + " input(s), the program " +
                             std::to_string(user_inputs.size()));
  TensorMap feeds;
  for (size_t i = 0; i < names.size(); ++i) {
    const Tensor* t = inputs.find(user_inputs[i]->name);
    if (t == nullptr) throw InputError("inputs", user_inputs[i]->name, "no value for this program input");
    feeds.set(names[i], *t);
  }
  return feeds;
}

std::vector<std::pair<std::string, Tensor>> ordered_model_outputs(const onnx::ModelProto& model, const TensorMap& got) {
  std::vector<std::pair<std::string, Tensor>> out;
  for (const auto& o : model.graph().output()) {
    const Tensor* t = got.find(o.name());
    if (t == nullptr) throw std::runtime_error("ONNX Runtime returned no output `" + o.name() + "`");
    out.emplace_back(o.name(), *t);
  }
  return out;
}

// run_program, with a failure reported at its node: the diagnostic block,
// then one error line naming program.json and the node (a program without
// source locations has no other place to point at).
// nullopt when it failed (and was reported).
std::optional<RunOutputs> reference_outputs(const Program& program, const TensorMap& inputs) {
  try {
    return run_program(program, inputs);
  } catch (const DiagnosticError& e) {
    const Diagnostic& d = e.diagnostic();
    const auto node = d.details.find("node");
    if (node == d.details.end() || !node->is_string() || program.program_file.empty()) throw;
    std::cerr << d.to_text();
    print_error(program.program_file.string() + ": " + node->get<std::string>() +
                ": the reference interpreter failed: " + d.message);
    return std::nullopt;
  }
}

int run(const RunArgs& args) {
  Program program = load_program(args.bundle);
  std::string inputs_from;
  TensorMap inputs = choose_inputs(args, program, inputs_from);
  std::cout << "Inputs (" << inputs_from << "):\n" << tensors_to_text(inputs, 16);

  std::optional<RunOutputs> ran = reference_outputs(program, inputs);
  if (!ran) return kExitFailed;
  RunOutputs& reference = *ran;
  TensorMap reference_map = as_map(reference);
  std::cout << "Reference interpreter outputs:\n" << tensors_to_text(reference_map, 16);
  if (!args.save.empty()) write_safetensors(args.save, reference_map);

  bool ok = true;
  if (!program.expected_outputs.empty() && args.inputs.empty()) {
    std::cout << "Reference interpreter vs expected.safetensors:\n";
    ok = compare_all(program.expected_outputs.items(), reference, args) && ok;
  }
  if (!args.onnx.empty()) {
    if (!find_ort_runner()) throw std::runtime_error("ONNX Runtime not found: " + ort_not_found_reason());
    onnx::ModelProto model = read_model(args.onnx);
    TensorMap got = run_onnxruntime(args.onnx, model_feeds(model, program, inputs));
    auto outputs = ordered_model_outputs(model, got);
    TensorMap onnx_map;
    for (const auto& [name, t] : outputs) onnx_map.set(name, t);
    std::cout << "ONNX Runtime outputs (" << args.onnx << "):\n" << tensors_to_text(onnx_map, 16);
    if (!args.save_onnx.empty()) write_safetensors(args.save_onnx, onnx_map);
    std::cout << "ONNX Runtime vs reference interpreter:\n";
    ok = compare_all(outputs, reference, args) && ok;
  }
  return ok ? kExitOk : kExitFailed;
}

}  // namespace

void add_run_command(CLI::App& app, Action& action) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* cmd = app.add_subcommand(
      "run", "Run the reference interpreter on a bundle (and an ONNX model in ONNX Runtime) and compare the outputs");
  cmd->add_option("BUNDLE_DIR", args->bundle, "Program bundle folder")->required();
  cmd->add_option("--inputs", args->inputs, "Inputs by name in a .safetensors file (default: the bundle's, else random)");
  cmd->add_option("--onnx", args->onnx, "Also run this model in ONNX Runtime and compare with the reference");
  cmd->add_option("--save", args->save, "Write the reference outputs to this .safetensors file");
  cmd->add_option("--save-onnx", args->save_onnx, "Write the ONNX Runtime outputs to this .safetensors file");
  cmd->add_option("--atol", args->atol, "Absolute tolerance")->capture_default_str();
  cmd->add_option("--rtol", args->rtol, "Relative tolerance")->capture_default_str();
  cmd->add_option("--seed", args->seed, "Seed of the random inputs")->capture_default_str();
  cmd->callback([&action, args] { action = [args] { return run(*args); }; });
}

}  // namespace onnxport::cli
