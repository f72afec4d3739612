// What a plugin's registration callback receives.
#pragma once

#include <onnxport/ops.hpp>
#include <onnxport/strategy.hpp>
#include <onnxport/translator.hpp>

#include <memory>

namespace onnxport {

class Registrar {
 public:
  virtual ~Registrar() = default;
  // The strategy object's code lives in the plugin; plugins are never
  // unloaded, so the host may keep it for the whole run.
  virtual void add_strategy(std::unique_ptr<Strategy> strategy) = 0;
  virtual void add_translator(TranslatorSpec spec) = 0;
  virtual void add_decomposition(DecompositionSpec spec) = 0;
  // ABI version the host speaks (>= ONNXPORT_ABI_VERSION_MIN).
  virtual uint32_t host_abi_version() const = 0;
  // Adds a custom op to the op library the tracing engine and the reference
  // interpreter use: its meta function (dtype + shape of the outputs, so
  // strategies can capture programs that call it) and, optionally, a
  // reference kernel (so draft and `onnxport run` can evaluate it). Ops of
  // the library itself are not replaced: that is refused with a warning.
  // Appended after add_decomposition; a host without it throws from this default.
  virtual void add_op(OpDef def);
};

}  // namespace onnxport
