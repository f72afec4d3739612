// NameTable (core/src/onnx/names.hpp): fresh() names "val_N" are told apart by
// their form instead of being kept in the set of taken names; whatever mix of
// unique() and fresh() calls, no name is given out twice, and the names are
// those a table keeping every name in one set gives.
#include "names.hpp"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <unordered_map>

namespace onnxport::onnx_build {
namespace {

// The behaviour NameTable had when every name went into one set.
class ReferenceNames {
 public:
  std::string unique(const std::string& base) {
    if (taken_.insert(base).second) return base;
    int& next = suffix_[base];
    if (next < 1) next = 1;
    std::string candidate;
    do candidate = base + "_" + std::to_string(next++);
    while (!taken_.insert(candidate).second);
    return candidate;
  }
  std::string fresh() {
    std::string candidate;
    do candidate = "val_" + std::to_string(counter_++);
    while (!taken_.insert(candidate).second);
    return candidate;
  }
  bool taken(const std::string& name) const { return taken_.count(name) != 0; }

 private:
  std::set<std::string> taken_;
  std::unordered_map<std::string, int> suffix_;
  int counter_ = 0;
};

TEST(NameTable, FreshNumberReadsOnlyTheFormFreshWrites) {
  EXPECT_EQ(NameTable::fresh_number("val_0"), 0);
  EXPECT_EQ(NameTable::fresh_number("val_42"), 42);
  EXPECT_EQ(NameTable::fresh_number("val_042"), -1);  // fresh() writes no leading zero
  EXPECT_EQ(NameTable::fresh_number("val_"), -1);
  EXPECT_EQ(NameTable::fresh_number("val"), -1);
  EXPECT_EQ(NameTable::fresh_number("val_1a"), -1);
  EXPECT_EQ(NameTable::fresh_number("xval_1"), -1);
  EXPECT_EQ(NameTable::fresh_number("val_-1"), -1);
  EXPECT_EQ(NameTable::fresh_number("val_1234567890123456789"), -1);  // 19 digits: not read
}

TEST(NameTable, FreshSkipsNamesUniqueGaveOutAndUniqueAvoidsFreshOnes) {
  NameTable names;
  EXPECT_EQ(names.unique("val_2"), "val_2");  // a graph value named so
  EXPECT_EQ(names.fresh(), "val_0");
  EXPECT_EQ(names.fresh(), "val_1");
  EXPECT_EQ(names.fresh(), "val_3");          // val_2 is taken
  EXPECT_EQ(names.unique("val_1"), "val_1_1");  // fresh() gave val_1 out
  EXPECT_EQ(names.unique("val_01"), "val_01");  // not fresh's form: free
  EXPECT_TRUE(names.taken("val_0"));
  EXPECT_TRUE(names.taken("val_2"));
  EXPECT_TRUE(names.taken("val_01"));
  EXPECT_FALSE(names.taken("val_4"));
  EXPECT_TRUE(names.issued_fresh(3));
  EXPECT_FALSE(names.issued_fresh(2));  // unique() gave it out
  EXPECT_FALSE(names.issued_fresh(4));  // not yet
  EXPECT_EQ(names.index_of("val_2"), 0);
  EXPECT_EQ(names.index_of("val_01"), 2);
  EXPECT_EQ(names.index_of("val_0"), -1);  // fresh names have no place among unique()'s
}

TEST(NameTable, AnyMixOfCallsGivesTheNamesOfOneSetOfAllNames) {
  std::mt19937 rng(7);
  const std::vector<std::string> bases = {"val", "val_1", "val_2", "val_3", "val_10", "val_01", "x", "x_1", "relu"};
  for (int trial = 0; trial < 50; ++trial) {
    NameTable names;
    ReferenceNames reference;
    std::set<std::string> given;
    for (int call = 0; call < 200; ++call) {
      const bool fresh = rng() % 3 == 0;
      const std::string base = bases[rng() % bases.size()];
      const std::string got = fresh ? names.fresh() : names.unique(base);
      const std::string want = fresh ? reference.fresh() : reference.unique(base);
      ASSERT_EQ(got, want) << "trial " << trial << ", call " << call;
      ASSERT_TRUE(given.insert(got).second) << got << " given out twice";
    }
    for (int n = 0; n < 120; ++n) {
      const std::string name = "val_" + std::to_string(n);
      EXPECT_EQ(names.taken(name), reference.taken(name)) << name;
    }
    for (const std::string& b : bases) EXPECT_EQ(names.taken(b), reference.taken(b)) << b;
  }
}

}  // namespace
}  // namespace onnxport::onnx_build
