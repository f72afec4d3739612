// What a plugin's registration callback receives.
#pragma once

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
};

}  // namespace onnxport
