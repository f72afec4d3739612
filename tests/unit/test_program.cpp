#include <onnxport_core/bundle.hpp>

#include "test_util.hpp"

#include <cmath>
#include <functional>
#include <typeinfo>

using namespace onnxport;
using namespace onnxport::test;

namespace {

// The weights the seed prints, as float32.
void expect_seed_weights(const Program& p) {
  struct Expected {
    const char* name;
    std::vector<int64_t> shape;
    std::vector<float> values;
  };
  const Expected expected[] = {
      {"mlp.0.weight", {2, 3}, {0.284533f, 0.0663717f, -0.510749f, 0.244287f, 0.37044f, -0.546452f}},
      {"mlp.0.bias", {2}, {-0.403322f, -0.409063f}},
      {"mlp.1.weight", {1, 2}, {0.363914f, -0.449402f}},
      {"mlp.1.bias", {1}, {0.19677f}},
  };
  ASSERT_EQ(p.weights.size(), 4u);
  for (const auto& e : expected) {
    const Tensor* t = p.weights.find(e.name);
    ASSERT_NE(t, nullptr) << e.name;
    EXPECT_EQ(t->dtype(), DType::Float32);
    EXPECT_EQ(t->shape(), e.shape) << e.name;
    EXPECT_FALSE(t->owns_storage()) << "weights are borrowed from the mapping";
    for (size_t i = 0; i < e.values.size(); ++i)
      EXPECT_EQ(t->data<float>()[i], e.values[i]) << e.name << "[" << i << "]";
  }
}

const ProgramNode* find_kind(const Program& p, const std::string& kind) {
  const ProgramNode* found = nullptr;
  p.for_each_node([&](const ProgramNode& n) {
    if (!found && n.kind == kind) found = &n;
  });
  return found;
}

// The seed's program.json with its keys in the writer's order (format,
// version, ..., module, graph), the order in which the loader parses the
// graph's nodes while it reads the file.
nlohmann::ordered_json seed_json() {
  return nlohmann::ordered_json::parse(read_file(example("seed") / "program.json"));
}

// The same document with its keys sorted ("graph" before "module" and
// "version"): the loader must read it whole before it parses the nodes.
nlohmann::json sorted(const nlohmann::ordered_json& doc) { return nlohmann::json::parse(doc.dump()); }

// Writes `doc` as the program.json of a copy of the seed bundle.
template <class Json>
std::filesystem::path bundle_with(const ScratchDir& dir, const Json& doc) {
  const auto b = dir.copy_of(example("seed"));
  write_file(b / "program.json", doc.dump(1));
  return b;
}

std::string load_error(const std::filesystem::path& bundle) {
  return expect_input_error([&] { load_program(bundle); }).what();
}

void expect_contains(const std::string& text, const std::string& needle) {
  EXPECT_NE(text.find(needle), std::string::npos) << "message: " << text << "\nexpected to contain: " << needle;
}

}  // namespace

TEST(SeedBundles, Seed) {
  const Program p = load_program(example("seed"));
  EXPECT_EQ(p.name, "ModelWithControlFlowTest");
  expect_seed_weights(p);
  ASSERT_EQ(p.user_inputs().size(), 1u);
  EXPECT_EQ(p.user_inputs()[0]->name, "x");
  EXPECT_EQ(p.user_inputs()[0]->dtype, DType::Float32);
  EXPECT_EQ(shape_str(p.user_inputs()[0]->shape), "[3]");
  EXPECT_EQ(p.graph.outputs, std::vector<std::string>{"out.1"});
  EXPECT_TRUE(p.example_inputs.empty());

  const ProgramNode* branch = find_kind(p, "prim::If");
  ASSERT_NE(branch, nullptr);
  EXPECT_EQ(branch->json_path, "/graph/nodes/14");
  EXPECT_EQ(branch->source.text, "if x.sum():");
  EXPECT_EQ(branch->source.line, 24);
  EXPECT_EQ(branch->scope, "mlp.2");
  ASSERT_EQ(branch->blocks.size(), 2u);
  EXPECT_EQ(branch->blocks[0].nodes[0].kind, "aten::mul");
  EXPECT_EQ(branch->blocks[0].nodes[0].json_path, "/graph/nodes/14/blocks/0/nodes/0");
  EXPECT_EQ(branch->blocks[1].nodes[0].kind, "aten::neg");
  const ProgramNode* sum = find_kind(p, "aten::sum");
  ASSERT_NE(sum, nullptr);
  EXPECT_NE(find_kind(p, "aten::Bool"), nullptr);

  const ModuleInfo* linear0 = p.module.child("mlp")->child("0");
  ASSERT_NE(linear0, nullptr);
  EXPECT_EQ(linear0->type, "Linear");
  EXPECT_EQ(linear0->parameters, (std::vector<std::string>{"weight", "bias"}));
  EXPECT_EQ(linear0->attributes["out_features"], 2);
  EXPECT_EQ(p.module.child("nope"), nullptr);
}

TEST(SeedBundles, SeedCond) {
  const Program p = load_program(example("seed-cond"));
  expect_seed_weights(p);
  const ProgramNode* cond = find_kind(p, "higher_order::cond");
  ASSERT_NE(cond, nullptr);
  EXPECT_EQ(cond->inputs, (std::vector<std::string>{"gt", "input.9"}));
  ASSERT_EQ(cond->blocks.size(), 2u);
  EXPECT_EQ(cond->blocks[0].inputs, std::vector<std::string>{"x_op"});  // block inputs = operands
  EXPECT_EQ(find_kind(p, "prim::If"), nullptr);
}

TEST(SeedBundles, SeedGt) {
  const Program p = load_program(example("seed-gt"));
  expect_seed_weights(p);
  EXPECT_NE(find_kind(p, "aten::gt"), nullptr);
  const Tensor* x = p.example_inputs.find("x");
  ASSERT_NE(x, nullptr);
  EXPECT_EQ(x->type_str(), "f32[3]");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(x->get_double(i), -3.0);
}

