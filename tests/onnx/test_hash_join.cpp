// mark_present_hashes (core/src/onnx/hash_join.hpp): the probes marked are
// exactly those whose hash is among the uses, with one partition or many.
#include "hash_join.hpp"

#include <gtest/gtest.h>

#include <random>
#include <unordered_set>

namespace onnxport::onnx_build {
namespace {

void expect_same_as_a_set(size_t use_count, size_t probe_count, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint64_t> uses;
  for (size_t k = 0; k < use_count; ++k) uses.push_back(rng());
  uses.push_back(uses.empty() ? 5 : uses[0]);  // a name read twice
  std::vector<HashedIndex> probes;
  for (size_t k = 0; k < probe_count; ++k) {
    // Every third probe is a use; the rest are random (almost surely not).
    const uint64_t h = k % 3 == 0 && !uses.empty() ? uses[(k * 7) % uses.size()] : rng();
    probes.push_back(HashedIndex{h, static_cast<uint32_t>(k)});
  }
  const std::unordered_set<uint64_t> reference(uses.begin(), uses.end());
  std::vector<char> marks(probe_count, 0);
  mark_present_hashes(uses, probes, marks);
  size_t marked = 0;
  for (const HashedIndex& p : probes) {
    EXPECT_EQ(marks[p.index] != 0, reference.count(p.hash) != 0) << "probe " << p.index;
    marked += marks[p.index] != 0;
  }
  EXPECT_GE(marked, probe_count / 3);
}

TEST(HashJoin, MarksExactlyTheProbesAmongTheUses) {
  expect_same_as_a_set(10, 30, 1);        // one partition
  expect_same_as_a_set(5000, 9000, 2);    // several partitions
  expect_same_as_a_set(70000, 40000, 3);  // more than 64
}

TEST(HashJoin, HashesAtTheEdgesOfTheRange) {
  // 0 is the empty slot of the tables inside: it still matches itself.
  const std::vector<uint64_t> uses = {0, ~uint64_t{0}, uint64_t{1} << 63};
  const std::vector<HashedIndex> probes = {{0, 0}, {~uint64_t{0}, 1}, {uint64_t{1} << 63, 2}, {42, 3}};
  std::vector<char> marks(4, 0);
  mark_present_hashes(uses, probes, marks);
  EXPECT_EQ(marks, (std::vector<char>{1, 1, 1, 0}));
}

}  // namespace
}  // namespace onnxport::onnx_build
