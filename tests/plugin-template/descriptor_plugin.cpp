// Hand-written descriptors for the versioning tests in sdk_helpers_test,
// chosen by DESCRIPTOR_KIND at compile time (what ONNXPORT_PLUGIN never
// produces): 1 = a newer SDK's descriptor, the same ABI with a field
// appended (struct_size larger than the host's); 2 = no name; 3 = no
// register_components callback.
#include <onnxport/plugin.h>
#include <onnxport/version.hpp>

#include <boost/dll/alias.hpp>

namespace {

// Unused in the no-register kind (DESCRIPTOR_KIND 3), whose descriptor has no callback.
[[maybe_unused]] int register_nothing(void*, char*, size_t) { return 0; }

// The v1 fields, then one a newer SDK might append.
struct NewerDescriptor {
  onnxport_plugin_v1 v1;
  const char* homepage;
};

#if DESCRIPTOR_KIND == 1
const NewerDescriptor kDescriptor = {
    {ONNXPORT_ABI_VERSION, static_cast<uint32_t>(sizeof(NewerDescriptor)), "sdktest-newer-struct", "9.9.9",
     "a descriptor from a newer SDK", ONNXPORT_BUILD_FINGERPRINT, &register_nothing},
    "https://example.org"};
#elif DESCRIPTOR_KIND == 2
const NewerDescriptor kDescriptor = {{ONNXPORT_ABI_VERSION, static_cast<uint32_t>(sizeof(onnxport_plugin_v1)),
                                      nullptr, "0.0.1", "no name", ONNXPORT_BUILD_FINGERPRINT, &register_nothing},
                                     nullptr};
#else
const NewerDescriptor kDescriptor = {{ONNXPORT_ABI_VERSION, static_cast<uint32_t>(sizeof(onnxport_plugin_v1)),
                                      "sdktest-no-register", "0.0.1", "no callback", ONNXPORT_BUILD_FINGERPRINT,
                                      nullptr},
                                     nullptr};
#endif

}  // namespace

extern "C" const onnxport_plugin_v1* sdktest_describe() { return &kDescriptor.v1; }
BOOST_DLL_ALIAS(sdktest_describe, onnxport_plugin)