TEST(BadProgram, MalformedJson) {
  ScratchDir dir;
  const auto b = dir.copy_of(example("seed"));
  std::string text = read_file(b / "program.json");
  const size_t pos = text.find("\"nodes\"");
  text.replace(pos, 7, "\"nodes\" \"");  // a missing colon
  write_file(b / "program.json", text);
  const auto e = expect_input_error([&] { load_program(b); });
  expect_contains(e.what(), "program.json: line ");
  expect_contains(e.what(), "malformed JSON");
  const size_t line = static_cast<size_t>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(pos), '\n') + 1);
  expect_contains(e.place(), "line " + std::to_string(line) + ", column ");
}

TEST(BadProgram, TruncatedJson) {
  ScratchDir dir;
  const auto b = dir.copy_of(example("seed"));
  const std::string text = read_file(b / "program.json");
  write_file(b / "program.json", text.substr(0, text.size() / 2));
  const std::string msg = load_error(b);
  expect_contains(msg, "program.json: line ");
  expect_contains(msg, "truncated");
}

TEST(BadProgram, UnknownValueReference) {
  ScratchDir dir;
  auto doc = seed_json();
  doc["graph"]["nodes"][8]["inputs"][1] = "foo";
  const std::string msg = load_error(bundle_with(dir, doc));
  expect_contains(msg, "program.json: /graph/nodes/8/inputs/1: unknown value 'foo' (not defined before this node)");
}

TEST(BadProgram, ValueFromInsideABlockUsedAfterIt) {
  ScratchDir dir;
  auto doc = seed_json();
  doc["graph"]["outputs"][0] = "18";  // defined in the then-branch only
  expect_contains(load_error(bundle_with(dir, doc)), "program.json: /graph/outputs/0: unknown value '18'");
}

TEST(BadProgram, Redefinition) {
  ScratchDir dir;
  auto doc = seed_json();
  doc["graph"]["nodes"][4]["outputs"][0] = "_0";
  expect_contains(load_error(bundle_with(dir, doc)),
                  "/graph/nodes/4/outputs/0: value '_0' is already defined at /graph/nodes/3/outputs/0");
}

TEST(BadProgram, WrongFieldType) {
  ScratchDir dir;
  auto doc = seed_json();
  doc["graph"]["nodes"][3]["kind"] = 7;
  expect_contains(load_error(bundle_with(dir, doc)), "program.json: /graph/nodes/3/kind: expected a string, got integer");
}

// The node fields read in place (no cursor unless the field is wrong:
// core/src/base/json_cursor.hpp) fail at the field, with the same words as
// the cursor reads they replaced.
TEST(BadProgram, FieldsReadInPlaceFailAtTheirPlace) {
  const auto with = [](const std::function<void(nlohmann::ordered_json&)>& edit) {
    ScratchDir dir;  // one bundle per case
    auto doc = seed_json();
    edit(doc["graph"]["nodes"][3]);
    return load_error(bundle_with(dir, doc));
  };
  expect_contains(with([](nlohmann::ordered_json& n) { n["source"] = {{"line", -1}}; }),
                  "/graph/nodes/3/source/line: integer -1 out of range (expected 0..2147483647)");
  expect_contains(with([](nlohmann::ordered_json& n) { n["source"] = {{"col", 1.5}}; }),
                  "/graph/nodes/3/source/col: expected an integer, got number");
  expect_contains(with([](nlohmann::ordered_json& n) { n["source"] = {{"line", 18446744073709551615ull}}; }),
                  "/graph/nodes/3/source/line: integer 18446744073709551615 out of range");
  expect_contains(with([](nlohmann::ordered_json& n) { n["source"] = {{"file", nullptr}}; }),
                  "/graph/nodes/3/source/file: expected a string, got null");
  expect_contains(with([](nlohmann::ordered_json& n) { n["source"] = {{"text", 3}}; }),
                  "/graph/nodes/3/source/text: expected a string, got integer");
  expect_contains(with([](nlohmann::ordered_json& n) { n["scope"] = 3; }), "/graph/nodes/3/scope: expected a string, got integer");
  expect_contains(with([](nlohmann::ordered_json& n) { n.erase("kind"); }), "/graph/nodes/3: missing required key 'kind'");
  expect_contains(with([](nlohmann::ordered_json& n) { n["inputs"] = {5}; }), "/graph/nodes/3/inputs/0: expected a string, got integer");
  expect_contains(with([](nlohmann::ordered_json& n) { n["outputs"] = {false}; }),
                  "/graph/nodes/3/outputs/0: expected a string, got boolean");
}

TEST(BadProgram, FormatVersionAndUnknownKeys) {
  ScratchDir dir;
  auto doc = seed_json();
  doc["format"] = "something.else";
  expect_contains(load_error(bundle_with(dir, doc)), "/format: expected \"onnxport.program\"");
  ScratchDir dir2;
  doc = seed_json();
  doc["version"] = 2;
  expect_contains(load_error(bundle_with(dir2, doc)), "/version: unsupported version 2");
  ScratchDir dir3;
  doc = seed_json();
  doc["graph"]["nodes"][0]["kidn"] = "x";
  expect_contains(load_error(bundle_with(dir3, doc)), "/graph/nodes/0/kidn: unknown key (known: kind, overload, inputs");
}

TEST(BadProgram, BadInputDims) {
  ScratchDir dir;
  auto doc = seed_json();
  doc["graph"]["inputs"][1]["shape"] = {"batch", -3};
  expect_contains(load_error(bundle_with(dir, doc)), "/graph/inputs/1/shape/1: negative dimension -3");
  ScratchDir dir2;
  doc["graph"]["inputs"][1]["shape"] = {"batch", 2.5};
  expect_contains(load_error(bundle_with(dir2, doc)),
                  "/graph/inputs/1/shape/1: expected a dimension (an integer or a symbol name), got number");
}

TEST(BadProgram, IfWithWrongBlockCount) {
  ScratchDir dir;
  auto doc = seed_json();
  doc["graph"]["nodes"][14]["blocks"].erase(1);
  expect_contains(load_error(bundle_with(dir, doc)), "/graph/nodes/14: prim::If needs 2 block(s), has 1");
}

TEST(BadProgram, BadConstant) {
  ScratchDir dir;
  auto doc = seed_json();
  doc["graph"]["nodes"][2]["attrs"]["value"] = {{"tensor", {{"dtype", "float32"}, {"shape", {2}}, {"data", {1}}}}};
  expect_contains(load_error(bundle_with(dir, doc)),
                  "/graph/nodes/2/attrs/value/tensor/data: tensor constant has 1 values, its shape needs 2");
}

