// Fuzz target: a JSON config (onnxport export -c FILE, onnxport plugins -c FILE).
#include "fuzz_support.hpp"

#include <onnxport_core/config.hpp>

using namespace onnxport;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::filesystem::path file = fuzz::scratch().path() / "config.json";
  fuzz::write_file(file, data, size);
  fuzz::expect_input_errors_only("load_config", [&] { (void)load_config(file); });
  return 0;
}
