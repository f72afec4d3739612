// The pieces of `onnxport matrix` in-process (docs/matrix.md): the spec
// reader and its refusals, shards, cells made from report.json, merging,
// baselines and matrix.md. The CLI end to end is test_matrix_cli.py.
#include "matrix/baseline.hpp"
#include "matrix/cell_result.hpp"
#include "matrix/markdown.hpp"
#include "matrix/matrix_doc.hpp"
#include "matrix/progress.hpp"
#include "matrix/sha256.hpp"
#include "matrix/shard.hpp"
#include "matrix/spec.hpp"

#include <onnxport/diagnostics.hpp>

#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <set>
#include <unistd.h>

namespace fs = std::filesystem;
using nlohmann::json;
using namespace onnxport;
using namespace onnxport::matrix;

namespace {

// A scratch folder with fake bundles (a folder with program.json is all the
// spec reader looks at) and config files.
class Scratch {
 public:
  Scratch() {
    static int counter = 0;
    dir_ = fs::temp_directory_path() / ("onnxport-matrix-unit-" + std::to_string(::getpid()) + "-" +
                                        std::to_string(counter++));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  const fs::path& dir() const { return dir_; }
  void bundle(const std::string& rel) {
    fs::create_directories(dir_ / rel);
    write(rel + "/program.json", "{}");
  }
  void write(const std::string& rel, const std::string& text) {
    fs::create_directories((dir_ / rel).parent_path());
    std::ofstream(dir_ / rel) << text;
  }
  std::string matrix(const json& doc) {
    write("MATRIX.json", doc.dump(1));
    return (dir_ / "MATRIX.json").string();
  }

 private:
  fs::path dir_;
};

// A valid spec over two bundles and two combinations.
json base_spec() {
  return {{"models", {"bundles/a", "bundles/b"}},
          {"combinations",
           {{{"name", "plain"}, {"config", "cfg.json"}},
            {{"name", "strict"}, {"base", "cfg.json"}, {"overlay", {{"strategies", {"strict"}}}}}}},
          {"opsets", {13, 17}}};
}

void prepare(Scratch& s) {
  s.bundle("bundles/a");
  s.bundle("bundles/b");
  s.write("cfg.json", R"({"strategies": ["strict", "cond-rewrite"]})");
}

// Loads a spec that must be refused; returns the error (file, place, message).
InputError refusal(Scratch& s, const json& doc) {
  const std::string file = s.matrix(doc);
  try {
    load_matrix_spec(file);
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), file);
    return e;
  }
  ADD_FAILURE() << "accepted: " << doc.dump();
  return InputError("", "", "");
}

}  // namespace

