# ctest script (label "sdk"): install the build tree to a fresh prefix, check
# the installed layout, then configure, build and run the out-of-tree plugin
# project against that prefix only.
#
#   cmake -DBUILD_DIR=... -DSOURCE_DIR=.../out-of-tree -DWORK_DIR=... -DLIBDIR=lib
#         -DGENERATOR=... -P sdk_install_test.cmake
foreach(var BUILD_DIR SOURCE_DIR WORK_DIR LIBDIR GENERATOR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "sdk_install_test.cmake: -D${var}=... is required")
  endif()
endforeach()

set(prefix ${WORK_DIR}/prefix)
set(oot_build ${WORK_DIR}/build)
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

function(run_step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}\n${err}")
  endif()
  message(STATUS "${what}: ok")
  set(step_output "${out}" PARENT_SCOPE)
endfunction()

run_step("install to ${prefix}" ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})

# The installed layout plugin authors and users rely on.
set(expected
  bin/onnxport
  ${LIBDIR}/libonnxport.so
  include/onnxport/plugin.h
  include/onnxport/sdk.hpp
  include/onnxport/registrar.hpp
  include/onnxport/version.hpp
  include/onnxport_core/plugin_host.hpp
  ${LIBDIR}/cmake/onnxport/onnxportConfig.cmake
  ${LIBDIR}/cmake/onnxport/onnxportConfigVersion.cmake
  ${LIBDIR}/cmake/onnxport/onnxportTargets.cmake
  ${LIBDIR}/cmake/onnxport/OnnxportPlugin.cmake)
set(missing "")
foreach(f ${expected})
  if(NOT EXISTS ${prefix}/${f})
    list(APPEND missing ${f})
  endif()
endforeach()
if(missing)
  message(FATAL_ERROR "not installed under ${prefix}: ${missing}")
endif()
file(GLOB builtin_plugins ${prefix}/${LIBDIR}/onnxport/plugins/libonnxport-*.so)
if(NOT builtin_plugins)
  message(FATAL_ERROR "no built-in plugins installed in ${prefix}/${LIBDIR}/onnxport/plugins")
endif()
file(GLOB_RECURSE test_plugins ${prefix}/*plugintest*)
if(test_plugins)
  message(FATAL_ERROR "test plugins must not be installed: ${test_plugins}")
endif()

# Only the install prefix: the build tree must not leak into the package.
run_step("configure out-of-tree plugin" ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${oot_build} -G ${GENERATOR}
         -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON)
file(READ ${oot_build}/CMakeCache.txt cache)
string(REGEX MATCH "onnxport_DIR:PATH=[^\n]*" onnxport_dir "${cache}")
if(NOT onnxport_dir STREQUAL "onnxport_DIR:PATH=${prefix}/${LIBDIR}/cmake/onnxport")
  message(FATAL_ERROR "found the wrong onnxport package: ${onnxport_dir}")
endif()
run_step("build out-of-tree plugin" ${CMAKE_COMMAND} --build ${oot_build})
if(NOT EXISTS ${oot_build}/libonnxport-oot-hello.so)
  message(FATAL_ERROR "onnxport_add_plugin did not produce libonnxport-oot-hello.so in ${oot_build}")
endif()

# Load it with a host linked against the installed libonnxport.
run_step("load the plugin with the installed host" ${oot_build}/load_plugin ${oot_build})
message(STATUS "${step_output}")

# The installed CLI: built-ins found by name beside bin/ (no ONNXPORT_PLUGIN_PATH),
# the out-of-tree plugin by path.
set(plugin_entries "")
set(builtin_names "")
foreach(file ${builtin_plugins})
  get_filename_component(stem ${file} NAME_WE)
  string(REGEX REPLACE "^libonnxport-" "" name ${stem})
  list(APPEND builtin_names ${name})
  string(APPEND plugin_entries "{\"name\": \"${name}\"}, ")
endforeach()
string(APPEND plugin_entries "{\"path\": \"${oot_build}/libonnxport-oot-hello.so\"}")
file(WRITE ${WORK_DIR}/config.json "{\"plugins\": [${plugin_entries}], \"strategies\": [\"oot-hello\"]}\n")
run_step("onnxport plugins with the installed CLI"
         ${CMAKE_COMMAND} -E env --unset=ONNXPORT_PLUGIN_PATH
         ${prefix}/bin/onnxport plugins -c ${WORK_DIR}/config.json)
foreach(name ${builtin_names} oot-hello)
  if(NOT step_output MATCHES "✅ ${name} ")
    message(FATAL_ERROR "the installed CLI did not load '${name}':\n${step_output}")
  endif()
endforeach()
foreach(name ${builtin_names})
  # From the install prefix, not from the build tree.
  string(FIND "${step_output}" "${prefix}/${LIBDIR}/onnxport/plugins/libonnxport-${name}.so" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "the installed CLI did not load '${name}' from ${prefix}:\n${step_output}")
  endif()
endforeach()
message(STATUS "installed CLI loaded: ${builtin_names};oot-hello")
