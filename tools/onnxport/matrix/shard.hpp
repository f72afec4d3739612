// --shard I/N: which cells one of N processes runs (docs/matrix.md, "Shards").
#pragma once

#include "spec.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace onnxport::matrix {

struct Shard {
  int index = 0;  // 0 .. count-1 (a Slurm array task id, a k8s completion index)
  int count = 1;
};

// "I/N" with 0 <= I < N; the error text otherwise (for the CLI's check).
std::optional<Shard> parse_shard(const std::string& text, std::string* error);

// Without times: the cells whose id hashes to `index` (the first 8 bytes of
// sha256(id), big-endian, mod N). A cell's shard depends on its id alone, so
// adding cells never moves the others.
// With times (seconds per cell id, from a previous matrix.json): greedy
// longest-first over every cell (a cell without a time counts as the median
// of the known ones), each to the least loaded shard, ties to the lower
// index; every shard computes the same assignment from the same times.
std::vector<Cell> shard_cells(const std::vector<Cell>& cells, const Shard& shard,
                              const std::map<std::string, double>* times = nullptr);

// The shard (0..count-1) of one cell id by its hash.
int hash_shard(const std::string& id, int count);

// "seconds" of every cell of a matrix.json (any matrix: ids not in this one
// are ignored). Throws InputError naming the file and the place.
std::map<std::string, double> read_cell_times(const std::string& file);

}  // namespace onnxport::matrix
