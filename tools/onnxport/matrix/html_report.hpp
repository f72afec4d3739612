// matrix.html: one self-contained page for a matrix.json (docs/matrix.md).
//
// The page needs no network: its CSS and script are inline, it uses the
// browser's own fonts, and the matrix itself is embedded as JSON. The grid is
// rendered here, in C++, so it reads even with scripts off; the script adds
// the filters and the panel that opens on a click on a cell.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace onnxport::matrix {

// The whole page for `matrix` (the matrix.json format, version 1). Cells and
// axes may carry fields the page does not know; missing optional fields show
// as "-". Throws std::invalid_argument when `matrix` is not an object, has no
// "cells" array, or a cell is not an object (naming the cell's index).
std::string render_matrix_html(const nlohmann::json& matrix);

// `text` as HTML text or a quoted attribute value: & < > " ' become character
// references, and bytes that are not valid UTF-8 become U+FFFD, so any string
// from a matrix.json (diagnostic messages quote source code) stays text.
std::string escape_html(std::string_view text);

// `value` as JSON that can sit inside <script type="application/json">: every
// < > & is written as \u003c \u003e \u0026 (they only occur inside strings),
// so no "</script" or "<!--" can end or change the element; invalid UTF-8 in
// a string becomes U+FFFD.
std::string json_for_script_element(const nlohmann::json& value);

}  // namespace onnxport::matrix
