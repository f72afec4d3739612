// SDK version and the build fingerprint that guards the C++ ABI between the
// host and its plugins (same SDK major.minor, compiler family, libstdc++ ABI).
#pragma once

// Defines the standard library's configuration macros (_GLIBCXX_USE_CXX11_ABI,
// _LIBCPP_VERSION) tested below; without it, a file including this header
// before any C++ standard header would get "stdlib-unknown".
#include <version>

#define ONNXPORT_SDK_VERSION "0.4.0"

#define ONNXPORT_STR_DETAIL(x) #x
#define ONNXPORT_STR(x) ONNXPORT_STR_DETAIL(x)

#if defined(__clang__)
#define ONNXPORT_COMPILER_ID "clang" ONNXPORT_STR(__clang_major__)
#elif defined(__GNUC__)
#define ONNXPORT_COMPILER_ID "gcc" ONNXPORT_STR(__GNUC__)
#else
#define ONNXPORT_COMPILER_ID "unknown"
#endif

#if defined(_GLIBCXX_USE_CXX11_ABI)
#define ONNXPORT_STDLIB_ID "libstdc++cxx11abi" ONNXPORT_STR(_GLIBCXX_USE_CXX11_ABI)
#elif defined(_LIBCPP_VERSION)
#define ONNXPORT_STDLIB_ID "libc++"
#else
#define ONNXPORT_STDLIB_ID "stdlib-unknown"
#endif

// e.g. "onnxport-sdk 0.4.0; gcc12; libstdc++cxx11abi1"
#define ONNXPORT_BUILD_FINGERPRINT \
  "onnxport-sdk " ONNXPORT_SDK_VERSION "; " ONNXPORT_COMPILER_ID "; " ONNXPORT_STDLIB_ID
