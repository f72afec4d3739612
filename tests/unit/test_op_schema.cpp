// Op schemas (docs/architecture.md §4a): the TorchScript schema parser on
// real PyTorch schemas, the built-in table, binding and overload resolution,
// and the by-name accessors of meta functions and kernels.
#include <onnxport/op_schema.hpp>

#include <gtest/gtest.h>

using namespace onnxport;

namespace {

using TK = SchemaType::Kind;

const OpSchema& schema(std::string_view qualified) {
  const OpSchema* s = find_schema(qualified);
  if (s == nullptr) throw std::runtime_error("no schema " + std::string(qualified));
  return *s;
}

OpArg tensor(std::vector<int64_t> sizes) {
  OpArg a;
  a.kind = OpArg::Kind::Tensor;
  a.meta.dtype = DType::Float32;
  for (int64_t s : sizes) a.meta.shape.emplace_back(s);
  return a;
}

OpArg constant(nlohmann::json v) {
  OpArg a;
  a.kind = OpArg::Kind::Constant;
  a.constant = std::move(v);
  return a;
}

OpArg none() { return OpArg{}; }

std::vector<ArgSummary> summaries(const std::vector<OpArg>& args) {
  std::vector<ArgSummary> out;
  for (const OpArg& a : args) out.push_back(summarize(a));
  return out;
}

}  // namespace

TEST(OpSchemaTable, HoldsEveryAtenSchemaParsed) {
  // PyTorch 1.13 has ~2,500 non-out= aten overloads.
  EXPECT_GT(schema_count(), 2000u);
  EXPECT_EQ(find_schema("aten::add.out"), nullptr);  // out= variants are left out
  EXPECT_EQ(find_schema("aten::no_such_op"), nullptr);
  EXPECT_EQ(find_schema("aten::add", "Tensor"), find_schema("aten::add.Tensor"));
  EXPECT_GE(schema_overloads("aten::add").size(), 3u);
  EXPECT_TRUE(schema_overloads("aten::no_such_op").empty());
}

// The table parses a schema only when it is looked up; this parses every
// generated text, so a schema the parser cannot read, or one the table's
// index names differently from its parse, fails here and not in an export.
TEST(OpSchemaTable, EveryBuiltinSchemaParsesAndIsFoundUnderItsName) {
  constexpr const char* kTexts[] = {
#include "aten_schemas.inc"
#include "engine_schemas.inc"
  };
  ASSERT_EQ(std::size(kTexts), schema_count());
  size_t found = 0;
  for (const char* text : kTexts) {
    SCOPED_TRACE(text);
    OpSchema parsed;
    ASSERT_NO_THROW(parsed = parse_op_schema(text));
    const OpSchema* looked_up = find_schema(parsed.qualified_name());
    ASSERT_NE(looked_up, nullptr);
    // Duplicate qualified names keep the first registration, as TorchScript does.
    if (looked_up->text == parsed.text) ++found;
    bool listed = false;
    for (const OpSchema* overload : schema_overloads(parsed.name)) listed |= overload->text == parsed.text;
    EXPECT_TRUE(listed);
  }
  EXPECT_GT(found, 2000u);
}

TEST(OpSchemaParser, LayerNorm) {
  const OpSchema& s = schema("aten::layer_norm");
  EXPECT_EQ(s.name, "aten::layer_norm");
  EXPECT_EQ(s.overload, "");
  EXPECT_EQ(s.qualified_name(), "aten::layer_norm");
  ASSERT_EQ(s.arguments.size(), 6u);
  EXPECT_EQ(s.arguments[0].name, "input");
  EXPECT_EQ(s.arguments[0].type.kind, TK::Tensor);
  EXPECT_FALSE(s.arguments[0].default_value.has_value());
  EXPECT_EQ(s.arguments[1].name, "normalized_shape");
  EXPECT_EQ(s.arguments[1].type.kind, TK::Int);
  EXPECT_TRUE(s.arguments[1].type.list);
  EXPECT_EQ(s.arguments[1].type.list_size, -1);
  EXPECT_EQ(s.arguments[2].name, "weight");
  EXPECT_EQ(s.arguments[2].type.text, "Tensor?");
  EXPECT_TRUE(s.arguments[2].type.optional);
  ASSERT_TRUE(s.arguments[2].default_value.has_value());
  EXPECT_TRUE(s.arguments[2].default_value->is_null());
  EXPECT_EQ(s.arguments[4].name, "eps");
  EXPECT_EQ(s.arguments[4].type.kind, TK::Float);
  EXPECT_DOUBLE_EQ(s.arguments[4].default_value->get<double>(), 1e-5);
  EXPECT_EQ(s.arguments[5].type.kind, TK::Bool);
  EXPECT_EQ(*s.arguments[5].default_value, true);
  ASSERT_EQ(s.returns.size(), 1u);
  EXPECT_EQ(s.returns[0].type.kind, TK::Tensor);
  EXPECT_EQ(s.argument_index("eps"), 4u);
  EXPECT_FALSE(s.argument_index("epsilon").has_value());
}

