// A shared library that loads fine but is no onnxport plugin: it has no
// `onnxport_plugin` symbol (the host must say so, naming the file).
extern "C" int onnxport_integration_not_a_plugin() { return 42; }
