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

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// A plugin op's own schema: it must parse, name the op itself, and not be
// given to an aten op (PyTorch's schema is the one programs were scripted with).
OpSchema parse_plugin_schema(const OpDef& def) {
  if (def.name.rfind("aten::", 0) == 0) {
    throw std::invalid_argument("add_op: op '" + def.name +
                                "' gives a schema, but aten ops have PyTorch's (docs/architecture.md §4a)");
  }
  OpSchema schema;
  try {
    schema = parse_op_schema(def.schema);
  } catch (const SchemaError& e) {
    throw std::invalid_argument("add_op: the schema of '" + def.name + "' does not parse: " + e.what());
  }
  if (schema.name != def.name) {
    throw std::invalid_argument("add_op: the schema of '" + def.name + "' is for '" + schema.qualified_name() +
                                "': " + def.schema);
  }
  return schema;
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
  if (!def.schema.empty()) op_schemas.push_back(parse_plugin_schema(def));
  ops.push_back(std::move(def));
}

std::string StagingRegistrar::check_declared_arguments() const {
  auto overloads_of = [&](const std::string& op) {
    std::vector<const OpSchema*> found = schema_overloads(op);
    for (const OpSchema& s : op_schemas)
      if (s.name == op) found.push_back(&s);
    return found;
  };
  auto check = [&](std::string_view what, const std::string& op,
                   const std::vector<std::string>& names) -> std::string {
    if (names.empty()) return "";
    const std::vector<const OpSchema*> overloads = overloads_of(op);
    if (overloads.empty()) {
      return std::string(what) + " for '" + op + "' declares the arguments it reads (" + join(names) +
             "), but '" + op + "' has no schema to check them against; give the op one (OpDef::schema)";
    }
    for (const std::string& name : names) {
      const bool known = std::any_of(overloads.begin(), overloads.end(),
                                     [&](const OpSchema* s) { return s->argument_index(name).has_value(); });
      if (known) continue;
      std::string schemas;
      for (const OpSchema* s : overloads) schemas += "\n    " + s->text;
      return std::string(what) + " for '" + op + "' reads argument '" + name + "', which no schema of " + op +
             " has:" + schemas;
    }
    return "";
  };
  for (const TranslatorSpec& spec : translators)
    if (std::string why = check("translator", spec.op, spec.arguments); !why.empty()) return why;
  for (const DecompositionSpec& spec : decompositions)
    if (std::string why = check("decomposition", spec.op, spec.arguments); !why.empty()) return why;
  for (const OpDef& def : ops)
    if (std::string why = check("meta function", def.name, def.arguments); !why.empty()) return why;
  return "";
}

// Only a registrar of a host that predates add_op gets here.
void Registrar::add_op(OpDef def) {
  throw std::runtime_error("add_op: this host cannot add op '" + def.name + "' to its op library");
}

uint32_t StagingRegistrar::host_abi_version() const { return ONNXPORT_ABI_VERSION; }

}  // namespace onnxport
