# onnxport_add_plugin(<name> SOURCES <files...> [LINK <targets...>])
#
# Builds a plugin shared library named libonnxport-<name>.so that links the
# shared libonnxport (never its own copy of the ONNX protobuf code). In the
# onnxport tree it lands in lib/onnxport/plugins; out of tree (via
# find_package(onnxport)) it lands in the caller's build folder.
function(onnxport_add_plugin name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LINK" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "onnxport_add_plugin(${name}): SOURCES is required")
  endif()
  add_library(${name} MODULE ${ARG_SOURCES})
  set_target_properties(${name} PROPERTIES
    PREFIX "lib"
    OUTPUT_NAME "onnxport-${name}"
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  target_compile_features(${name} PRIVATE cxx_std_20)
  target_link_libraries(${name} PRIVATE onnxport::onnxport ${ARG_LINK})
  if(DEFINED ONNXPORT_PLUGIN_OUTPUT_DIR)
    set_target_properties(${name} PROPERTIES
      LIBRARY_OUTPUT_DIRECTORY ${ONNXPORT_PLUGIN_OUTPUT_DIR}
      INSTALL_RPATH "$ORIGIN/../..")
    install(TARGETS ${name} LIBRARY DESTINATION ${ONNXPORT_PLUGIN_INSTALL_DIR})
  endif()
endfunction()
