# ctest script: the warning settings of cmake/OnnxportWarnings.cmake, on a tiny
# project built with the onnxport tree's compiler. With ONNXPORT_WERROR=ON a
# clean file builds and a file with one warning fails; with it OFF the same
# file builds and the warning is printed. Seconds, not a second build of the
# tree (CI builds the tree itself with ONNXPORT_WERROR=ON).
#
#   cmake -DCMAKE_DIR=<source>/cmake -DPROJECT_DIR=.../project -DWORK_DIR=...
#         -DCXX=<compiler> -DGENERATOR=... -P werror_check.cmake
foreach(var CMAKE_DIR PROJECT_DIR WORK_DIR CXX GENERATOR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "werror_check.cmake: -D${var}=... is required")
  endif()
endforeach()
file(REMOVE_RECURSE ${WORK_DIR})

function(configure werror)
  execute_process(
    COMMAND ${CMAKE_COMMAND} -S ${PROJECT_DIR} -B ${WORK_DIR} -G ${GENERATOR} -DCMAKE_CXX_COMPILER=${CXX}
            -DONNXPORT_CMAKE_DIR=${CMAKE_DIR} -DONNXPORT_WERROR=${werror}
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "configuring the check project with ONNXPORT_WERROR=${werror} failed:\n${out}\n${err}")
  endif()
endfunction()

# Builds `target`; sets build_rc and build_output in the caller.
function(build target)
  execute_process(COMMAND ${CMAKE_COMMAND} --build ${WORK_DIR} --target ${target} --clean-first
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  set(build_rc ${rc} PARENT_SCOPE)
  set(build_output "${out}${err}" PARENT_SCOPE)
endfunction()

configure(ON)
build(no_warning)
if(NOT build_rc EQUAL 0)
  message(FATAL_ERROR "ONNXPORT_WERROR=ON: a file without warnings did not build:\n${build_output}")
endif()
build(unused_parameter)
if(build_rc EQUAL 0)
  message(FATAL_ERROR "ONNXPORT_WERROR=ON: a file with an unused parameter built (-Werror is not in effect):\n${build_output}")
endif()
if(NOT build_output MATCHES "unused parameter")
  message(FATAL_ERROR "ONNXPORT_WERROR=ON: the build failed, but not on the unused parameter:\n${build_output}")
endif()
message(STATUS "ONNXPORT_WERROR=ON: a warning fails the build")

configure(OFF)
build(unused_parameter)
if(NOT build_rc EQUAL 0)
  message(FATAL_ERROR "ONNXPORT_WERROR=OFF: a file with a warning did not build:\n${build_output}")
endif()
if(NOT build_output MATCHES "warning: unused parameter")
  message(FATAL_ERROR "ONNXPORT_WERROR=OFF: no -Wextra warning printed for an unused parameter:\n${build_output}")
endif()
message(STATUS "ONNXPORT_WERROR=OFF: the warning is printed and the build goes on")
