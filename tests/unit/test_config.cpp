#include <onnxport_core/config.hpp>

#include "test_util.hpp"

#include <algorithm>

using namespace onnxport;
using namespace onnxport::test;

namespace {

std::string config_error(const ScratchDir& dir, const std::string& text) {
  const auto file = dir.path() / "cfg.json";
  write_file(file, text);
  return expect_input_error([&] { load_config(file); }).what();
}

void expect_contains(const std::string& text, const std::string& needle) {
  EXPECT_NE(text.find(needle), std::string::npos) << "message: " << text << "\nexpected to contain: " << needle;
}

}  // namespace

TEST(Config, DefaultJson) {
  const Config c = load_config(repo_root() / "config" / "default.json");
  ASSERT_EQ(c.plugins.size(), 5u);
  EXPECT_EQ(c.plugins[0].name, "strategy-strict");
  EXPECT_EQ(c.plugins[0].json_path, "/plugins/0");
  EXPECT_EQ(c.plugins[4].name, "translators-aten");
  EXPECT_EQ(c.strategies, (std::vector<std::string>{"strict", "non-strict", "cond-rewrite", "draft"}));
  EXPECT_EQ(c.opset, 17);
  EXPECT_TRUE(c.optimize);
  EXPECT_FALSE(c.verify.enabled);
  EXPECT_FALSE(c.allow_unsound);
}

TEST(Config, TorchCompatibleJson) {
  const Config c = load_config(repo_root() / "config" / "torch-compatible.json");
  EXPECT_EQ(c.strategies, (std::vector<std::string>{"non-strict", "strict", "draft"}));
  EXPECT_EQ(c.plugins.size(), 5u);
  // torch.onnx.export's behaviour: draft's unsound graph is exported.
  EXPECT_TRUE(c.allow_unsound);
}

TEST(Config, AllowUnsoundIsABooleanAndExtendsCarryIt) {
  ScratchDir dir;
  expect_contains(config_error(dir, R"({"allow_unsound": "yes"})"),
                  "cfg.json: /allow_unsound: expected a boolean, got string");
  const auto file = dir.path() / "mine.json";
  write_file(file, R"({"extends": ")" + (repo_root() / "config" / "torch-compatible.json").string() +
                       R"(", "opset": 16})");
  EXPECT_TRUE(load_config(file).allow_unsound);
  write_file(file, R"({"extends": ")" + (repo_root() / "config" / "torch-compatible.json").string() +
                       R"(", "allow_unsound": false})");
  EXPECT_FALSE(load_config(file).allow_unsound);
  EXPECT_FALSE(parse_config(nlohmann::json::object(), "x.json").allow_unsound);
}

// "unroll_limit": {"nodes": N}: the budget above which a static loop stays an
// ONNX Loop (docs/config.md); an integer >= 0, and extends keeps the base's.
TEST(Config, UnrollLimitNodes) {
  ScratchDir dir;
  EXPECT_EQ(parse_config(nlohmann::json::object(), "x.json").unroll_limit_nodes, 5000);
  EXPECT_EQ(parse_config({{"unroll_limit", {{"nodes", 40}}}}, "x.json").unroll_limit_nodes, 40);
  EXPECT_EQ(parse_config({{"unroll_limit", nlohmann::json::object()}}, "x.json").unroll_limit_nodes, 5000);
  expect_contains(config_error(dir, R"({"unroll_limit": {"nodes": -1}})"), "cfg.json: /unroll_limit/nodes: ");
  expect_contains(config_error(dir, R"({"unroll_limit": {"node": 10}})"),
                  "cfg.json: /unroll_limit/node: unknown key (known: nodes)");
  expect_contains(config_error(dir, R"({"unroll_limit": 10})"), "cfg.json: /unroll_limit: expected an object");
  const auto base = dir.path() / "base.json";
  write_file(base, R"({"unroll_limit": {"nodes": 12}})");
  const auto file = dir.path() / "mine.json";
  write_file(file, R"({"extends": "base.json", "opset": 16})");
  EXPECT_EQ(load_config(file).unroll_limit_nodes, 12);
}

