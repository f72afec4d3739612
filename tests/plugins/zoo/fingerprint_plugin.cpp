// Descriptor built by "another compiler": the host must refuse it.
#include "descriptor_common.hpp"

#define ZOO_FOREIGN_FINGERPRINT "onnxport-sdk 0.1.0; msvc19; msvcprt"

ZOO_EXPORT_DESCRIPTOR((onnxport_plugin_v1{ONNXPORT_ABI_VERSION, static_cast<uint32_t>(sizeof(onnxport_plugin_v1)),
                                          "plugintest-foreign", "0.0.1", "foreign build", ZOO_FOREIGN_FINGERPRINT,
                                          &zoo::register_nothing}))