TEST(OpSchemaParser, Conv2dFixedSizeListsAndOverload) {
  const OpSchema& s = schema("aten::conv2d");
  ASSERT_EQ(s.arguments.size(), 7u);
  const SchemaArgument& stride = s.arguments[3];
  EXPECT_EQ(stride.name, "stride");
  EXPECT_EQ(stride.type.text, "int[2]");
  EXPECT_EQ(stride.type.list_size, 2);
  // `int[2] stride=1` means [1, 1].
  EXPECT_EQ(*stride.default_value, nlohmann::json({1, 1}));
  EXPECT_EQ(*s.arguments[6].default_value, 1);
  const OpSchema& padded = schema("aten::conv2d.padding");
  EXPECT_EQ(padded.overload, "padding");
  EXPECT_EQ(padded.arguments[4].type.kind, TK::Str);
  EXPECT_EQ(*padded.arguments[4].default_value, "valid");
}

TEST(OpSchemaParser, AddTensorKwargOnlyScalar) {
  const OpSchema& t = schema("aten::add.Tensor");
  ASSERT_EQ(t.arguments.size(), 3u);
  EXPECT_FALSE(t.arguments[1].kwarg_only);
  EXPECT_TRUE(t.arguments[2].kwarg_only);
  EXPECT_EQ(t.arguments[2].name, "alpha");
  EXPECT_EQ(t.arguments[2].type.kind, TK::Scalar);
  EXPECT_EQ(*t.arguments[2].default_value, 1);
  const OpSchema& s = schema("aten::add.Scalar");
  EXPECT_EQ(s.arguments[1].type.kind, TK::Scalar);
  EXPECT_FALSE(s.arguments[2].kwarg_only);
  const OpSchema& inplace = schema("aten::add_.Tensor");
  EXPECT_EQ(inplace.arguments[0].type.alias, "a!");
  EXPECT_TRUE(inplace.arguments[0].type.writes());
  EXPECT_EQ(inplace.arguments[0].type.kind, TK::Tensor);
  EXPECT_TRUE(inplace.returns[0].type.writes());
}

TEST(OpSchemaParser, MaxDimNamedReturns) {
  const OpSchema& s = schema("aten::max.dim");
  ASSERT_EQ(s.arguments.size(), 3u);
  EXPECT_EQ(s.arguments[1].type.kind, TK::Int);
  EXPECT_FALSE(s.arguments[1].type.list);
  EXPECT_EQ(*s.arguments[2].default_value, false);
  ASSERT_EQ(s.returns.size(), 2u);
  EXPECT_EQ(s.returns[0].name, "values");
  EXPECT_EQ(s.returns[1].name, "indices");
}

TEST(OpSchemaParser, IndexTensorListOfOptionalTensors) {
  const SchemaType& t = schema("aten::index.Tensor").arguments[1].type;
  EXPECT_EQ(t.kind, TK::Tensor);
  EXPECT_TRUE(t.list);
  EXPECT_TRUE(t.item_optional);
  EXPECT_FALSE(t.optional);
  EXPECT_EQ(t.text, "Tensor?[]");
}

TEST(OpSchemaParser, UpsampleOptionalLists) {
  const OpSchema& vec = schema("aten::upsample_nearest2d.vec");
  const SchemaType& size = vec.arguments[1].type;
  EXPECT_EQ(size.kind, TK::SymInt);
  EXPECT_TRUE(size.list);
  EXPECT_TRUE(size.optional);
  EXPECT_FALSE(size.item_optional);
  EXPECT_FALSE(vec.arguments[1].default_value.has_value());
  const SchemaType& scales = vec.arguments[2].type;
  EXPECT_EQ(scales.kind, TK::Float);
  EXPECT_TRUE(scales.list && scales.optional);
  const OpSchema& plain = schema("aten::upsample_nearest2d");
  EXPECT_EQ(plain.arguments[1].type.text, "SymInt[2]");
  EXPECT_EQ(plain.arguments[2].type.text, "float?");
  EXPECT_TRUE(plain.arguments[2].default_value->is_null());
}

