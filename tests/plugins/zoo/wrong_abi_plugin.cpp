// Descriptor claiming a future ABI version.
#include "descriptor_common.hpp"

ZOO_EXPORT_DESCRIPTOR((onnxport_plugin_v1{3u, static_cast<uint32_t>(sizeof(onnxport_plugin_v1)), "plugintest-wrong-abi",
                                          "0.0.1", "ABI 3", ONNXPORT_BUILD_FINGERPRINT, &zoo::register_nothing}))
