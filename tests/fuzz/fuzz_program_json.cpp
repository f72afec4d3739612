// Fuzz target: program.json text, read both ways the host reads it: the
// streaming reader (load_program, onnxport export/run) and the whole-document
// reader (onnxport inspect FILE.json), which also reads a graph dumped by
// --dump-graph ("format": "onnxport.graph") and prints it. The streaming
// reader's two halves must agree: a text its fast reader reads, the checked
// reader reads into the same Program (program_json.hpp).
#include "fuzz_support.hpp"

#include "../support/program_description.hpp"
#include "base/json_file.hpp"
#include "program/program_json.hpp"

#include <onnxport/graph.hpp>
#include <onnxport_core/bundle.hpp>

using namespace onnxport;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = fuzz::as_text(data, size);
  const std::filesystem::path file = "program.json";
  fuzz::expect_input_errors_only("parse_program_text", [&] {
    Program p = parse_program_text(text, file);
    // Walk what was read, as every later stage does.
    size_t nodes = 0;
    p.for_each_node([&](const ProgramNode&) { ++nodes; });
    (void)p.user_inputs();
  });
  fuzz::expect_input_errors_only("read_program_text_fast", [&] {
    TiedWeights fast_tied, checked_tied;
    const std::optional<Program> fast = read_program_text_fast(text, file, fast_tied);
    if (!fast) return;  // declined: the checked reader alone decides
    std::optional<Program> checked;
    try {
      checked = read_program_text_checked(text, file, checked_tied);
    } catch (const InputError& e) {
      fuzz::finding(std::string("the fast program.json reader read a text the checked one refuses: ") + e.what());
    }
    if (test::describe_program(*fast, fast_tied) != test::describe_program(*checked, checked_tied))
      fuzz::finding("the fast and the checked program.json readers read the text into different Programs");
  });
  fuzz::expect_input_errors_only("parse_program", [&] {
    const nlohmann::json doc = parse_json_text(text, file);
    const bool is_graph = doc.is_object() && doc.contains("format") && doc["format"] == "onnxport.graph";
    if (is_graph) (void)Graph::from_json(doc).to_text();
    else (void)parse_program(doc, file);
  });
  return 0;
}