TEST(MatrixSha256, FipsAndBoundaryVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(std::string(55, 'a')), "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
  EXPECT_EQ(sha256_hex(std::string(56, 'a')), "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
  EXPECT_EQ(sha256_hex(std::string(64, 'a')), "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
  EXPECT_EQ(sha256_hex(std::string(1000, 'a')), "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3");
}

TEST(MatrixSpec, ReadsModelsCombinationsAndCells) {
  Scratch s;
  prepare(s);
  const MatrixSpec spec = load_matrix_spec(s.matrix(base_spec()));
  ASSERT_EQ(spec.models.size(), 2u);
  EXPECT_EQ(spec.models[0].name, "a");
  EXPECT_EQ(spec.models[1].dir, (s.dir() / "bundles/b").lexically_normal());
  ASSERT_EQ(spec.combinations.size(), 2u);
  // The generated config extends the file, made absolute, with the matrix's tolerances.
  EXPECT_EQ(spec.combinations[1].config["extends"], (s.dir() / "cfg.json").lexically_normal().string());
  EXPECT_EQ(spec.combinations[1].config["strategies"], json({"strict"}));
  EXPECT_EQ(spec.combinations[1].config["verify"]["atol"], 1e-4);
  ASSERT_EQ(spec.cells.size(), 8u);
  EXPECT_EQ(spec.cells.front().id, "a/plain/opset13");
  EXPECT_EQ(spec.cells.back().id, "b/strict/opset17");
  for (size_t i = 1; i < spec.cells.size(); ++i) EXPECT_LT(spec.cells[i - 1].id, spec.cells[i].id);
  EXPECT_EQ(spec.digest.size(), 64u);
  EXPECT_EQ(spec.timeout_s, 600);
}

TEST(MatrixSpec, GlobsNamesAndExcludes) {
  Scratch s;
  prepare(s);
  s.bundle("more/c1");
  s.bundle("more/c2");
  fs::create_directories(s.dir() / "more/not-a-bundle");
  json doc = base_spec();
  doc["models"] = {"more/*", {{"name", "first"}, {"path", "bundles/a"}}};  // not-a-bundle is skipped
  doc["exclude"] = {{{"model", "c*"}, {"combination", "strict"}, {"opset", 13}, {"reason", "slow"}},
                    {{"model", "first"}, {"opset", {13, 17}}}};
  const MatrixSpec spec = load_matrix_spec(s.matrix(doc));
  ASSERT_EQ(spec.models.size(), 3u);
  EXPECT_EQ(spec.models[0].name, "c1");
  EXPECT_EQ(spec.models[0].path, "more/c1");
  EXPECT_EQ(spec.models[2].name, "first");
  // 3 models x 2 x 2 = 12, minus c1 and c2 strict@13 (2), minus first x 2 combinations x 2 opsets (4).
  EXPECT_EQ(spec.cells.size(), 6u);
  EXPECT_EQ(spec.excluded.size(), 6u);
  EXPECT_TRUE(std::count(spec.excluded.begin(), spec.excluded.end(), "c2/strict/opset13"));
  EXPECT_TRUE(std::count(spec.excluded.begin(), spec.excluded.end(), "first/plain/opset17"));
}

TEST(MatrixSpec, DigestCoversWhatRunsButNotTimeoutOrKeyOrder) {
  Scratch s;
  prepare(s);
  json doc = base_spec();
  const std::string d0 = load_matrix_spec(s.matrix(doc)).digest;
  doc["timeout_s"] = 5;
  doc["description"] = "words";
  EXPECT_EQ(load_matrix_spec(s.matrix(doc)).digest, d0);
  doc["opsets"] = {13, 18};
  const std::string d1 = load_matrix_spec(s.matrix(doc)).digest;
  EXPECT_NE(d1, d0);
  doc["tolerances"] = {{"node_growth", 0.5}};
  const std::string d2 = load_matrix_spec(s.matrix(doc)).digest;
  EXPECT_NE(d2, d1);
  doc["combinations"][1]["overlay"]["strategies"] = {"cond-rewrite"};
  EXPECT_NE(load_matrix_spec(s.matrix(doc)).digest, d2);
}

TEST(MatrixSpec, RefusesUnknownKeysWithTheirPlace) {
  Scratch s;
  prepare(s);
  json doc = base_spec();
  doc["opset"] = 17;
  InputError e = refusal(s, doc);
  EXPECT_EQ(e.place(), "/opset");
  EXPECT_NE(std::string(e.what()).find("unknown key"), std::string::npos);

  doc = base_spec();
  doc["combinations"][0]["cfg"] = "x";
  EXPECT_EQ(refusal(s, doc).place(), "/combinations/0/cfg");
  doc = base_spec();
  doc["tolerances"] = {{"atoll", 1}};
  EXPECT_EQ(refusal(s, doc).place(), "/tolerances/atoll");
  doc = base_spec();
  doc["exclude"] = {{{"modle", "a"}}};
  EXPECT_EQ(refusal(s, doc).place(), "/exclude/0/modle");
}

TEST(MatrixSpec, RefusesMissingModelFolders) {
  Scratch s;
  prepare(s);
  json doc = base_spec();
  doc["models"][1] = "bundles/missing";
  InputError e = refusal(s, doc);
  EXPECT_EQ(e.place(), "/models/1");
  EXPECT_NE(std::string(e.what()).find("no such folder"), std::string::npos) << e.what();

  fs::create_directories(s.dir() / "bundles/empty");
  doc["models"][1] = "bundles/empty";
  e = refusal(s, doc);
  EXPECT_NE(std::string(e.what()).find("no program.json"), std::string::npos) << e.what();

  doc["models"][1] = "nothing/*";
  e = refusal(s, doc);
  EXPECT_EQ(e.place(), "/models/1");
  EXPECT_NE(std::string(e.what()).find("matches no program bundle"), std::string::npos) << e.what();

  doc["models"][1] = {{"name", "x"}, {"path", "bundles/gone"}};
  EXPECT_EQ(refusal(s, doc).place(), "/models/1/path");
}

TEST(MatrixSpec, RefusesDuplicateNames) {
  Scratch s;
  prepare(s);
  s.bundle("other/a");
  json doc = base_spec();
  doc["models"].push_back("other/a");
  InputError e = refusal(s, doc);
  EXPECT_EQ(e.place(), "/models/2");
  EXPECT_NE(std::string(e.what()).find("already used by /models/0"), std::string::npos) << e.what();

  doc = base_spec();
  doc["combinations"][1]["name"] = "plain";
  e = refusal(s, doc);
  EXPECT_EQ(e.place(), "/combinations/1/name");
  EXPECT_NE(std::string(e.what()).find("already used by /combinations/0"), std::string::npos) << e.what();

  doc = base_spec();
  doc["combinations"][1]["name"] = "has/slash";
  EXPECT_EQ(refusal(s, doc).place(), "/combinations/1/name");
  doc = base_spec();
  doc["combinations"][1].erase("name");
  EXPECT_NE(std::string(refusal(s, doc).what()).find("missing required key 'name'"), std::string::npos);
}

TEST(MatrixSpec, RefusesCombinationsWhoseConfigDoesNotLoad) {
  Scratch s;
  prepare(s);
  s.write("broken.json", R"({"strategies": ["strict"], "optimise": true})");
  json doc = base_spec();
  doc["combinations"][0]["config"] = "broken.json";
  InputError e = refusal(s, doc);
  EXPECT_EQ(e.place(), "/combinations/0/config");
  EXPECT_NE(std::string(e.what()).find("broken.json: /optimise: unknown key"), std::string::npos) << e.what();

  doc = base_spec();
  doc["combinations"][0]["config"] = "missing.json";
  EXPECT_NE(std::string(refusal(s, doc).what()).find("no such config file"), std::string::npos);

  // A bad overlay is pointed at inside the overlay.
  doc = base_spec();
  doc["combinations"][1]["overlay"] = {{"strategies", json::array()}};
  e = refusal(s, doc);
  EXPECT_EQ(e.place(), "/combinations/1/overlay/strategies");
  EXPECT_NE(std::string(e.what()).find("needs at least one strategy"), std::string::npos) << e.what();

  // What the matrix decides cannot be overlaid.
  for (const char* key : {"opset", "verify", "extends"}) {
    doc = base_spec();
    doc["combinations"][1]["overlay"][key] = key == std::string("opset") ? json(17) : json::object();
    EXPECT_EQ(refusal(s, doc).place(), std::string("/combinations/1/overlay/") + key);
  }
  doc = base_spec();
  doc["combinations"][1].erase("overlay");
  EXPECT_EQ(refusal(s, doc).place(), "/combinations/1");
}

TEST(MatrixSpec, RefusesBadOpsetsToleranceTimeoutAndExcludes) {
  Scratch s;
  prepare(s);
  json doc = base_spec();
  doc["opsets"] = {13, 12};
  EXPECT_EQ(refusal(s, doc).place(), "/opsets/1");
  doc["opsets"] = {17, 17};
  EXPECT_EQ(refusal(s, doc).place(), "/opsets/1");
  doc["opsets"] = json::array();
  EXPECT_EQ(refusal(s, doc).place(), "/opsets");
  doc = base_spec();
  doc["tolerances"] = {{"atol", -1}};
  EXPECT_EQ(refusal(s, doc).place(), "/tolerances/atol");
  doc = base_spec();
  doc["timeout_s"] = 0;
  EXPECT_EQ(refusal(s, doc).place(), "/timeout_s");
  doc = base_spec();
  doc["exclude"] = {{{"model", "zzz*"}}};
  InputError e = refusal(s, doc);
  EXPECT_EQ(e.place(), "/exclude/0");
  EXPECT_NE(std::string(e.what()).find("matches no cell"), std::string::npos);
  doc["exclude"] = {json::object()};
  EXPECT_EQ(refusal(s, doc).place(), "/exclude/0");
  doc["exclude"] = {{{"opset", {13, 17}}}};
  EXPECT_EQ(refusal(s, doc).place(), "");  // every cell excluded
}

TEST(MatrixShard, ParsesAndRefuses) {
  std::string error;
  auto ok = parse_shard("2/4", &error);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->index, 2);
  EXPECT_EQ(ok->count, 4);
  for (const char* bad : {"5/4", "4/4", "0/0", "1", "a/b", "-1/4", "1/", "/4", "1/4x"}) {
    error.clear();
    EXPECT_FALSE(parse_shard(bad, &error)) << bad;
    EXPECT_NE(error.find(bad), std::string::npos) << error;
  }
}

namespace {

std::vector<Cell> numbered_cells(size_t n) {
  std::vector<Cell> cells;
  for (size_t i = 0; i < n; ++i) cells.push_back({cell_id("m" + std::to_string(i), "c", 17), i, 0, 17});
  std::sort(cells.begin(), cells.end(), [](const Cell& a, const Cell& b) { return a.id < b.id; });
  return cells;
}

std::set<std::string> ids(const std::vector<Cell>& cells) {
  std::set<std::string> out;
  for (const Cell& c : cells) out.insert(c.id);
  return out;
}

}  // namespace

TEST(MatrixShard, PartitionIsCompleteDisjointAndStableUnderAddedCells) {
  const auto cells = numbered_cells(200);
  std::set<std::string> seen;
  size_t total = 0;
  for (int i = 0; i < 4; ++i) {
    const auto part = shard_cells(cells, {i, 4});
    EXPECT_GT(part.size(), 30u);  // roughly a quarter
    for (const Cell& c : part) EXPECT_TRUE(seen.insert(c.id).second) << c.id;
    total += part.size();
  }
  EXPECT_EQ(total, cells.size());
  // 50 more cells: every old cell stays in its shard.
  const auto more = numbered_cells(250);
  for (int i = 0; i < 4; ++i) {
    const auto before = ids(shard_cells(cells, {i, 4}));
    const auto after = ids(shard_cells(more, {i, 4}));
    for (const auto& id : before) EXPECT_TRUE(after.count(id)) << id << " moved out of shard " << i;
  }
}

TEST(MatrixShard, TimesBalanceGreedyLongestFirst) {
  const auto cells = numbered_cells(7);
  // m0..m6 take 10, 9, 8, 3, 2, 2, 1 s: LPT gives {10,2,2} {9,3} {8,...}.
  std::map<std::string, double> times;
  const double secs[] = {10, 9, 8, 3, 2, 2, 1};
  for (int i = 0; i < 7; ++i) times[cell_id("m" + std::to_string(i), "c", 17)] = secs[i];
  std::vector<double> loads;
  std::set<std::string> seen;
  for (int i = 0; i < 3; ++i) {
    double load = 0;
    for (const Cell& c : shard_cells(cells, {i, 3}, &times)) {
      load += times[c.id];
      EXPECT_TRUE(seen.insert(c.id).second);
    }
    loads.push_back(load);
  }
  EXPECT_EQ(seen.size(), 7u);
  EXPECT_EQ(loads, (std::vector<double>{12, 12, 11}));
  // Unknown cells count as the median: still complete and disjoint.
  times.erase(cell_id("m0", "c", 17));
  size_t total = 0;
  for (int i = 0; i < 3; ++i) total += shard_cells(cells, {i, 3}, &times).size();
  EXPECT_EQ(total, 7u);
}

namespace {

json pass_report() {
  return json::parse(R"({
    "status": {"ok": true, "exit_code": 0, "error": "", "chosen_strategy": "cond-rewrite", "sound": true},
    "capture": {"chosen_strategy": "cond-rewrite", "attempts": [
      {"strategy": "strict", "status": "failed", "failure": "data-dependent branch",
       "diagnostics": [{"severity": "error", "code": "data-dependent-branch", "message": "no guard",
                        "loc": {"file": "m.py", "line": 3, "col": 4}}]},
      {"strategy": "cond-rewrite", "status": "ok", "diagnostics": []}]},
    "stages": [
      {"name": "capture", "status": "ok", "seconds": 0.5, "summary": "", "diagnostics": []},
      {"name": "translate", "status": "ok", "seconds": 0.25, "summary": "", "diagnostics": []},
      {"name": "check", "status": "ok", "seconds": 0.125, "summary": "passed", "diagnostics": []},
      {"name": "runtime", "status": "ok", "seconds": 1.0, "summary": "", "diagnostics": []},
      {"name": "accuracy", "status": "ok", "seconds": 0.0, "summary": "", "diagnostics": []},
      {"name": "write", "status": "ok", "seconds": 0.0, "summary": "/out/cells/x/model.onnx", "diagnostics": []}],
    "timings": {"load config": 0.125},
    "analysis": {"op_counts": [{"op": "MatMul", "count": 2}, {"op": "If", "count": 1}]},
    "verification": {"outputs": [{"name": "y", "max_abs": 1e-7, "max_rel": 2e-6},
                                 {"name": "z", "max_abs": 3e-7, "max_rel": 1e-6}]},
    "diagnostics": []})");
}

CellKey key() { return {"m/c/opset17", "m", "c", 17, "cells/m/c/opset17"}; }

ProcessEnd exited(int code) {
  ProcessEnd e;
  e.code = code;
  e.seconds = 1.5;
  return e;
}

const json& stage(const json& cell, const std::string& name) {
  for (const json& s : cell["stages"])
    if (s["name"] == name) return s;
  throw std::runtime_error("no stage " + name);
}

}  // namespace

