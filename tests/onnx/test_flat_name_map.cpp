// FlatNameMap (core/src/base/flat_name_map.hpp): size() counts present names
// and for_each() visits them in the order they were first added, skipping
// erased ones (the tracer walks the module's weights with it).
#include "base/flat_name_map.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace onnxport {
namespace {

std::vector<std::pair<std::string, int>> visit(const FlatNameMap<int>& m) {
  std::vector<std::pair<std::string, int>> out;
  m.for_each([&](const std::string& name, int value) { out.emplace_back(name, value); });
  return out;
}

TEST(FlatNameMap, ForEachVisitsPresentNamesInTheOrderTheyWereFirstAdded) {
  FlatNameMap<int> m;
  for (int i = 0; i < 3000; ++i) m.emplace("layers." + std::to_string(i) + ".weight", i);  // grows the index
  EXPECT_EQ(m.size(), 3000u);
  const auto all = visit(m);
  ASSERT_EQ(all.size(), 3000u);
  for (int i = 0; i < 3000; ++i) EXPECT_EQ(all[static_cast<size_t>(i)], std::make_pair("layers." + std::to_string(i) + ".weight", i));

  FlatNameMap<int> small;
  small.emplace("b", 1);
  small.emplace("a", 2);
  EXPECT_FALSE(small.emplace("b", 3).second);  // present: kept
  small.assign("c", 4);
  small.erase("a");
  EXPECT_EQ(small.size(), 2u);
  EXPECT_EQ(visit(small), (std::vector<std::pair<std::string, int>>{{"b", 1}, {"c", 4}}));
  small.assign("a", 5);  // defined again: its first place
  small.erase("zzz");    // absent: nothing
  EXPECT_EQ(small.size(), 3u);
  EXPECT_EQ(visit(small), (std::vector<std::pair<std::string, int>>{{"b", 1}, {"a", 5}, {"c", 4}}));
}

}  // namespace
}  // namespace onnxport
