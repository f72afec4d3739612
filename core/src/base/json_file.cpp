#include "base/json_file.hpp"

#include <onnxport/diagnostics.hpp>

#include "base/limits.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <tuple>
#include <vector>

namespace onnxport {

std::string file_kind_text(unsigned mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

std::string input_error_reason(const InputError& e) {
  const std::string what = e.what();
  const std::string prefix = e.file() + (e.place().empty() ? "" : ": " + e.place()) + ": ";
  return what.rfind(prefix, 0) == 0 ? what.substr(prefix.size()) : what;
}

namespace {

// Closes the descriptor on every path out of read_text_file.
struct FdCloser {
  int fd;
  ~FdCloser() { ::close(fd); }
};

}  // namespace

std::string read_text_file(const std::filesystem::path& file) {
  const std::string name = file.string();
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer
  // before the type check below can refuse it.
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) throw InputError(name, "", std::string("cannot open: ") + std::strerror(errno));
  FdCloser closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw InputError(name, "", std::string("cannot stat: ") + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) throw InputError(name, "", "is a directory, expected a file");
  if (!S_ISREG(st.st_mode))
    throw InputError(name, "", "is " + file_kind_text(st.st_mode) + ", not a regular file; give the path of a file");
  if (st.st_size > limits::kMaxTextFileBytes)
    throw InputError(name, "", "is " + std::to_string(st.st_size) + " bytes, larger than the limit of " +
                                   limits::bytes_text(limits::kMaxTextFileBytes) + " for a text input");
  std::string text(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t got = ::read(fd, text.data() + done, text.size() - done);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) throw InputError(name, "", std::string("read error: ") + std::strerror(errno));
    if (got == 0) break;  // the file shrank while it was read
    done += static_cast<size_t>(got);
  }
  text.resize(done);
  return text;
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
  if (colon != std::string::npos) return what.substr(colon + 2);
  // "[json.exception.out_of_range.406] number overflow parsing '1e999'"
  const auto tag_end = what.rfind("] ", what.find(' '));
  return what.rfind("[json.exception.", 0) == 0 && tag_end != std::string::npos ? what.substr(tag_end + 2) : what;
}

// Offset of the first '[' or '{' (outside strings) that opens a level deeper
// than `max_depth`; text.size() if there is none.
size_t first_too_deep(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (in_string) {
      if (escaped) escaped = false;
      else if (ch == '\\') escaped = true;
      else if (ch == '"') in_string = false;
    } else if (ch == '"') {
      in_string = true;
    } else if (ch == '[' || ch == '{') {
      if (++depth > max_depth) return i;
    } else if (ch == ']' || ch == '}') {
      --depth;
    }
  }
  return text.size();
}

