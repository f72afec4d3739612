// Private to the op library: how OpArgs::bind resolves an op's overload.
#pragma once

#include <onnxport/op_schema.hpp>

namespace onnxport {

// First the first overload that the call fits exactly (every declared
// argument given, no int where a bool is declared), as a TorchScript node gives
// every argument and its dtype constants are ints; then resolve_schema's
// first fit. NodeArgs (translators) keeps resolve_schema.
SchemaBinding resolve_schema_exact_first(std::string_view op, const std::vector<ArgSummary>& actual);

}  // namespace onnxport
