// matrix.html (tools/onnxport/matrix/html_report.hpp): escaping, the embedded
// JSON, and the page's structure for the fixture matrix
// (tests/matrix/fixtures/matrix.json, which has a diagnostic that quotes
// "</script>" and a model name with & and <).
#include "matrix/html_report.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using nlohmann::json;
using onnxport::matrix::escape_html;
using onnxport::matrix::json_for_script_element;
using onnxport::matrix::render_matrix_html;

json load_fixture() {
  const std::string path = std::string(ONNXPORT_REPO_ROOT) + "/tests/matrix/fixtures/matrix.json";
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  return json::parse(in);
}

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++n;
  return n;
}

// The contents of the one <script type="application/json"> element.
std::string embedded_json(const std::string& html) {
  const std::string open = "<script type=\"application/json\" id=\"matrix-data\">";
  const auto begin = html.find(open);
  if (begin == std::string::npos) return {};
  const auto end = html.find("</script>", begin);
  return html.substr(begin + open.size(), end - begin - open.size());
}

bool valid_utf8(const std::string& text) {
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (n == 0 || i + n > text.size()) return false;
    for (std::size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return false;
    i += n;
  }
  return true;
}

// Checks that every element opened is closed, in order, the way an HTML
// parser would see the page: the contents of <script> and <style> are raw
// text that ends only at their closing tag, and void elements have no close.
// Returns "" when the structure is sound, else what is wrong and where.
std::string structure_problem(const std::string& html) {
  static const std::set<std::string> kVoid = {"meta", "input", "br", "hr", "img", "link"};
  std::vector<std::string> open;
  std::size_t i = 0;
  while ((i = html.find('<', i)) != std::string::npos) {
    if (html.compare(i, 9, "<!DOCTYPE") == 0) {
      i = html.find('>', i);
      continue;
    }
    const auto end = html.find('>', i);
    if (end == std::string::npos) return "unclosed tag at byte " + std::to_string(i);
    const std::string tag = html.substr(i + 1, end - i - 1);
    if (tag.find('<') != std::string::npos) return "'<' inside a tag at byte " + std::to_string(i);
    if (count(tag, "\"") % 2 != 0) return "unbalanced quotes in <" + tag + ">";
    const bool closing = !tag.empty() && tag[0] == '/';
    std::string name;
    for (std::size_t k = closing ? 1 : 0; k < tag.size() && std::isalnum(static_cast<unsigned char>(tag[k])); ++k)
      name += tag[k];
    if (name.empty()) return "not a tag at byte " + std::to_string(i) + ": <" + tag.substr(0, 40) + ">";
    if (closing) {
      if (open.empty() || open.back() != name)
        return "</" + name + "> at byte " + std::to_string(i) + " closes <" + (open.empty() ? "" : open.back()) + ">";
      open.pop_back();
      i = end + 1;
      continue;
    }
    i = end + 1;
    if (kVoid.count(name)) continue;
    if (name == "script" || name == "style") {
      // Raw text: the element ends at the first "</script" or "</style".
      const auto close = html.find("</" + name, i);
      if (close == std::string::npos) return "<" + name + "> never closed";
      i = close;
    }
    open.push_back(name);
  }
  if (!open.empty()) return "<" + open.back() + "> never closed";
  return "";
}

TEST(MatrixHtmlEscape, EscapesMarkupCharactersAndQuotes) {
  EXPECT_EQ(escape_html("a<b>&\"c\"'d'"), "a&lt;b&gt;&amp;&quot;c&quot;&#39;d&#39;");
  EXPECT_EQ(escape_html("</script><img src=x onerror=\"alert(1)\">"),
            "&lt;/script&gt;&lt;img src=x onerror=&quot;alert(1)&quot;&gt;");
  EXPECT_EQ(escape_html("&amp;"), "&amp;amp;");  // already-escaped text is text, escaped again
  EXPECT_EQ(escape_html(""), "");
}

