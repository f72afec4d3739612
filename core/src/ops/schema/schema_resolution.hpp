// Private to libonnxport: how OpArgs::bind resolves an op's overload, and
// binding a program node's arguments by their TorchScript types.
#pragma once

#include <onnxport/op_schema.hpp>

#include <optional>
#include <string>
#include <vector>

namespace onnxport {

// First the first overload that the call fits exactly (every declared
// argument given, no int where a bool is declared), as a TorchScript node gives
// every argument and its dtype constants are ints; then resolve_schema's
// first fit. NodeArgs (translators) keeps resolve_schema.
SchemaBinding resolve_schema_exact_first(std::string_view op, const std::vector<ArgSummary>& actual);

// An argument known only by its TorchScript type (a program's node before it
// is traced, core/src/program/node_schemas.cpp): `summary` is nullopt when
// the type says too little (Optional[Tensor], number, a block input), and
// such an argument fits any type; `type` names it in messages ("List[int]").
struct StaticArg {
  std::optional<ArgSummary> summary;
  std::string type;
};

// bind_schema's rules (conversions and defaults allowed) on StaticArgs.
SchemaBinding bind_schema_static(const OpSchema& schema, const std::vector<StaticArg>& actual);

}  // namespace onnxport
