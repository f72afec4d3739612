#include "host/staging_registrar.hpp"

#include <onnxport/op_schema.hpp>
#include <onnxport/plugin.h>

#include <algorithm>
#include <array>
#include <stdexcept>

namespace onnxport {
namespace {

// Graph ops in the aten:: namespace that PyTorch registers no schema for:
// TorchScript's prim::NumToTensor is recorded as aten::NumToTensor
// (plugins/translators-aten/conversion.cpp). Every other aten:: op a plugin
// names must have a schema in the table (docs/plugin-authoring.md, "Bad input").
constexpr std::array<std::string_view, 1> kAtenOpsWithoutSchema = {"aten::NumToTensor"};

// A component registered for an aten:: op that has no schema would never be
// used (no program calls it, the capture never emits it): refused, naming
// the op, so a typo or an overload name does not pass silently.
void check_aten_op(std::string_view what, const std::string& op) {
  if (op.rfind("aten::", 0) != 0) return;
  if (std::find(kAtenOpsWithoutSchema.begin(), kAtenOpsWithoutSchema.end(), op) != kAtenOpsWithoutSchema.end())
    return;
  if (!schema_overloads(op).empty()) return;
  const size_t dot = op.find('.', 6);
  if (dot != std::string::npos && find_schema(op) != nullptr) {
    throw std::invalid_argument(std::string(what) + ": '" + op + "' names one overload of " + op.substr(0, dot) +
                                "; components are registered per op ('" + op.substr(0, dot) +
                                "') and tell its overloads apart by the bound schema (NodeArgs/OpArgs schema().overload)");
  }
  throw std::invalid_argument(std::string(what) + ": no schema of '" + op +
                              "' is known (aten ops are PyTorch's, docs/architecture.md §4a); give a new op its own "
                              "domain (mylib::op)");
}

}  // namespace

void StagingRegistrar::add_strategy(std::unique_ptr<Strategy> strategy) {
  if (!strategy) throw std::invalid_argument("add_strategy: null strategy");
  if (strategy->name().empty()) throw std::invalid_argument("add_strategy: strategy with an empty name");
  strategies.push_back(std::move(strategy));
}

void StagingRegistrar::add_translator(TranslatorSpec spec) {
  if (spec.op.empty()) throw std::invalid_argument("add_translator: empty op");
  if (spec.fn == nullptr) throw std::invalid_argument("add_translator: translator for '" + spec.op + "' has no function");
  check_aten_op("add_translator", spec.op);
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
  check_aten_op("add_decomposition", spec.op);
  decompositions.push_back(std::move(spec));
}

void StagingRegistrar::add_op(OpDef def) {
  if (def.name.find("::") == std::string::npos || def.name.rfind("::") + 2 == def.name.size())
    throw std::invalid_argument("add_op: op name '" + def.name + "' is not of the form 'domain::name'");
  if (!def.meta) throw std::invalid_argument("add_op: op '" + def.name + "' has no meta function");
  check_aten_op("add_op", def.name);
  ops.push_back(std::move(def));
}

// Only a registrar of a host that predates add_op gets here.
void Registrar::add_op(OpDef def) {
  throw std::runtime_error("add_op: this host cannot add op '" + def.name + "' to its op library");
}

uint32_t StagingRegistrar::host_abi_version() const { return ONNXPORT_ABI_VERSION; }

}  // namespace onnxport