TEST(MatrixCell, PassFromReport) {
  const json cell = make_cell(key(), pass_report(), exited(0), {});
  EXPECT_EQ(cell["status"], "pass");
  EXPECT_EQ(cell["strategy"], "cond-rewrite");
  EXPECT_EQ(cell["sound"], true);
  EXPECT_EQ(cell["node_count"], 3);
  EXPECT_EQ(cell["nodes_by_op"]["MatMul"], 2);
  EXPECT_DOUBLE_EQ(cell["max_abs_diff"].get<double>(), 3e-7);
  EXPECT_DOUBLE_EQ(cell["max_rel_diff"].get<double>(), 2e-6);
  EXPECT_EQ(stage(cell, "export")["status"], "ok");
  EXPECT_DOUBLE_EQ(stage(cell, "export")["seconds"].get<double>(), 0.875);
  EXPECT_EQ(stage(cell, "check")["status"], "ok");
  EXPECT_EQ(stage(cell, "verify")["status"], "ok");
  // The strategy that failed before cond-rewrite won is a note, not an error.
  ASSERT_EQ(cell["diagnostics"].size(), 1u);
  EXPECT_EQ(cell["diagnostics"][0]["severity"], "note");
  EXPECT_EQ(cell["diagnostics"][0]["where"], "capture/strict");
}