TEST(Config, EveryKey) {
  ScratchDir dir;
  const auto file = dir.path() / "sub" / "cfg.json";
  std::filesystem::create_directories(file.parent_path());
  write_file(file, R"({
    "plugins": [{"name": "translators-aten", "priority": 5}, {"path": "../plugins/libx.so"}],
    "strategies": ["draft"], "opset": 18, "optimize": false,
    "dynamic_shapes": {"x": {"0": "batch", "2": "seq"}},
    "pin": {"aten::linear": "translators-aten"},
    "verify": {"enabled": true, "atol": 0.01, "rtol": 0},
    "report": {"markdown": false, "json": true},
    "isolate": true, "timeout_s": 2.5, "allow_unsound": true})");
  const Config c = load_config(file);
  EXPECT_EQ(c.plugins[0].priority, 5);
  EXPECT_EQ(c.plugins[1].path, (dir.path() / "plugins" / "libx.so").lexically_normal());
  EXPECT_TRUE(c.plugins[1].name.empty());
  EXPECT_EQ(c.strategies, std::vector<std::string>{"draft"});
  EXPECT_EQ(c.opset, 18);
  EXPECT_FALSE(c.optimize);
  EXPECT_EQ(c.dynamic_shapes.at("x").at(2), "seq");
  EXPECT_EQ(c.pin.at("aten::linear"), "translators-aten");
  EXPECT_TRUE(c.verify.enabled);
  EXPECT_EQ(c.verify.atol, 0.01);
  EXPECT_FALSE(c.report_markdown);
  EXPECT_TRUE(c.isolate);
  EXPECT_EQ(c.timeout_s, 2.5);
  EXPECT_TRUE(c.allow_unsound);
}

TEST(Config, OmittedKeysKeepDefaults) {
  const Config c = parse_config(nlohmann::json::object(), "x.json");
  EXPECT_EQ(c.plugins.size(), 5u);
  EXPECT_EQ(c.strategies.size(), 4u);
  EXPECT_EQ(c.opset, 17);
}

TEST(Config, UnknownKey) {
  ScratchDir dir;
  expect_contains(config_error(dir, R"({"verify": {"atool": 1}})"),
                  "cfg.json: /verify/atool: unknown key (known: enabled, atol, rtol)");
  expect_contains(config_error(dir, R"({"strategy": ["strict"]})"), "cfg.json: /strategy: unknown key (known: ");
}

TEST(Config, WrongType) {
  ScratchDir dir;
  expect_contains(config_error(dir, R"({"opset": "17"})"), "cfg.json: /opset: expected an integer, got string");
  expect_contains(config_error(dir, R"({"optimize": 1})"), "cfg.json: /optimize: expected a boolean, got integer");
  expect_contains(config_error(dir, R"({"plugins": {"name": "x"}})"), "cfg.json: /plugins: expected an array, got object");
  expect_contains(config_error(dir, R"({"plugins": [{"name": 3}]})"), "/plugins/0/name: expected a string, got integer");
}

TEST(Config, PluginNeedsExactlyOneOfNameAndPath) {
  ScratchDir dir;
  expect_contains(config_error(dir, R"({"plugins": [{"name": "a"}, {"priority": 2}]})"),
                  "cfg.json: /plugins/1: a plugin needs 'name'");
  expect_contains(config_error(dir, R"({"plugins": [{"name": "a", "path": "b.so"}]})"),
                  "cfg.json: /plugins/0: give either 'name' or 'path', not both");
}

TEST(Config, OutOfRangeValues) {
  ScratchDir dir;
  expect_contains(config_error(dir, R"({"opset": 12})"), "/opset: opset 12 is not supported (supported: 13..18, the opsets the built-in translators cover; the installed ONNX checker validates up to 17)");
  expect_contains(config_error(dir, R"({"strategies": []})"), "/strategies: needs at least one strategy");
  expect_contains(config_error(dir, R"({"strategies": ["strict", "strict"]})"), "/strategies/1: strategy 'strict' is listed twice");
  expect_contains(config_error(dir, R"({"timeout_s": -1})"), "/timeout_s: must be >= 0");
  expect_contains(config_error(dir, R"({"dynamic_shapes": {"x": {"first": "batch"}}})"),
                  "/dynamic_shapes/x/first: dimension keys are axis numbers");
  expect_contains(config_error(dir, R"({"dynamic_shapes": {"x": {"0": "2 b"}}})"),
                  "/dynamic_shapes/x/0: invalid symbolic dim name");
}

TEST(Config, MalformedJson) {
  ScratchDir dir;
  expect_contains(config_error(dir, "{\"opset\": 17,\n  \"optimize\": tru }"), "cfg.json: line 2, column ");
  expect_contains(config_error(dir, "{\"opset\": 17,\n"), "truncated");
}

