// A map from value names to T for tables that hold every name of a program
// (program.json's definitions, the node schema check's value types).
//
// Why not std::unordered_map<std::string, T>: on bench/scaling's 16,384-layer
// program such tables (one node per name, a bucket array of pointers, rehash
// on growth) grew 6-10x in CPU samples for 4x the layers: every operation
// chases pointers into a heap that no longer fits the cache (perf,
// bench/README.md). Here the entries sit in insertion order in a deque
// (references stay valid, nothing moves on growth) and the index is a flat
// open-addressing array of slots, each an entry number and the upper half of
// its hash, so a lookup touches one slot run and at most the matching entry
// (a new name: none). erase() only marks the
// entry: the index has no tombstones, and a name erased and defined again
// reuses its entry. The same layout as the tracer's Environment
// (core/src/trace/environment.hpp) and onnx_build::GrowingNameSet.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace onnxport {

template <class T>
class FlatNameMap {
 public:
  // The value of `name`, or null when it is absent (or erased).
  const T* find(std::string_view name) const {
    const Entry* e = entry(name, hash_of(name));
    return e && e->present ? &e->value : nullptr;
  }
  T* find(std::string_view name) {
    Entry* e = const_cast<Entry*>(entry(name, hash_of(name)));
    return e && e->present ? &e->value : nullptr;
  }
  bool contains(std::string_view name) const { return find(name) != nullptr; }
  // The number of present names.
  size_t size() const { return present_; }
  // Calls f(name, value) for each present name, in the order the names were
  // first added: a walk over the entries as they lie in memory.
  template <class F>
  void for_each(F&& f) const {
    for (const Entry& e : entries_)
      if (e.present) f(e.name, e.value);
  }

  // Adds `name` -> `value` when `name` is absent; else leaves the present
  // value. Returns the value in the map and whether it was added (as
  // unordered_map::emplace).
  std::pair<T*, bool> emplace(std::string_view name, T value) {
    Entry& e = slot_for(name);
    if (e.present) return {&e.value, false};
    e.value = std::move(value);
    e.present = true;
    ++present_;
    return {&e.value, true};
  }

  // Sets `name` -> `value`, replacing a present value.
  T& assign(std::string_view name, T value) {
    Entry& e = slot_for(name);
    e.value = std::move(value);
    if (!e.present) ++present_;
    e.present = true;
    return e.value;
  }

  // Removes `name` (nothing when it is absent).
  void erase(std::string_view name) {
    Entry* e = const_cast<Entry*>(entry(name, hash_of(name)));
    if (e != nullptr && e->present) {
      e->present = false;
      e->value = T();
      --present_;
    }
  }

  // Room for `n` names without growing the index.
  void reserve(size_t n) {
    size_t want = 1024;
    while (want < 2 * n) want *= 2;
    if (want > slots_.size()) rebuild(want);
  }

 private:
  struct Entry {
    std::string name;
    size_t hash;
    T value;
    bool present;
  };

  static size_t hash_of(std::string_view name) { return std::hash<std::string_view>{}(name); }

  const Entry* entry(std::string_view name, size_t h) const {
    if (slots_.empty()) return nullptr;
    const size_t mask = slots_.size() - 1;
    const uint64_t tag = h >> 32;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      const uint64_t s = slots_[i];
      if (s == 0) return nullptr;
      if ((s >> 32) != tag) continue;
      const Entry& e = entries_[(s & 0xffffffffu) - 1];
      if (e.hash == h && e.name == name) return &e;
    }
  }

  // The entry of `name`, added (not present) when the name was never seen.
  Entry& slot_for(std::string_view name) {
    const size_t h = hash_of(name);
    if (Entry* e = const_cast<Entry*>(entry(name, h))) return *e;
    if ((entries_.size() + 1) * 2 > slots_.size()) rebuild(slots_.empty() ? 1024 : slots_.size() * 2);
    entries_.push_back(Entry{std::string(name), h, T(), false});
    place(static_cast<uint32_t>(entries_.size()), h);
    return entries_.back();
  }

  // A slot is (upper half of the hash) << 32 | (entry number + 1); 0: empty.
  void place(uint32_t number, size_t h) {
    const size_t mask = slots_.size() - 1;
    size_t i = h & mask;
    while (slots_[i] != 0) i = (i + 1) & mask;
    slots_[i] = (static_cast<uint64_t>(h >> 32) << 32) | number;
  }

  void rebuild(size_t slot_count) {
    slots_.assign(slot_count, 0);
    uint32_t number = 0;
    for (const Entry& e : entries_) place(++number, e.hash);
  }

  std::deque<Entry> entries_;    // in insertion order
  std::vector<uint64_t> slots_;  // power-of-two size, at most half full
  size_t present_ = 0;
};

}  // namespace onnxport