TEST(BadProgram, MissingWeight) {
  ScratchDir dir;
  const auto b = dir.copy_of(example("seed"));
  const TensorMap weights = read_safetensors(b / "weights.safetensors");
  TensorMap fewer;
  for (const auto& [name, t] : weights.items())
    if (name != "mlp.0.bias") fewer.set(name, t);
  write_safetensors(b / "weights.safetensors", fewer);
  expect_contains(load_error(b),
                  "weights.safetensors: missing weight 'mlp.0.bias' declared at "
                  "/module/children/mlp/children/0/parameters/1");
}

TEST(BadProgram, WrongShapeWeight) {
  ScratchDir dir;
  const auto b = dir.copy_of(example("seed"));
  const TensorMap weights = read_safetensors(b / "weights.safetensors");
  TensorMap changed;
  for (const auto& [name, t] : weights.items())
    changed.set(name, name == "mlp.0.weight" ? t.reshaped({3, 2}) : t);
  write_safetensors(b / "weights.safetensors", changed);
  expect_contains(load_error(b),
                  "weight 'mlp.0.weight' has shape [3, 2] in weights.safetensors but the program declares [2, 3] at "
                  "/module/children/mlp/children/0/parameter_shapes/weight");
}

TEST(BadProgram, MissingWeightsFile) {
  ScratchDir dir;
  const auto b = dir.copy_of(example("seed"));
  std::filesystem::remove(b / "weights.safetensors");
  expect_contains(load_error(b), "weights.safetensors: file not found, but the module tree declares 4 parameters/buffers");
}

TEST(BadProgram, TruncatedWeights) {
  ScratchDir dir;
  const auto b = dir.copy_of(example("seed"));
  const std::string bytes = read_file(b / "weights.safetensors");
  write_file(b / "weights.safetensors", bytes.substr(0, bytes.size() - 4));
  const std::string msg = load_error(b);
  expect_contains(msg, "weights.safetensors: /mlp.1.bias/data_offsets: tensor 'mlp.1.bias': data range");
  expect_contains(msg, "truncated");
}

TEST(BadProgram, CorruptWeightsHeader) {
  ScratchDir dir;
  const auto b = dir.copy_of(example("seed"));
  std::string bytes = read_file(b / "weights.safetensors");
  bytes[7] = '\x7f';  // absurd header length
  write_file(b / "weights.safetensors", bytes);
  expect_contains(load_error(b), "weights.safetensors: byte 0: header length");
}

TEST(BadProgram, ExampleInputOfWrongShape) {
  ScratchDir dir;
  const auto b = dir.copy_of(example("seed-gt"));
  TensorMap inputs;
  inputs.set("x", Tensor::zeros(DType::Float32, {4}));
  write_safetensors(b / "inputs.safetensors", inputs);
  expect_contains(load_error(b),
                  "inputs.safetensors: /x: tensor 'x' is f32[4] but the program declares x: f32[3] at /graph/inputs/1");
}

TEST(BadProgram, NotABundle) {
  ScratchDir dir;
  expect_contains(load_error(dir.path() / "missing"), "not a directory");
  expect_contains(load_error(dir.path()), "program.json: cannot open");
}

TEST(ParseProgram, SymbolicInputsAndOptionalParts) {
  const nlohmann::json doc = {
      {"format", "onnxport.program"},
      {"version", 1},
      {"graph",
       {{"inputs", {{{"name", "x"}, {"dtype", "float32"}, {"shape", {"batch", 3}}}}},
        {"nodes", {{{"kind", "aten::relu"}, {"inputs", {"x"}}, {"outputs", {"y"}}}}},
        {"outputs", {"y"}}}}};
  const Program p = parse_program(doc, "mem.json");
  EXPECT_EQ(p.name, "program");
  ASSERT_EQ(p.inputs.size(), 1u);
  EXPECT_TRUE(p.inputs[0].has_shape);
  EXPECT_EQ(p.inputs[0].shape[0], Dim::symbol("batch"));
  EXPECT_EQ(p.user_inputs().size(), 1u);
  EXPECT_EQ(p.graph.nodes[0].json_path, "/graph/nodes/0");
}

// ------------------------------------------------------------------ encodings torch2program writes

namespace {

using json = nlohmann::json;

// A program whose module is `module` and whose graph runs `nodes` on `inputs`
// (after "self") and returns `outputs`.
json tiny_program(const json& inputs, const json& nodes, const json& outputs,
                  const json& module = {{"type", "M"}, {"attributes", {{"training", false}}}}) {
  json all_inputs = json::array({{{"name", "self"}, {"type", "Module"}}});
  for (const auto& in : inputs) all_inputs.push_back(in);
  return {{"format", "onnxport.program"},
          {"version", 1},
          {"module", module},
          {"graph", {{"inputs", all_inputs}, {"nodes", nodes}, {"outputs", outputs}}}};
}

json constant_node(const std::string& out, const json& value, const std::string& type = "float") {
  return {{"kind", "prim::Constant"}, {"inputs", json::array()}, {"outputs", {out}},
          {"attrs", {{"value", value}}}, {"output_types", {type}}};
}

json tensor_input(const std::string& name, const json& shape) {
  return {{"name", name}, {"type", "Tensor"}, {"dtype", "float32"}, {"shape", shape}};
}

// The normalized value of the only constant of a one-constant program.
json loaded_constant(const json& value, const std::string& type = "float") {
  const Program p = parse_program(tiny_program(json::array(), json::array({constant_node("c", value, type)}), {"c"}), "mem.json");
  return p.graph.nodes.at(0).attrs.at("value");
}

std::string parse_error(const json& doc) {
  return expect_input_error([&] { parse_program(doc, "mem.json"); }).what();
}

std::string constant_error(const json& value) {
  return parse_error(tiny_program(json::array(), json::array({constant_node("c", value)}), {"c"}));
}

// A bundle folder written from parts; empty maps leave their file out.
std::filesystem::path write_bundle(const ScratchDir& dir, const json& doc, const TensorMap& weights = {},
                                   const TensorMap& inputs = {}, const TensorMap& expected = {}) {
  const auto b = dir.path() / "bundle";
  std::filesystem::create_directories(b);
  write_file(b / "program.json", doc.dump(1));
  if (!weights.empty()) write_safetensors(b / "weights.safetensors", weights);
  if (!inputs.empty()) write_safetensors(b / "inputs.safetensors", inputs);
  if (!expected.empty()) write_safetensors(b / "expected.safetensors", expected);
  return b;
}

Tensor floats(std::vector<int64_t> shape, float fill = 0.5f) {
  Tensor t = Tensor::zeros(DType::Float32, std::move(shape));
  for (int64_t i = 0; i < t.numel(); ++i) t.set_double(i, fill + static_cast<double>(i));
  return t;
}

}  // namespace