TEST(OpSchemaParser, StringEscapesVarargsAndContainerTypes) {
  EXPECT_EQ(*schema("aten::strip").arguments[1].default_value, " \n\t\f\v");
  EXPECT_EQ(*schema("aten::_test_string_default").arguments[1].default_value, "\"'\\");
  EXPECT_TRUE(schema("aten::format").vararg);
  const OpSchema& s = parse_op_schema("aten::update.str(Dict(str, t)(a!) self, Dict(str, t)(a!) to_add) -> ()");
  EXPECT_EQ(s.arguments[0].type.kind, TK::Other);
  EXPECT_EQ(s.arguments[0].type.text, "Dict(str, t)(a!)");
  EXPECT_TRUE(s.returns.empty());
  const OpSchema& l = parse_op_schema("aten::values.str(Dict(str, t) self) -> t[](*)");
  EXPECT_EQ(l.returns[0].type.alias, "*");
  EXPECT_TRUE(l.returns[0].type.list);
}

TEST(OpSchemaParser, RejectsMalformedSchemasWithTheColumn) {
  auto message = [](std::string_view text) {
    try {
      parse_op_schema(text);
    } catch (const SchemaError& e) {
      return std::string(e.what());
    }
    return std::string("parsed");
  };
  EXPECT_NE(message("aten::relu(Tensor self) Tensor").find("expected '->'"), std::string::npos);
  EXPECT_NE(message("aten::relu(Tensor self -> Tensor").find("column"), std::string::npos);
  EXPECT_NE(message("relu(Tensor self) -> Tensor").find("namespaced"), std::string::npos);
  EXPECT_NE(message("aten::f(int[2 x) -> Tensor").find("expected ']'"), std::string::npos);
  EXPECT_NE(message("aten::f(Tensor x, Tensor x) -> Tensor").find("twice"), std::string::npos);
  EXPECT_NE(message("aten::f(str s=\"abc) -> Tensor").find("unterminated"), std::string::npos);
}

TEST(OpSchemaBinding, DefaultsAndMismatches) {
  const OpSchema& s = schema("aten::layer_norm");
  SchemaBinding b = bind_schema(s, summaries({tensor({2, 3}), constant({3})}));
  ASSERT_TRUE(b.ok()) << b.error;
  EXPECT_EQ(b.position, (std::vector<int>{0, 1, -1, -1, -1, -1}));

  b = bind_schema(s, summaries({tensor({2, 3})}));
  EXPECT_NE(b.error.find("'normalized_shape'"), std::string::npos) << b.error;
  EXPECT_NE(b.error.find("no default"), std::string::npos) << b.error;

  b = bind_schema(s, summaries({tensor({2, 3}), constant({3}), none(), none(), tensor({1})}));
  EXPECT_NE(b.error.find("argument 'eps' (position 4) must be float, got Tensor"), std::string::npos) << b.error;

  std::vector<OpArg> seven(7, none());
  seven[0] = tensor({2, 3});
  b = bind_schema(s, summaries(seven));
  EXPECT_NE(b.error.find("takes 6 arguments, got 7"), std::string::npos) << b.error;
}

TEST(OpSchemaBinding, OverloadsResolveByArgumentKinds) {
  auto resolved = [](std::string_view op, const std::vector<OpArg>& args) {
    SchemaBinding b = resolve_schema(op, summaries(args));
    return b.ok() ? b.schema->qualified_name() : "error: " + b.error;
  };
  EXPECT_EQ(resolved("aten::add", {tensor({2}), tensor({2})}), "aten::add.Tensor");
  EXPECT_EQ(resolved("aten::add", {tensor({2}), constant(2), constant(1)}), "aten::add.Scalar");
  EXPECT_EQ(resolved("aten::max", {tensor({2, 3}), constant(1), constant(false)}), "aten::max.dim");
  EXPECT_EQ(resolved("aten::max", {tensor({2}), tensor({2})}), "aten::max.other");
  EXPECT_EQ(resolved("aten::max", {tensor({2})}), "aten::max");
  const std::string none_fits = resolved("aten::max", {constant("x")});
  EXPECT_NE(none_fits.find("fits no schema of aten::max"), std::string::npos) << none_fits;
  EXPECT_NE(none_fits.find("aten::max.dim(Tensor self"), std::string::npos) << none_fits;
  EXPECT_NE(resolved("aten::no_such_op", {}).find("no schema is known"), std::string::npos);
}

