# ONNXPORT_FUZZ=ON: every target of the tree is built with AddressSanitizer
# and UndefinedBehaviorSanitizer. A report aborts the process (no recovery),
# so a sanitized test or fuzz run fails on the first one.
#
# With a compiler whose libFuzzer runtime links (clang with compiler-rt), the
# code is also instrumented for coverage (-fsanitize=fuzzer-no-link) and
# ONNXPORT_LIBFUZZER is ON; otherwise ONNXPORT_FUZZ_SKIP_REASON says why the
# fuzz tests are skipped (the sanitized reader tests still run).
include(CheckCXXSourceCompiles)

set(ONNXPORT_SANITIZE_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
add_compile_options(${ONNXPORT_SANITIZE_FLAGS})
add_link_options(-fsanitize=address,undefined)

set(ONNXPORT_LIBFUZZER OFF)
set(ONNXPORT_FUZZ_SKIP_REASON "")
if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  set(ONNXPORT_FUZZ_SKIP_REASON
      "the C++ compiler is ${CMAKE_CXX_COMPILER_ID} ${CMAKE_CXX_COMPILER_VERSION}; libFuzzer needs clang (Debian: clang-16, libclang-rt-16-dev)")
else()
  set(CMAKE_REQUIRED_FLAGS "-fsanitize=fuzzer,address,undefined")
  set(CMAKE_REQUIRED_LINK_OPTIONS "-fsanitize=fuzzer,address,undefined")
  check_cxx_source_compiles([=[
    #include <cstddef>
    #include <cstdint>
    extern "C" int LLVMFuzzerTestOneInput(const uint8_t*, size_t) { return 0; }
  ]=] ONNXPORT_HAVE_LIBFUZZER)
  unset(CMAKE_REQUIRED_FLAGS)
  unset(CMAKE_REQUIRED_LINK_OPTIONS)
  if(ONNXPORT_HAVE_LIBFUZZER)
    set(ONNXPORT_LIBFUZZER ON)
    add_compile_options(-fsanitize=fuzzer-no-link)
  else()
    set(ONNXPORT_FUZZ_SKIP_REASON
        "${CMAKE_CXX_COMPILER} cannot link -fsanitize=fuzzer (the libFuzzer runtime is missing; Debian: libclang-rt-16-dev)")
  endif()
endif()
if(ONNXPORT_FUZZ_SKIP_REASON)
  message(STATUS "onnxport fuzz targets: skipped: ${ONNXPORT_FUZZ_SKIP_REASON}")
else()
  message(STATUS "onnxport fuzz targets: libFuzzer with ${CMAKE_CXX_COMPILER_ID} ${CMAKE_CXX_COMPILER_VERSION}")
endif()