TEST(ProgramConstants, NonFiniteFloatsBecomeIeeeDoubles) {
  const json neg = loaded_constant({{"float", "-inf"}});
  ASSERT_TRUE(neg.is_number_float());
  EXPECT_TRUE(std::isinf(neg.get<double>()) && neg.get<double>() < 0);
  const json pos = loaded_constant({{"float", "inf"}});
  EXPECT_TRUE(std::isinf(pos.get<double>()) && pos.get<double>() > 0);
  EXPECT_TRUE(std::isnan(loaded_constant({{"float", "nan"}}).get<double>()));
  // Inside lists too, and finite floats stay floats.
  const json list = loaded_constant({0.5, {{"float", "inf"}}}, "List[float]");
  ASSERT_TRUE(list.is_array());
  EXPECT_EQ(list[0].get<double>(), 0.5);
  EXPECT_TRUE(list[1].is_number_float() && std::isinf(list[1].get<double>()));
}

TEST(ProgramConstants, ComplexKeepsItsTagWithFloatParts) {
  const json c = loaded_constant({{"complex", {1, {{"float", "-inf"}}}}}, "complex");
  ASSERT_TRUE(c.is_object() && c.contains("complex"));
  ASSERT_EQ(c["complex"].size(), 2u);
  EXPECT_TRUE(c["complex"][0].is_number_float());  // 1 became 1.0
  EXPECT_EQ(c["complex"][0].get<double>(), 1.0);
  EXPECT_TRUE(std::isinf(c["complex"][1].get<double>()) && c["complex"][1].get<double>() < 0);
}

TEST(ProgramConstants, DtypeFormsBecomeScalarTypeCodes) {
  EXPECT_EQ(loaded_constant({{"dtype", "float64"}}, "int"), json(7));
  EXPECT_EQ(loaded_constant({{"dtype", "torch.float32"}}, "int"), json(6));
  EXPECT_EQ(loaded_constant({{"dtype", 4}}, "int"), json(4));  // int64
  EXPECT_EQ(loaded_constant(7, "int"), json(7));               // TorchScript's own form, unchanged
}

TEST(ProgramConstants, TensorDataIsCheckedAndNormalized) {
  const json t = loaded_constant(
      {{"tensor", {{"dtype", "float"}, {"shape", {3}}, {"data", {1, {{"float", "nan"}}, -2.5}}}}}, "Tensor");
  EXPECT_EQ(t["tensor"]["dtype"], "float32");  // canonical name
  EXPECT_TRUE(std::isnan(t["tensor"]["data"][1].get<double>()));
  const json b = loaded_constant({{"tensor", {{"dtype", "bool"}, {"shape", {2}}, {"data", {1, false}}}}}, "Tensor");
  EXPECT_EQ(b["tensor"]["data"], json({true, false}));
  expect_contains(constant_error({{"tensor", {{"dtype", "int64"}, {"shape", {1}}, {"data", {1.5}}}}}),
                  "/graph/nodes/0/attrs/value/tensor/data/0: expected an integer (a int64 tensor), got 1.5");
}

TEST(ProgramConstants, DeviceAndTensorRefAreKeptAsWritten) {
  EXPECT_EQ(loaded_constant({{"device", "cpu"}}, "Device"), json({{"device", "cpu"}}));
  EXPECT_EQ(loaded_constant({{"tensor_ref", "__constants__.0"}}, "Tensor"), json({{"tensor_ref", "__constants__.0"}}));
}

TEST(ProgramConstants, BadTaggedValuesNameTheirPointer) {
  expect_contains(constant_error({{"float", "infinity"}}),
                  "mem.json: /graph/nodes/0/attrs/value/float: expected \"inf\", \"-inf\" or \"nan\", got \"infinity\"");
  expect_contains(constant_error({{"float", 2.0}}), "/attrs/value/float: expected \"inf\"");
  expect_contains(constant_error({{"complex", {1.0}}}), "/attrs/value/complex: expected [re, im], got 1 values");
  expect_contains(constant_error({{"complex", {1.0, "x"}}}), "/attrs/value/complex/1: expected a number");
  expect_contains(constant_error({{"dtype", 99}}), "/attrs/value/dtype: unknown ScalarType code 99");
  expect_contains(constant_error({{"dtype", "float128"}}), "/attrs/value/dtype: unknown dtype 'float128'");
  expect_contains(constant_error({{"tensor_ref", ""}}), "/attrs/value/tensor_ref: empty tensor_ref");
  expect_contains(constant_error({{"tensor_ref", 3}}), "/attrs/value/tensor_ref: expected a string");
  expect_contains(constant_error({{"float", "inf"}, {"extra", 1}}), "/attrs/value: unsupported constant encoding");
  expect_contains(constant_error({1, {{"what", 1}}}), "/graph/nodes/0/attrs/value/1: unsupported constant encoding");
}

TEST(ProgramConstants, WrittenBackAsStrictJson) {
  const json loaded = loaded_constant({1.5, {{"float", "-inf"}}, {{"complex", {{{"float", "nan"}}, 0.0}}}}, "List[float]");
  const json encoded = constant_to_program_json(loaded);
  EXPECT_EQ(encoded, json({1.5, {{"float", "-inf"}}, {{"complex", {{{"float", "nan"}}, 0.0}}}}));
  EXPECT_EQ(encoded.dump().find("null"), std::string::npos);
  // Decoding the encoding gives the loaded value back.
  const json again = loaded_constant(json::parse(encoded.dump()), "List[float]");
  EXPECT_TRUE(std::isinf(again[1].get<double>()));
  EXPECT_TRUE(std::isnan(again[2]["complex"][0].get<double>()));
}

