#include "base/json_pull.hpp"

#include "base/limits.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <utility>

namespace onnxport {

namespace {

bool is_blank(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Bytes that end the plain run of a string: the closing quote, an escape,
// control characters (not allowed unescaped) and the start of a multi-byte
// UTF-8 sequence (checked byte by byte).
struct StringStops {
  bool stop[256] = {};
  constexpr StringStops() {
    for (int c = 0; c < 0x20; ++c) stop[c] = true;
    for (int c = 0x80; c < 0x100; ++c) stop[c] = true;
    stop[static_cast<unsigned char>('"')] = true;
    stop[static_cast<unsigned char>('\\')] = true;
  }
};
constexpr StringStops kStringStops;

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace

char JsonPull::peek() {
  while (pos_ < text_.size() && is_blank(text_[pos_])) ++pos_;
  return pos_ < text_.size() ? text_[pos_] : '\0';
}

void JsonPull::expect(char c) {
  if (peek() != c || pos_ >= text_.size()) decline();
  ++pos_;
}

void JsonPull::open_container() {
  // The checked reader stops at limits::kMaxJsonDepth open containers; stop
  // one short of it so that text at the limit is always judged there.
  if (first_.size() + 2 > static_cast<size_t>(limits::kMaxJsonDepth)) decline();
  first_.push_back(true);
}

void JsonPull::begin_object() {
  expect('{');
  open_container();
}

bool JsonPull::next_key(std::string& key) {
  const char c = peek();
  if (first_.back()) {
    if (c == '}') {
      ++pos_;
      first_.pop_back();
      return false;
    }
    first_.back() = false;
  } else {
    if (c == '}') {
      ++pos_;
      first_.pop_back();
      return false;
    }
    expect(',');
  }
  read_string(key);
  expect(':');
  return true;
}

void JsonPull::begin_array() {
  expect('[');
  open_container();
}

bool JsonPull::next_element() {
  const char c = peek();
  if (c == ']' && pos_ < text_.size()) {
    ++pos_;
    first_.pop_back();
    return false;
  }
  if (first_.back()) first_.back() = false;
  else expect(',');
  return true;
}

void JsonPull::read_string(std::string& out) {
  expect('"');
  out.clear();
  const char* const data = text_.data();
  const size_t size = text_.size();
  for (;;) {
    size_t run = pos_;
    while (run < size && !kStringStops.stop[static_cast<unsigned char>(data[run])]) ++run;
    out.append(data + pos_, run - pos_);
    pos_ = run;
    if (pos_ >= size) decline();  // unterminated
    const auto c = static_cast<unsigned char>(data[pos_]);
    if (c == '"') {
      ++pos_;
      return;
    }
    if (c == '\\') read_escape(out);
    else if (c < 0x20) decline();  // a control character must be escaped
    else read_utf8(out);
  }
}

unsigned JsonPull::read_hex4() {
  if (pos_ + 4 > text_.size()) decline();
  unsigned value = 0;
  for (int i = 0; i < 4; ++i) {
    const char c = text_[pos_++];
    value <<= 4;
    if (c >= '0' && c <= '9') value |= static_cast<unsigned>(c - '0');
    else if (c >= 'a' && c <= 'f') value |= static_cast<unsigned>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') value |= static_cast<unsigned>(c - 'A' + 10);
    else decline();
  }
  return value;
}

// At a backslash: appends the character it stands for.
void JsonPull::read_escape(std::string& out) {
  ++pos_;
  if (pos_ >= text_.size()) decline();
  const char c = text_[pos_++];
  switch (c) {
    case '"': out += '"'; return;
    case '\\': out += '\\'; return;
    case '/': out += '/'; return;
    case 'b': out += '\b'; return;
    case 'f': out += '\f'; return;
    case 'n': out += '\n'; return;
    case 'r': out += '\r'; return;
    case 't': out += '\t'; return;
    case 'u': break;
    default: decline();
  }
  uint32_t cp = read_hex4();
  if (cp >= 0xDC00 && cp <= 0xDFFF) decline();  // a low surrogate without its high one
  if (cp >= 0xD800 && cp <= 0xDBFF) {
    // A high surrogate must be followed by an escaped low one.
    if (pos_ + 2 > text_.size() || text_[pos_] != '\\' || text_[pos_ + 1] != 'u') decline();
    pos_ += 2;
    const uint32_t low = read_hex4();
    if (low < 0xDC00 || low > 0xDFFF) decline();
    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
  }
  append_utf8(out, cp);
}

// At a byte >= 0x80: one well-formed UTF-8 sequence (RFC 3629: no overlong
// forms, no surrogates, nothing above U+10FFFF), copied as it is.
void JsonPull::read_utf8(std::string& out) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text_[i]); };
  const unsigned lead = byte(pos_);
  size_t length = 0;
  unsigned second_min = 0x80, second_max = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) second_min = 0xA0;
    if (lead == 0xED) second_max = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) second_min = 0x90;
    if (lead == 0xF4) second_max = 0x8F;
  } else {
    decline();
  }
  if (pos_ + length > text_.size()) decline();
  if (byte(pos_ + 1) < second_min || byte(pos_ + 1) > second_max) decline();
  for (size_t i = 2; i < length; ++i)
    if (byte(pos_ + i) < 0x80 || byte(pos_ + i) > 0xBF) decline();
  out.append(text_.data() + pos_, length);
  pos_ += length;
}

