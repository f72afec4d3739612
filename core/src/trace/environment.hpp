// The tracer's environment: each name of the program bound so far -> its value.
//
// Why not std::unordered_map<std::string, EValue>: on a 16,384-layer program
// that table's lookups, inserts, rehashes and destruction grew about 7x for 4x
// the layers (perf, bench/README.md): every operation chases pointers to nodes
// scattered over a heap that no longer fits the cache. Here the entries sit in
// binding order in a deque (a program reads mostly names bound a few nodes
// before, so the entries touched are the recent, cached ones), and the hash
// index is a flat array of slots (open addressing, linear probing), each an
// entry number and the upper half of that entry's hash: a probe compares the
// hash halves in the index and touches an entry only when they match, so
// binding a new name (a lookup that misses) reads no entry at all.
//
// References to values stay valid while names are bound or unbound, as with
// the map (the deque never moves an entry): callers hold `const EValue&` from
// a lookup while binding outputs. A name once bound keeps its entry; erase()
// only marks it unbound, so the index never needs tombstones.
#pragma once

#include "evalue.hpp"

#include <cstdint>
#include <deque>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace onnxport::trace {

class Environment {
 public:
  Environment() = default;
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;
  // Releases the values in binding order with the objects they point to
  // asked for some entries ahead: on a large program the entries bound long
  // ago and their tensors are cold, and releasing them one after the other
  // waited for each (perf, bench/scaling: the environment's destruction 10
  // -> 213 samples for 4x the layers; bench/README.md, "Decompose,
  // optimize, capture at 16,384 layers"). Prefetches change no result.
  ~Environment() {
    const size_t n = entries_.size();
    for (size_t i = 0; i < n; ++i) {
      if (i + kFar < n) prefetch_value(entries_[i + kFar]);
      if (i + kNear < n) {
        const Entry& e = entries_[i + kNear];
        if (e.value.tensor) {
          __builtin_prefetch(e.value.tensor->shape.data());
          if (e.value.tensor->data) __builtin_prefetch(e.value.tensor->data->shape().data());
        }
      }
      entries_[i].value = EValue();
    }
  }

  // The value bound to `name`, or null when it is not bound.
  const EValue* find(std::string_view name) const {
    const Entry* e = entry(name, hash_of(name));
    return e && e->bound ? &e->value : nullptr;
  }
  EValue* find(std::string_view name) {
    Entry* e = const_cast<Entry*>(entry(name, hash_of(name)));
    return e && e->bound ? &e->value : nullptr;
  }

  // The value bound to `name`; std::out_of_range when it is not (as map::at).
  EValue& at(const std::string& name) {
    if (EValue* v = find(name)) return *v;
    throw std::out_of_range("trace environment: `" + name + "` is not bound");
  }

  // Binds `name` to `v`, replacing the value it had.
  void set(const std::string& name, EValue v) {
    const size_t h = hash_of(name);
    Entry* e = const_cast<Entry*>(entry(name, h));
    if (e == nullptr) {
      if ((entries_.size() + 1) * 2 > slots_.size()) grow();
      entries_.push_back(Entry{name, h, EValue(), false});
      e = &entries_.back();
      place(static_cast<uint32_t>(entries_.size()), h);
    }
    e->value = std::move(v);
    e->bound = true;
  }

  // Room in the index for `n` names without growing (a hint): growth reads
  // every entry's hash from the deque, entries bound long ago and cold.
  void reserve(size_t n) {
    size_t slots = slots_.empty() ? 1024 : slots_.size();
    while (slots < n * 2) slots *= 2;
    if (slots == slots_.size()) return;
    slots_.assign(slots, 0);
    uint32_t number = 0;
    for (const Entry& e : entries_) place(++number, e.hash);
  }

  // Unbinds `name` (nothing when it is not bound).
  void erase(std::string_view name) {
    Entry* e = const_cast<Entry*>(entry(name, hash_of(name)));
    if (e != nullptr && e->bound) {
      e->bound = false;
      e->value = EValue();
    }
  }

 private:
  struct Entry {
    std::string name;
    size_t hash;
    EValue value;
    bool bound;
  };

  static constexpr size_t kFar = 16, kNear = 8;
  static void prefetch_value(const Entry& e) {
    __builtin_prefetch(e.name.data());
    __builtin_prefetch(e.value.tensor.get());
    __builtin_prefetch(e.value.sym.get());
    __builtin_prefetch(e.value.items.get());
    __builtin_prefetch(e.value.quantization.get());
  }

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

  // A slot is (upper half of the hash) << 32 | (entry number + 1); 0: empty.
  void place(uint32_t number, size_t h) {
    const size_t mask = slots_.size() - 1;
    size_t i = h & mask;
    while (slots_[i] != 0) i = (i + 1) & mask;
    slots_[i] = (static_cast<uint64_t>(h >> 32) << 32) | number;
  }

  void grow() {
    slots_.assign(slots_.empty() ? 1024 : slots_.size() * 2, 0);
    uint32_t number = 0;
    for (const Entry& e : entries_) place(++number, e.hash);
  }

  std::deque<Entry> entries_;   // in binding order
  std::vector<uint64_t> slots_;  // power-of-two size, at most half full
};

}  // namespace onnxport::trace
