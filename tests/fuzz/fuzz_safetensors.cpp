// Fuzz target: a safetensors file (weights, inputs, expected outputs;
// onnxport inspect FILE.safetensors). Every byte of every tensor read is
// touched, so a tensor that claims bytes past the mapping is caught.
#include "fuzz_support.hpp"

#include <onnxport_core/bundle.hpp>

using namespace onnxport;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::filesystem::path file = fuzz::scratch().path() / "input.safetensors";
  fuzz::write_file(file, data, size);
  fuzz::expect_input_errors_only("read_safetensors", [&] {
    const TensorMap tensors = read_safetensors(file);
    unsigned checksum = 0;
    for (const auto& [name, t] : tensors.items()) {
      const std::byte* bytes = t.bytes();
      for (size_t i = 0; i < t.nbytes(); ++i) checksum += std::to_integer<unsigned>(bytes[i]);
      if (t.numel() > 0) checksum += static_cast<unsigned>(t.get_double(t.numel() - 1) != 0.0);
    }
    volatile unsigned sink = checksum;
    (void)sink;
  });
  return 0;
}
