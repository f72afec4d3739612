#include "host/op_providers.hpp"

#include <map>
#include <mutex>
#include <optional>
#include <vector>

namespace onnxport {

namespace {

struct Provider {
  std::string plugin;  // empty: a built-in
  int priority = 0;
  const void* host = nullptr;  // the host an override belongs to; null for the base
  OpDef def;
};

// The providers of one op, once a plugin has touched it.
struct OpStack {
  Provider base;                   // a built-in or the op a plugin added
  std::vector<Provider> overrides; // of live hosts, in load order
  // The provider the library holds: the highest priority, the base on a tie
  // (ties between plugins never get this far: decide() calls them a conflict).
  const Provider& top() const {
    const Provider* best = &base;
    for (const Provider& p : overrides)
      if (p.priority > best->priority) best = &p;
    return *best;
  }
};

std::string holder_of(const Provider& p) {
  return p.plugin.empty() ? "the built-in definition" : "plugin '" + p.plugin + "'";
}

}  // namespace

struct OpProviders::Impl {
  mutable std::mutex mutex;
  std::map<std::string, OpStack, std::less<>> stacks;

  // The current provider of `op`, or nothing when the library lacks the op.
  std::optional<Provider> current(const std::string& op) const {
    if (auto it = stacks.find(op); it != stacks.end()) return it->second.top();
    if (OpLibrary::instance().find(op) != nullptr) return Provider{};  // a built-in no plugin touched
    return std::nullopt;
  }

  OpVerdict decide(const std::string& op, int priority, const std::string& plugin) const {
    const std::optional<Provider> now = current(op);
    if (!now) return {OpVerdict::Kind::Add, "", 0};
    OpVerdict v{OpVerdict::Kind::Keep, holder_of(*now), now->priority};
    if (now->plugin == plugin) {
      // The same plugin loaded by another host: its added op is already there;
      // its override is recorded again for this host so it lives as long as it.
      v.kind = now->host == nullptr ? OpVerdict::Kind::AlreadyOurs : OpVerdict::Kind::Override;
    } else if (priority > now->priority) {
      v.kind = OpVerdict::Kind::Override;
    } else if (priority == now->priority && !now->plugin.empty()) {
      v.kind = OpVerdict::Kind::Conflict;
    }
    return v;
  }
};

OpProviders& OpProviders::instance() {
  static OpProviders* providers = new OpProviders;  // never destroyed, like the op library
  return *providers;
}

OpProviders::OpProviders() : impl_(new Impl) {}

OpVerdict OpProviders::decide(const std::string& op, int priority, const std::string& plugin) const {
  std::lock_guard lock(impl_->mutex);
  return impl_->decide(op, priority, plugin);
}

OpVerdict OpProviders::commit(OpDef def, int priority, const std::string& plugin, const void* host) {
  std::lock_guard lock(impl_->mutex);
  OpLibrary& library = OpLibrary::instance();
  const std::string op = def.name;
  const OpVerdict v = impl_->decide(op, priority, plugin);
  if (v.kind == OpVerdict::Kind::Add) {
    impl_->stacks[op].base = Provider{plugin, priority, nullptr, def};
    library.add(std::move(def));
  } else if (v.kind == OpVerdict::Kind::Override) {
    auto [it, fresh] = impl_->stacks.try_emplace(op);
    if (fresh) it->second.base = Provider{"", 0, nullptr, *library.find(op)};  // the built-in beneath
    it->second.overrides.push_back(Provider{plugin, priority, host, std::move(def)});
    // Assigned into the library's entry for op, so pointers to it stay valid.
    library.add(it->second.top().def);
  }
  return v;
}

void OpProviders::release(const void* host) {
  std::lock_guard lock(impl_->mutex);
  for (auto& [op, stack] : impl_->stacks) {
    const size_t before = stack.overrides.size();
    std::erase_if(stack.overrides, [&](const Provider& p) { return p.host == host; });
    if (stack.overrides.size() != before) OpLibrary::instance().add(stack.top().def);
  }
}

}  // namespace onnxport
