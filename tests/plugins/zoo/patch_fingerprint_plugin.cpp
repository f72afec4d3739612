// Same compiler and standard library, a different SDK patch level: the C++
// ABI is unchanged, so the host must accept it.
#include "descriptor_common.hpp"

// "0.4.0" -> "0.4.099": another patch level of the host's own major.minor.
#define ZOO_PATCH_FINGERPRINT \
  "onnxport-sdk " ONNXPORT_SDK_VERSION "99; " ONNXPORT_COMPILER_ID "; " ONNXPORT_STDLIB_ID

ZOO_EXPORT_DESCRIPTOR((onnxport_plugin_v1{ONNXPORT_ABI_VERSION, static_cast<uint32_t>(sizeof(onnxport_plugin_v1)),
                                          "plugintest-patch", "0.0.1", "other SDK patch level", ZOO_PATCH_FINGERPRINT,
                                          &zoo::register_nothing}))
