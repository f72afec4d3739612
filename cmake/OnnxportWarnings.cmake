# Warnings (issue 13): every target of the including directory and below
# compiles with -Wall -Wextra, and with ONNXPORT_WERROR=ON a warning fails the
# build. The onnxport tree includes it for all its own targets (library,
# plugins, tools, tests, fuzz targets, the plugin template built in-tree);
# ONNX, protobuf, gtest, spdlog, CLI11 and Boost come from system packages,
# whose headers the compilers do not warn about. tests/warnings checks that
# ONNXPORT_WERROR=ON really fails a build on a warning.
option(ONNXPORT_WERROR "Treat compiler warnings as errors (-Werror)" OFF)
if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
  add_compile_options(-Wall -Wextra)
  if(ONNXPORT_WERROR)
    add_compile_options(-Werror)
  endif()
endif()