TEST(MatrixCell, FailedVerificationUnsoundAndInputError) {
  json report = pass_report();
  report["status"]["ok"] = false;
  report["status"]["error"] = "verification failed";
  report["stages"][4]["status"] = "failed";
  report["stages"][4]["summary"] = "y: max abs diff 3 > atol";
  report["stages"][5]["status"] = "not run";
  json cell = make_cell(key(), report, exited(1), {});
  EXPECT_EQ(cell["status"], "fail");
  EXPECT_EQ(stage(cell, "verify")["status"], "failed");
  EXPECT_EQ(stage(cell, "verify")["message"], "y: max abs diff 3 > atol");
  EXPECT_EQ(stage(cell, "export")["status"], "ok");

  report = pass_report();
  report["status"]["sound"] = false;
  cell = make_cell(key(), report, exited(0), {});
  EXPECT_EQ(cell["status"], "unsound");
  EXPECT_EQ(cell["sound"], false);

  // Exit 2: no stage ran, status.error says why.
  const json input_error = json::parse(R"({"status": {"ok": false, "exit_code": 2, "chosen_strategy": "",
      "sound": null, "error": "/tmp/m/program.json: /graph: bad"},
      "stages": [{"name": "capture", "status": "not run"}, {"name": "check", "status": "not run"}],
      "diagnostics": [{"severity": "error", "code": "plugin-not-found", "message": "no plugin x"}]})");
  PathRewrite rewrite;
  rewrite.rules = {{"/tmp/", "<tmp>/"}};
  cell = make_cell(key(), input_error, exited(2), rewrite);
  EXPECT_EQ(cell["status"], "fail");
  EXPECT_EQ(cell["strategy"], nullptr);
  EXPECT_EQ(cell["node_count"], nullptr);
  EXPECT_EQ(stage(cell, "export")["status"], "failed");
  EXPECT_EQ(stage(cell, "export")["message"], "<tmp>/m/program.json: /graph: bad");
  EXPECT_EQ(stage(cell, "check")["status"], "skipped");
  EXPECT_EQ(cell["diagnostics"][0]["where"], "host");
}

