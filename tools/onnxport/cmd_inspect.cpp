// onnxport inspect FILE: a program bundle (folder or program.json), a graph
// dumped by --dump-graph, an .onnx model (ONNX's text syntax) or a
// .safetensors file, as readable text.
#include "cli_common.hpp"
#include "program_text.hpp"

#include <onnxport/graph.hpp>
#include <onnxport_core/bundle.hpp>
#include <onnxport_core/json_input.hpp>
#include <onnxport_core/onnx_passes.hpp>

#include <iostream>
#include <memory>

namespace onnxport::cli {

namespace {

namespace fs = std::filesystem;

// An InputError from a parser that did not know the file name, re-aimed at `file`.
InputError renamed(const InputError& e, const fs::path& file) {
  std::string what = e.what();
  const std::string prefix = e.file() + (e.place().empty() ? "" : ": " + e.place()) + ": ";
  if (what.rfind(prefix, 0) == 0) what = what.substr(prefix.size());
  return InputError(file.string(), e.place(), what);
}

std::string inspect_json(const fs::path& file) {
  nlohmann::json doc = onnxport::read_json_file(file);
  const auto format_it = doc.is_object() ? doc.find("format") : doc.end();
  if (doc.is_object() && format_it != doc.end() && !format_it->is_string())
    throw InputError(file.string(), "/format", "expected a string, got " + std::string(format_it->type_name()));
  const std::string format = doc.is_object() && format_it != doc.end() ? format_it->get<std::string>() : "";
  if (format == "onnxport.program") {
    // A bundle's program.json: load the whole bundle so weights are listed;
    // a lone program.json (no weights beside it) is listed on its own.
    if (fs::exists(file.parent_path() / "weights.safetensors") && file.filename() == "program.json")
      return program_to_text(load_program(file.parent_path().empty() ? fs::path(".") : file.parent_path()));
    return program_to_text(parse_program(doc, file));
  }
  if (format == "onnxport.graph") {
    try {
      return Graph::from_json(doc).to_text();
    } catch (const InputError& e) {
      throw renamed(e, file);
    }
  }
  throw InputError(file.string(), "/format",
                   "not a program (\"onnxport.program\") or a dumped graph (\"onnxport.graph\"): got " +
                       (format.empty() ? std::string("no format") : "\"" + format + "\""));
}

int inspect(const std::string& target) {
  const fs::path file = target;
  std::error_code ec;
  if (fs::is_directory(file, ec)) {
    std::cout << program_to_text(load_program(file));
    return kExitOk;
  }
  if (!fs::exists(file, ec)) throw InputError(file.string(), "", "no such file or folder");
  const std::string ext = file.extension().string();
  if (ext == ".onnx") {
    std::cout << model_to_text(read_model(file)) << "\n";
  } else if (ext == ".safetensors") {
    std::cout << tensors_to_text(read_safetensors(file), 16);
  } else {
    std::cout << inspect_json(file);
  }
  return kExitOk;
}

}  // namespace

void add_inspect_command(CLI::App& app, Action& action) {
  auto target = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "inspect", "Print a program bundle, a dumped graph (--dump-graph), an .onnx model or a .safetensors file");
  cmd->add_option("FILE", *target, "Bundle folder, program.json, graph .json, .onnx or .safetensors")->required();
  cmd->callback([&action, target] { action = [target] { return inspect(*target); }; });
}

}  // namespace onnxport::cli
