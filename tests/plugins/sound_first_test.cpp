// The sound-first policy of capture_with_fallback (issue 10,
// docs/strategies.md "Sound first"): an unsound graph is held while later
// strategies try, the first sound one wins, and with none sound the held
// candidate is used only when allowed. The strategies are fakes
// (zoo/unsound_strategies_plugin.cpp); the CLI end to end with the real
// engine is tests/integration/test_sound_first.py.
#include <onnxport_core/pipeline.hpp>
#include <onnxport_core/plugin_host.hpp>
#include <onnxport_core/report.hpp>

#include "pipeline/capture_stage.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace onnxport;

namespace {

const fs::path kZoo = ONNXPORT_TEST_PLUGIN_DIR;

std::string line_of(const std::string& strategy, const std::string& mark) {
  return "[onnxport] Obtain model graph for `Zoo` with `" + strategy + "`... " + mark;
}

class SoundFirst : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(host_.load(kZoo / "libonnxport-plugintest-unsound-strategies.so").loaded)
        << host_.plugins().back().error;
    program_.name = "Zoo";
  }

  std::optional<Graph> capture(const std::vector<std::string>& order, bool allow_unsound, bool isolate = false) {
    StatusPrinter status(out_, Verbosity::Normal);
    return pipeline::capture_with_fallback(program_, host_, order, CaptureOptions{}, status, report_,
                                           pipeline::IsolationOptions{isolate, 0}, allow_unsound);
  }

  bool printed(const std::string& text) const { return out_.str().find(text) != std::string::npos; }

  PluginHost host_;
  Program program_;
  ExportReport report_;
  std::ostringstream out_;
};

}  // namespace

TEST_F(SoundFirst, AnUnsoundGraphIsHeldAndTheNextSoundOneWins) {
  std::optional<Graph> graph = capture({"zoo-unsound", "zoo-sound"}, false);
  ASSERT_TRUE(graph.has_value()) << out_.str();
  EXPECT_TRUE(graph->sound);
  EXPECT_EQ(graph->body.nodes.at(0).op, "aten::neg");
  EXPECT_EQ(report_.chosen_strategy, "zoo-sound");
  ASSERT_EQ(report_.attempts.size(), 2u);
  EXPECT_EQ(report_.attempts[0].status, Status::Unsound);
  EXPECT_EQ(report_.attempts[0].failure, "captured a graph that is not sound");
  EXPECT_EQ(report_.attempts[1].status, Status::Ok);
  EXPECT_TRUE(printed(line_of("zoo-unsound", "⚠"))) << out_.str();
  EXPECT_FALSE(printed(line_of("zoo-unsound", "✅"))) << out_.str();
  EXPECT_TRUE(printed("The graph of `zoo-unsound` is not sound; it is held, and `zoo-sound` is tried next"))
      << out_.str();
  EXPECT_TRUE(printed(line_of("zoo-sound", "✅"))) << out_.str();
  // The candidate stays in the report, not used.
  ASSERT_TRUE(report_.unsound_candidate.has_value());
  EXPECT_EQ(report_.unsound_candidate->strategy, "zoo-unsound");
  EXPECT_FALSE(report_.unsound_candidate->used);
  const StageReport& stage = *report_.find_stage("capture");
  EXPECT_EQ(stage.status, Status::Ok);
  EXPECT_EQ(stage.summary, "captured by `zoo-sound` (1 nodes); `zoo-unsound` was not sound");
}

TEST_F(SoundFirst, ASoundGraphEndsTheChainAtOnce) {
  std::optional<Graph> graph = capture({"zoo-sound", "zoo-unsound"}, false);
  ASSERT_TRUE(graph.has_value());
  EXPECT_EQ(report_.attempts.size(), 1u);
  EXPECT_FALSE(report_.unsound_candidate.has_value());
  EXPECT_FALSE(printed("zoo-unsound")) << out_.str();
}