// config/schema.json documents exactly the keys the parser accepts.
TEST(Config, SchemaListsTheKnownKeys) {
  const auto schema = nlohmann::json::parse(read_file(repo_root() / "config" / "schema.json"));
  std::vector<std::string> schema_keys;
  for (const auto& [key, value] : schema["properties"].items()) schema_keys.push_back(key);
  const std::string msg = expect_input_error([] { parse_config({{"no-such-key", 1}}, "x.json"); }).what();
  const size_t open = msg.find("(known: ");
  ASSERT_NE(open, std::string::npos) << msg;
  std::string list = msg.substr(open + 8, msg.size() - open - 9);
  std::vector<std::string> parser_keys;
  for (size_t pos = 0; pos <= list.size();) {
    const size_t comma = list.find(", ", pos);
    parser_keys.push_back(list.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos));
    if (comma == std::string::npos) break;
    pos = comma + 2;
  }
  std::sort(schema_keys.begin(), schema_keys.end());
  std::sort(parser_keys.begin(), parser_keys.end());
  EXPECT_EQ(schema_keys, parser_keys);
  EXPECT_EQ(schema["properties"]["verify"]["properties"].size(), 3u);
}

// --- "extends" ---------------------------------------------------------------

TEST(ConfigExtends, DefaultKeepsTheBuiltinsAndAppendsTheUsersPlugin) {
  ScratchDir dir;
  const auto file = dir.path() / "mine.json";
  write_file(file, R"({"extends": "default", "plugins": [{"path": "plugins/libonnxport-my-ops.so"}],
                       "pin": {"aten::gelu": "my-ops"}, "opset": 16})");
  const Config c = load_config(file);
  ASSERT_EQ(c.plugins.size(), 6u);
  EXPECT_EQ(c.plugins[0].name, "strategy-strict");
  EXPECT_EQ(c.plugins[4].name, "translators-aten");
  EXPECT_EQ(c.plugins[5].path, (dir.path() / "plugins" / "libonnxport-my-ops.so").lexically_normal());
  EXPECT_EQ(c.plugins[5].config_file, file);
  EXPECT_EQ(c.plugins[5].json_path, "/plugins/0");
  EXPECT_EQ(c.strategies, (std::vector<std::string>{"strict", "non-strict", "cond-rewrite", "draft"}));
  EXPECT_EQ(c.pin.at("aten::gelu"), "my-ops");
  EXPECT_EQ(c.opset, 16);
  EXPECT_EQ(c.file, file);
  ASSERT_EQ(c.extends.size(), 1u);
}

TEST(ConfigExtends, SameNameReplacesTheBasePluginInPlace) {
  ScratchDir dir;
  const auto file = dir.path() / "mine.json";
  write_file(file, R"({"extends": "default",
                       "plugins": [{"name": "translators-aten", "priority": 7},
                                   {"path": "/opt/x/libonnxport-strategy-draft.so"}]})");
  const Config c = load_config(file);
  ASSERT_EQ(c.plugins.size(), 5u);
  EXPECT_EQ(c.plugins[4].name, "translators-aten");
  EXPECT_EQ(c.plugins[4].priority, 7);
  EXPECT_EQ(c.plugins[3].path, std::filesystem::path("/opt/x/libonnxport-strategy-draft.so"));
}

TEST(ConfigExtends, APathRelativeToTheConfigOverlaysKeyByKey) {
  ScratchDir dir;
  std::filesystem::create_directories(dir.path() / "base");
  std::filesystem::create_directories(dir.path() / "team");
  write_file(dir.path() / "base" / "base.json", R"({"plugins": [{"name": "strategy-draft"}, {"name": "translators-aten"}],
      "strategies": ["draft"], "pin": {"aten::a": "p", "aten::b": "q"}, "verify": {"enabled": true, "atol": 0.5},
      "dynamic_shapes": {"x": {"0": "batch"}}, "optimize": false})");
  const auto file = dir.path() / "team" / "cfg.json";
  write_file(file, R"({"extends": "../base/base.json", "plugins": [{"name": "mine"}],
      "pin": {"aten::b": "mine"}, "verify": {"rtol": 0.25}, "dynamic_shapes": {"x": {"1": "seq"}}})");
  const Config c = load_config(file);
  ASSERT_EQ(c.plugins.size(), 3u);
  EXPECT_EQ(c.plugins[0].name, "strategy-draft");
  EXPECT_EQ(c.plugins[0].config_file, dir.path() / "base" / "base.json");
  EXPECT_EQ(c.plugins[2].name, "mine");
  EXPECT_EQ(c.strategies, std::vector<std::string>{"draft"});
  EXPECT_EQ(c.pin.at("aten::a"), "p");
  EXPECT_EQ(c.pin.at("aten::b"), "mine");
  EXPECT_TRUE(c.verify.enabled);
  EXPECT_EQ(c.verify.atol, 0.5);
  EXPECT_EQ(c.verify.rtol, 0.25);
  EXPECT_EQ(c.dynamic_shapes.at("x").at(0), "batch");
  EXPECT_EQ(c.dynamic_shapes.at("x").at(1), "seq");
  EXPECT_FALSE(c.optimize);
}

