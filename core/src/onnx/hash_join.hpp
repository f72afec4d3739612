// Which names of one list occur in another, by their 64-bit hashes, in time
// linear in the lists on graphs of any size.
//
// Why not one hash set of every name: on bench/scaling's 16,384 layers the
// optimizer's set of needed names was megabytes, each insert and lookup
// waited for a cold slot, and the dead-node pass took 7x the time of 4,096
// layers (bench/README.md, "Dead nodes found by a partitioned join"). Here
// both lists are first sorted by the top bits of the hash into partitions
// (two streaming passes), and each partition gets a small table that stays
// in the cache. The same shape as the unique-name check of a captured graph
// (core/src/graph/graph.cpp, check_unique_names).
//
// Hashes only: two different names with the same 64-bit hash count as the
// same name. Callers use the result only where such a match can keep
// something the exact answer would drop, never the reverse.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace onnxport::onnx_build {

struct HashedIndex {
  uint64_t hash;
  uint32_t index;
};

// Sets marks[p.index] = 1 for each probe p whose hash is among `uses`.
inline void mark_present_hashes(const std::vector<uint64_t>& uses, const std::vector<HashedIndex>& probes,
                                std::vector<char>& marks) {
  constexpr size_t kPerPartition = 1024;  // uses per partition: a table of 16 KB
  unsigned bits = 0;
  while (bits < 12 && (uses.size() >> bits) > kPerPartition) ++bits;
  const auto partition_of = [bits](uint64_t h) -> size_t { return bits == 0 ? 0 : h >> (64 - bits); };
  const size_t partitions = size_t{1} << bits;
  // 0 marks an empty slot below; a hash of 0 is read as 1 on both sides.
  const auto key = [](uint64_t h) { return h == 0 ? uint64_t{1} : h; };

  // Counting sort of both lists by partition.
  std::vector<size_t> use_begin(partitions + 1, 0), probe_begin(partitions + 1, 0);
  for (uint64_t h : uses) ++use_begin[partition_of(h) + 1];
  for (const HashedIndex& p : probes) ++probe_begin[partition_of(p.hash) + 1];
  for (size_t k = 0; k < partitions; ++k) {
    use_begin[k + 1] += use_begin[k];
    probe_begin[k + 1] += probe_begin[k];
  }
  std::vector<uint64_t> sorted_uses(uses.size());
  std::vector<HashedIndex> sorted_probes(probes.size());
  {
    std::vector<size_t> next(use_begin.begin(), use_begin.end() - 1);
    for (uint64_t h : uses) sorted_uses[next[partition_of(h)]++] = key(h);
    next.assign(probe_begin.begin(), probe_begin.end() - 1);
    for (const HashedIndex& p : probes) sorted_probes[next[partition_of(p.hash)]++] = HashedIndex{key(p.hash), p.index};
  }

  // One small open-addressing table per partition, on the hash's low bits.
  std::vector<uint64_t> table;
  for (size_t k = 0; k < partitions; ++k) {
    const size_t count = use_begin[k + 1] - use_begin[k];
    if (count == 0 || probe_begin[k + 1] == probe_begin[k]) continue;
    size_t size = 16;
    while (size < 2 * count) size *= 2;
    table.assign(size, 0);
    const size_t mask = size - 1;
    for (size_t u = use_begin[k]; u < use_begin[k + 1]; ++u) {
      const uint64_t h = sorted_uses[u];
      size_t i = h & mask;
      while (table[i] != 0 && table[i] != h) i = (i + 1) & mask;
      table[i] = h;
    }
    for (size_t q = probe_begin[k]; q < probe_begin[k + 1]; ++q) {
      const uint64_t h = sorted_probes[q].hash;
      for (size_t i = h & mask; table[i] != 0; i = (i + 1) & mask)
        if (table[i] == h) {
          marks[sorted_probes[q].index] = 1;
          break;
        }
    }
  }
}

}  // namespace onnxport::onnx_build