[[noreturn]] void throw_too_deep(std::string_view text, const std::filesystem::path& file) {
  const auto [line, col] = line_column(text, first_too_deep(text, limits::kMaxJsonDepth));
  throw InputError(file.string(), "line " + std::to_string(line) + ", column " + std::to_string(col),
                   "nested deeper than " + std::to_string(limits::kMaxJsonDepth) +
                       " levels of arrays and objects, the limit for JSON input (docs/limits.md)");
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

  ObservedDomBuilder(json& root, JsonParseObserver& observer)
      : root_(root), observer_(observer), offer_members_(observer.wants_object_members()) {}

  bool null() { return add_scalar(nullptr); }
  bool boolean(bool v) { return add_scalar(v); }
  bool number_integer(json::number_integer_t v) { return add_scalar(v); }
  bool number_unsigned(json::number_unsigned_t v) { return add_scalar(v); }
  bool number_float(json::number_float_t v, const json::string_t& /*text*/) { return add_scalar(v); }
  bool string(json::string_t& v) { return add_scalar(std::move(v)); }
  bool binary(json::binary_t& v) { return add_scalar(json::binary(std::move(v))); }

  bool start_object(std::size_t /*size*/) {
    if (too_deep()) return false;
    open_.push_back(add(json::object()));
    saved_slots_.emplace_back(slot_, slot_key_);
    observer_.object_start();
    return true;
  }
  bool key(json::string_t& key) {
    observer_.key(key);
    // std::map: the addresses of the slot and of its key stay valid. A key
    // given twice keeps one slot, which the later value overwrites, as in
    // json::parse.
    auto [it, inserted] = open_.back()->get_ref<json::object_t&>().try_emplace(std::move(key));
    slot_ = &it->second;
    slot_key_ = &it->first;
    return true;
  }
  bool end_object() {
    open_.pop_back();
    std::tie(slot_, slot_key_) = saved_slots_.back();  // the enclosing object's member, if any
    saved_slots_.pop_back();
    observer_.object_end();
    offer_last_element();
    return true;
  }
  bool start_array(std::size_t /*size*/) {
    if (too_deep()) return false;
    open_.push_back(add(json::array()));
    saved_slots_.emplace_back(slot_, slot_key_);
    observer_.array_start();
    return true;
  }
  bool end_array() {
    open_.pop_back();
    std::tie(slot_, slot_key_) = saved_slots_.back();  // the enclosing object's member, if any
    saved_slots_.pop_back();
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
  // The parse stopped at a container nested deeper than the limit: readers,
  // the tracer and nlohmann's dump() recurse along the nesting, so it is
  // bounded here, once, for every JSON input.
  bool stopped_too_deep() const { return stopped_too_deep_; }
  size_t error_byte() const { return error_byte_; }
  const std::string& error_what() const { return error_what_; }

 private:
  bool add_scalar(json value) {
    add(std::move(value));
    offer_last_element();
    return true;
  }

  // A value just completed inside an array (or an object, if the observer
  // wants members): the observer may take it.
  void offer_last_element() {
    if (open_.empty()) return;
    json& top = *open_.back();
    if (top.is_array()) {
      if (observer_.take_array_element(top.back())) top.get_ref<json::array_t&>().pop_back();
      return;
    }
    if (!offer_members_) return;
    // slot_ is the completed value: the innermost open container is this
    // object, and nested containers restore it when they end (below).
    if (observer_.take_object_member(*slot_key_, *slot_)) {
      auto& members = top.get_ref<json::object_t&>();
      members.erase(members.find(*slot_key_));
    }
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

  bool too_deep() {
    if (open_.size() < static_cast<size_t>(limits::kMaxJsonDepth)) return false;
    stopped_too_deep_ = true;
    return true;
  }

  json& root_;
  JsonParseObserver& observer_;
  bool stopped_too_deep_ = false;
  std::vector<json*> open_;  // containers being filled, innermost last
  json* slot_ = nullptr;     // the value of the last key read
  const std::string* slot_key_ = nullptr;  // that key
  const bool offer_members_;               // observer_.wants_object_members()
  // slot_ and slot_key_ of the enclosing object when each open container
  // started: restored at its end, so that the container is offered as that
  // object's member.
  std::vector<std::pair<json*, const std::string*>> saved_slots_;
  size_t error_byte_ = 0;
  std::string error_what_;
};

}  // namespace

void parse_json_text_into(nlohmann::json& doc, std::string_view text, const std::filesystem::path& file,
                          JsonParseObserver& observer) {
  ObservedDomBuilder builder(doc, observer);
  nlohmann::json::sax_parse(text.begin(), text.end(), &builder);
  if (builder.stopped_too_deep()) throw_too_deep(text, file);
  if (builder.failed()) throw_malformed(text, file, builder.error_byte(), builder.error_what());
}

nlohmann::json parse_json_text(std::string_view text, const std::filesystem::path& file, JsonParseObserver* observer) {
  // Always through the SAX builder: it enforces the depth limit and reports
  // every error (out_of_range.406 for 1e999 included) as an InputError.
  JsonParseObserver nothing_to_observe;
  nlohmann::json doc;
  parse_json_text_into(doc, text, file, observer ? *observer : nothing_to_observe);
  return doc;
}

nlohmann::json read_json_file(const std::filesystem::path& file) {
  const std::string text = read_text_file(file);
  return parse_json_text(text, file);
}

}  // namespace onnxport