TEST(MatrixCell, TimeoutCrashAndMissingReport) {
  ProcessEnd end;
  end.kind = ProcessEnd::Kind::TimedOut;
  end.timeout_s = 2;
  end.seconds = 2.01;
  end.log = "[onnxport] Translate the graph into ONNX...\n[onnxport] Translate the graph into ONNX... ✅\n"
            "[onnxport] Check the model (onnx checker + shape inference)... ✅\n"
            "[onnxport] Run the model in ONNX Runtime...\n";
  json cell = make_cell(key(), std::nullopt, end, {});
  EXPECT_EQ(cell["status"], "timeout");
  EXPECT_EQ(stage(cell, "export")["status"], "ok");
  EXPECT_EQ(stage(cell, "check")["status"], "ok");
  EXPECT_EQ(stage(cell, "verify")["status"], "timeout");
  EXPECT_NE(stage(cell, "verify")["message"].get<std::string>().find("within 2 s"), std::string::npos);

  end = ProcessEnd{};
  end.kind = ProcessEnd::Kind::Signaled;
  end.code = SIGSEGV;
  end.log = "[onnxport] Obtain model graph for `M` with `zoo-segfault`...\n";
  cell = make_cell(key(), std::nullopt, end, {});
  EXPECT_EQ(cell["status"], "crash");
  EXPECT_EQ(stage(cell, "export")["status"], "crashed");
  EXPECT_EQ(stage(cell, "check")["status"], "skipped");
  EXPECT_NE(cell["diagnostics"][0]["message"].get<std::string>().find("SIGSEGV"), std::string::npos);

  cell = make_cell(key(), std::nullopt, exited(1), {});
  EXPECT_EQ(cell["status"], "crash");
  EXPECT_NE(cell["diagnostics"][0]["message"].get<std::string>().find("without writing report.json"),
            std::string::npos);
  // An exit code the export never uses is a crash even with a report.
  cell = make_cell(key(), pass_report(), exited(134), {});
  EXPECT_EQ(cell["status"], "crash");
}

