#include <onnxport_core/bundle.hpp>

#include "test_util.hpp"

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

nlohmann::json seed_json() { return nlohmann::json::parse(read_file(example("seed") / "program.json")); }

// Writes `doc` as the program.json of a copy of the seed bundle.
std::filesystem::path bundle_with(const ScratchDir& dir, const nlohmann::json& doc) {
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
  expect_contains(load_error(bundle_with(dir3, doc)), "/graph/nodes/0/kidn: unknown key (known: kind, inputs");
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
