// -Wextra's unused-parameter warning (g++ and clang): with ONNXPORT_WERROR=ON
// this file must not compile.
int zero(int ignored) { return 0; }