void JsonPull::read_strings(std::vector<std::string>& out) {
  // Read into strings kept from earlier arrays (their buffers are reused),
  // then moved into `out` with one allocation of the exact size: value name
  // lists are short, and growing each one by doubling cost more than reading it.
  begin_array();
  size_t count = 0;
  while (next_element()) {
    if (count == scratch_.size()) scratch_.emplace_back();
    read_string(scratch_[count++]);
  }
  out.clear();
  out.reserve(count);
  for (size_t i = 0; i < count; ++i) out.push_back(std::move(scratch_[i]));
}

bool JsonPull::read_null() {
  if (peek() != 'n') return false;
  read_literal("null");
  return true;
}

void JsonPull::read_literal(std::string_view word) {
  if (text_.substr(pos_, word.size()) != word) decline();
  pos_ += word.size();
}

// Integers without fraction or exponent are number_unsigned (>= 0) or
// number_integer (< 0), as nlohmann reads them; one beyond 64 bits (which
// nlohmann reads as a float) is declined, as is a float out of range.
nlohmann::json JsonPull::read_number() {
  const size_t start = pos_;
  const size_t size = text_.size();
  if (pos_ < size && text_[pos_] == '-') ++pos_;
  if (pos_ >= size || !is_digit(text_[pos_])) decline();
  if (text_[pos_] == '0') ++pos_;
  else
    while (pos_ < size && is_digit(text_[pos_])) ++pos_;
  bool is_float = false;
  if (pos_ < size && text_[pos_] == '.') {
    is_float = true;
    ++pos_;
    if (pos_ >= size || !is_digit(text_[pos_])) decline();
    while (pos_ < size && is_digit(text_[pos_])) ++pos_;
  }
  if (pos_ < size && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
    is_float = true;
    ++pos_;
    if (pos_ < size && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
    if (pos_ >= size || !is_digit(text_[pos_])) decline();
    while (pos_ < size && is_digit(text_[pos_])) ++pos_;
  }
  const char* first = text_.data() + start;
  const char* last = text_.data() + pos_;
  if (is_float) {
    // from_chars rounds correctly, as glibc's strtod (nlohmann's) does.
    double value = 0;
    const auto [end, ec] = std::from_chars(first, last, value);
    if (ec != std::errc() || end != last || !std::isfinite(value)) decline();
    return nlohmann::json(value);
  }
  if (*first == '-') {
    int64_t value = 0;
    const auto [end, ec] = std::from_chars(first, last, value);
    if (ec != std::errc() || end != last) decline();
    return nlohmann::json(static_cast<nlohmann::json::number_integer_t>(value));
  }
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(first, last, value);
  if (ec != std::errc() || end != last) decline();
  return nlohmann::json(static_cast<nlohmann::json::number_unsigned_t>(value));
}

nlohmann::json JsonPull::read_value(JsonParseObserver* observer) {
  switch (peek()) {
    case '{': {
      begin_object();
      if (observer) observer->object_start();
      nlohmann::json object = nlohmann::json::object();
      auto& members = object.get_ref<nlohmann::json::object_t&>();
      std::string key;
      while (next_key(key)) {
        if (observer) observer->key(key);
        nlohmann::json value = read_value(observer);
        members.insert_or_assign(std::move(key), std::move(value));  // a repeated key: the last value, as nlohmann
      }
      if (observer) observer->object_end();
      return object;
    }
    case '[': {
      begin_array();
      if (observer) observer->array_start();
      nlohmann::json array = nlohmann::json::array();
      auto& items = array.get_ref<nlohmann::json::array_t&>();
      while (next_element()) items.push_back(read_value(observer));
      if (observer) observer->array_end();
      return array;
    }
    case '"': {
      std::string s;
      read_string(s);
      return nlohmann::json(std::move(s));
    }
    case 't': read_literal("true"); return nlohmann::json(true);
    case 'f': read_literal("false"); return nlohmann::json(false);
    case 'n': read_literal("null"); return nlohmann::json(nullptr);
    default: return read_number();
  }
}

void JsonPull::end() {
  if (peek() != '\0' || pos_ != text_.size() || !first_.empty()) decline();
}

}  // namespace onnxport
