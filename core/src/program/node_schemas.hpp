// Checks a loaded program's aten:: nodes against their op schemas
// (docs/program-format.md, "Nodes and their schemas").
#pragma once

#include <onnxport/program.hpp>

namespace onnxport {

// Throws InputError (program.json, the node's JSON pointer) for the first
// aten:: node whose arguments, as their TorchScript types say, fit no
// overload of its op, or that records an overload (program.json's
// "overload") its op does not have or that its arguments do not fit.
void check_node_schemas(const Program& program);

}  // namespace onnxport
