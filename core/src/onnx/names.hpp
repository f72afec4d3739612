// Unique, ONNX-safe value names for one model. ONNX requires every name to be
// assigned once across the main graph and all of its subgraphs (SSA over
// nested scopes), so one table serves the whole model.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace onnxport::onnx_build {

// Replaces characters that make a name awkward in ONNX text and tools
// (whitespace, quotes, control characters) by '_'; keeps dots ("mlp.0.weight").
std::string onnx_safe_name(const std::string& name);

// A set of names that only grows: the names in insertion order, indexed by a
// flat open-addressing array of slots, each an entry number and the upper
// half of that name's hash (the full hash is kept in the entry for growth):
// a probe touches an entry only when the hash halves match, so inserting a
// new name reads no other name. Why not std::unordered_set<std::string>: on bench/scaling's
// 16,384 layers its inserts (bucket modulo, chain walk, rehash) and its
// destruction grew about 9x for 4x the layers (perf, bench/README.md); here
// an insert touches one slot and appends, and destruction is a linear walk.
class GrowingNameSet {
 public:
  // True when `name` was not in the set (it is now).
  bool insert(const std::string& name) {
    const size_t h = std::hash<std::string_view>{}(name);
    if (find(name, h) != nullptr) return false;
    if ((names_.size() + 1) * 2 > slots_.size()) grow();
    names_.push_back(Entry{name, h});
    place(static_cast<uint32_t>(names_.size()), h);
    return true;
  }
  bool contains(std::string_view name) const { return find(name, std::hash<std::string_view>{}(name)) != nullptr; }
  // The position of `name` in insertion order (0: inserted first), or -1.
  int64_t index_of(std::string_view name) const {
    const Entry* e = find(name, std::hash<std::string_view>{}(name));
    return e == nullptr ? -1 : e - names_.data();
  }
  // Room for `n` names without growing: growth moves every entry into fresh
  // memory and re-places every slot, the last time over megabytes (a hint).
  void reserve(size_t n) {
    names_.reserve(n);
    size_t slots = slots_.empty() ? 1024 : slots_.size();
    while (slots < n * 2) slots *= 2;
    if (slots == slots_.size()) return;
    slots_.assign(slots, 0);
    uint32_t number = 0;
    for (const Entry& e : names_) place(++number, e.hash);
  }

 private:
  struct Entry {
    std::string name;
    size_t hash;
  };
  const Entry* find(std::string_view name, size_t h) const {
    if (slots_.empty()) return nullptr;
    const size_t mask = slots_.size() - 1;
    const uint64_t tag = h >> 32;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      const uint64_t s = slots_[i];  // tag << 32 | (entry number + 1), 0: empty
      if (s == 0) return nullptr;
      if ((s >> 32) != tag) continue;
      const Entry& e = names_[(s & 0xffffffffu) - 1];
      if (e.hash == h && e.name == name) return &e;
    }
  }
  void place(uint32_t number, size_t h) {
    const size_t mask = slots_.size() - 1;
    size_t i = h & mask;
    while (slots_[i] != 0) i = (i + 1) & mask;
    slots_[i] = (static_cast<uint64_t>(h >> 32) << 32) | number;
  }
  void grow() {
    slots_.assign(slots_.empty() ? 1024 : slots_.size() * 2, 0);
    uint32_t number = 0;
    for (const Entry& e : names_) place(++number, e.hash);
  }
  std::vector<Entry> names_;
  std::vector<uint64_t> slots_;  // power-of-two size, at most half full
};

// Names "val_N" (fresh()) are not kept in the set of taken names: they are
// told apart by their form, as the numbers below the counter. On a large
// graph most ONNX names start as fresh ones (each translator's result, then
// renamed to the graph value's name): keeping them doubled the set, which at
// 16,384 layers outgrew the core's cache, and made each fresh() a lookup in
// it (bench/README.md, "Fresh names by number").
class NameTable {
 public:
  // `base` when it is free, else "base_1", "base_2", ... (amortized O(1):
  // the next suffix to try is remembered per base).
  std::string unique(const std::string& base);
  // "val_0", "val_1", ... skipping names already taken.
  std::string fresh();
  bool taken(const std::string& name) const;
  // The position of `name` among the names unique() gave out (0: the first
  // call's), or -1 (fresh() names have none).
  int64_t index_of(std::string_view name) const { return taken_.index_of(name); }
  // True when fresh() gave out "val_N".
  bool issued_fresh(int64_t n) const {
    return n >= 0 && n < fresh_counter_ && (claimed_fresh_form_.empty() || claimed_fresh_form_.count(n) == 0);
  }
  void reserve(size_t names) { taken_.reserve(names); }  // a hint (GrowingNameSet::reserve)

  // N when `name` is "val_N" as fresh() writes it (N in decimal without a
  // leading zero), else -1.
  static int64_t fresh_number(std::string_view name);

 private:
  std::string unique_from_counter(const std::string& base, int& counter);
  // Takes `name` when it is free; false when it was taken.
  bool claim(const std::string& name);

  GrowingNameSet taken_;  // every name given out, except fresh()'s
  // Numbers N at or above the counter whose "val_N" unique() gave out (a
  // graph value named so): fresh() skips them. Nearly always empty.
  std::unordered_set<int64_t> claimed_fresh_form_;
  std::unordered_map<std::string, int> next_suffix_;
  int64_t fresh_counter_ = 0;  // every "val_N" with N below it is taken
};

}  // namespace onnxport::onnx_build
