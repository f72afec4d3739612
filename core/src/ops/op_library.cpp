// OpLibrary: the process-wide registry of op definitions.
//
// Built-ins are registered on first use of instance() (a function-local
// static), so no other static initializer can observe a half-filled library.
#include "base/checked_math.hpp"
#include "op_support.hpp"

#include <algorithm>
#include <mutex>
#include <unordered_map>

namespace onnxport {

namespace ops {
// loss.cpp: the loss functions and broadcast_tensors. Declared here rather
// than in op_support.hpp, which every op family includes (a change there
// recompiles them all).
void register_loss_ops(OpLibrary& lib);
// placement.cpp: take, index_fill, index_copy, masked_scatter, bucketize, unfold,
// as_strided, movedim.
void register_placement_ops(OpLibrary& lib);
// quantize.cpp: quantized_decomposed::(de)quantize_per_tensor/_per_channel.
void register_quantize_ops(OpLibrary& lib);
}  // namespace ops

struct OpLibrary::Impl {
  // Names are looked up with string_view keys; std::less<> on a map would do
  // too, but lookups are per traced node, so hash them.
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, OpDef, Hash, std::equal_to<>> defs;
  mutable std::mutex mutex;
};

OpLibrary::OpLibrary() : impl_(new Impl) {}
OpLibrary::~OpLibrary() { delete impl_; }

OpLibrary& OpLibrary::instance() {
  static OpLibrary* library = [] {
    auto* lib = new OpLibrary;  // never destroyed: plugins may still hold OpDef pointers at exit
    ops::register_scalar_conversion_ops(*lib);
    ops::register_elementwise_ops(*lib);
    ops::register_reduction_ops(*lib);
    ops::register_linear_algebra_ops(*lib);
    ops::register_shape_ops(*lib);
    ops::register_indexing_ops(*lib);
    ops::register_creation_ops(*lib);
    ops::register_nn_ops(*lib);
    ops::register_resample_ops(*lib);
    ops::register_scatter_ops(*lib);
    ops::register_placement_ops(*lib);
    ops::register_recurrent_ops(*lib);
    ops::register_attention_ops(*lib);
    ops::register_loss_ops(*lib);
    ops::register_quantize_ops(*lib);
    ops::register_composite_ops(*lib);
    return lib;
  }();
  return *library;
}

void OpLibrary::add(OpDef def) {
  std::lock_guard lock(impl_->mutex);
  std::string name = def.name;
  impl_->defs.insert_or_assign(std::move(name), std::move(def));
}

const OpDef* OpLibrary::find(std::string_view name) const {
  std::lock_guard lock(impl_->mutex);
  auto it = impl_->defs.find(name);
  return it == impl_->defs.end() ? nullptr : &it->second;
}

std::vector<std::string> OpLibrary::names() const {
  std::lock_guard lock(impl_->mutex);
  std::vector<std::string> out;
  out.reserve(impl_->defs.size());
  for (const auto& [name, def] : impl_->defs) out.push_back(name);
  std::sort(out.begin(), out.end());
  return out;
}

namespace ops {
namespace {

// Every output a meta function describes must have a byte count that fits
// in int64 (symbolic dims aside): a shape like zeros([2^31, 2^31]) is valid
// arithmetic for each dim but its byte count wraps, and every later size
// computed from it (a kernel's allocation, a translator's constant) would
// be wrong. Checked here once for every op.
void check_output_sizes(const std::vector<TensorMeta>& metas) {
  for (const TensorMeta& m : metas) {
    if (m.dtype == DType::Undefined) continue;
    std::vector<int64_t> dims;
    for (const Dim& d : m.shape)
      if (d.is_static()) dims.push_back(d.value());
    if (!checked_nbytes(dims, dtype_size(m.dtype)))
      throw OpError("the output shape " + shape_str(m.shape) + " has a negative dimension or more bytes than fit in 64 bits");
  }
}

}  // namespace

void define(OpLibrary& lib, const std::string& name, const std::string& family, MetaFn meta, KernelFn kernel) {
  // Prefix escaping errors with the op name; errors from a nested op call
  // already carry a name and are passed through unchanged.
  auto prefixed = [name](const std::exception& e) {
    std::string what = e.what();
    if (what.rfind(name + ": ", 0) == 0) return OpError(what);
    return OpError(name + ": " + what);
  };
  OpDef def;
  def.name = name;
  def.family = family;
  def.meta = [meta = std::move(meta), prefixed](const std::vector<OpArg>& args) {
    try {
      std::vector<TensorMeta> metas = meta(args);
      check_output_sizes(metas);
      return metas;
    } catch (const OpError& e) {
      throw prefixed(e);
    } catch (const std::bad_alloc&) {
      throw;
    } catch (const std::exception& e) {  // json type errors, dim arithmetic domain errors, ...
      throw prefixed(e);
    }
  };
  if (kernel) {
    def.kernel = [kernel = std::move(kernel), prefixed](const std::vector<OpArg>& args) {
      try {
        return kernel(args);
      } catch (const OpError& e) {
        throw prefixed(e);
      } catch (const std::bad_alloc&) {
        throw;
      } catch (const std::exception& e) {
        throw prefixed(e);
      }
    };
  }
  lib.add(std::move(def));
}

void define_by_schema(OpLibrary& lib, const std::string& name, const std::string& family, NamedMetaFn meta,
                      NamedKernelFn kernel) {
  KernelFn bound_kernel;
  if (kernel)
    bound_kernel = [name, kernel = std::move(kernel)](const std::vector<OpArg>& args) {
      return kernel(OpArgs::bind(name, args));
    };
  define(
      lib, name, family,
      [name, meta = std::move(meta)](const std::vector<OpArg>& args) { return meta(OpArgs::bind(name, args)); },
      std::move(bound_kernel));
}

}  // namespace ops
}  // namespace onnxport