TEST(MatrixCell, RunningStageFromStatusLines) {
  EXPECT_EQ(running_stage(""), "export");
  EXPECT_EQ(running_stage("[onnxport] Check the model (onnx checker + shape inference)...\n"), "check");
  EXPECT_EQ(running_stage("[onnxport] Compare the outputs with the reference...\n"), "verify");
  EXPECT_EQ(running_stage("[onnxport] Run the model in ONNX Runtime...\n[onnxport] Save the model to `x`...\n"),
            "verify");
}

namespace {

// A two-cell matrix document made the way the CLI makes one.
json document(const MatrixSpec& spec, const std::optional<Shard>& shard, const std::vector<Cell>& cells) {
  std::vector<json> made;
  for (const Cell& c : cells) {
    CellKey k{c.id, spec.models[c.model].name, spec.combinations[c.combination].name, c.opset, "cells/" + c.id};
    made.push_back(make_cell(k, pass_report(), exited(0), {}));
  }
  return matrix_document(spec, shard, made);
}

}  // namespace

TEST(MatrixDoc, MergeOfShardsEqualsTheWholeRun) {
  Scratch s;
  prepare(s);
  const MatrixSpec spec = load_matrix_spec(s.matrix(base_spec()));
  const json whole = document(spec, std::nullopt, spec.cells);
  EXPECT_EQ(whole["summary"]["total"], 8);
  EXPECT_EQ(whole["summary"]["pass"], 8);
  std::vector<std::pair<std::string, json>> parts;
  for (int i = 0; i < 3; ++i)
    parts.emplace_back("part" + std::to_string(i), document(spec, Shard{i, 3}, shard_cells(spec.cells, {i, 3})));
  const json merged = merge_matrix_parts(parts);
  EXPECT_EQ(without_times(merged), without_times(whole));
  EXPECT_EQ(expected_cell_ids(whole).size(), 8u);
}