TEST(ProgramConstants, ModuleAttributesUseTheSameTags) {
  const json module = {{"type", "M"},
                       {"attributes",
                        {{"neg", {{"float", "-inf"}}},
                         {"dt", {{"dtype", "float16"}}},
                         {"free", {{"a", 1}, {"b", 2}}},
                         {"dims", {1, {{"float", "nan"}}}}}}};
  const Program p = parse_program(tiny_program(json::array(), json::array(), json::array(), module), "mem.json");
  EXPECT_TRUE(std::isinf(p.module.attributes["neg"].get<double>()));
  EXPECT_EQ(p.module.attributes["dt"], json(5));
  EXPECT_EQ(p.module.attributes["free"], json({{"a", 1}, {"b", 2}}));  // not a tag: kept
  EXPECT_TRUE(std::isnan(p.module.attributes["dims"][1].get<double>()));
  json bad = module;
  bad["attributes"]["neg"] = {{"float", "minus infinity"}};
  expect_contains(parse_error(tiny_program(json::array(), json::array(), json::array(), bad)),
                  "/module/attributes/neg/float: expected \"inf\"");
}

TEST(ProgramConstants, TensorRefMustBeInTheWeights) {
  const json doc = tiny_program(json::array(), json::array({constant_node("t", {{"tensor_ref", "__constants__.0"}}, "Tensor")}), {"t"});
  {
    ScratchDir dir;
    TensorMap weights;
    weights.set("__constants__.0", floats({5, 4}));
    const Program p = load_program(write_bundle(dir, doc, weights));
    EXPECT_EQ(p.graph.nodes[0].attrs["value"]["tensor_ref"], "__constants__.0");
    EXPECT_NE(p.weights.find("__constants__.0"), nullptr);
  }
  {
    ScratchDir dir;
    TensorMap weights;
    weights.set("__constants__.1", floats({5, 4}));
    expect_contains(load_error(write_bundle(dir, doc, weights)),
                    "program.json: /graph/nodes/0/attrs/value/tensor_ref: tensor '__constants__.0' is not in ");
  }
  {
    ScratchDir dir;  // no weights file at all
    const std::string msg = load_error(write_bundle(dir, doc));
    expect_contains(msg, "/graph/nodes/0/attrs/value/tensor_ref: tensor '__constants__.0' is not in ");
    expect_contains(msg, "weights.safetensors (the file does not exist)");
  }
}

TEST(ProgramConstants, TensorRefsInModuleAttributesAreChecked) {
  const json module = {{"type", "LSTM"},
                       {"parameters", {"w"}},
                       {"attributes", {{"_flat_weights", {{{"tensor_ref", "w"}}, {{"tensor_ref", "w2"}}}}}}};
  ScratchDir dir;
  TensorMap weights;
  weights.set("w", floats({2}));
  expect_contains(load_error(write_bundle(dir, tiny_program(json::array(), json::array(), json::array(), module), weights)),
                  "program.json: /module/attributes/_flat_weights/1/tensor_ref: tensor 'w2' is not in ");
}

// ------------------------------------------------------------------ the signature: sequences and None

namespace {

json every_input_kind() {
  json lx = {{"name", "lx"},
             {"type", "List[Tensor]"},
             {"elements", {tensor_input("lx.0", {2, 3}), tensor_input("lx.1", {"rows", 3})}}};
  json tx = {{"name", "tx"},
             {"type", "Tuple[Tensor, Tensor]"},
             {"elements", {tensor_input("tx.0", {2, 3}), tensor_input("tx.1", {3})}}};
  json inputs = {tensor_input("x", {"batch", 3}), {{"name", "n"}, {"type", "int"}}, {{"name", "f"}, {"type", "float"}},
                 lx, tx, {{"name", "o"}, {"type", "NoneType"}}};
  return tiny_program(inputs, {{{"kind", "aten::add"}, {"inputs", {"x", "x"}}, {"outputs", {"y"}}}}, {"y"});
}

TensorMap every_input_kind_examples() {
  TensorMap in;
  in.set("x", floats({4, 3}));
  in.set("n", Tensor::scalar(DType::Int64, 4));
  in.set("f", Tensor::scalar(DType::Float64, 0.5));
  in.set("lx.0", floats({2, 3}));
  in.set("lx.1", floats({1, 3}));
  in.set("tx.0", floats({2, 3}));
  in.set("tx.1", floats({3}));
  return in;
}

TensorMap without(const TensorMap& m, const std::string& name) {
  TensorMap out;
  for (const auto& [k, t] : m.items())
    if (k != name) out.set(k, t);
  return out;
}

TensorMap with(TensorMap m, const std::string& name, const Tensor& t) {
  m.set(name, t);
  return m;
}

std::string signature_error(const TensorMap& inputs) {
  ScratchDir dir;
  return load_error(write_bundle(dir, every_input_kind(), {}, inputs));
}

}  // namespace

TEST(ProgramSignature, SequenceElementsAndNoneInputsLoad) {
  ScratchDir dir;
  const Program p = load_program(write_bundle(dir, every_input_kind(), {}, every_input_kind_examples()));
  const auto users = p.user_inputs();
  ASSERT_EQ(users.size(), 6u);
  const ProgramValue& lx = *users[3];
  EXPECT_EQ(lx.type, "List[Tensor]");
  ASSERT_EQ(lx.elements.size(), 2u);
  EXPECT_EQ(lx.elements[1].name, "lx.1");
  EXPECT_EQ(lx.elements[1].dtype, DType::Float32);
  EXPECT_EQ(lx.elements[1].shape[0], Dim::symbol("rows"));
  EXPECT_EQ(users[4]->elements.size(), 2u);
  EXPECT_EQ(users[5]->type, "NoneType");
  EXPECT_TRUE(users[5]->elements.empty());
  EXPECT_EQ(p.example_inputs.find("o"), nullptr);
  ASSERT_NE(p.example_inputs.find("lx.1"), nullptr);
}

