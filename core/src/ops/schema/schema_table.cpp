// The built-in schema table: PyTorch's aten schemas, generated into
// aten_schemas.inc by scripts/gen_op_schemas.py, and the engine's own ops
// (engine_schemas.inc, written by hand). Plugins add the schemas of their own
// ops (OpDef::schema) to a second table when the host commits them.
//
// The table is indexed by name on first use, and each schema is parsed the
// first time it is looked up (docs/architecture.md §4a). An export touches a
// few dozen of the ~2,500 overloads; parsing all of them up front was a
// quarter of a small export's instructions (bench/README.md, "Start-up and transposes").
#include "ops/schema/plugin_schemas.hpp"

#include <onnxport/op_schema.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace onnxport {
namespace {

constexpr const char* kAtenSchemas[] = {
#include "aten_schemas.inc"
    // the engine's own ops (quantized tensors, packed sequences), after PyTorch's
#include "engine_schemas.inc"
};

// One schema text and, once somebody has looked it up, its parse.
struct LazySchema {
  const char* text = nullptr;
  std::once_flag parsed;
  std::unique_ptr<OpSchema> schema;
};

// "aten::add.Tensor(Tensor self, ...) -> Tensor" -> "aten::add.Tensor" and
// "aten::add". Only the generated texts go through here: they start with the
// op name and have no space before the argument list. A text this does not
// split the way the parser does is caught when it is parsed (see parsed()).
struct SchemaNames {
  std::string_view qualified;
  std::string_view name;
};

SchemaNames split_names(std::string_view text) {
  const size_t paren = text.find('(');
  const std::string_view qualified = text.substr(0, paren);
  const size_t ns = qualified.find("::");
  const size_t dot = ns == std::string_view::npos ? std::string_view::npos : qualified.find('.', ns + 2);
  return {qualified, qualified.substr(0, dot)};
}

class SchemaTable {
 public:
  SchemaTable() : entries_(std::make_unique<LazySchema[]>(std::size(kAtenSchemas))) {
    for (size_t i = 0; i < std::size(kAtenSchemas); ++i) {
      LazySchema& entry = entries_[i];
      entry.text = kAtenSchemas[i];
      const SchemaNames names = split_names(entry.text);
      by_name_[names.name].push_back(&entry);
      by_qualified_name_.emplace(names.qualified, &entry);
    }
  }

  const OpSchema* find(std::string_view qualified_name) const {
    auto it = by_qualified_name_.find(qualified_name);
    return it == by_qualified_name_.end() ? nullptr : parsed(*it->second, it->first);
  }

  // nullptr when the table has no op of that name.
  const std::vector<LazySchema*>* overloads(std::string_view name) const {
    auto it = by_name_.find(name);
    return it == by_name_.end() ? nullptr : &it->second;
  }

  bool has_name(std::string_view name) const { return by_name_.contains(name); }
  size_t size() const { return std::size(kAtenSchemas); }

  static const OpSchema* parsed(LazySchema& entry, std::string_view qualified_name) {
    std::call_once(entry.parsed, [&] {
      // The texts are generated from PyTorch's own schemas and every one is
      // parsed by tests/unit/test_op_schema.cpp: an error here is a bug in the
      // parser or in split_names, reported with the schema.
      auto schema = std::make_unique<OpSchema>(parse_op_schema(entry.text));
      if (schema->qualified_name() != qualified_name)
        throw std::logic_error("the schema table indexed `" + std::string(qualified_name) + "` but the schema parses as `" +
                               schema->qualified_name() + "`: " + entry.text);
      entry.schema = std::move(schema);
    });
    return entry.schema.get();
  }

 private:
  std::unique_ptr<LazySchema[]> entries_;  // never reallocated: the maps point into it
  std::map<std::string_view, std::vector<LazySchema*>, std::less<>> by_name_;  // registration order kept
  std::map<std::string_view, LazySchema*, std::less<>> by_qualified_name_;
};

const SchemaTable& table() {
  static const SchemaTable instance;
  return instance;
}

// Schemas of plugins' ops. Written while a plugin loads, read by every
// lookup; pointers handed out stay valid (schemas are never removed).
struct PluginSchemas {
  std::shared_mutex mutex;
  std::vector<std::unique_ptr<OpSchema>> schemas;
  std::map<std::string, std::vector<const OpSchema*>, std::less<>> by_name;
  std::map<std::string, const OpSchema*, std::less<>> by_qualified_name;
};

PluginSchemas& plugin_schemas() {
  static PluginSchemas instance;
  return instance;
}

}  // namespace

const OpSchema* find_schema(std::string_view name, std::string_view overload) {
  if (overload.empty()) return find_schema(name);
  std::string qualified(name);
  qualified += '.';
  qualified += overload;
  return find_schema(qualified);
}

const OpSchema* find_schema(std::string_view qualified_name) {
  if (const OpSchema* builtin = table().find(qualified_name)) return builtin;
  PluginSchemas& plugins = plugin_schemas();
  std::shared_lock lock(plugins.mutex);
  auto it = plugins.by_qualified_name.find(qualified_name);
  return it == plugins.by_qualified_name.end() ? nullptr : it->second;
}

std::vector<const OpSchema*> schema_overloads(std::string_view name) {
  if (const auto* entries = table().overloads(name)) {
    std::vector<const OpSchema*> out;
    out.reserve(entries->size());
    for (LazySchema* entry : *entries) out.push_back(SchemaTable::parsed(*entry, split_names(entry->text).qualified));
    return out;
  }
  PluginSchemas& plugins = plugin_schemas();
  std::shared_lock lock(plugins.mutex);
  auto it = plugins.by_name.find(name);
  return it == plugins.by_name.end() ? std::vector<const OpSchema*>{} : it->second;
}

void add_plugin_schema(const OpSchema& schema) {
  if (!table().has_name(schema.name)) {
    PluginSchemas& plugins = plugin_schemas();
    std::unique_lock lock(plugins.mutex);
    if (plugins.by_qualified_name.contains(schema.qualified_name())) return;  // the same plugin, loaded again
    auto owned = std::make_unique<OpSchema>(schema);
    plugins.by_name[owned->name].push_back(owned.get());
    plugins.by_qualified_name.emplace(owned->qualified_name(), owned.get());
    plugins.schemas.push_back(std::move(owned));
    return;
  }
  throw std::invalid_argument("the schema table already has " + schema.name + " (PyTorch's)");
}

size_t schema_count() { return table().size(); }

}  // namespace onnxport
