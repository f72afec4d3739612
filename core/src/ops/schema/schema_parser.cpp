// Parser of TorchScript's schema syntax (the text of
// torch._C._jit_get_all_schemas(), docs/architecture.md §4a):
//
//   name[.overload](type name[=default], ..., *, kwarg-only ...) -> returns
//
// Types: a base name (Tensor, int, SymInt, float, Scalar, ScalarType ...,
// `t`, dotted class names), a parameterized type (Dict(str, t), Future(t)),
// or a tuple (Tensor, Tensor); suffixes `?` (optional), `[]` / `[N]` (list),
// and alias annotations `(a!)`, `(a -> *)`. `Tensor?[]` is a list of
// optional tensors; `int[1]?` an optional list.
#include <onnxport/op_schema.hpp>

#include <cctype>
#include <string>

namespace onnxport {
namespace {

class SchemaParser {
 public:
  explicit SchemaParser(std::string_view text) : s_(text) {}

  OpSchema parse() {
    OpSchema schema;
    schema.text = std::string(s_);
    skip_space();
    schema.name = qualified_name();
    if (schema.name.find("::") == std::string::npos) fail("expected a namespaced op name like aten::relu");
    if (peek() == '.') {
      ++pos_;
      schema.overload = identifier("an overload name");
    }
    expect('(');
    bool kwarg_only = false;
    if (!try_consume(')')) {
      while (true) {
        skip_space();
        if (starts_with("...")) {
          pos_ += 3;
          schema.vararg = true;
        } else if (peek() == '*' && !is_type_char(peek(1))) {
          ++pos_;
          kwarg_only = true;
        } else {
          SchemaArgument arg = argument(/*is_return=*/false);
          arg.kwarg_only = kwarg_only;
          schema.arguments.push_back(std::move(arg));
        }
        skip_space();
        if (try_consume(')')) break;
        expect(',');
      }
    }
    skip_space();
    if (!starts_with("->")) fail("expected '->' before the returns");
    pos_ += 2;
    returns(schema);
    skip_space();
    if (pos_ != s_.size()) fail("unexpected text after the returns");
    check_names(schema);
    return schema;
  }

 private:
  // -- lexing ----------------------------------------------------------------

  char peek(size_t ahead = 0) const { return pos_ + ahead < s_.size() ? s_[pos_ + ahead] : '\0'; }
  bool starts_with(std::string_view p) const { return s_.substr(pos_).starts_with(p); }
  void skip_space() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  bool try_consume(char c) {
    skip_space();
    if (peek() != c) return false;
    ++pos_;
    return true;
  }
  void expect(char c) {
    if (!try_consume(c)) fail(std::string("expected '") + c + "'");
  }
  static bool is_ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }
  static bool is_type_char(char c) { return is_ident_char(c) || c == '('; }

  [[noreturn]] void fail(const std::string& what) const {
    throw SchemaError("cannot parse op schema at column " + std::to_string(pos_ + 1) + ": " + what + ", in: " +
                      std::string(s_));
  }

  std::string identifier(const char* what) {
    skip_space();
    const size_t start = pos_;
    while (is_ident_char(peek())) ++pos_;
    if (pos_ == start) fail(std::string("expected ") + what);
    return std::string(s_.substr(start, pos_ - start));
  }

  // "aten::add", "prim::NumToTensor", "__torch__.torch.classes.rnn.CellParamsBase"
  std::string qualified_name() {
    skip_space();
    const size_t start = pos_;
    while (is_ident_char(peek()) || (peek() == ':' && peek(1) == ':') ||
           (peek() == '.' && pos_ > start && s_.substr(start, pos_ - start).find("::") == std::string::npos)) {
      pos_ += peek() == ':' ? 2 : 1;
    }
    if (pos_ == start) fail("expected an op name");
    return std::string(s_.substr(start, pos_ - start));
  }

  // -- types -----------------------------------------------------------------

  static SchemaType::Kind kind_of(const std::string& base) {
    using K = SchemaType::Kind;
    if (base == "Tensor") return K::Tensor;
    if (base == "int") return K::Int;
    if (base == "SymInt") return K::SymInt;
    if (base == "float") return K::Float;
    if (base == "bool") return K::Bool;
    if (base == "str") return K::Str;
    if (base == "Scalar") return K::Scalar;
    if (base == "complex") return K::Complex;
    if (base == "ScalarType") return K::ScalarType;
    if (base == "Layout") return K::Layout;
    if (base == "Device") return K::Device;
    if (base == "MemoryFormat") return K::MemoryFormat;
    if (base == "Generator") return K::Generator;
    if (base == "Dimname") return K::Dimname;
    if (base == "Any" || base == "t" || base == "t1" || base == "t2") return K::Any;
    return K::Other;
  }

  // A parenthesized, comma-separated list of types: Dict(str, t), (Tensor, Tensor).
  void type_list() {
    expect('(');
    if (try_consume(')')) return;
    while (true) {
      type();
      if (try_consume(')')) return;
      expect(',');
    }
  }

  // Alias annotation after its opening '(' up to the matching ')': "a!", "a -> *", "*".
  std::string alias_annotation() {
    const size_t start = pos_;
    while (peek() != ')') {
      if (peek() == '\0' || peek() == '(' || peek() == ',') fail("unterminated alias annotation");
      ++pos_;
    }
    std::string alias(s_.substr(start, pos_ - start));
    ++pos_;
    return alias;
  }

