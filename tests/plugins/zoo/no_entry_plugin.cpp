// A perfectly good shared library that is not an onnxport plugin.
extern "C" __attribute__((visibility("default"))) int plugintest_not_a_plugin() { return 7; }
