// Fuzz target: an .onnx file as onnxport inspect and the report read it:
// parsed as a ModelProto, printed in ONNX's text syntax, op types counted,
// node provenance read.
#include "fuzz_support.hpp"

#include <onnxport_core/onnx_passes.hpp>

using namespace onnxport;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::filesystem::path file = fuzz::scratch().path() / "model.onnx";
  fuzz::write_file(file, data, size);
  fuzz::expect_input_errors_only("inspect .onnx", [&] {
    const onnx::ModelProto model = read_model(file);
    (void)model_to_text(model);
    (void)count_op_types(model);
    for (const auto& node : model.graph().node()) (void)node_metadata(node);
  });
  return 0;
}
