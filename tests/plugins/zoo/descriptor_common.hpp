// Hand-written descriptors for the bad-plugin zoo (what ONNXPORT_PLUGIN would
// never produce).
#pragma once

#include <onnxport/plugin.h>
#include <onnxport/version.hpp>

#include <boost/dll/alias.hpp>

namespace zoo {

inline int register_nothing(void*, char*, size_t) { return 0; }

}  // namespace zoo

#define ZOO_EXPORT_DESCRIPTOR(DESCRIPTOR_EXPR)                          \
  extern "C" const onnxport_plugin_v1* zoo_describe() {                 \
    static const onnxport_plugin_v1 descriptor = DESCRIPTOR_EXPR;       \
    return &descriptor;                                                 \
  }                                                                     \
  BOOST_DLL_ALIAS(zoo_describe, onnxport_plugin)
