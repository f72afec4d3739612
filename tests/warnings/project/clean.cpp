// No warning with -Wall -Wextra: builds even with ONNXPORT_WERROR=ON.
int twice(int value) { return 2 * value; }
