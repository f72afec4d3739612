// Reading JSON input files with errors that name the file and the line/column.
#pragma once

#include <onnxport/diagnostics.hpp>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <string_view>

namespace onnxport {

// Whole file as bytes; InputError(file, "", "cannot open ...") when
// unreadable, when it is not a regular file (a FIFO would block, /dev/zero
// never ends) or when it is larger than limits::kMaxTextFileBytes.
std::string read_text_file(const std::filesystem::path& file);

// "a FIFO", "a character device", ... for a st_mode that is not a regular file.
std::string file_kind_text(unsigned mode);

// The message of an InputError without its "file: place: " prefix.
std::string input_error_reason(const InputError& e);

// Sees the structure of a document while it is parsed: readers use it to
// learn what the parsed nlohmann::json cannot keep, such as the file order of
// an object's keys (nlohmann::json sorts them).
class JsonParseObserver {
 public:
  virtual ~JsonParseObserver() = default;
  virtual void object_start() {}
  virtual void key(const std::string& /*key*/) {}
  virtual void object_end() {}
  virtual void array_start() {}
  virtual void array_end() {}
  // Called with each element of an array as soon as it is complete (objects
  // and arrays after their end, scalars when read). Returning true takes the
  // element: it is left out of the document. A reader uses this to process a
  // large array (a graph's nodes) piece by piece while each piece is still in
  // the cache, and never holds the whole array as one document.
  virtual bool take_array_element(nlohmann::json& /*element*/) { return false; }
  // The same for the members of objects: called with each member's key and
  // value as soon as the value is complete, if wants_object_members() says so
  // (asked once, before the parse: the parser of a program.json, which has
  // no use for it, then pays nothing per member). Returning true leaves the
  // member out of the document. A safetensors header (one member per tensor)
  // is read this way.
  virtual bool wants_object_members() const { return false; }
  virtual bool take_object_member(const std::string& /*key*/, nlohmann::json& /*value*/) { return false; }
};

// Parses `text` (the contents of `file`). Malformed or truncated JSON throws
// InputError(file, "line L, column C", "malformed JSON: ..."), as do numbers
// out of range (1e999) and nesting deeper than limits::kMaxJsonDepth. `observer`,
// when given, is told about every object, key and array as they are read, in
// the same single pass.
nlohmann::json parse_json_text(std::string_view text, const std::filesystem::path& file,
                               JsonParseObserver* observer = nullptr);

// parse_json_text with an observer, building into `doc`, which the observer
// may read (partly built) while it is told about the structure.
void parse_json_text_into(nlohmann::json& doc, std::string_view text, const std::filesystem::path& file,
                          JsonParseObserver& observer);

// read_text_file + parse_json_text (declared for tools in onnxport_core/json_input.hpp).
nlohmann::json read_json_file(const std::filesystem::path& file);

// 1-based line and column of byte `offset` in `text`.
std::pair<size_t, size_t> line_column(std::string_view text, size_t offset);

}  // namespace onnxport
