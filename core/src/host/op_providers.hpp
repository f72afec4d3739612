// Who provides each op definition of the process-wide op library when plugins
// add ops or override existing ones at a priority (docs/plugin-authoring.md §3,
// "Overriding an op definition").
//
// The op library (OpLibrary::instance()) is one table per process, but an
// override belongs to the host that loaded its plugin: it must not outlive that
// host, or a later export without the plugin would capture with a meta function
// it never asked for. So the library always holds the highest-priority
// definition among
//   - the base: a built-in (priority 0) or the op a plugin added (kept for the
//     process, like before: the plugin's library stays loaded), and
//   - the overrides of live hosts, each dropped when its host is destroyed.
// Ties are not broken by load order (that would make the capture depend on
// the config's order): a plugin's definition at the priority of another
// plugin's is a conflict, and one at the priority of a built-in keeps the
// built-in.
#pragma once

#include <onnxport/ops.hpp>

#include <string>

namespace onnxport {

struct OpVerdict {
  enum class Kind {
    Add,         // the library has no such op: the plugin adds it (for the process)
    AlreadyOurs, // this plugin already added it (loaded again by another host)
    Override,    // the plugin's priority is above the current provider's: it replaces it
    Keep,        // a built-in at the same or a higher priority, or a plugin's above: kept
    Conflict,    // another plugin's definition at the same priority: neither can win
  };
  Kind kind = Kind::Add;
  std::string holder;        // "the built-in definition" or "plugin 'X'"
  int holder_priority = 0;
};

class OpProviders {
 public:
  static OpProviders& instance();

  // What adding `op` from `plugin` at `priority` would do now.
  OpVerdict decide(const std::string& op, int priority, const std::string& plugin) const;

  // Adds or overrides as decide() says (decided again under the lock) and
  // returns the verdict. An override is recorded for `host` and lasts until
  // release(host).
  OpVerdict commit(OpDef def, int priority, const std::string& plugin, const void* host);

  // Drops every override made for `host` and puts back the definitions beneath.
  void release(const void* host);

 private:
  struct Impl;
  OpProviders();
  Impl* impl_;
};

}  // namespace onnxport
