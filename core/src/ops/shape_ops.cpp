// Placeholder: the shape family is being written (see op_support.hpp).
#include "op_support.hpp"

namespace onnxport::ops {

void register_shape_ops(OpLibrary& lib) { (void)lib; }

}  // namespace onnxport::ops
