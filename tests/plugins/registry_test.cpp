// TranslatorRegistry selection rules: opset range, priority, most recent
// since_opset, pins, conflicts, plugin priority, decompositions.
#include <onnxport_core/registry.hpp>

#include <gtest/gtest.h>

using namespace onnxport;

namespace {

void fn_a(TranslateContext&) {}
void decompose_a(DecomposeContext&) {}
void decompose_b(DecomposeContext&) {}

TranslatorSpec spec(const std::string& op, int since, int until = INT_MAX, int priority = 0,
                    const std::string& description = "") {
  return {.op = op, .fn = fn_a, .since_opset = since, .until_opset = until, .priority = priority,
          .description = description};
}

std::string chosen_description(const TranslatorChoice& c) {
  return c.chosen != nullptr ? c.chosen->spec.description : "<none>";
}

}  // namespace

TEST(Registry, OpsetRangeSelectsTheApplicableTranslator) {
  TranslatorRegistry r;
  r.add(spec("aten::x", 13, 15, 0, "old"), "p");
  r.add(spec("aten::x", 16, INT_MAX, 0, "new"), "p");
  EXPECT_EQ(chosen_description(r.choose("aten::x", 13)), "old");
  EXPECT_EQ(chosen_description(r.choose("aten::x", 15)), "old");
  EXPECT_EQ(chosen_description(r.choose("aten::x", 16)), "new");
  EXPECT_EQ(r.choose("aten::x", 16).candidates.size(), 1u);
  EXPECT_EQ(r.choose("aten::x", 16).reason, "only translator at opset 16");

  TranslatorChoice none = r.choose("aten::x", 12);
  EXPECT_EQ(none.chosen, nullptr);
  EXPECT_TRUE(none.candidates.empty());
  EXPECT_EQ(none.reason, "no translator for 'aten::x' at opset 12 ('aten::x' is registered for opsets 13..15 (p), 16.. (p))");
  EXPECT_EQ(r.choose("aten::unknown", 17).reason, "no translator for 'aten::unknown' at opset 17");
}

TEST(Registry, HigherPriorityBeatsNewerOpset) {
  TranslatorRegistry r;
  r.add(spec("aten::x", 13, INT_MAX, 5, "prio"), "a");
  r.add(spec("aten::x", 17, INT_MAX, 0, "newer"), "b");
  TranslatorChoice c = r.choose("aten::x", 17);
  EXPECT_EQ(chosen_description(c), "prio");
  EXPECT_EQ(c.reason, "highest priority (5)");
  EXPECT_FALSE(c.conflict);
  EXPECT_EQ(c.candidates.size(), 2u);
}

TEST(Registry, MostRecentSinceOpsetAtEqualPriority) {
  TranslatorRegistry r;
  r.add(spec("aten::x", 13, INT_MAX, 0, "13"), "a");
  r.add(spec("aten::x", 16, INT_MAX, 0, "16"), "b");
  r.add(spec("aten::x", 14, INT_MAX, 0, "14"), "c");
  TranslatorChoice c = r.choose("aten::x", 17);
  EXPECT_EQ(chosen_description(c), "16");
  EXPECT_EQ(c.reason, "most recent since_opset (16) at priority 0");
  EXPECT_EQ(chosen_description(r.choose("aten::x", 15)), "14");
}

TEST(Registry, TieBetweenTwoPluginsIsAConflict) {
  TranslatorRegistry r;
  r.add(spec("aten::x", 13, INT_MAX, 0, "first"), "plugin-a");
  r.add(spec("aten::x", 13, INT_MAX, 0, "second"), "plugin-b");
  TranslatorChoice c = r.choose("aten::x", 17);
  EXPECT_TRUE(c.conflict);
  EXPECT_EQ(chosen_description(c), "first");
  EXPECT_NE(c.reason.find("plugins 'plugin-a' and 'plugin-b'"), std::string::npos) << c.reason;
  // Out of the second one's range: no conflict any more.
  r.add(spec("aten::y", 13, INT_MAX, 0, "a"), "plugin-a");
  r.add(spec("aten::y", 13, 15, 0, "b"), "plugin-b");
  EXPECT_FALSE(r.choose("aten::y", 17).conflict);
  EXPECT_TRUE(r.choose("aten::y", 15).conflict);
}