TEST(MatrixDoc, MergeRefusesForeignOverlappingAndMissingParts) {
  Scratch s;
  prepare(s);
  const MatrixSpec spec = load_matrix_spec(s.matrix(base_spec()));
  const json p0 = document(spec, Shard{0, 2}, shard_cells(spec.cells, {0, 2}));
  const json p1 = document(spec, Shard{1, 2}, shard_cells(spec.cells, {1, 2}));
  const auto refused = [](const std::vector<std::pair<std::string, json>>& parts) -> std::string {
    try {
      merge_matrix_parts(parts);
    } catch (const InputError& e) {
      return e.what();
    }
    return "accepted";
  };
  EXPECT_NE(refused({{"a", p0}}).find("in no part"), std::string::npos) << refused({{"a", p0}});
  EXPECT_NE(refused({{"a", p0}}).find("missing shard(s): 1 of 2"), std::string::npos);
  EXPECT_NE(refused({{"a", p0}, {"b", p0}}).find("also given as a"), std::string::npos);
  json other = p1;
  other["matrix"]["digest"] = std::string(64, '0');
  EXPECT_NE(refused({{"a", p0}, {"b", other}}).find("b: /matrix/digest: this part comes from another matrix"),
            std::string::npos)
      << refused({{"a", p0}, {"b", other}});
  json overlap = p1;
  overlap["shard"] = nullptr;
  overlap["cells"].push_back(p0["cells"][0]);
  EXPECT_NE(refused({{"a", p0}, {"b", overlap}}).find("is also in a"), std::string::npos);
  json whole = document(spec, std::nullopt, spec.cells);
  EXPECT_EQ(merge_matrix_parts({{"w", whole}})["summary"]["total"], 8);
}

TEST(MatrixBaseline, NamesEveryRegressionAndWhy) {
  Scratch s;
  prepare(s);
  const MatrixSpec spec = load_matrix_spec(s.matrix(base_spec()));
  const json base = without_times(document(spec, std::nullopt, spec.cells));
  json cur = document(spec, std::nullopt, spec.cells);
  Comparison same = compare_with_baseline(cur, base, "b.json");
  EXPECT_EQ(same.compared, 8u);
  EXPECT_TRUE(same.regressions.empty());
  EXPECT_TRUE(same.improvements.empty());

  json& cells = cur["cells"];
  cells[0]["status"] = "fail";                         // pass -> fail
  cells[0]["stages"][2]["status"] = "failed";
  cells[0]["stages"][2]["message"] = "outputs differ";
  cells[1]["sound"] = false;                           // sound -> unsound (status kept pass by hand)
  cells[2]["max_abs_diff"] = 3e-7 + 2e-4;              // grew by more than atol 1e-4
  cells[3]["max_abs_diff"] = 3e-7 + 5e-5;              // within atol: not a regression
  cells[4]["node_count"] = 4;                          // 3 -> 4: +33% > 10%
  cells[5]["strategy"] = "strict";                     // another strategy: a change
  cells[6]["node_count"] = 2;                          // fewer nodes: an improvement
  const Comparison cmp = compare_with_baseline(cur, base, "b.json");
  std::set<std::string> regressed;
  for (const auto& r : cmp.regressions) regressed.insert(r.id);
  EXPECT_EQ(regressed, (std::set<std::string>{cells[0]["id"], cells[1]["id"], cells[2]["id"], cells[4]["id"]}));
  const std::string text = comparison_text(cmp, "b.json");
  EXPECT_NE(text.find("pass → fail (verify failed: outputs differ)"), std::string::npos) << text;
  EXPECT_NE(text.find("became unsound"), std::string::npos) << text;
  EXPECT_NE(text.find("max abs diff grew"), std::string::npos) << text;
  EXPECT_NE(text.find("node count grew from 3 to 4"), std::string::npos) << text;
  ASSERT_EQ(cmp.improvements.size(), 1u);
  EXPECT_EQ(cmp.improvements[0].id, cells[6]["id"]);
  ASSERT_EQ(cmp.changes.size(), 1u);
  EXPECT_EQ(cmp.changes[0].id, cells[5]["id"]);

  // A fail that now passes is an improvement the other way round.
  const Comparison back = compare_with_baseline(base, without_times(cur), "b.json");
  EXPECT_EQ(back.improvements.size() + back.regressions.size() > 0, true);
  bool found = false;
  for (const auto& i : back.improvements) found = found || i.reasons[0] == "fail → pass";
  EXPECT_TRUE(found);
}