// A TorchScript node gives every argument of its overload, and a dtype is an
// int constant: an overload that the call fits exactly wins over one that
// fits only with defaults or an int read as a bool (docs/architecture.md §4a).
TEST(OpSchemaBinding, AnOverloadTheNodeFitsExactlyWins) {
  auto resolved = [](std::string_view op, const std::vector<OpArg>& args) {
    try {
      return OpArgs::bind(op, args).schema().qualified_name();  // resolve_schema_exact_first
    } catch (const OpError& e) {
      return std::string("error: ") + e.what();
    }
  };
  // sum(x, dtype=torch.float64): (Tensor, int) also fits sum.dim_IntList(self, int[1]? dim, ...).
  EXPECT_EQ(resolved("aten::sum", {tensor({2, 3}), constant(7)}), "aten::sum");
  EXPECT_EQ(resolved("aten::sum", {tensor({2, 3}), constant({1}), constant(false), none()}), "aten::sum.dim_IntList");
  // var(x, 0, correction=2): an int also fits var.dim's bool unbiased.
  EXPECT_EQ(resolved("aten::var", {tensor({2, 3}), constant({0}), constant(2), constant(false)}),
            "aten::var.correction");
  EXPECT_EQ(resolved("aten::var", {tensor({2, 3}), constant({0}), constant(true), constant(false)}), "aten::var.dim");
  EXPECT_EQ(resolved("aten::div", {tensor({2}), tensor({2}), constant("floor")}), "aten::div.Tensor_mode");
  // Fewer arguments (a call made inside the op library): the first that fits with defaults.
  EXPECT_EQ(resolved("aten::add", {tensor({2}), tensor({2})}), "aten::add.Tensor");
}

TEST(OpArgsByName, ReadsGivenAndDefaultedArguments) {
  std::vector<OpArg> args{tensor({4, 8}), constant({8}), none()};
  OpArgs a(schema("aten::layer_norm"), args);
  EXPECT_EQ(a.tensor("input").shape.size(), 2u);
  EXPECT_EQ(a.ints("normalized_shape"), std::vector<int64_t>{8});
  EXPECT_EQ(a.optional_tensor("weight"), nullptr);
  EXPECT_FALSE(a.has("bias"));
  EXPECT_DOUBLE_EQ(a.f64("eps"), 1e-5);
  EXPECT_TRUE(a.boolean("cudnn_enable"));
  try {
    a.f64("epsilon");
    FAIL() << "an unknown name must throw";
  } catch (const OpError& e) {
    EXPECT_NE(std::string(e.what()).find("no argument 'epsilon'"), std::string::npos);
  }
  try {
    a.i64("input");
    FAIL() << "a tensor read as an int must throw";
  } catch (const OpError& e) {
    EXPECT_NE(std::string(e.what()).find("argument 'input' of aten::layer_norm"), std::string::npos) << e.what();
  }
  try {
    a.data("input");
    FAIL() << "a meta-only tensor has no data";
  } catch (const OpError& e) {
    EXPECT_NE(std::string(e.what()).find("concrete data"), std::string::npos) << e.what();
  }
}

TEST(OpArgsByName, FixedSizeListsRepeatALoneInt) {
  std::vector<OpArg> args{tensor({1, 3, 8, 8}), tensor({4, 3, 3, 3}), none(), constant(2)};
  OpArgs a(schema("aten::conv2d"), args);
  EXPECT_EQ(a.ints("stride"), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(a.ints("padding"), (std::vector<int64_t>{0, 0}));
  EXPECT_EQ(a.i64("groups"), 1);
  EXPECT_EQ(a.dims("dilation").size(), 2u);
}

TEST(OpArgsByName, BindResolvesTheOverloadAndRefusesACallThatFitsNone) {
  std::vector<OpArg> args{tensor({2}), constant(3)};
  OpArgs a = OpArgs::bind("aten::add", args);
  EXPECT_EQ(a.schema().qualified_name(), "aten::add.Scalar");
  EXPECT_EQ(a.scalar("other").constant, 3);
  EXPECT_EQ(a.scalar("alpha").constant, 1);
  std::vector<OpArg> bad{tensor({2}), tensor({2}), tensor({2})};
  EXPECT_THROW(OpArgs(schema("aten::layer_norm"), bad), OpError);
}
