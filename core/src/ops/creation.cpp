// Placeholder: the creation family is being written (see op_support.hpp).
#include "op_support.hpp"

namespace onnxport::ops {

void register_creation_ops(OpLibrary& lib) { (void)lib; }

}  // namespace onnxport::ops
