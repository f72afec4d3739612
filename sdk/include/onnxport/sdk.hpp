// Header-only C++ layer for plugin authors, on top of plugin.h.
//
//   #include <onnxport/sdk.hpp>
//   static void register_all(onnxport::Registrar& r) { r.add_translator({...}); }
//   ONNXPORT_PLUGIN("my-translators", "0.1.0", "What it adds", register_all)
//
// The macro defines the descriptor, a registration thunk that turns any
// exception into an error message (exceptions never cross the extern "C"
// boundary), and exports it under the name the host looks up.
#pragma once

#include <onnxport/plugin.h>
#include <onnxport/registrar.hpp>
#include <onnxport/version.hpp>

#include <boost/dll/alias.hpp>

#include <cstdio>
#include <exception>

namespace onnxport::sdk_detail {

inline void copy_message(char* err, size_t err_size, const char* msg) {
  if (err == nullptr || err_size == 0) return;
  std::snprintf(err, err_size, "%s", msg);
}

template <void (*Register)(onnxport::Registrar&)>
int register_thunk(void* registrar, char* err, size_t err_size) noexcept {
  try {
    Register(*static_cast<onnxport::Registrar*>(registrar));
    return 0;
  } catch (const std::exception& e) {
    copy_message(err, err_size, e.what());
  } catch (...) {
    copy_message(err, err_size, "unknown exception during registration");
  }
  return 1;
}

}  // namespace onnxport::sdk_detail

#define ONNXPORT_PLUGIN(NAME, VERSION, DESCRIPTION, REGISTER_FN)                                   \
  extern "C" const onnxport_plugin_v1* onnxport_describe_plugin() {                                \
    static const onnxport_plugin_v1 descriptor = {                                                 \
        ONNXPORT_ABI_VERSION,                                                                      \
        static_cast<uint32_t>(sizeof(onnxport_plugin_v1)),                                         \
        NAME,                                                                                      \
        VERSION,                                                                                   \
        DESCRIPTION,                                                                               \
        ONNXPORT_BUILD_FINGERPRINT,                                                                \
        &::onnxport::sdk_detail::register_thunk<REGISTER_FN>,                                      \
    };                                                                                             \
    return &descriptor;                                                                            \
  }                                                                                                \
  BOOST_DLL_ALIAS(onnxport_describe_plugin, onnxport_plugin)