TEST(Registry, TieInsideOnePluginIsNotAConflict) {
  TranslatorRegistry r;
  r.add(spec("aten::x", 13, INT_MAX, 0, "first"), "p");
  r.add(spec("aten::x", 13, INT_MAX, 0, "second"), "p");
  TranslatorChoice c = r.choose("aten::x", 17);
  EXPECT_FALSE(c.conflict);
  EXPECT_EQ(chosen_description(c), "first");
}

TEST(Registry, PinWinsOverPriority) {
  TranslatorRegistry r;
  r.add(spec("aten::x", 13, INT_MAX, 10, "strong"), "a");
  r.add(spec("aten::x", 13, INT_MAX, 0, "pinned"), "b");
  r.pin("aten::x", "b");
  TranslatorChoice c = r.choose("aten::x", 17);
  EXPECT_EQ(chosen_description(c), "pinned");
  EXPECT_EQ(c.reason, "pinned by config to plugin 'b'");
  EXPECT_EQ(c.candidates.size(), 2u);
}

TEST(Registry, PinnedPluginWithoutApplicableTranslatorChoosesNothing) {
  TranslatorRegistry r;
  r.add(spec("aten::x", 13, INT_MAX, 0, "a"), "a");
  r.add(spec("aten::x", 13, 15, 0, "b"), "b");
  r.pin("aten::x", "b");
  TranslatorChoice c = r.choose("aten::x", 17);
  EXPECT_EQ(c.chosen, nullptr);
  EXPECT_EQ(c.reason, "pinned by config to plugin 'b', which has no translator for 'aten::x' at opset 17");
  EXPECT_EQ(c.candidates.size(), 1u);  // "a" applies, but the pin excludes it
}

TEST(Registry, PluginPriorityAppliesBeforeAndAfterAdding) {
  TranslatorRegistry r;
  r.add(spec("aten::x", 13, INT_MAX, 3, "a"), "a");
  r.add(spec("aten::x", 13, INT_MAX, 0, "b"), "b");
  r.set_plugin_priority("b", 7);
  EXPECT_EQ(chosen_description(r.choose("aten::x", 17)), "b");
  r.set_plugin_priority("c", 9);
  r.add(spec("aten::x", 13, INT_MAX, 0, "c"), "c");
  TranslatorChoice c = r.choose("aten::x", 17);
  EXPECT_EQ(chosen_description(c), "c");
  EXPECT_EQ(c.chosen->spec.priority, 9);
  EXPECT_EQ(c.reason, "highest priority (9)");
}

TEST(Registry, DecompositionHighestPriorityFirstOnTie) {
  TranslatorRegistry r;
  EXPECT_EQ(r.decomposition("aten::addmm"), nullptr);
  r.add_decomposition({.op = "aten::addmm", .fn = decompose_a, .priority = 0, .description = "a"}, "pa");
  r.add_decomposition({.op = "aten::addmm", .fn = decompose_b, .priority = 0, .description = "b"}, "pb");
  ASSERT_NE(r.decomposition("aten::addmm"), nullptr);
  EXPECT_EQ(r.decomposition("aten::addmm")->description, "a");
  r.add_decomposition({.op = "aten::addmm", .fn = decompose_b, .priority = 2, .description = "c"}, "pc");
  EXPECT_EQ(r.decomposition("aten::addmm")->description, "c");
  r.set_plugin_priority("pb", 4);
  EXPECT_EQ(r.decomposition("aten::addmm")->description, "b");
  EXPECT_EQ(r.decomposition("aten::other"), nullptr);
}

TEST(Registry, DecompositionOpsAreSortedAndUnique) {
  TranslatorRegistry r;
  EXPECT_TRUE(r.decomposition_ops().empty());
  r.add_decomposition({.op = "b::y", .fn = decompose_a, .priority = 0, .description = "1"}, "p");
  r.add_decomposition({.op = "a::x", .fn = decompose_a, .priority = 0, .description = "2"}, "p");
  r.add_decomposition({.op = "b::y", .fn = decompose_b, .priority = 1, .description = "3"}, "q");
  EXPECT_EQ(r.decomposition_ops(), (std::vector<std::string>{"a::x", "b::y"}));
  EXPECT_TRUE(r.ops().empty());  // decompositions are not translators
}

TEST(Registry, OpsAreSortedAndUnique) {
  TranslatorRegistry r;
  r.add(spec("b::y", 1), "p");
  r.add(spec("a::x", 1), "p");
  r.add(spec("b::y", 13), "q");
  EXPECT_EQ(r.ops(), (std::vector<std::string>{"a::x", "b::y"}));
  EXPECT_EQ(r.translators().size(), 3u);
}