  SchemaType type() {
    skip_space();
    const size_t start = pos_;
    SchemaType t;
    if (peek() == '(') {
      type_list();  // tuple type
    } else {
      const std::string base = qualified_name();
      t.kind = kind_of(base);
      // Parameterized types take types in parentheses; any other '(' is an alias annotation.
      if (peek() == '(' && (base == "Dict" || base == "Future" || base == "Union" || base == "Optional" ||
                            base == "Await" || base == "RRef" || base == "List" || base == "Tuple"))
        type_list();
    }
    bool pre_optional = false;
    while (true) {
      const char c = peek();
      if (c == '?') {
        ++pos_;
        if (t.list) t.optional = true;
        else pre_optional = true;
      } else if (c == '[') {
        ++pos_;
        if (t.list) fail("nested list types are not supported");
        t.list = true;
        t.item_optional = pre_optional;
        pre_optional = false;
        if (std::isdigit(static_cast<unsigned char>(peek()))) {
          int64_t n = 0;
          while (std::isdigit(static_cast<unsigned char>(peek()))) n = n * 10 + (s_[pos_++] - '0');
          t.list_size = n;
        }
        if (peek() != ']') fail("expected ']'");
        ++pos_;
      } else if (c == '(') {
        ++pos_;
        t.alias = alias_annotation();
      } else {
        break;
      }
    }
    if (!t.list) t.optional = pre_optional;
    t.text = std::string(s_.substr(start, pos_ - start));
    return t;
  }

  // -- defaults --------------------------------------------------------------

  nlohmann::json string_literal() {
    const char quote = s_[pos_++];
    std::string out;
    while (true) {
      if (pos_ >= s_.size()) fail("unterminated string default");
      char c = s_[pos_++];
      if (c == quote) break;
      if (c == '\\') {
        if (pos_ >= s_.size()) fail("unterminated string default");
        const char e = s_[pos_++];
        switch (e) {
          case 'n': c = '\n'; break;
          case 't': c = '\t'; break;
          case 'f': c = '\f'; break;
          case 'v': c = '\v'; break;
          case 'r': c = '\r'; break;
          default: c = e;  // \" \' \\ and anything else stand for themselves
        }
      }
      out += c;
    }
    return out;
  }

  nlohmann::json number_literal() {
    const size_t start = pos_;
    if (peek() == '-' || peek() == '+') ++pos_;
    bool floating = false;
    while (std::isalnum(static_cast<unsigned char>(peek())) || peek() == '.' ||
           ((peek() == '-' || peek() == '+') && (s_[pos_ - 1] == 'e' || s_[pos_ - 1] == 'E'))) {
      if (peek() == '.' || peek() == 'e' || peek() == 'E' || peek() == 'i' || peek() == 'n') floating = true;
      ++pos_;
    }
    const std::string text(s_.substr(start, pos_ - start));
    try {
      size_t used = 0;
      if (floating) {
        const double v = std::stod(text, &used);
        if (used == text.size()) return v;
      } else {
        const long long v = std::stoll(text, &used);
        if (used == text.size()) return static_cast<int64_t>(v);
      }
    } catch (const std::exception&) {
    }
    pos_ = start;
    fail("bad number '" + text + "'");
  }

  nlohmann::json default_value() {
    skip_space();
    const char c = peek();
    if (c == '"' || c == '\'') return string_literal();
    if (c == '[') {
      ++pos_;
      nlohmann::json list = nlohmann::json::array();
      if (try_consume(']')) return list;
      while (true) {
        list.push_back(default_value());
        if (try_consume(']')) return list;
        expect(',');
      }
    }
    if (c == '-' || c == '+' || c == '.' || std::isdigit(static_cast<unsigned char>(c))) return number_literal();
    const std::string word = identifier("a default value");
    if (word == "None") return nullptr;
    if (word == "True") return true;
    if (word == "False") return false;
    return word;  // an enum constant such as contiguous_format
  }

  // -- arguments and returns -------------------------------------------------

  SchemaArgument argument(bool is_return) {
    SchemaArgument arg;
    arg.type = type();
    skip_space();
    if (is_ident_char(peek())) arg.name = identifier("an argument name");
    else if (!is_return) fail("expected an argument name after type " + arg.type.text);
    skip_space();
    if (!is_return && peek() == '=') {
      ++pos_;
      nlohmann::json v = default_value();
      // `int[2] stride=1` means [1, 1].
      if (arg.type.list && arg.type.list_size > 0 && (v.is_number() || v.is_boolean())) {
        nlohmann::json repeated = nlohmann::json::array();
        for (int64_t i = 0; i < arg.type.list_size; ++i) repeated.push_back(v);
        v = std::move(repeated);
      }
      arg.default_value = std::move(v);
    }
    return arg;
  }

  void returns(OpSchema& schema) {
    skip_space();
    if (starts_with("...")) {
      pos_ += 3;
      schema.varret = true;
      return;
    }
    if (peek() != '(') {
      schema.returns.push_back(argument(/*is_return=*/true));
      return;
    }
    ++pos_;
    if (try_consume(')')) return;
    while (true) {
      skip_space();
      if (starts_with("...")) {
        pos_ += 3;
        schema.varret = true;
      } else {
        schema.returns.push_back(argument(/*is_return=*/true));
      }
      if (try_consume(')')) return;
      expect(',');
    }
  }

  void check_names(const OpSchema& schema) const {
    for (size_t i = 0; i < schema.arguments.size(); ++i)
      for (size_t j = 0; j < i; ++j)
        if (schema.arguments[i].name == schema.arguments[j].name)
          throw SchemaError("op schema names argument '" + schema.arguments[i].name + "' twice: " + schema.text);
  }

  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

OpSchema parse_op_schema(std::string_view text) { return SchemaParser(text).parse(); }

std::optional<size_t> OpSchema::argument_index(std::string_view arg_name) const {
  for (size_t i = 0; i < arguments.size(); ++i)
    if (arguments[i].name == arg_name) return i;
  return std::nullopt;
}

}  // namespace onnxport
