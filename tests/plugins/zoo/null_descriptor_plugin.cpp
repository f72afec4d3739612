// Entry point that returns no descriptor.
#include <onnxport/plugin.h>

#include <boost/dll/alias.hpp>

extern "C" const onnxport_plugin_v1* zoo_describe_nothing() { return nullptr; }
BOOST_DLL_ALIAS(zoo_describe_nothing, onnxport_plugin)
