// Builds ONNX's operator schema registry on a second thread while the export
// loads its config, plugins and program.
//
// The registry (every version of every ONNX operator, with the function
// bodies it parses) is built on first use, by translation, and is the
// largest single piece of a small export's start-up (bench/README.md,
// "Start-up and transposes"). Nothing before capture needs it, so a second core can build
// it meanwhile. The thread is joined before capture: capture may fork
// (--isolate), and a child forked while the registry's one-time
// initialization is half done would wait on it forever.
#pragma once

#include <thread>

namespace onnxport::onnx_build {

class OnnxSchemaWarmup {
 public:
  OnnxSchemaWarmup();
  ~OnnxSchemaWarmup() { join(); }
  OnnxSchemaWarmup(const OnnxSchemaWarmup&) = delete;
  OnnxSchemaWarmup& operator=(const OnnxSchemaWarmup&) = delete;

  // Waits until the registry is built; idempotent.
  void join();

 private:
  std::thread thread_;
};

}  // namespace onnxport::onnx_build
