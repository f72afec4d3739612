#include <onnxport/diagnostics.hpp>

#include <gtest/gtest.h>

using namespace onnxport;

TEST(SourceLoc, Str) {
  EXPECT_EQ((SourceLoc{"model.py", 24, 11, ""}).str(), "model.py:24:11");
  EXPECT_EQ((SourceLoc{"model.py", 24, 0, ""}).str(), "model.py:24");
  EXPECT_EQ(SourceLoc{}.str(), "<unknown>");
  EXPECT_FALSE(SourceLoc{}.known());
}

TEST(Diagnostic, TextBlock) {
  Diagnostic d;
  d.code = "data-dependent-branch";
  d.message = "Could not guard on data-dependent expression Eq(u0, 1)";
  d.loc = {"model.py", 24, 11, "if x.sum():"};
  d.hint = "rewrite the branch with torch.cond";
  EXPECT_EQ(d.to_text(),
            "error[data-dependent-branch]: Could not guard on data-dependent expression Eq(u0, 1)\n"
            "  --> model.py:24:11\n"
            "   | if x.sum():\n"
            "  = hint: rewrite the branch with torch.cond\n");
  d.severity = Severity::Warning;
  d.plugin = "strategy-draft";
  d.stage = "capture";
  const std::string text = d.to_text();
  EXPECT_EQ(text.rfind("warning[data-dependent-branch]: ", 0), 0u);
  EXPECT_NE(text.find("reported by strategy-draft during capture"), std::string::npos);
}

TEST(Diagnostic, JsonRoundTrip) {
  Diagnostic d;
  d.code = "missing-translator";
  d.severity = Severity::Note;
  d.stage = "translate";
  d.plugin = "translators-aten";
  d.message = "no translator for aten::foo";
  d.loc = {"m.py", 3, 1, "y = foo(x)"};
  d.hint = "add a decomposition";
  d.category = "missing-kernel";
  d.occurrences = 3;
  d.more_locs = {{"m.py", 7, 2, ""}, {"m.py", 9, 0, ""}};
  d.details = {{"op", "aten::foo"}};
  const auto j = d.to_json();
  EXPECT_EQ(j["severity"], "note");
  const Diagnostic back = Diagnostic::from_json(j);
  EXPECT_EQ(back.to_json(), j);
  EXPECT_EQ(back.more_locs.size(), 2u);
  EXPECT_EQ(back.loc.text, "y = foo(x)");
}

TEST(Diagnostic, FromPartialJsonKeepsDefaults) {
  const Diagnostic d = Diagnostic::from_json({{"message", "m"}});
  EXPECT_EQ(d.message, "m");
  EXPECT_EQ(d.severity, Severity::Error);
  EXPECT_EQ(d.occurrences, 1);
  EXPECT_EQ(severity_name(Severity::Warning), "warning");
}

TEST(InputError, NamesFileAndPlace) {
  InputError e("program.json", "/graph/nodes/3", "bad");
  EXPECT_STREQ(e.what(), "program.json: /graph/nodes/3: bad");
  EXPECT_EQ(e.place(), "/graph/nodes/3");
}