TEST(ConfigExtends, ExternalDataOverlaysKeyByKey) {
  ScratchDir dir;
  write_file(dir.path() / "base.json", R"({"external_data": {"always": true, "threshold": 4096}})");
  const auto file = dir.path() / "cfg.json";
  write_file(file, R"({"extends": "base.json", "external_data": {"threshold": 0}})");
  const Config c = load_config(file);
  EXPECT_TRUE(c.external_data.always);
  EXPECT_EQ(c.external_data.threshold, 0);
  const Config d = parse_config(nlohmann::json::object(), "x.json");
  EXPECT_FALSE(d.external_data.always);
  EXPECT_EQ(d.external_data.threshold, 1024);
  expect_contains(expect_input_error([] { parse_config({{"external_data", {{"threshold", -1}}}}, "x.json"); }).what(),
                  "x.json: /external_data/threshold");
  expect_contains(expect_input_error([] { parse_config({{"external_data", {{"file", "x"}}}}, "x.json"); }).what(),
                  "x.json: /external_data/file: unknown key (known: always, threshold)");
}

TEST(Config, DurableIsOffUnlessAskedAndABoolean) {
  EXPECT_FALSE(parse_config(nlohmann::json::object(), "x.json").durable);
  EXPECT_TRUE(parse_config({{"durable", true}}, "x.json").durable);
  expect_contains(expect_input_error([] { parse_config({{"durable", "yes"}}, "x.json"); }).what(), "x.json: /durable");
}

TEST(ConfigExtends, WithoutExtendsThePluginsReplaceTheBuiltins) {
  const Config c = parse_config(nlohmann::json{{"plugins", {{{"name", "mine"}}}}}, "x.json");
  ASSERT_EQ(c.plugins.size(), 1u);
  EXPECT_TRUE(c.extends.empty());
}

TEST(ConfigExtends, BadBasesAreErrorsNamingTheFileAndTheKey) {
  ScratchDir dir;
  expect_contains(config_error(dir, R"({"extends": "no-such-shipped-config"})"),
                  "cfg.json: /extends: no shipped config named 'no-such-shipped-config'");
  expect_contains(config_error(dir, R"({"extends": "missing/base.json"})"), "cfg.json: /extends: cannot read the base config");
  expect_contains(config_error(dir, R"({"extends": 3})"), "cfg.json: /extends: expected a string, got integer");
  // A cycle: cfg.json -> other.json -> cfg.json.
  write_file(dir.path() / "other.json", R"({"extends": "./cfg.json"})");
  expect_contains(config_error(dir, R"({"extends": "other.json"})"), "other.json: /extends: \"extends\" comes back to");
  // An error in the base names the base.
  write_file(dir.path() / "broken.json", R"({"opset": 99})");
  expect_contains(config_error(dir, R"({"extends": "broken.json"})"), "broken.json: /opset: opset 99 is not supported");
}

TEST(ConfigExtends, DefaultIsTheShippedDefaultJson) {
  const Config shipped = load_config(repo_root() / "config" / "default.json");
  const Config builtin = parse_config(nlohmann::json::object(), "x.json");
  ASSERT_EQ(shipped.plugins.size(), builtin.plugins.size());
  for (size_t i = 0; i < shipped.plugins.size(); ++i) EXPECT_EQ(shipped.plugins[i].name, builtin.plugins[i].name);
  EXPECT_EQ(shipped.strategies, builtin.strategies);
  EXPECT_EQ(shipped.opset, builtin.opset);
  EXPECT_EQ(shipped.optimize, builtin.optimize);
  EXPECT_EQ(shipped.allow_unsound, builtin.allow_unsound);
}
