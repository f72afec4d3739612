// A pull reader for JSON text, walked value by value by its caller, for the
// one input large enough for its parse to show in a profile: program.json,
// whose graph nodes a reader can then fill straight from the text instead of
// from a document built first (docs/architecture.md, "Loading a program").
//
// It accepts only text that nlohmann's parser (json_file.hpp) accepts and
// reads every value as that parser does (the same number types and values,
// the same decoded strings). It reports no errors: on anything it does not
// read (malformed text, a byte order mark, an integer beyond 64 bits, a float
// out of range, nesting near the depth limit) it throws JsonPull::Declined,
// and its caller reads the text again with the checked reader, which says
// what is wrong and where.
#pragma once

#include "base/json_file.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace onnxport {

class JsonPull {
 public:
  // Thrown for whatever the pull reader does not read; carries nothing, the
  // checked reader gives the reason.
  struct Declined {};

  explicit JsonPull(std::string_view text) : text_(text) {}

  // The next character that is not blank, without consuming it ('\0' at the
  // end of the text).
  char peek();

  // An object: begin_object() reads its '{'; each next_key() reads the next
  // key and its ':' into `key` and returns true, or reads the closing '}'
  // and returns false. The caller reads each key's value before asking for
  // the next key.
  void begin_object();
  bool next_key(std::string& key);

  // An array: begin_array() reads its '['; each next_element() returns true
  // when an element follows (the caller reads it), or reads the closing ']'
  // and returns false.
  void begin_array();
  bool next_element();

  // A string value, decoded into `out`.
  void read_string(std::string& out);
  // An array of strings into `out` (replacing what it held).
  void read_strings(std::vector<std::string>& out);
  // Reads `null` and returns true if the next value is null.
  bool read_null();
  // Any value as a document, telling `observer` (if given) about its objects,
  // keys and arrays as JsonParseObserver documents; take_array_element and
  // take_object_member are never called.
  nlohmann::json read_value(JsonParseObserver* observer = nullptr);

  // The text has nothing but blanks left.
  void end();

 private:
  [[noreturn]] static void decline() { throw Declined{}; }
  void expect(char c);
  void open_container();
  void read_literal(std::string_view word);
  nlohmann::json read_number();
  void read_escape(std::string& out);
  void read_utf8(std::string& out);
  unsigned read_hex4();

  std::string_view text_;
  size_t pos_ = 0;
  // One entry per open object or array: whether no member or element of it
  // has been read yet (the next one has no comma before it).
  std::vector<bool> first_;
  std::vector<std::string> scratch_;  // read_strings' items before they are moved out
};

}  // namespace onnxport