TEST(MatrixHtmlEscape, KeepsValidUtf8AndReplacesInvalidBytes) {
  EXPECT_EQ(escape_html("\u26A0 \u00e9 \U0001F600"), "\u26A0 \u00e9 \U0001F600");
  EXPECT_EQ(escape_html("a\xFF" "b"), "a\xEF\xBF\xBD" "b");            // not a lead byte
  EXPECT_EQ(escape_html("a\xC3"), "a\xEF\xBF\xBD");                    // truncated sequence
  EXPECT_EQ(escape_html("\xC0\xBC"), "\xEF\xBF\xBD\xEF\xBF\xBD");      // overlong '<'
  EXPECT_EQ(escape_html("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // a surrogate
}

TEST(MatrixHtmlScriptJson, HasNoMarkupCharactersAndParsesBack) {
  const json value = {{"message", "</script><!-- <script>x</script> & \u2028"}, {"n", 1}};
  const std::string out = json_for_script_element(value);
  EXPECT_EQ(out.find('<'), std::string::npos) << out;
  EXPECT_EQ(out.find('>'), std::string::npos) << out;
  EXPECT_EQ(out.find('&'), std::string::npos) << out;
  EXPECT_EQ(json::parse(out), value);
}

TEST(MatrixHtmlScriptJson, ReplacesInvalidUtf8InsteadOfThrowing) {
  const json value = {{"message", std::string("bad \xFF byte")}};
  std::string out;
  ASSERT_NO_THROW(out = json_for_script_element(value));
  EXPECT_EQ(json::parse(out)["message"], "bad \uFFFD byte");
}

TEST(MatrixHtmlPage, EveryCellOfTheFixtureIsInTheGridOnce) {
  const json matrix = load_fixture();
  const std::string html = render_matrix_html(matrix);
  ASSERT_EQ(matrix["cells"].size(), 11u);
  EXPECT_EQ(count(html, "<td class=\"cell has-data "), matrix["cells"].size());
  for (const auto& cell : matrix["cells"]) {
    const std::string attribute = "data-id=\"" + escape_html(cell["id"].get<std::string>()) + "\"";
    EXPECT_EQ(count(html, attribute), 1u) << attribute;
  }
  // 3 models x 2 combinations x 2 opsets = 12 places; the fixture leaves one out.
  EXPECT_EQ(count(html, "<td class=\"cell empty col\""), 1u);
  EXPECT_EQ(count(html, "<tr class=\"model-row\""), 3u);
  EXPECT_EQ(count(html, "<th class=\"opset col\""), 4u);
  EXPECT_NE(html.find("class=\"cell has-data st-fail\""), std::string::npos);
  EXPECT_NE(html.find("class=\"cell has-data st-unsound\""), std::string::npos);
  EXPECT_NE(html.find("class=\"cell has-data st-timeout\""), std::string::npos);
  EXPECT_NE(html.find("class=\"cell has-data st-crash\""), std::string::npos);
  EXPECT_NE(html.find("<span class=\"strategy\">cond-rewrite</span>"), std::string::npos);
}

TEST(MatrixHtmlPage, StructureIsSoundDespiteHostileText) {
  const std::string html = render_matrix_html(load_fixture());
  EXPECT_EQ(structure_problem(html), "");
  EXPECT_TRUE(valid_utf8(html));
  // One data element and one script; the hostile message's tags are nowhere raw.
  EXPECT_EQ(count(html, "<script"), 2u);
  EXPECT_EQ(count(html, "</script>"), 2u);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_EQ(html.find("<script>window"), std::string::npos);
  EXPECT_EQ(html.find("onerror=\"window"), std::string::npos);
  // The model name with & and < is escaped wherever it appears.
  EXPECT_EQ(html.find("a&b <v2>"), std::string::npos);
  EXPECT_NE(html.find("corpus/a&amp;b &lt;v2&gt;"), std::string::npos);
}

TEST(MatrixHtmlPage, EmbedsTheWholeMatrixAsJson) {
  const json matrix = load_fixture();
  const std::string html = render_matrix_html(matrix);
  const std::string data = embedded_json(html);
  ASSERT_FALSE(data.empty());
  EXPECT_EQ(data.find("</"), std::string::npos);
  EXPECT_EQ(json::parse(data), matrix);
}

TEST(MatrixHtmlPage, NeedsNoNetwork) {
  std::string html = render_matrix_html(load_fixture());
  // The embedded data quotes the fixture's hostile message (with "src=") as
  // JSON text, which the browser never loads; the page around it must not.
  const std::string data = embedded_json(html);
  ASSERT_FALSE(data.empty());
  html.erase(html.find(data), data.size());
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);
  EXPECT_EQ(html.find("url("), std::string::npos);
  EXPECT_EQ(html.find(" src="), std::string::npos);
}

TEST(MatrixHtmlPage, SummaryCountsTheCells) {
  const std::string html = render_matrix_html(load_fixture());
  EXPECT_NE(html.find("<span class=\"total\">11 cells</span>"), std::string::npos);
  const std::regex pass_count(R"(id="count-pass">[^<]*<b>6</b>)");
  const std::regex fail_count(R"(id="count-fail">[^<]*<b>2</b>)");
  EXPECT_TRUE(std::regex_search(html, pass_count));
  EXPECT_TRUE(std::regex_search(html, fail_count));
  // The fixture's own summary agrees with its cells.
  EXPECT_EQ(html.find("summary-mismatch"), std::string::npos);
}

TEST(MatrixHtmlPage, SaysWhenTheFilesSummaryDisagreesWithItsCells) {
  json matrix = load_fixture();
  matrix["summary"]["pass"] = 7;
  const std::string html = render_matrix_html(matrix);
  EXPECT_NE(html.find("id=\"summary-mismatch\""), std::string::npos);
  EXPECT_NE(html.find("pass 7 (cells: 6)"), std::string::npos);
}

TEST(MatrixHtmlPage, UnknownStatusGetsNoClassOfItsOwn) {
  json matrix = load_fixture();
  matrix["cells"][0]["status"] = "weird\" onclick=\"x";
  const std::string html = render_matrix_html(matrix);
  EXPECT_NE(html.find("class=\"cell has-data st-unknown\""), std::string::npos);
  EXPECT_NE(html.find("data-status=\"weird&quot; onclick=&quot;x\""), std::string::npos);
  EXPECT_EQ(html.find("onclick=\"x"), std::string::npos);
  EXPECT_EQ(structure_problem(html), "");
}

TEST(MatrixHtmlPage, CellsOutsideTheAxesAndDuplicatesAreShownOrNamed) {
  json matrix = load_fixture();
  json extra = matrix["cells"][0];
  extra["model"] = "examples/late";
  extra["id"] = "examples/late/default/opset13";
  matrix["cells"].push_back(extra);
  json duplicate = matrix["cells"][0];
  duplicate["id"] = "dup";
  matrix["cells"].push_back(duplicate);
  const std::string html = render_matrix_html(matrix);
  EXPECT_EQ(count(html, "<tr class=\"model-row\""), 4u);
  EXPECT_EQ(count(html, "data-id=\"examples/late/default/opset13\""), 1u);
  EXPECT_NE(html.find("id=\"duplicates\""), std::string::npos);
  EXPECT_NE(html.find("dup (cells[12])"), std::string::npos);
}

TEST(MatrixHtmlPage, WorksWithoutAxesSummaryOrOptionalFields) {
  const json matrix = {{"cells", json::array({{{"model", "m"}, {"combination", "c"}, {"opset", 18}}})}};
  std::string html;
  ASSERT_NO_THROW(html = render_matrix_html(matrix));
  EXPECT_EQ(count(html, "<td class=\"cell has-data st-unknown\""), 1u);
  EXPECT_NE(html.find(">opset 18</th>"), std::string::npos);
  EXPECT_EQ(structure_problem(html), "");
}

TEST(MatrixHtmlPage, RefusesWhatIsNotAMatrix) {
  EXPECT_THROW(render_matrix_html(json::array()), std::invalid_argument);
  EXPECT_THROW(render_matrix_html(json::object()), std::invalid_argument);
  try {
    render_matrix_html({{"cells", json::array({json::object(), 3})}});
    FAIL() << "a cell that is a number was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("cells[1]"), std::string::npos) << e.what();
  }
}

TEST(MatrixHtmlChecker, CatchesBrokenStructure) {
  // The structure checker itself must be able to fail.
  EXPECT_NE(structure_problem("<div><span></div>"), "");
  EXPECT_NE(structure_problem("<div title=\"a\"b\">x</div>"), "");
  EXPECT_NE(structure_problem("<script>x</script></script>"), "");
  EXPECT_EQ(structure_problem("<div><input type=\"checkbox\"><script>if (a<b) {}</script></div>"), "");
}

}  // namespace