TEST(MatrixBaseline, RefusesABaselineOfAnotherMatrix) {
  Scratch s;
  prepare(s);
  const MatrixSpec spec = load_matrix_spec(s.matrix(base_spec()));
  json base = document(spec, std::nullopt, spec.cells);
  json cur = base;
  base["matrix"]["digest"] = std::string(64, 'f');
  try {
    compare_with_baseline(cur, base, "b.json");
    FAIL() << "accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), "b.json");
    EXPECT_EQ(e.place(), "/matrix/digest");
    EXPECT_NE(std::string(e.what()).find("another matrix"), std::string::npos);
  }
}

TEST(MatrixDoc, WithoutTimesAndReadBack) {
  Scratch s;
  prepare(s);
  const MatrixSpec spec = load_matrix_spec(s.matrix(base_spec()));
  const json doc = without_times(document(spec, std::nullopt, spec.cells));
  EXPECT_FALSE(doc["cells"][0].contains("seconds"));
  EXPECT_FALSE(doc["cells"][0]["stages"][0].contains("seconds"));
  s.write("m.json", doc.dump());
  EXPECT_EQ(read_matrix_file((s.dir() / "m.json").string()), doc);
  json bad = doc;
  bad["cells"][1]["status"] = "great";
  s.write("bad.json", bad.dump());
  try {
    read_matrix_file((s.dir() / "bad.json").string());
    FAIL() << "accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(e.place(), "/cells/1/status");
  }
  bad = doc;
  bad["cells"][1]["id"] = doc["cells"][0]["id"];
  s.write("bad.json", bad.dump());
  EXPECT_THROW(read_matrix_file((s.dir() / "bad.json").string()), InputError);
  // Times of a run feed --times; a baseline has none.
  EXPECT_TRUE(read_cell_times((s.dir() / "m.json").string()).empty());
}

TEST(MatrixMarkdown, GridMarksAndSummary) {
  Scratch s;
  prepare(s);
  json spec_doc = base_spec();
  spec_doc["exclude"] = {{{"model", "b"}, {"combination", "strict"}, {"opset", 13}}};
  const MatrixSpec spec = load_matrix_spec(s.matrix(spec_doc));
  json doc = document(spec, std::nullopt, spec.cells);
  doc["cells"][1]["status"] = "fail";
  doc["cells"][1]["stages"][0]["status"] = "failed";
  doc["cells"][1]["stages"][0]["message"] = "no translator | for x";
  doc["cells"][2]["status"] = "unsound";
  doc["cells"][2]["strategy"] = "draft";
  doc["summary"] = summarize_cells(doc["cells"]);
  const std::string md = render_matrix_markdown(doc);
  EXPECT_NE(md.find("| model | plain · 13 | plain · 17 | strict · 13 | strict · 17 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| a | ✅ cond-rewrite | ❌ | ⚠ draft |"), std::string::npos) << md;
  EXPECT_NE(md.find("| b | ✅ cond-rewrite | ✅ cond-rewrite | – |"), std::string::npos) << md;
  EXPECT_NE(md.find("7 cells: 5 pass, 1 fail, 1 unsound, 0 timeout, 0 crash"), std::string::npos) << md;
  EXPECT_NE(md.find("export failed: no translator \\| for x"), std::string::npos) << md;
}

TEST(MatrixProgress, TextFitsTheTerminal) {
  EXPECT_EQ(duration_text(42), "42s");
  EXPECT_EQ(duration_text(65), "1m05s");
  EXPECT_EQ(duration_text(7380), "2h03m");
  EXPECT_EQ(fit_columns("abc✅def", 5), "abc✅");
  EXPECT_EQ(fit_columns("abc✅def", 4), "abc");
  std::ostringstream out;
  Progress p(out, false, 2);
  p.started("m/c/opset13");
  EXPECT_NE(p.bar_text(200).find("running m/c/opset13"), std::string::npos);
  json cell = {{"id", "m/c/opset13"}, {"status", "fail"}, {"seconds", 1.0},
               {"stages", {{{"name", "export"}, {"status", "failed"}, {"message", "boom"}}}}};
  p.finished(cell);
  EXPECT_EQ(out.str(), "[matrix] 1/2 ❌ m/c/opset13 (export failed: boom) 1.0 s\n");
  EXPECT_NE(p.bar_text(200).find("1/2 ❌ 1"), std::string::npos) << p.bar_text(200);
  EXPECT_LE(p.bar_text(10).size(), 12u);
}
