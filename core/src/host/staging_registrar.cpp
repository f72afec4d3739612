#include "host/staging_registrar.hpp"

#include <onnxport/plugin.h>

#include <stdexcept>

namespace onnxport {

void StagingRegistrar::add_strategy(std::unique_ptr<Strategy> strategy) {
  if (!strategy) throw std::invalid_argument("add_strategy: null strategy");
  if (strategy->name().empty()) throw std::invalid_argument("add_strategy: strategy with an empty name");
  strategies.push_back(std::move(strategy));
}

void StagingRegistrar::add_translator(TranslatorSpec spec) {
  if (spec.op.empty()) throw std::invalid_argument("add_translator: empty op");
  if (spec.fn == nullptr) throw std::invalid_argument("add_translator: translator for '" + spec.op + "' has no function");
  if (spec.since_opset < 1 || spec.since_opset > spec.until_opset) {
    throw std::invalid_argument("add_translator: translator for '" + spec.op + "' has an empty opset range " +
                                std::to_string(spec.since_opset) + ".." + std::to_string(spec.until_opset));
  }
  translators.push_back(std::move(spec));
}

void StagingRegistrar::add_decomposition(DecompositionSpec spec) {
  if (spec.op.empty()) throw std::invalid_argument("add_decomposition: empty op");
  if (spec.fn == nullptr)
    throw std::invalid_argument("add_decomposition: decomposition for '" + spec.op + "' has no function");
  decompositions.push_back(std::move(spec));
}

void StagingRegistrar::add_op(OpDef def) {
  if (def.name.find("::") == std::string::npos || def.name.rfind("::") + 2 == def.name.size())
    throw std::invalid_argument("add_op: op name '" + def.name + "' is not of the form 'domain::name'");
  if (!def.meta) throw std::invalid_argument("add_op: op '" + def.name + "' has no meta function");
  ops.push_back(std::move(def));
}

// Only a registrar of a host that predates add_op gets here.
void Registrar::add_op(OpDef def) {
  throw std::runtime_error("add_op: this host cannot add op '" + def.name + "' to its op library");
}

uint32_t StagingRegistrar::host_abi_version() const { return ONNXPORT_ABI_VERSION; }

}  // namespace onnxport
