// The Registrar a plugin's register_components receives. It only stages what
// the plugin adds; the host commits it after the callback reports success, so
// a failed registration adds nothing.
#pragma once

#include <onnxport/op_schema.hpp>
#include <onnxport/registrar.hpp>

#include <memory>
#include <string>
#include <vector>

namespace onnxport {

class StagingRegistrar final : public Registrar {
 public:
  // Each throws std::invalid_argument for a malformed component (null
  // strategy, empty name or op, null function, empty opset range); the SDK's
  // registration thunk turns that into the plugin's registration error.
  void add_strategy(std::unique_ptr<Strategy> strategy) override;
  void add_translator(TranslatorSpec spec) override;
  void add_decomposition(DecompositionSpec spec) override;
  uint32_t host_abi_version() const override;
  void add_op(OpDef def) override;

  // After the plugin's callback: every argument name its components declare
  // (TranslatorSpec/DecompositionSpec/OpDef::arguments) must be an argument
  // of some overload of the op's schema, PyTorch's or the one this plugin
  // (or an earlier plugin) gives its op. Returns why not, or "".
  std::string check_declared_arguments() const;

  std::vector<std::unique_ptr<Strategy>> strategies;
  std::vector<TranslatorSpec> translators;
  std::vector<DecompositionSpec> decompositions;
  std::vector<OpDef> ops;
  // The parsed OpDef::schema of each staged op that has one.
  std::vector<OpSchema> op_schemas;
};

}  // namespace onnxport