TEST(ProgramSignature, ElementDeclarationsAreChecked) {
  auto error_with = [](const std::function<void(json&)>& edit) {
    json doc = every_input_kind();
    edit(doc["graph"]["inputs"]);
    return parse_error(doc);
  };
  expect_contains(error_with([](json& in) { in[4]["elements"][1]["name"] = "lx.2"; }),
                  "/graph/inputs/4/elements/1/name: element 1 of 'lx' must be named 'lx.1' (sequences are flattened in place)");
  expect_contains(error_with([](json& in) { in[5]["elements"].erase(1); }),
                  "/graph/inputs/5/elements: 'tx' is Tuple[Tensor, Tensor] (2 items) but declares 1 elements");
  expect_contains(error_with([](json& in) { in[4]["elements"][0]["type"] = "int"; }),
                  "/graph/inputs/4/elements/0: element 'lx.0' is int but List[Tensor] holds Tensor");
  expect_contains(error_with([](json& in) { in[1]["elements"] = json::array(); }),
                  "/graph/inputs/1/elements: only List[...] and Tuple[...] values have elements; 'x' is Tensor");
  expect_contains(error_with([](json& in) { in[4]["elements"][1]["shape"] = {-1, 3}; }),
                  "/graph/inputs/4/elements/1/shape/0: negative dimension -1");
}

TEST(ProgramSignature, ExampleInputsAreCheckedAgainstElements) {
  const TensorMap good = every_input_kind_examples();
  expect_contains(signature_error(with(good, "lx.1", floats({1, 4}))),
                  "inputs.safetensors: /lx.1: tensor 'lx.1' is f32[1, 4] but the program declares lx.1: f32[rows, 3] at "
                  "/graph/inputs/4/elements/1");
  expect_contains(signature_error(without(good, "tx.1")),
                  "inputs.safetensors: /tx.0: has 'tx.0' but not 'tx.1' (element 1 of tx, declared at /graph/inputs/5/elements/1)");
  expect_contains(signature_error(with(good, "lx.2", floats({2, 3}))), "/lx.2: tensor 'lx.2' matches no input of forward");
  expect_contains(signature_error(with(good, "lx", floats({2, 3}))),
                  "/lx: tensor 'lx' is f32[2, 3] but the program declares lx: List[Tensor] (its elements are stored as "
                  "'lx.0', 'lx.1', ...) at /graph/inputs/4");
  expect_contains(signature_error(with(good, "o", floats({2}))),
                  "/o: tensor 'o' is f32[2] but the program declares o: NoneType (None has no tensor) at /graph/inputs/6");
  expect_contains(signature_error(with(good, "n", Tensor::scalar(DType::Float64, 4))),
                  "/n: tensor 'n' is f64[] but the program declares n: int (a one-element tensor) at /graph/inputs/2");
  expect_contains(signature_error(with(good, "f", floats({2}))), "/f: tensor 'f' is f32[2] but the program declares f: float");
}

TEST(ProgramSignature, SequencesWithoutElementDeclarationsTakeAnyIndex) {
  json doc = every_input_kind();
  doc["graph"]["inputs"][4].erase("elements");
  ScratchDir dir;
  const Program p = load_program(write_bundle(dir, doc, {}, with(every_input_kind_examples(), "lx.2", floats({7}))));
  EXPECT_TRUE(p.user_inputs()[3]->elements.empty());
  EXPECT_NE(p.example_inputs.find("lx.2"), nullptr);
}

// ------------------------------------------------------------------ module tree order and GetAttr paths

namespace {

// Children written "zlin" before "alin" (registration order), each a Linear.
json two_linears() {
  json linear = {{"type", "Linear"}, {"parameters", {"weight"}}, {"parameter_shapes", {{"weight", {2, 2}}}}};
  json module = {{"type", "Net"}, {"attributes", {{"training", false}}}};
  module["children"] = {{"zlin", linear}, {"alin", linear}};
  json nodes = {{{"kind", "prim::GetAttr"}, {"inputs", {"self"}}, {"outputs", {"z"}}, {"attrs", {{"name", "zlin"}, {"path", "zlin"}}}},
                {{"kind", "prim::GetAttr"}, {"inputs", {"z"}}, {"outputs", {"w"}}, {"attrs", {{"name", "weight"}, {"path", "zlin.weight"}}}}};
  return tiny_program(json::array(), nodes, {"w"}, module);
}

// two_linears() as text with the children written zlin first (json sorts
// keys, so the object cannot say it).
std::string with_children_in_file_order(json doc) {
  const json linear = doc["module"]["children"]["zlin"];
  doc["module"]["children"] = "CHILDREN";
  std::string text = doc.dump(1);
  const std::string children = "{\"zlin\": " + linear.dump() + ", \"alin\": " + linear.dump() + "}";
  text.replace(text.find("\"CHILDREN\""), 10, children);
  return text;
}

}  // namespace

TEST(ModuleTree, ChildrenKeepFileOrder) {
  const std::string text = with_children_in_file_order(two_linears());
  ASSERT_LT(text.find("\"zlin\""), text.find("\"alin\"")) << text;
  const Program p = parse_program_text(text, "mem.json");
  ASSERT_EQ(p.module.children.size(), 2u);
  EXPECT_EQ(p.module.children[0].first, "zlin");
  EXPECT_EQ(p.module.children[1].first, "alin");
  // An already-parsed document has no order left: key order.
  const Program sorted = parse_program(two_linears(), "mem.json");
  EXPECT_EQ(sorted.module.children[0].first, "alin");
  // load_program reads the text.
  ScratchDir dir;
  const auto b = dir.path() / "b";
  std::filesystem::create_directories(b);
  write_file(b / "program.json", text);
  TensorMap weights;
  weights.set("zlin.weight", floats({2, 2}));
  weights.set("alin.weight", floats({2, 2}));
  write_safetensors(b / "weights.safetensors", weights);
  EXPECT_EQ(load_program(b).module.children[0].first, "zlin");
}

TEST(ModuleTree, NestedChildrenKeepFileOrderAndDuplicatesFail) {
  const std::string text = R"({"format": "onnxport.program", "version": 1,
    "module": {"type": "Root", "children": {
      "b": {"type": "Seq", "children": {"2": {"type": "A"}, "10": {"type": "A"}, "1": {"type": "A"}}},
      "a": {"type": "A"}}},
    "graph": {"inputs": [{"name": "self", "type": "Module"}], "nodes": [], "outputs": []}})";
  const Program p = parse_program_text(text, "mem.json");
  ASSERT_EQ(p.module.children.size(), 2u);
  EXPECT_EQ(p.module.children[0].first, "b");
  const auto& seq = p.module.children[0].second.children;
  ASSERT_EQ(seq.size(), 3u);
  EXPECT_EQ(seq[0].first, "2");
  EXPECT_EQ(seq[1].first, "10");
  EXPECT_EQ(seq[2].first, "1");
  std::string dup = text;
  dup.replace(dup.find("\"1\": {\"type\": \"A\"}"), 5, "\"2\": ");
  expect_contains(expect_input_error([&] { parse_program_text(dup, "mem.json"); }).what(),
                  "mem.json: /module/children/b/children/2: duplicate child '2'");
}

