// A plugin built for a future ABI (version 99): the host must refuse it
// before reading anything past abi_version and struct_size.
#include <onnxport/plugin.h>

#include <boost/dll/alias.hpp>

namespace {
int never_called(void*, char*, size_t) { return 1; }
}  // namespace

extern "C" const onnxport_plugin_v1* integration_wrong_abi_describe() {
  static const onnxport_plugin_v1 descriptor = {
      99u, static_cast<uint32_t>(sizeof(onnxport_plugin_v1)), "integration-wrong-abi", "0.0.1",
      "declares ABI version 99", "none", &never_called,
  };
  return &descriptor;
}
BOOST_DLL_ALIAS(integration_wrong_abi_describe, onnxport_plugin)
