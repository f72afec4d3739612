// Schemas of ops that plugins add (OpDef::schema), kept beside PyTorch's
// table so find_schema, schema_overloads, OpArgs and NodeArgs see them
// (docs/architecture.md §4a, docs/plugin-authoring.md §3).
#pragma once

#include <onnxport/op_schema.hpp>

namespace onnxport {

// Adds a plugin op's schema; the host calls it when it commits the op. A
// schema already added (the same plugin loaded by a second host) is kept.
// Throws std::invalid_argument for an op PyTorch's table has.
void add_plugin_schema(const OpSchema& schema);

}  // namespace onnxport