TEST(ModuleTree, GetAttrPathsResolveInTheTree) {
  EXPECT_NO_THROW(parse_program(two_linears(), "mem.json"));
  json doc = two_linears();
  doc["graph"]["nodes"][1]["attrs"]["path"] = "alin.bias";
  expect_contains(parse_error(doc), "/graph/nodes/1/attrs/path: path 'alin.bias' does not end with the attribute name 'weight'");
  doc["graph"]["nodes"][1]["attrs"]["path"] = "blin.weight";
  expect_contains(parse_error(doc),
                  "/graph/nodes/1/attrs/path: 'blin.weight' is not a child, parameter, buffer or attribute in the module tree");
  doc["graph"]["nodes"][1]["attrs"].erase("path");  // path is optional
  EXPECT_NO_THROW(parse_program(doc, "mem.json"));
  doc["graph"]["nodes"][1]["attrs"].erase("name");
  expect_contains(parse_error(doc), "/graph/nodes/1/attrs: missing required key 'name'");
  doc["graph"]["nodes"][1].erase("attrs");
  expect_contains(parse_error(doc), "/graph/nodes/1: missing required key 'attrs'");
  doc = two_linears();
  doc["graph"]["nodes"][0]["attrs"]["path"] = "training";  // attributes resolve too (name mismatch aside)
  expect_contains(parse_error(doc), "path 'training' does not end with the attribute name 'zlin'");
}

// ------------------------------------------------------------------ expected.safetensors

namespace {

json counter_program() {
  json module = {{"type", "Counter"},
                 {"buffers", {"calls"}},
                 {"parameter_shapes", {{"calls", {1}}}},
                 {"children", {{"lin", {{"type", "Linear"}, {"parameters", {"weight"}}}}}}};
  return tiny_program(json::array({tensor_input("x", {2, 3})}), {{{"kind", "aten::relu"}, {"inputs", {"x"}}, {"outputs", {"y"}}}},
                      {"y"}, module);
}

TensorMap counter_weights() {
  TensorMap w;
  w.set("calls", floats({1}, 0));
  w.set("lin.weight", floats({3, 3}));
  return w;
}

std::string expected_error(const TensorMap& expected) {
  ScratchDir dir;
  return load_error(write_bundle(dir, counter_program(), counter_weights(), {}, expected));
}

}  // namespace

TEST(ExpectedOutputs, OutputsInIndexOrderAndMutatedBuffersApart) {
  TensorMap expected;  // stored out of order, as a writer laying out by element size would
  expected.set("output.1", Tensor::zeros(DType::Int64, {2, 3}));
  expected.set("calls", floats({1}, 1));
  expected.set("output.0", floats({2, 3}));
  ScratchDir dir;
  const Program p = load_program(write_bundle(dir, counter_program(), counter_weights(), {}, expected));
  ASSERT_EQ(p.expected_outputs.size(), 2u);
  EXPECT_EQ(p.expected_outputs.items()[0].first, "output.0");
  EXPECT_EQ(p.expected_outputs.items()[1].first, "output.1");
  ASSERT_EQ(p.expected_buffers.size(), 1u);
  EXPECT_EQ(p.expected_buffers.items()[0].first, "calls");
  EXPECT_EQ(p.expected_buffers.find("calls")->get_double(0), 1.0);
  EXPECT_EQ(p.weights.find("calls")->get_double(0), 0.0);  // before forward
}

TEST(ExpectedOutputs, NamesAreChecked) {
  TensorMap gap;
  gap.set("output.0", floats({2, 3}));
  gap.set("output.2", floats({2, 3}));
  expect_contains(expected_error(gap),
                  "expected.safetensors: /output.2: there is no 'output.1' (outputs are numbered from 0 without gaps)");
  TensorMap stray;
  stray.set("output.0", floats({2, 3}));
  stray.set("callz", floats({1}));
  expect_contains(expected_error(stray),
                  "expected.safetensors: /callz: tensor 'callz' is neither an output ('output.N' or a name in "
                  "/graph/outputs) nor a parameter or buffer of the module tree");
  TensorMap reshaped;
  reshaped.set("output.0", floats({2, 3}));
  reshaped.set("calls", floats({2}));
  expect_contains(expected_error(reshaped),
                  "/calls: buffer 'calls' is f32[2] after forward but f32[1] in weights.safetensors");
  TensorMap mixed;
  mixed.set("output.0", floats({2, 3}));
  mixed.set("y", floats({2, 3}));
  expect_contains(expected_error(mixed), "/y: outputs are named both by position ('output.0') and by name");
  TensorMap by_name;
  by_name.set("y", floats({2, 3}));
  ScratchDir dir;
  EXPECT_EQ(load_program(write_bundle(dir, counter_program(), counter_weights(), {}, by_name)).expected_outputs.size(), 1u);
}

// ---------------------------------------------------------------------------
// The graph's nodes are parsed while program.json is read when the file puts
// format, version, module and graph.inputs first; otherwise after the whole
// file. Both must give the same program and the same errors.