TEST_F(SoundFirst, WithoutASoundGraphAndNotAllowedNothingIsReturned) {
  std::optional<Graph> graph = capture({"zoo-no-graph", "zoo-unsound", "zoo-unsound-too"}, false);
  EXPECT_FALSE(graph.has_value());
  EXPECT_TRUE(report_.chosen_strategy.empty());
  ASSERT_EQ(report_.attempts.size(), 3u);
  EXPECT_EQ(report_.attempts[0].status, Status::Failed);
  EXPECT_EQ(report_.attempts[1].status, Status::Unsound);
  EXPECT_EQ(report_.attempts[2].status, Status::Unsound);
  EXPECT_TRUE(printed(line_of("zoo-no-graph", "❌")));
  EXPECT_TRUE(printed(line_of("zoo-unsound-too", "⚠")));
  EXPECT_TRUE(printed("The graph of `zoo-unsound-too` is not sound either; `zoo-unsound`'s stays the candidate"))
      << out_.str();
  // The first unsound capture is the candidate, with the reason the engine recorded.
  ASSERT_TRUE(report_.unsound_candidate.has_value());
  const UnsoundCandidate& c = *report_.unsound_candidate;
  EXPECT_EQ(c.strategy, "zoo-unsound");
  EXPECT_FALSE(c.used);
  ASSERT_EQ(c.reasons.size(), 1u);
  EXPECT_EQ(c.reasons[0],
            "assumes `Eq(batch, 3)`: the branch pins the dynamic dim `batch` (at m.py:5:8: if x.shape[0] == 3:)");
  ASSERT_EQ(c.assertions.size(), 1u);
  const StageReport& stage = *report_.find_stage("capture");
  EXPECT_EQ(stage.status, Status::Failed);
  ASSERT_EQ(stage.diagnostics.size(), 1u);
  EXPECT_EQ(stage.diagnostics[0].code, "unsound-capture-refused");
  EXPECT_NE(stage.diagnostics[0].message.find("Eq(batch, 3)"), std::string::npos);
  EXPECT_NE(stage.diagnostics[0].hint.find("--allow-unsound"), std::string::npos);
  EXPECT_NE(stage.diagnostics[0].hint.find("\"allow_unsound\": true"), std::string::npos);
}

TEST_F(SoundFirst, WhenAllowedTheFirstUnsoundGraphIsUsed) {
  std::optional<Graph> graph = capture({"zoo-no-graph", "zoo-unsound-too", "zoo-unsound"}, true);
  ASSERT_TRUE(graph.has_value());
  EXPECT_FALSE(graph->sound);
  ASSERT_EQ(graph->assertions.size(), 1u);
  EXPECT_EQ(graph->assertions[0].expr, "Ne(u0, 0)");
  EXPECT_EQ(report_.chosen_strategy, "zoo-unsound-too");
  EXPECT_EQ(report_.attempts.size(), 3u);  // every strategy still tried for a sound graph
  ASSERT_TRUE(report_.unsound_candidate.has_value());
  EXPECT_TRUE(report_.unsound_candidate->used);
  // The chosen capture's draft report, not the last attempt's.
  EXPECT_NE(report_.draft_report.find("Ne(u0, 0)"), std::string::npos) << report_.draft_report;
  EXPECT_EQ(report_.draft_report.find("Eq(batch, 3)"), std::string::npos) << report_.draft_report;
  EXPECT_TRUE(printed("No strategy captured a sound graph; `zoo-unsound-too`'s is used (allow_unsound)"))
      << out_.str();
  EXPECT_EQ(report_.find_stage("capture")->status, Status::Ok);
}

TEST_F(SoundFirst, AGraphWithoutAssertionsStillSaysItIsNotSound) {
  EXPECT_FALSE(capture({"zoo-unsound-bare"}, false).has_value());
  ASSERT_TRUE(report_.unsound_candidate.has_value());
  EXPECT_EQ(report_.unsound_candidate->reasons, std::vector<std::string>{"the strategy marked its graph not sound"});
}

TEST_F(SoundFirst, SoundnessCrossesTheProcessBoundary) {
  std::optional<Graph> graph = capture({"zoo-unsound", "zoo-sound"}, false, /*isolate=*/true);
  ASSERT_TRUE(graph.has_value()) << out_.str();
  EXPECT_EQ(report_.chosen_strategy, "zoo-sound");
  EXPECT_EQ(report_.attempts[0].status, Status::Unsound);
  ASSERT_TRUE(report_.unsound_candidate.has_value());
  EXPECT_EQ(report_.unsound_candidate->reasons.size(), 1u);
}

TEST_F(SoundFirst, ReportsShowTheCandidateAndHowToAllowIt) {
  capture({"zoo-unsound"}, false);
  const nlohmann::json j = report_to_json(report_);
  const nlohmann::json& c = j["capture"]["unsound_candidate"];
  EXPECT_EQ(c["strategy"], "zoo-unsound");
  EXPECT_EQ(c["used"], false);
  EXPECT_EQ(c["runtime_assertions"][0]["expr"], "Eq(batch, 3)");
  EXPECT_NE(c["hint"].get<std::string>().find("--allow-unsound"), std::string::npos);
  EXPECT_EQ(j["status"]["strategies"]["zoo-unsound"], "unsound");
  const std::string md = report_to_markdown(report_);
  EXPECT_NE(md.find("## Unsound candidate"), std::string::npos) << md;
  EXPECT_NE(md.find("**No strategy captured a sound graph.**"), std::string::npos) << md;
  EXPECT_NE(md.find("`--allow-unsound`"), std::string::npos) << md;
  EXPECT_NE(md.find("### ⚠ `zoo-unsound`"), std::string::npos) << md;
}

TEST_F(SoundFirst, ReportsSayNothingOfACandidateWhenEveryCaptureWasSound) {
  capture({"zoo-sound"}, false);
  EXPECT_TRUE(report_to_json(report_)["capture"]["unsound_candidate"].is_null());
  EXPECT_EQ(report_to_markdown(report_).find("Unsound candidate"), std::string::npos);
}
