// The built-in schema table: PyTorch's aten schemas, generated into
// aten_schemas.inc by scripts/gen_op_schemas.py, and the engine's own ops
// (engine_schemas.inc, written by hand), parsed once on first use
// (docs/architecture.md §4a). Plugins add the schemas of their own ops
// (OpDef::schema) to a second table when the host commits them.
#include "ops/schema/plugin_schemas.hpp"

#include <onnxport/op_schema.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <stdexcept>
#include <vector>

namespace onnxport {
namespace {

constexpr const char* kAtenSchemas[] = {
#include "aten_schemas.inc"
    // the engine's own ops (quantized tensors, packed sequences), after PyTorch's
#include "engine_schemas.inc"
};

struct SchemaTable {
  std::vector<std::unique_ptr<OpSchema>> schemas;
  std::map<std::string, std::vector<const OpSchema*>, std::less<>> by_name;  // registration order kept
  std::map<std::string, const OpSchema*, std::less<>> by_qualified_name;

  SchemaTable() {
    schemas.reserve(std::size(kAtenSchemas));
    for (const char* text : kAtenSchemas) {
      // The table is generated from PyTorch's own schemas and covered by
      // tests/unit/test_op_schema.cpp: a parse error here is a bug in the
      // parser, reported with the schema.
      auto schema = std::make_unique<OpSchema>(parse_op_schema(text));
      by_name[schema->name].push_back(schema.get());
      by_qualified_name.emplace(schema->qualified_name(), schema.get());
      schemas.push_back(std::move(schema));
    }
  }
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
  const auto& by_qualified_name = table().by_qualified_name;
  if (auto it = by_qualified_name.find(qualified_name); it != by_qualified_name.end()) return it->second;
  PluginSchemas& plugins = plugin_schemas();
  std::shared_lock lock(plugins.mutex);
  auto it = plugins.by_qualified_name.find(qualified_name);
  return it == plugins.by_qualified_name.end() ? nullptr : it->second;
}

std::vector<const OpSchema*> schema_overloads(std::string_view name) {
  const auto& by_name = table().by_name;
  if (auto it = by_name.find(name); it != by_name.end()) return it->second;
  PluginSchemas& plugins = plugin_schemas();
  std::shared_lock lock(plugins.mutex);
  auto it = plugins.by_name.find(name);
  return it == plugins.by_name.end() ? std::vector<const OpSchema*>{} : it->second;
}

void add_plugin_schema(const OpSchema& schema) {
  if (!table().by_name.contains(schema.name)) {
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

size_t schema_count() { return table().schemas.size(); }

}  // namespace onnxport
