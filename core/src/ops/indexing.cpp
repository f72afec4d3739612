// Placeholder: the indexing family is being written (see op_support.hpp).
#include "op_support.hpp"

namespace onnxport::ops {

void register_indexing_ops(OpLibrary& lib) { (void)lib; }

}  // namespace onnxport::ops
