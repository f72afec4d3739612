// Test tool: matrix.json -> matrix.html with the page's renderer
// (tools/onnxport/matrix/html_report.hpp), for the browser test
// (tests/matrix/browser_test.js), which must not depend on a matrix run.
//
//   render_matrix_html MATRIX.json OUT.html
#include "matrix/html_report.hpp"

#include <fstream>
#include <iostream>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: render_matrix_html MATRIX.json OUT.html\n";
    return 2;
  }
  try {
    std::ifstream in(argv[1]);
    if (!in) {
      std::cerr << "error: cannot open " << argv[1] << "\n";
      return 2;
    }
    const auto matrix = nlohmann::json::parse(in);
    const std::string html = onnxport::matrix::render_matrix_html(matrix);
    std::ofstream out(argv[2], std::ios::binary);
    out << html;
    if (!out.flush()) {
      std::cerr << "error: cannot write " << argv[2] << "\n";
      return 1;
    }
  } catch (const std::exception& e) {
    std::cerr << "error: " << argv[1] << ": " << e.what() << "\n";
    return 2;
  }
  return 0;
}
