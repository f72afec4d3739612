// Unit tests of the report module and the status printer: rendering of a
// synthetic ExportReport (no plugins, no files but the report's own).
#include <onnxport_core/pipeline.hpp>
#include <onnxport_core/report.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

namespace onnxport {
namespace {

namespace fs = std::filesystem;

SourceLoc seed_line() {
  SourceLoc loc;
  loc.file = "plot_exporter_recipes_oe_cond.py";
  loc.line = 24;
  loc.col = 8;
  loc.text = "if x.sum():";
  return loc;
}

Diagnostic specialization() {
  Diagnostic d;
  d.code = "data-dependent-branch";
  d.severity = Severity::Warning;
  d.category = "data-dependent";
  d.message = "the value of `Ne(u0, 0)` could not be evaluated symbolically";
  d.loc = seed_line();
  d.details["specialized_to"] = true;
  return d;
}

Graph unsound_graph() {
  Graph g;
  g.sound = false;
  g.assertions.push_back(RuntimeAssertion{"Ne(u0, 0)", seed_line(), "the branch on aten::Bool(sum_1)"});
  return g;
}

ExportReport failed_report() {
  ExportReport r;
  r.program_name = "ModelWithControlFlowTest";
  r.exit_code = 1;
  r.error = "no strategy could capture";
  StrategyAttempt a;
  a.strategy = "strict";
  a.plugin = "strategy-strict";
  a.status = Status::Failed;
  a.failure = "Could not guard | on data";
  a.partial_graph = "def forward(self, x):\n    sum_1 = aten::sum(x)\n";
  r.attempts.push_back(a);
  r.stage("capture").status = Status::Failed;
  return r;
}

TEST(DraftReport, ListsTheSpecializedBranchAndSaysNotSound) {
  const std::string text = format_draft_report(unsound_graph(), {specialization()});
  EXPECT_NE(text.find("1 issue(s) found"), std::string::npos) << text;
  EXPECT_NE(text.find("not sound"), std::string::npos) << text;
  EXPECT_NE(text.find("1. Data dependent error."), std::string::npos) << text;
  EXPECT_NE(text.find("plot_exporter_recipes_oe_cond.py:24:8"), std::string::npos) << text;
  EXPECT_NE(text.find("if x.sum():"), std::string::npos) << text;
  EXPECT_NE(text.find("specialized to a constant (`True` in the 1st occurrence)"), std::string::npos) << text;
  EXPECT_NE(text.find("runtime assertion `Ne(u0, 0)`"), std::string::npos) << text;
}

TEST(DraftReport, EmptyForASoundGraphWithoutIssues) {
  Graph g;
  Diagnostic note;
  note.severity = Severity::Note;
  note.message = "just saying";
  EXPECT_EQ(format_draft_report(g, {note}), "");
}

TEST(DraftReport, CountsOccurrences) {
  Diagnostic d = specialization();
  d.occurrences = 3;
  d.more_locs = {seed_line(), seed_line()};
  const std::string text = format_draft_report(unsound_graph(), {d});
  EXPECT_NE(text.find("This was encountered 3 times."), std::string::npos) << text;
}

TEST(ReportJson, StatusBlockIsTriState) {
  const nlohmann::json j = report_to_json(failed_report());
  EXPECT_EQ(j["format"], "onnxport.report");
  EXPECT_EQ(j["status"]["ok"], false);
  EXPECT_EQ(j["status"]["exit_code"], 1);
  EXPECT_EQ(j["status"]["strategies"]["strict"], "failed");
  EXPECT_EQ(j["status"]["stages"]["capture"], "failed");
  EXPECT_EQ(j["status"]["stages"]["translate"], "not run");
  EXPECT_TRUE(j["status"]["sound"].is_null());  // no graph yet
  EXPECT_EQ(j["capture"]["attempts"][0]["partial_graph"], failed_report().attempts[0].partial_graph);
  EXPECT_TRUE(j["verification"].is_null());
  EXPECT_TRUE(j["optimize"].is_null());
}

TEST(ReportJson, SoundnessOfACapturedGraph) {
  ExportReport r;
  r.has_graph = true;
  r.sound = false;
  r.assertions = unsound_graph().assertions;
  const nlohmann::json j = report_to_json(r);
  EXPECT_EQ(j["soundness"]["sound"], false);
  EXPECT_NE(j["soundness"]["note"].get<std::string>().find("not sound"), std::string::npos);
  EXPECT_EQ(j["soundness"]["runtime_assertions"][0]["loc"]["line"], 24);
}

TEST(ReportMarkdown, EscapesTableCellsAndFencesCode) {
  ExportReport r = failed_report();
  r.attempts[0].partial_graph = "text with ``` inside\n";
  const std::string md = report_to_markdown(r);
  EXPECT_NE(md.find("**Result: ❌ failed**"), std::string::npos);
  EXPECT_NE(md.find("Could not guard \\| on data"), std::string::npos) << md;  // pipe escaped in the table
  EXPECT_NE(md.find("````text\ntext with ``` inside\n````"), std::string::npos) << md;
}

// Fallback stops at the first success: a strategy after it never ran and must
// not be listed as tried (it was, before: the row showed the configured order).
TEST(ReportMarkdown, StrategiesTriedAreTheAttemptsThatRan) {
  ExportReport r;
  r.ok = true;
  r.strategies = {"strict", "cond-rewrite", "draft"};
  StrategyAttempt failed_attempt;
  failed_attempt.strategy = "strict";
  failed_attempt.status = Status::Failed;
  StrategyAttempt chosen = failed_attempt;
  chosen.strategy = "cond-rewrite";
  chosen.status = Status::Ok;
  r.attempts = {failed_attempt, chosen};
  r.chosen_strategy = "cond-rewrite";
  const std::string md = report_to_markdown(r);
  EXPECT_NE(md.find("| strategies configured | strict, cond-rewrite, draft |"), std::string::npos) << md;
  const size_t row = md.find("| strategies tried |");
  ASSERT_NE(row, std::string::npos) << md;
  const std::string tried = md.substr(row, md.find('\n', row) - row);
  EXPECT_EQ(tried, "| strategies tried | `strict` ❌, `cond-rewrite` ✅ |");
}

TEST(ParameterStats, GroupsByDtype) {
  Graph g;
  auto add_param = [&](const std::string& name, Tensor t) {
    Value v;
    v.name = name;
    v.role = ValueRole::Parameter;
    v.dtype = t.dtype();
    v.shape = shape_of(t.shape());
    v.data = std::move(t);
    g.params.push_back(g.add_value(std::move(v)));
  };
  add_param("w", Tensor::zeros(DType::Float32, {2, 3}));
  add_param("b", Tensor::zeros(DType::Float32, {2}));
  add_param("steps", Tensor::zeros(DType::Int64, {1}));
  const auto stats = parameter_stats(g);
  ASSERT_EQ(stats.size(), 2u);
  EXPECT_EQ(stats[0].dtype, "float32");
  EXPECT_EQ(stats[0].count, 2);
  EXPECT_EQ(stats[0].elements, 8);
  EXPECT_EQ(stats[0].bytes, 32);
  EXPECT_EQ(stats[1].dtype, "int64");
  EXPECT_EQ(stats[1].bytes, 8);
}

TEST(WriteReport, WritesBothFilesAndNoTempFiles) {
  const fs::path dir = fs::temp_directory_path() / ("onnxport-report-test-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  write_report(failed_report(), dir / "nested");
  EXPECT_TRUE(fs::is_regular_file(dir / "nested" / "report.json"));
  EXPECT_TRUE(fs::is_regular_file(dir / "nested" / "report.md"));
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir / "nested")) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 2u);
  std::ifstream in(dir / "nested" / "report.json");
  EXPECT_EQ(nlohmann::json::parse(in)["status"]["error"], "no strategy could capture");
  fs::remove_all(dir);
}

TEST(StatusPrinter, SeedFormatQuietAndVerbose) {
  std::ostringstream normal, quiet, verbose;
  StatusPrinter(normal, Verbosity::Normal).end("Run decomposition", true, 0.5);
  StatusPrinter(quiet, Verbosity::Quiet).end("Run decomposition", true, 0.5);
  StatusPrinter(verbose, Verbosity::Verbose).end("Run decomposition", false, 0.5);
  EXPECT_EQ(normal.str(), "[onnxport] Run decomposition... ✅\n");
  EXPECT_EQ(quiet.str(), "");
  EXPECT_EQ(verbose.str(), "[onnxport] Run decomposition... ❌ (0.500 s)\n");
}

}  // namespace
}  // namespace onnxport
