#include "onnx/schema_warmup.hpp"

#include <onnx/defs/schema.h>

namespace onnxport::onnx_build {

OnnxSchemaWarmup::OnnxSchemaWarmup() {
  // The registry is a function-local static: whichever thread gets there
  // first builds it and the others wait, so the main thread asking for it
  // before this one is done is safe, only slower.
  thread_ = std::thread([] {
    try {
      // Any lookup builds the whole registry (OpSchemaRegistry::map()).
      (void)onnx::OpSchemaRegistry::Schema("Add", 17, "");
    } catch (...) {
      // Not this thread's to report: the first real use builds it again and
      // fails where the export can say so.
    }
  });
}

void OnnxSchemaWarmup::join() {
  if (thread_.joinable()) thread_.join();
}

}  // namespace onnxport::onnx_build