namespace {

void describe_block(const ProgramBlock& b, std::string& out);

void describe_node(const ProgramNode& n, std::string& out) {
  out += n.json_path + " " + n.kind + " in:" + nlohmann::json(n.inputs).dump() + " out:" +
         nlohmann::json(n.outputs).dump() + " attrs:" + n.attrs.dump() + " types:" +
         nlohmann::json(n.output_types).dump() + " at:" + n.source.str() + " text:" + n.source.text +
         " scope:" + n.scope + "\n";
  for (const auto& b : n.blocks) describe_block(b, out);
}

void describe_block(const ProgramBlock& b, std::string& out) {
  out += "block in:" + nlohmann::json(b.inputs).dump() + "\n";
  for (const auto& n : b.nodes) describe_node(n, out);
  out += "block out:" + nlohmann::json(b.outputs).dump() + "\n";
}

void describe_module(const ModuleInfo& m, const std::string& path, std::string& out) {
  out += path + ": " + m.type + " " + m.attributes.dump() + " " + nlohmann::json(m.parameters).dump() + "\n";
  for (const auto& [name, child] : m.children) describe_module(child, path + "." + name, out);
}

std::string describe(const Program& p) {
  std::string out = p.name + " producer:" + p.producer.dump() + "\n";
  for (const auto& v : p.inputs) out += "input " + v.name + " " + v.type + "\n";
  describe_module(p.module, "self", out);
  describe_block(p.graph, out);
  for (const auto& v : p.outputs) out += "output " + v.name + "\n";
  return out;
}

}  // namespace

TEST(ProgramStreaming, KeyOrderDoesNotChangeTheProgram) {
  for (const char* name : {"seed", "seed-cond", "seed-gt"}) {
    const std::string text = read_file(example(name) / "program.json");
    const auto doc = nlohmann::ordered_json::parse(text);
    ASSERT_LT(text.find("\"module\""), text.find("\"graph\"")) << name << ": the writer's order parses while reading";
    const Program streamed = parse_program_text(text, "program.json");
    const Program whole = parse_program_text(sorted(doc).dump(1), "program.json");
    EXPECT_FALSE(streamed.graph.nodes.empty()) << name;
    EXPECT_EQ(describe(streamed), describe(whole)) << name;
  }
}

TEST(ProgramStreaming, ErrorsAreTheSameInBothKeyOrders) {
  struct Case {
    const char* what;
    std::function<void(nlohmann::ordered_json&)> edit;
    const char* message;
  };
  const Case cases[] = {
      {"unknown value", [](auto& d) { d["graph"]["nodes"][8]["inputs"][1] = "foo"; },
       "program.json: /graph/nodes/8/inputs/1: unknown value 'foo' (not defined before this node)"},
      {"redefinition", [](auto& d) { d["graph"]["nodes"][4]["outputs"][0] = "_0"; },
       "/graph/nodes/4/outputs/0: value '_0' is already defined at /graph/nodes/3/outputs/0"},
      {"unknown key in a node", [](auto& d) { d["graph"]["nodes"][2]["colour"] = 1; },
       "/graph/nodes/2/colour: unknown key"},
      {"unknown key after the graph", [](auto& d) { d["zzz"] = 1; }, "program.json: /zzz: unknown key"},
      {"bad block output", [](auto& d) { d["graph"]["outputs"][0] = "18"; },
       "program.json: /graph/outputs/0: unknown value '18'"},
      {"node that is not an object", [](auto& d) { d["graph"]["nodes"][1] = 7; },
       "/graph/nodes/1: expected an object, got integer"},
  };
  for (const auto& c : cases) {
    ScratchDir streamed_dir, whole_dir;
    auto doc = seed_json();
    c.edit(doc);
    SCOPED_TRACE(c.what);
    expect_contains(load_error(bundle_with(streamed_dir, doc)), c.message);
    expect_contains(load_error(bundle_with(whole_dir, sorted(doc))), c.message);
  }
}

TEST(ProgramStreaming, MalformedTextAfterValidNodesIsStillMalformedJson) {
  ScratchDir dir;
  const auto b = dir.copy_of(example("seed"));
  std::string text = read_file(b / "program.json");
  // Cut inside the last node of the graph: every node before it is complete.
  const size_t cut = text.rfind("\"kind\"");
  ASSERT_NE(cut, std::string::npos);
  write_file(b / "program.json", text.substr(0, cut + 3));
  const std::string msg = load_error(b);
  expect_contains(msg, "program.json: line ");
  expect_contains(msg, "malformed JSON");
}

// How densely the test below cuts and corrupts. Under ASan+UBSan (the
// sanitized.* copy of these tests in build-fuzz/, docs/fuzzing.md) every
// prefix of both files and a corruption every 7 bytes is about 40 CPU-seconds
// (234 s in an earlier run on a loaded machine), so there it takes every 3rd prefix
// and a corruption every 14 bytes (about 16 CPU-seconds); fuzz_program_json
// mutates the same files in the same CI run.
#ifdef ONNXPORT_SANITIZED_TESTS
constexpr size_t kTruncationStride = 3;
constexpr size_t kCorruptionStride = 7 * 2;
#else
constexpr size_t kTruncationStride = 1;
constexpr size_t kCorruptionStride = 7;
#endif

// Every prefix of a program.json, and every single-byte corruption at a
// stride, is an InputError naming the file (nodes are parsed while the text is
// still being read, so a failure can come from the parser or the checks) and
// never a crash or another exception.
TEST(ProgramStreaming, EveryTruncationAndCorruptionIsAnInputError) {
  for (const char* name : {"seed", "seed-cond"}) {
    const std::string text = read_file(example(name) / "program.json");
    size_t checked = 0;
    auto expect_input_error_for = [&](const std::string& variant, const std::string& what) {
      try {
        parse_program_text(variant, "cut/program.json");
        return;  // a corruption may leave valid JSON and a valid program (e.g. in a source text)
      } catch (const InputError& e) {
        ASSERT_EQ(e.file(), "cut/program.json") << what;
        ++checked;
      } catch (const std::exception& e) {
        FAIL() << what << ": " << typeid(e).name() << ": " << e.what();
      }
    };
    for (size_t cut = 0; cut < text.size(); cut += kTruncationStride) {
      // A prefix that ends with the closing brace is the whole document.
      if (text.find_first_not_of(" \n\r\t", cut) == std::string::npos) break;
      expect_input_error_for(text.substr(0, cut), std::string(name) + " cut at byte " + std::to_string(cut));
    }
    for (size_t at = 0; at < text.size(); at += kCorruptionStride) {
      for (char bad : {'"', '}', ']', ',', 'x', '0'}) {
        std::string variant = text;
        variant[at] = bad;
        expect_input_error_for(variant, std::string(name) + " byte " + std::to_string(at) + " set to " + bad);
      }
    }
    EXPECT_GT(checked, text.size() / kTruncationStride) << name;
  }
}
