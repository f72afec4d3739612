// Descriptor whose struct_size stops before the v1 fields end (a truncated
// or foreign structure).
#include "descriptor_common.hpp"

ZOO_EXPORT_DESCRIPTOR((onnxport_plugin_v1{ONNXPORT_ABI_VERSION, 16u, "plugintest-small", "0.0.1", "too small",
                                          ONNXPORT_BUILD_FINGERPRINT, &zoo::register_nothing}))
