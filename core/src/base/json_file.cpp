#include "base/json_file.hpp"

#include <onnxport/diagnostics.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace onnxport {

std::string read_text_file(const std::filesystem::path& file) {
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec)) throw InputError(file.string(), "", "is a directory, expected a file");
  std::ifstream in(file, std::ios::binary);
  if (!in) throw InputError(file.string(), "", std::string("cannot open: ") + std::strerror(errno));
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) throw InputError(file.string(), "", "read error");
  return std::move(buf).str();
}

std::pair<size_t, size_t> line_column(std::string_view text, size_t offset) {
  offset = std::min(offset, text.size());
  size_t line = 1, line_start = 0;
  for (size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return {line, offset - line_start + 1};
}

namespace {

// nlohmann's what() is "[json.exception.parse_error.101] parse error at line 3,
// column 1: syntax error while parsing ..."; keep only the part after the
// position, which we report ourselves.
std::string parse_error_reason(const std::string& what) {
  const auto colon = what.find(": ");
  return colon == std::string::npos ? what : what.substr(colon + 2);
}

// `byte` is nlohmann's 1-based position of the character that broke the parse.
[[noreturn]] void throw_malformed(std::string_view text, const std::filesystem::path& file, size_t byte,
                                  const std::string& what) {
  const size_t offset = byte > 0 ? byte - 1 : 0;
  const auto [line, col] = line_column(text, offset);
  std::string reason = parse_error_reason(what);
  // The parser gave up on the last byte: the text simply stops.
  if (byte >= text.size()) reason += " (the file looks truncated)";
  throw InputError(file.string(), "line " + std::to_string(line) + ", column " + std::to_string(col),
                   "malformed JSON: " + reason);
}

// nlohmann's SAX interface: builds the same document json::parse would,
// telling the observer about the structure on the way. (nlohmann's own
// parser callback is not usable here: after each element it rescans the
// whole parent container, which is quadratic in a graph's node count.)
class ObservedDomBuilder {
 public:
  using json = nlohmann::json;

  ObservedDomBuilder(json& root, JsonParseObserver& observer) : root_(root), observer_(observer) {}

  bool null() { return add_scalar(nullptr); }
  bool boolean(bool v) { return add_scalar(v); }
  bool number_integer(json::number_integer_t v) { return add_scalar(v); }
  bool number_unsigned(json::number_unsigned_t v) { return add_scalar(v); }
  bool number_float(json::number_float_t v, const json::string_t& /*text*/) { return add_scalar(v); }
  bool string(json::string_t& v) { return add_scalar(std::move(v)); }
  bool binary(json::binary_t& v) { return add_scalar(json::binary(std::move(v))); }

  bool start_object(std::size_t /*size*/) {
    open_.push_back(add(json::object()));
    observer_.object_start();
    return true;
  }
  bool key(json::string_t& key) {
    observer_.key(key);
    slot_ = &(*open_.back())[key];  // std::map: the address stays valid
    return true;
  }
  bool end_object() {
    open_.pop_back();
    observer_.object_end();
    offer_last_element();
    return true;
  }
  bool start_array(std::size_t /*size*/) {
    open_.push_back(add(json::array()));
    observer_.array_start();
    return true;
  }
  bool end_array() {
    open_.pop_back();
    observer_.array_end();
    offer_last_element();
    return true;
  }

  bool parse_error(std::size_t position, const std::string& /*last_token*/, const nlohmann::json::exception& ex) {
    error_byte_ = position;
    error_what_ = ex.what();
    return false;
  }

  bool failed() const { return !error_what_.empty(); }
  size_t error_byte() const { return error_byte_; }
  const std::string& error_what() const { return error_what_; }

 private:
  bool add_scalar(json value) {
    add(std::move(value));
    offer_last_element();
    return true;
  }

  // A value just completed inside an array: the observer may take it.
  void offer_last_element() {
    if (open_.empty() || !open_.back()->is_array()) return;
    json& array = *open_.back();
    if (observer_.take_array_element(array.back())) array.get_ref<json::array_t&>().pop_back();
  }

  // Puts `value` where the parser is: the root, the end of the open array or
  // the slot of the last key. Only the innermost open container grows, so
  // the pointers kept for the enclosing ones stay valid.
  json* add(json value) {
    if (open_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    json& top = *open_.back();
    if (top.is_array()) {
      top.push_back(std::move(value));
      return &top.back();
    }
    *slot_ = std::move(value);
    return slot_;
  }

  json& root_;
  JsonParseObserver& observer_;
  std::vector<json*> open_;  // containers being filled, innermost last
  json* slot_ = nullptr;     // the value of the last key read
  size_t error_byte_ = 0;
  std::string error_what_;
};

}  // namespace

void parse_json_text_into(nlohmann::json& doc, std::string_view text, const std::filesystem::path& file,
                          JsonParseObserver& observer) {
  ObservedDomBuilder builder(doc, observer);
  nlohmann::json::sax_parse(text.begin(), text.end(), &builder);
  if (builder.failed()) throw_malformed(text, file, builder.error_byte(), builder.error_what());
}

nlohmann::json parse_json_text(std::string_view text, const std::filesystem::path& file, JsonParseObserver* observer) {
  if (observer) {
    nlohmann::json doc;
    parse_json_text_into(doc, text, file, *observer);
    return doc;
  }
  try {
    return nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& e) {
    throw_malformed(text, file, e.byte, e.what());
  }
}

nlohmann::json read_json_file(const std::filesystem::path& file) {
  const std::string text = read_text_file(file);
  return parse_json_text(text, file);
}

}  // namespace onnxport
