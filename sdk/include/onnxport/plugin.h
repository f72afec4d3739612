/* The only extern "C" surface between the onnxport host and a plugin.
 *
 * A plugin exports, with BOOST_DLL_ALIAS, a symbol named `onnxport_plugin`
 * that points to a function returning a descriptor. The descriptor starts with
 * abi_version and struct_size so the host can check it before touching
 * anything else. Fields are only ever appended; a host reads a field only
 * when struct_size says the plugin's build had it.
 */
#ifndef ONNXPORT_PLUGIN_H
#define ONNXPORT_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

/* The ABI this SDK builds plugins for, and the oldest one this host accepts. */
#define ONNXPORT_ABI_VERSION 1u
#define ONNXPORT_ABI_VERSION_MIN 1u

/* Name of the exported alias. */
#define ONNXPORT_PLUGIN_SYMBOL "onnxport_plugin"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct onnxport_plugin_v1 {
  uint32_t abi_version; /* ONNXPORT_ABI_VERSION at the plugin's build */
  uint32_t struct_size; /* sizeof(onnxport_plugin_v1) at the plugin's build */
  const char* name;     /* "strategy-strict" */
  const char* version;  /* the plugin's own version */
  const char* description;
  /* SDK version + compiler and C++ standard library ABI; the host refuses a
   * plugin whose C++ types may not match its own. */
  const char* build_fingerprint;
  /* Adds the plugin's components to `registrar` (an onnxport::Registrar*).
   * Returns 0, or non-zero with a NUL-terminated message in err. Never throws. */
  int (*register_components)(void* registrar, char* err, size_t err_size);
} onnxport_plugin_v1;

/* The type of the exported function. */
typedef const onnxport_plugin_v1* (*onnxport_plugin_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* ONNXPORT_PLUGIN_H */
