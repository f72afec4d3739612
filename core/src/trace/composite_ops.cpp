// Tracer: ops that the engine captures as other ops of the op library, a
// decomposition at trace time. The Graph then holds only ops that have a
// meta function, a kernel and translators already, so an op here needs
// nothing else to export, evaluate (draft) or verify.
//
// These are mostly the names torch.onnx's symbolic registry knows that are
// another op under another name (`aten::_log_softmax`, `aten::_cast_Float`,
// `aten::unsafe_split`), or a short formula of other ops
// (`aten::native_layer_norm`, `aten::cdist`, `aten::fake_quantize_*`).
// docs/torch-onnx-registry.md lists what is still missing and why.
//
// Arguments are read by their schema names (PyTorch's own schemas, as the op
// library reads them: docs/architecture.md §4a).
#include "named_inputs.hpp"
#include "tracer.hpp"

#include <onnxport/op_schema.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numbers>
#include <string_view>
#include <unordered_map>

namespace onnxport::trace {

struct CompositeOps {
  using Rule = std::vector<EValue> (*)(Tracer& t, const ProgramNode& n, const NamedInputs& a);

  static const std::unordered_map<std::string, Rule>& rules();

  // ---- helpers

  static EValue op(Tracer& t, const ProgramNode& n, const std::string& kind, std::vector<EValue> args) {
    std::vector<EValue> outs = t.call_tensor_op(n, kind, std::move(args));
    if (outs.size() != 1) t.fail("internal", kind + " returned " + std::to_string(outs.size()) + " tensors, expected 1");
    return outs[0];
  }
  static EValue c(nlohmann::json v) { return EValue::of_constant(std::move(v)); }

  // A constant int argument; a SymInt or tensor there is refused by name.
  static int64_t constant_int(const Tracer& t, const ProgramNode& n, const NamedInputs& a, std::string_view name) {
    const EValue& v = a[name];
    if (!v.is_constant() || !v.constant.is_number_integer())
      t.fail("unsupported-argument", n.kind + ": `" + std::string(name) + "` must be an int known while tracing, got a " +
                                         describe(v));
    return v.constant.get<int64_t>();
  }
  static double constant_number(const Tracer& t, const ProgramNode& n, const NamedInputs& a, std::string_view name) {
    const EValue& v = a[name];
    if (!v.is_constant() || !v.constant.is_number())
      t.fail("unsupported-argument", n.kind + ": `" + std::string(name) + "` must be a number known while tracing, got a " +
                                         describe(v));
    return v.constant.get<double>();
  }
  static bool constant_bool(const Tracer& t, const ProgramNode& n, const NamedInputs& a, std::string_view name) {
    const EValue& v = a[name];
    if (!v.is_constant() || !v.constant.is_boolean())
      t.fail("unsupported-argument", n.kind + ": `" + std::string(name) + "` must be a bool known while tracing, got a " +
                                         describe(v));
    return v.constant.get<bool>();
  }
  static const FakeTensor& tensor(const Tracer& t, const ProgramNode& n, const NamedInputs& a, std::string_view name) {
    const EValue& v = a[name];
    if (!v.is_tensor()) t.fail("bad-argument", n.kind + ": `" + std::string(name) + "` must be a tensor, got a " + describe(v));
    return *v.tensor;
  }

  // ---- the same op under another name

  // `to` with a fixed dtype: aten::_cast_Float(Tensor self, bool non_blocking=False).
  template <int kTorchDtype>
  static std::vector<EValue> cast(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    return {op(t, n, "aten::to", {a["self"], c(kTorchDtype), a["non_blocking"], c(false)})};
  }

  // aten::_log_softmax / _softmax(Tensor self, int dim, bool half_to_float).
  static std::vector<EValue> softmax_family(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    if (constant_bool(t, n, a, "half_to_float"))
      t.fail("unsupported-argument", n.kind + ": half_to_float=True (a CUDA-only float16 path) is not supported");
    const std::string target = n.kind == "aten::_log_softmax" ? "aten::log_softmax" : "aten::softmax";
    return {op(t, n, target, {a["self"], a["dim"], EValue::none()})};
  }

  // lift (a functionalization marker) returns its input unchanged; so does
  // Tensor.cpu(): every tensor of a captured program is on the CPU
  // (pad_packed_sequence indexes the lengths with `unsorted_indices.cpu()`).
  static std::vector<EValue> identity(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    return {op(t, n, "aten::alias", {a["self"]})};
  }

  // unsafe_split / unsafe_chunk / unsafe_split_with_sizes: the safe op (the
  // difference is only autograd's view tracking).
  static std::vector<EValue> safe_split(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    std::string target = "aten::" + n.kind.substr(std::string_view("aten::unsafe_").size());
    const char* size_arg = n.kind == "aten::unsafe_chunk" ? "chunks"
                           : n.kind == "aten::unsafe_split" ? "split_size"
                                                            : "split_sizes";
    return t.call_tensor_op(n, target, {a["self"], a[size_arg], a["dim"]});
  }

  // aten::_pad_circular(Tensor self, SymInt[] pad).
  static std::vector<EValue> pad_circular(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    return {op(t, n, "aten::pad", {a["self"], a["pad"], c("circular"), EValue::none()})};
  }

  // aten::is_pinned(Tensor self, Device? device=None): tensors here are never
  // in pinned host memory.
  static std::vector<EValue> is_pinned(Tracer&, const ProgramNode&, const NamedInputs&) { return {c(false)}; }

  // ---- short formulas of other ops

  // _dim_arange(Tensor like, int dim) = arange(like.size(dim)), int64.
  static std::vector<EValue> dim_arange(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const FakeTensor& like = tensor(t, n, a, "like");
    const int64_t dim = constant_int(t, n, a, "dim");
    const EValue size = t.sym_size(like, dim);
    return {op(t, n, "aten::arange", {size, c(4), EValue::none(), EValue::none(), EValue::none()})};
  }

  // numpy_T(Tensor self) = x.T: every dim reversed.
  static std::vector<EValue> numpy_t(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const FakeTensor& self = tensor(t, n, a, "self");
    nlohmann::json dims = nlohmann::json::array();
    for (int64_t d = static_cast<int64_t>(self.shape.size()) - 1; d >= 0; --d) dims.push_back(d);
    return {op(t, n, "aten::permute", {a["self"], c(dims)})};
  }

  // _shape_as_tensor(Tensor self) -> int64 [rank]: the sizes, symbolic ones
  // included (torch.tensor(x.shape)).
  static std::vector<EValue> shape_as_tensor(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const FakeTensor& self = tensor(t, n, a, "self");
    EList sizes;
    for (size_t d = 0; d < self.shape.size(); ++d) sizes.push_back(t.sym_size(self, static_cast<int64_t>(d)));
    return {op(t, n, "aten::tensor", {EValue::list(std::move(sizes), t.rewrite_depth_), c(4), EValue::none(), c(false)})};
  }

  // native_dropout(Tensor input, float p, bool? train) -> (output, mask). Not
  // training (or p == 0), it is the identity with an all-true mask; a
  // training-mode dropout draws random numbers, which nothing could verify.
  static std::vector<EValue> native_dropout(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const double p = constant_number(t, n, a, "p");
    const bool train = a.is_none("train") || constant_bool(t, n, a, "train");
    if (train && p != 0.0)
      t.fail("unsupported-op", n.kind + " in training mode (p=" + std::to_string(p) +
                                   ") draws random numbers: the exported model could not be compared with eager PyTorch",
             "Export the module in eval mode (module.eval()).");
    const EValue input = a["input"];
    return {op(t, n, "aten::alias", {input}),
            op(t, n, "aten::ones_like", {input, c(11), EValue::none(), EValue::none(), EValue::none(), EValue::none()})};
  }

  // native_layer_norm(input, normalized_shape, weight?, bias?, eps) -> (out,
  // mean, rstd): mean and 1/sqrt(var + eps) over the normalized dims, kept.
  static std::vector<EValue> native_layer_norm(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const FakeTensor& input = tensor(t, n, a, "input");
    const EValue& shape = a["normalized_shape"];
    const int64_t normalized = shape.is_sequence()                                          ? static_cast<int64_t>(shape.items->size())
                               : shape.is_constant() && shape.constant.is_array() ? static_cast<int64_t>(shape.constant.size())
                                                                                   : -1;
    const int64_t rank = static_cast<int64_t>(input.shape.size());
    if (normalized < 0 || normalized > rank)
      t.fail("bad-argument", n.kind + ": normalized_shape must be a list of at most " + std::to_string(rank) + " sizes, got a " +
                                 describe(shape));
    nlohmann::json dims = nlohmann::json::array();
    for (int64_t d = rank - normalized; d < rank; ++d) dims.push_back(d);
    const EValue x = a["input"];
    const EValue out = op(t, n, "aten::layer_norm", {x, shape, a["weight"], a["bias"], a["eps"], c(false)});
    const EValue mean = op(t, n, "aten::mean", {x, c(dims), c(true), EValue::none()});
    const EValue var = op(t, n, "aten::var", {x, c(dims), c(false), c(true)});
    const EValue rstd = op(t, n, "aten::rsqrt", {op(t, n, "aten::add", {var, a["eps"], c(1)})});
    return {out, mean, rstd};
  }

  // _weight_norm(Tensor v, Tensor g, int dim=0) = v * (g / ||v||), the norm
  // over every dim but `dim` (over all of v when dim is -1), kept.
  static std::vector<EValue> weight_norm(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const FakeTensor& v = tensor(t, n, a, "v");
    const int64_t rank = static_cast<int64_t>(v.shape.size());
    int64_t dim = constant_int(t, n, a, "dim");
    if (dim < -1 || dim >= std::max<int64_t>(rank, 1))
      t.fail("bad-argument", n.kind + ": dim " + std::to_string(dim) + " is out of range for a " + std::to_string(rank) + "-d v");
    nlohmann::json dims = nlohmann::json::array();
    for (int64_t d = 0; d < rank; ++d)
      if (d != dim) dims.push_back(d);
    const EValue norm = op(t, n, "aten::linalg_vector_norm", {a["v"], c(2), c(dims), c(true), EValue::none()});
    return {op(t, n, "aten::mul", {a["v"], op(t, n, "aten::div", {a["g"], norm})})};
  }

  // cdist(x1 [..., P, M], x2 [..., R, M], float p=2, int? compute_mode) ->
  // [..., P, R]: the p-norm of every difference. torch may take a matmul
  // shortcut for p=2 on large inputs (compute_mode); the differences here are
  // exact, so results agree to float rounding.
  static std::vector<EValue> cdist(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const EValue x1 = op(t, n, "aten::unsqueeze", {a["x1"], c(-2)});
    const EValue x2 = op(t, n, "aten::unsqueeze", {a["x2"], c(-3)});
    const EValue diff = op(t, n, "aten::sub", {x1, x2, c(1)});
    return {op(t, n, "aten::linalg_vector_norm", {diff, a["p"], c(nlohmann::json::array({-1})), c(false), EValue::none()})};
  }

  // one_hot(Tensor self, int num_classes=-1) -> int64 [..., num_classes].
  static std::vector<EValue> one_hot(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const int64_t classes = constant_int(t, n, a, "num_classes");
    if (classes < 0)
      t.fail("unsupported-argument",
             n.kind + ": num_classes=-1 makes the output's size the largest value of the input plus one, known only "
                      "when the model runs",
             "Pass num_classes explicitly (F.one_hot(x, num_classes=N)).");
    const EValue range = op(t, n, "aten::arange", {c(classes), c(4), EValue::none(), EValue::none(), EValue::none()});
    const EValue hit = op(t, n, "aten::eq", {op(t, n, "aten::unsqueeze", {a["self"], c(-1)}), range});
    return {op(t, n, "aten::to", {hit, c(4), c(false), c(false)})};
  }

  // fake_quantize_per_tensor_affine(self, scale, zero_point, quant_min,
  // quant_max) = (clamp(round(x * (1/scale)) + zp, qmin, qmax) - zp) * scale,
  // in the order PyTorch's kernel computes it (the reciprocal in float32,
  // round half to even), so values on a rounding boundary agree.
  static std::vector<EValue> fake_quantize_per_tensor(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const EValue& scale = a["scale"];
    const EValue& zero_point = a["zero_point"];
    EValue inverse;
    if (scale.is_tensor()) {
      inverse = op(t, n, "aten::reciprocal", {op(t, n, "aten::to", {scale, c(6), c(false), c(false)})});
    } else {
      const float s = static_cast<float>(constant_number(t, n, a, "scale"));
      inverse = c(static_cast<double>(1.0f / s));
    }
    return {fake_quantize(t, n, a["self"], inverse, scale, zero_point, a)};
  }

  // fake_quantize_per_channel_affine(self, Tensor scale, Tensor zero_point,
  // int axis, int quant_min, int quant_max): the per-tensor formula with
  // scale and zero point broadcast along `axis`.
  static std::vector<EValue> fake_quantize_per_channel(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const FakeTensor& self = tensor(t, n, a, "self");
    const int64_t rank = static_cast<int64_t>(self.shape.size());
    int64_t axis = constant_int(t, n, a, "axis");
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= rank) t.fail("bad-argument", n.kind + ": axis out of range for a " + std::to_string(rank) + "-d input");
    nlohmann::json along = nlohmann::json::array({-1});
    for (int64_t d = axis + 1; d < rank; ++d) along.push_back(1);
    const EValue scale = op(t, n, "aten::reshape", {op(t, n, "aten::to", {a["scale"], c(6), c(false), c(false)}), c(along)});
    const EValue zero_point = op(t, n, "aten::reshape", {a["zero_point"], c(along)});
    const EValue inverse = op(t, n, "aten::reciprocal", {scale});
    return {fake_quantize(t, n, a["self"], inverse, scale, zero_point, a)};
  }

  static EValue fake_quantize(Tracer& t, const ProgramNode& n, const EValue& x, const EValue& inverse, const EValue& scale,
                              const EValue& zero_point, const NamedInputs& a) {
    const int64_t qmin = constant_int(t, n, a, "quant_min");
    const int64_t qmax = constant_int(t, n, a, "quant_max");
    if (qmin > qmax)
      t.fail("bad-argument", n.kind + ": quant_min " + std::to_string(qmin) + " is above quant_max " + std::to_string(qmax));
    const EValue rounded = op(t, n, "aten::round", {op(t, n, "aten::mul", {x, inverse})});
    const EValue shifted = op(t, n, "aten::add", {rounded, zero_point, c(1)});
    const EValue clamped = op(t, n, "aten::clamp", {shifted, c(qmin), c(qmax)});
    return op(t, n, "aten::mul", {op(t, n, "aten::sub", {clamped, zero_point, c(1)}), scale});
  }

  // hann_window(int window_length, bool periodic=True, *, dtype=None, ...):
  // 0.5 - 0.5 cos(2 pi k / N), N = length (periodic) or length - 1.
  static std::vector<EValue> hann_window(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const int64_t length = constant_int(t, n, a, "window_length");
    const bool periodic = a.schema().argument_index("periodic") ? constant_bool(t, n, a, "periodic") : true;
    const EValue dtype = a.is_none("dtype") ? c(6) : a["dtype"];
    if (length < 0) t.fail("bad-argument", n.kind + ": window_length must be non-negative, got " + std::to_string(length));
    if (length <= 1)  // torch: an empty window, or [1.]
      return {op(t, n, "aten::ones", {c(nlohmann::json::array({length})), dtype, EValue::none(), EValue::none(), EValue::none()})};
    const int64_t denominator = periodic ? length : length - 1;
    const EValue k = op(t, n, "aten::arange", {c(length), dtype, EValue::none(), EValue::none(), EValue::none()});
    const EValue angle = op(t, n, "aten::mul", {k, c(2.0 * std::numbers::pi / static_cast<double>(denominator))});
    const EValue cosine = op(t, n, "aten::cos", {angle});
    return {op(t, n, "aten::add", {op(t, n, "aten::mul", {cosine, c(-0.5)}), c(0.5), c(1)})};
  }

  // conv_tbc(Tensor self [T, B, Cin], Tensor weight [K, Cin, Cout], Tensor
  // bias [Cout], int pad=0) -> [T', B, Cout]: conv1d in time-batch-channel
  // layout.
  static std::vector<EValue> conv_tbc(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const int64_t pad = constant_int(t, n, a, "pad");
    const EValue x = op(t, n, "aten::permute", {a["self"], c(nlohmann::json::array({1, 2, 0}))});
    const EValue w = op(t, n, "aten::permute", {a["weight"], c(nlohmann::json::array({2, 1, 0}))});
    const EValue y = op(t, n, "aten::conv1d",
                        {x, w, a["bias"], c(nlohmann::json::array({1})), c(nlohmann::json::array({pad})),
                         c(nlohmann::json::array({1})), c(1)});
    return {op(t, n, "aten::permute", {y, c(nlohmann::json::array({2, 0, 1}))})};
  }

  // __interpolate(Tensor input, int[]? size, float[]? scale_factor, str
  // mode, bool? align_corners, bool? recompute_scale_factor, bool antialias):
  // TorchScript's builtin for F.interpolate (size and scale_factor may also
  // be one int / float for every spatial dim), as the upsample op of the mode.
  static std::vector<EValue> interpolate(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const FakeTensor& input = tensor(t, n, a, "input");
    const int64_t spatial = static_cast<int64_t>(input.shape.size()) - 2;
    const std::string mode = a["mode"].is_constant() && a["mode"].constant.is_string() ? a["mode"].constant.get<std::string>() : "";
    if (spatial < 1 || spatial > 3)
      t.fail("bad-argument", n.kind + ": input must be 3-d, 4-d or 5-d (batch, channels, 1 to 3 spatial dims), got shape " +
                                 shape_str(input.shape));
    if (!a.is_none("antialias") && constant_bool(t, n, a, "antialias"))
      t.fail("unsupported-argument", n.kind + ": antialias=True is not supported");
    const bool interpolating = mode == "linear" || mode == "bilinear" || mode == "trilinear" || mode == "bicubic";
    if (!interpolating && !a.is_none("align_corners"))
      t.fail("bad-argument", n.kind + ": align_corners can only be set with the interpolating modes (linear, bilinear, "
                                      "bicubic, trilinear), not '" + mode + "'");
    // One value per spatial dim: a lone int / float applies to all.
    auto per_dim = [&](const EValue& v) -> EValue {
      if (!v.is_constant() || !v.constant.is_number()) return v;
      nlohmann::json list = nlohmann::json::array();
      for (int64_t d = 0; d < spatial; ++d) list.push_back(v.constant);
      return c(list);
    };
    EValue size = per_dim(a["size"]);
    EValue scales = per_dim(a["scale_factor"]);
    if (a.is_none("size") == a.is_none("scale_factor"))
      t.fail("bad-argument", n.kind + ": exactly one of size and scale_factor must be given");
    const bool recompute = !a.is_none("recompute_scale_factor") && constant_bool(t, n, a, "recompute_scale_factor");
    if (mode == "area" || (recompute && !a.is_none("scale_factor"))) {
      // The output size from the scales: floor(in * scale), which needs the
      // spatial sizes and scales known while tracing.
      if (!a.is_none("scale_factor")) {
        const std::optional<nlohmann::json> factors = as_constant_json(scales);
        if (!factors || !factors->is_array() || factors->size() != static_cast<size_t>(spatial))
          t.fail("unsupported-argument", n.kind + ": scale_factor must be " + std::to_string(spatial) +
                                             " numbers known while tracing here, got a " + describe(scales));
        nlohmann::json sizes = nlohmann::json::array();
        for (int64_t d = 0; d < spatial; ++d) {
          const Dim& in_dim = input.shape[static_cast<size_t>(d + 2)];
          if (!in_dim.is_static())
            t.fail("unsupported-argument", n.kind + ": the output size floor(size * scale) of the dynamic dim " +
                                               shape_str(input.shape) + "[" + std::to_string(d + 2) +
                                               "] is not supported with mode '" + mode + "' or recompute_scale_factor");
          sizes.push_back(static_cast<int64_t>(
              std::floor(static_cast<double>(in_dim.value()) * (*factors)[static_cast<size_t>(d)].get<double>())));
        }
        size = c(sizes);
        scales = EValue::none();
      }
    }
    const std::string k = std::to_string(spatial);
    if (mode == "area") return {op(t, n, "aten::adaptive_avg_pool" + k + "d", {a["input"], size})};
    if (mode == "nearest") return {op(t, n, "aten::upsample_nearest" + k + "d", {a["input"], size, scales})};
    if (mode == "nearest-exact") return {op(t, n, "aten::_upsample_nearest_exact" + k + "d", {a["input"], size, scales})};
    static const std::unordered_map<std::string, std::pair<int64_t, std::string>> interpolating_ops = {
        {"linear", {1, "aten::upsample_linear1d"}},
        {"bilinear", {2, "aten::upsample_bilinear2d"}},
        {"bicubic", {2, "aten::upsample_bicubic2d"}},
        {"trilinear", {3, "aten::upsample_trilinear3d"}},
    };
    auto it = interpolating_ops.find(mode);
    if (it == interpolating_ops.end())
      t.fail("bad-argument", n.kind + ": mode '" + mode + "' is not one of nearest, nearest-exact, linear, bilinear, bicubic, "
                                      "trilinear, area");
    if (it->second.first != spatial)
      t.fail("bad-argument", n.kind + ": mode '" + mode + "' needs " + std::to_string(it->second.first + 2) +
                                 "-d input, got shape " + shape_str(input.shape));
    const EValue align = a.is_none("align_corners") ? c(false) : a["align_corners"];
    return {op(t, n, it->second.second, {a["input"], size, align, scales})};
  }

  // embedding_bag(weight [V, D], indices [N], offsets, scale_grad_by_freq,
  // mode, sparse, per_sample_weights?, include_last_offset, padding_idx?)
  // -> (output [B, D], offset2bag, bag_size, max_indices). F.embedding_bag
  // always passes 1-D indices: a 2-D input arrives flattened with offsets
  // arange(0, numel, L). Bag b holds the positions [offsets[b], offsets[b+1])
  // (the last one up to N, or to offsets[B] with include_last_offset);
  // positions equal to padding_idx count for nothing. An empty bag is 0 in
  // every mode, as torch gives. Only the output is computed: a program that
  // reads one of the three bookkeeping results is refused.
  static std::vector<EValue> embedding_bag(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    for (size_t k = 1; k < n.outputs.size(); ++k)
      if (program_reads(t.program_, n.outputs[k]))
        t.fail("unsupported-op", n.kind + ": result " + std::to_string(k) +
                                     " (offset2bag, bag_size or max_indices) is read by the program; only the bags' values "
                                     "are supported");
    const FakeTensor& weight = tensor(t, n, a, "weight");
    const FakeTensor& indices = tensor(t, n, a, "indices");
    const FakeTensor& offsets = tensor(t, n, a, "offsets");
    if (weight.shape.size() != 2) t.fail("bad-argument", n.kind + ": weight must be 2-d, got shape " + shape_str(weight.shape));
    if (indices.shape.size() != 1 || offsets.shape.size() != 1)
      t.fail("bad-argument", n.kind + ": indices and offsets must be 1-d, got shapes " + shape_str(indices.shape) + " and " +
                                 shape_str(offsets.shape));
    const int64_t mode = constant_int(t, n, a, "mode");
    if (mode < 0 || mode > 2) t.fail("bad-argument", n.kind + ": mode must be 0 (sum), 1 (mean) or 2 (max), got " + std::to_string(mode));
    const bool weighted = !a.is_none("per_sample_weights");
    if (weighted && mode != 0)
      t.fail("bad-argument", n.kind + ": per_sample_weights are only supported with mode 'sum' (as in PyTorch)");
    const bool last_offset = constant_bool(t, n, a, "include_last_offset");
    int64_t padding_idx = -1;
    if (a.schema().argument_index("padding_idx") && !a.is_none("padding_idx")) {
      padding_idx = constant_int(t, n, a, "padding_idx");
      const Dim& rows = weight.shape[0];
      if (padding_idx < 0 && rows.is_static()) padding_idx += rows.value();
      if (padding_idx < 0)
        t.fail("unsupported-argument", n.kind + ": a negative padding_idx needs the number of rows known while tracing");
    }
    const EValue none = EValue::none();
    const EValue int64 = c(4);
    const EValue dtype = c(dtype_to_torch_code(weight.dtype));

    // The bag of each position: a 1 at every bag start (offsets may repeat
    // for empty bags, and equal N for empty bags at the end, hence N + 1
    // slots), summed along the positions, minus 1.
    const EValue starts = op(t, n, "aten::to", {a["offsets"], int64, c(false), c(false)});
    const EValue slots = op(t, n, "aten::constant_pad_nd",
                            {op(t, n, "aten::zeros_like", {a["indices"], int64, none, none, none, none}),
                             c(nlohmann::json::array({0, 1})), c(0)});
    const EValue ones = op(t, n, "aten::ones_like", {starts, int64, none, none, none, none});
    const EValue marks = op(t, n, "aten::index_add", {slots, c(0), starts, ones, c(1)});
    const EValue marks_n = op(t, n, "aten::slice", {marks, c(0), c(0), c(-1), c(1)});
    EValue bag = op(t, n, "aten::sub", {op(t, n, "aten::cumsum", {marks_n, c(0), none}), c(1), c(1)});

    // The bags: every offset, or all but the last with include_last_offset
    // (positions from offsets[B] on belong to no bag).
    const EValue bag_starts = last_offset ? op(t, n, "aten::slice", {starts, c(0), c(0), c(-1), c(1)}) : starts;
    const EValue bags = t.sym_size(*bag_starts.tensor, 0);
    EValue keep = EValue::none();  // bool [N]: the position counts
    auto and_keep = [&](const EValue& m) { keep = keep.is_none() ? m : op(t, n, "aten::logical_and", {keep, m}); };
    if (last_offset) and_keep(op(t, n, "aten::lt", {bag, bags}));
    if (padding_idx >= 0) and_keep(op(t, n, "aten::ne", {a["indices"], c(padding_idx)}));
    if (!keep.is_none()) bag = op(t, n, "aten::where", {keep, bag, c(0)});

    EValue rows = op(t, n, "aten::embedding", {a["weight"], a["indices"], c(-1), c(false), c(false)});  // [N, D]
    EValue row_weight = weighted ? a["per_sample_weights"] : EValue::none();
    if (!keep.is_none()) {
      const EValue keep_f = op(t, n, "aten::to", {keep, dtype, c(false), c(false)});
      row_weight = row_weight.is_none() ? keep_f : op(t, n, "aten::mul", {row_weight, keep_f});
    }
    const EValue width = t.sym_size(weight, 1);
    const EValue out_size = EValue::list({bags, width}, t.rewrite_depth_);
    const EValue bag_size = EValue::list({bags}, t.rewrite_depth_);
    // How many positions count in each bag (mean divides by it; an empty
    // bag's max is 0).
    auto counts = [&]() {
      const EValue one_each = keep.is_none() ? op(t, n, "aten::ones_like", {a["indices"], dtype, none, none, none, none})
                                             : op(t, n, "aten::to", {keep, dtype, c(false), c(false)});
      const EValue zeros = op(t, n, "aten::zeros", {bag_size, dtype, none, none, none});
      return op(t, n, "aten::index_add", {zeros, c(0), bag, one_each, c(1)});
    };

    if (mode == 0 || mode == 1) {
      if (!row_weight.is_none()) rows = op(t, n, "aten::mul", {rows, op(t, n, "aten::unsqueeze", {row_weight, c(1)})});
      const EValue zeros = op(t, n, "aten::zeros", {out_size, dtype, none, none, none});
      EValue sums = op(t, n, "aten::index_add", {zeros, c(0), bag, rows, c(1)});
      if (mode == 1) {
        const EValue divisor = op(t, n, "aten::clamp_min", {counts(), c(1)});
        sums = op(t, n, "aten::div", {sums, op(t, n, "aten::unsqueeze", {divisor, c(1)})});
      }
      return {sums, EValue::none(), EValue::none(), EValue::none()};
    }
    // max: ONNX has no scatter-max below opset 18, so every bag looks at
    // every position through a [B, N] membership mask ([B, N, D] values).
    const EValue bag_ids = op(t, n, "aten::arange", {bags, int64, none, none, none});
    EValue member = op(t, n, "aten::eq", {op(t, n, "aten::unsqueeze", {bag_ids, c(1)}), op(t, n, "aten::unsqueeze", {bag, c(0)})});
    if (!keep.is_none()) member = op(t, n, "aten::logical_and", {member, op(t, n, "aten::unsqueeze", {keep, c(0)})});
    const EValue candidates = op(t, n, "aten::where", {op(t, n, "aten::unsqueeze", {member, c(2)}),
                                                      op(t, n, "aten::unsqueeze", {rows, c(0)}),
                                                      c(-std::numeric_limits<double>::infinity())});
    const EValue maxima = op(t, n, "aten::amax", {candidates, c(nlohmann::json::array({1})), c(false)});
    const EValue filled = op(t, n, "aten::unsqueeze", {op(t, n, "aten::gt", {counts(), c(0)}), c(1)});
    return {op(t, n, "aten::where", {filled, maxima, c(0.0)}), EValue::none(), EValue::none(), EValue::none()};
  }

  // multilabel_margin_loss(Tensor self [C] or [N, C], Tensor target (same
  // shape, int64), int reduction=Mean): each row's targets are the class
  // indices before its first -1; the loss of a row is
  //   sum over targets j, over classes i that are not targets, of
  //   max(0, 1 - (x[y_j] - x[i])), divided by C,
  // then reduced (0 none, 1 mean, 2 sum). Computed densely over every
  // (target slot, class) pair: [N, C, C].
  static std::vector<EValue> multilabel_margin_loss(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const FakeTensor& input = tensor(t, n, a, "self");
    const FakeTensor& target = tensor(t, n, a, "target");
    const int64_t reduction = constant_int(t, n, a, "reduction");
    if (input.shape.empty() || input.shape.size() > 2)
      t.fail("bad-argument", n.kind + ": input must be 1-d or 2-d, got shape " + shape_str(input.shape));
    if (target.shape.size() != input.shape.size())
      t.fail("bad-argument", n.kind + ": target must have the input's shape " + shape_str(input.shape) + ", got " +
                                 shape_str(target.shape));
    if (reduction < 0 || reduction > 2)
      t.fail("bad-argument", n.kind + ": reduction must be 0 (none), 1 (mean) or 2 (sum), got " + std::to_string(reduction));
    const EValue none = EValue::none();
    const EValue classes = t.sym_size(input, -1);
    const EValue y = a["target"];
    // A slot counts while no -1 came before it (or at it).
    const EValue ended = op(t, n, "aten::cumsum", {op(t, n, "aten::eq", {y, c(-1)}), c(-1), c(4)});
    const EValue valid = op(t, n, "aten::eq", {ended, c(0)});                       // [.., C slots]
    const EValue safe_y = op(t, n, "aten::where", {valid, y, c(0)});
    const EValue x = a["self"];
    const EValue at_target = op(t, n, "aten::gather", {x, c(-1), safe_y, c(false)});  // x[y_j]
    const EValue class_ids = op(t, n, "aten::arange", {classes, c(4), none, none, none});
    const EValue hits = op(t, n, "aten::logical_and", {op(t, n, "aten::eq", {op(t, n, "aten::unsqueeze", {safe_y, c(-1)}), class_ids}),
                                                      op(t, n, "aten::unsqueeze", {valid, c(-1)})});  // [.., slot, class]
    const EValue is_target = op(t, n, "aten::any", {hits, c(-2), c(false)});                    // [.., class]
    const EValue pairs = op(t, n, "aten::logical_and", {op(t, n, "aten::unsqueeze", {valid, c(-1)}),
                                                       op(t, n, "aten::unsqueeze", {op(t, n, "aten::logical_not", {is_target}), c(-2)})});
    const EValue margin = op(t, n, "aten::add", {op(t, n, "aten::sub", {op(t, n, "aten::unsqueeze", {x, c(-2)}),
                                                                       op(t, n, "aten::unsqueeze", {at_target, c(-1)}), c(1)}),
                                                c(1), c(1)});                                    // 1 - x[y_j] + x[i]
    const EValue hinge = op(t, n, "aten::clamp_min", {margin, c(0)});
    const EValue counted = op(t, n, "aten::where", {pairs, hinge, c(0.0)});
    const EValue summed = op(t, n, "aten::sum", {counted, c(nlohmann::json::array({-2, -1})), c(false), none});
    const EValue loss = op(t, n, "aten::div", {summed, classes});
    if (reduction == 0) return {loss};
    if (reduction == 1) return {op(t, n, "aten::mean", {loss, none})};
    return {op(t, n, "aten::sum", {loss, none})};
  }

  // lstm.input(input, hx, params, has_biases, num_layers, dropout, train,
  // bidirectional, batch_first): nn.LSTM(proj_size=P) passes five tensors a
  // layer and direction (w_ih, w_hh [4H, P], b_ih, b_hh, w_hr [P, H]; three
  // without biases), which ONNX's LSTM cannot take. Such a call is unrolled
  // step by step over a static number of steps (each step: the gates, the
  // cell, h = (o * tanh(c)) @ w_hr^T); every other call is the library's op.
  static std::vector<EValue> lstm(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const std::vector<EValue> raw = t.inputs_of(n);
    if (a.schema().overload != "input") return t.call_tensor_op(n, n.kind, raw);
    const EValue& params = a["params"];
    const bool biases = constant_bool(t, n, a, "has_biases");
    const int64_t layers = constant_int(t, n, a, "num_layers");
    const int64_t dirs = constant_bool(t, n, a, "bidirectional") ? 2 : 1;
    const size_t per_cell = biases ? 5 : 3;
    if (!params.is_sequence() || layers <= 0 || params.items->size() != per_cell * static_cast<size_t>(layers * dirs))
      return t.call_tensor_op(n, n.kind, raw);
    if (constant_bool(t, n, a, "train") && constant_number(t, n, a, "dropout") > 0)
      t.fail("unsupported-argument", n.kind + ": training-mode dropout between layers draws random numbers",
             "Export the module in eval mode (module.eval()).");
    const FakeTensor& input = tensor(t, n, a, "input");
    if (input.shape.size() != 3) t.fail("bad-argument", n.kind + ": input must be 3-d, got shape " + shape_str(input.shape));
    const bool batch_first = constant_bool(t, n, a, "batch_first");
    const Dim& steps_dim = input.shape[batch_first ? 1 : 0];
    if (!steps_dim.is_static())
      t.fail("unsupported-argument",
             n.kind + ": an LSTM with proj_size is unrolled step by step, which needs the number of steps known while "
                      "tracing; here it is the dynamic dim " + steps_dim.str(),
             "Declare the sequence dim static, or use an LSTM without proj_size.");
    const int64_t steps = steps_dim.value();
    if (steps * layers * dirs > 4096)
      t.fail("unsupported-argument", n.kind + ": an LSTM with proj_size over " + std::to_string(steps) +
                                         " steps would unroll into more than 4096 cell steps");
    const EValue& hx = a["hx"];
    if (!hx.is_sequence() || hx.items->size() != 2)
      t.fail("bad-argument", n.kind + ": hx must be (h0, c0), got a " + describe(hx));
    const EValue none = EValue::none();
    auto list = [&](std::vector<EValue> items) { return EValue::list(std::move(items), t.rewrite_depth_); };
    EValue layer_in = batch_first ? op(t, n, "aten::transpose", {a["input"], c(0), c(1)}) : a["input"];  // [T, B, F]
    std::vector<EValue> h_n, c_n;
    for (int64_t layer = 0; layer < layers; ++layer) {
      std::vector<EValue> directions;
      for (int64_t d = 0; d < dirs; ++d) {
        const size_t base = static_cast<size_t>(layer * dirs + d) * per_cell;
        const EList& p = *params.items;
        const EValue b_ih = biases ? p[base + 2] : none, b_hh = biases ? p[base + 3] : none;
        const EValue& w_hr = p[base + per_cell - 1];
        const int64_t slot = layer * dirs + d;
        EValue h = op(t, n, "aten::select", {(*hx.items)[0], c(0), c(slot)});
        EValue cell = op(t, n, "aten::select", {(*hx.items)[1], c(0), c(slot)});
        const EValue x_gates = op(t, n, "aten::linear", {layer_in, p[base], b_ih});  // [T, B, 4H]
        std::vector<EValue> outs(static_cast<size_t>(steps));
        for (int64_t s = 0; s < steps; ++s) {
          const int64_t time = d == 1 ? steps - 1 - s : s;
          const EValue gates = op(t, n, "aten::add", {op(t, n, "aten::select", {x_gates, c(0), c(time)}),
                                                     op(t, n, "aten::linear", {h, p[base + 1], b_hh}), c(1)});
          const std::vector<EValue> g = t.call_tensor_op(n, "aten::chunk", {gates, c(4), c(1)});
          if (g.size() != 4) t.fail("internal", n.kind + ": the gates did not split in 4");
          const EValue in_gate = op(t, n, "aten::sigmoid", {g[0]}), forget = op(t, n, "aten::sigmoid", {g[1]});
          const EValue candidate = op(t, n, "aten::tanh", {g[2]}), out_gate = op(t, n, "aten::sigmoid", {g[3]});
          cell = op(t, n, "aten::add", {op(t, n, "aten::mul", {forget, cell}), op(t, n, "aten::mul", {in_gate, candidate}), c(1)});
          const EValue full = op(t, n, "aten::mul", {out_gate, op(t, n, "aten::tanh", {cell})});
          h = op(t, n, "aten::linear", {full, w_hr, none});  // [B, P]
          outs[static_cast<size_t>(time)] = h;
        }
        directions.push_back(op(t, n, "aten::stack", {list(outs), c(0)}));
        h_n.push_back(h);
        c_n.push_back(cell);
      }
      layer_in = dirs == 2 ? op(t, n, "aten::cat", {list(directions), c(2)}) : directions[0];
    }
    const EValue output = batch_first ? op(t, n, "aten::transpose", {layer_in, c(0), c(1)}) : layer_in;
    return {output, op(t, n, "aten::stack", {list(h_n), c(0)}), op(t, n, "aten::stack", {list(c_n), c(0)})};
  }

  // Whether any node, block result or graph output of the program reads the value `name`.
  static bool program_reads(const Program& program, const std::string& name) {
    auto block_reads = [&](const ProgramBlock& b, auto& self) -> bool {
      for (const ProgramNode& node : b.nodes) {
        if (std::find(node.inputs.begin(), node.inputs.end(), name) != node.inputs.end()) return true;
        for (const ProgramBlock& sub : node.blocks)
          if (self(sub, self)) return true;
      }
      return std::find(b.outputs.begin(), b.outputs.end(), name) != b.outputs.end();
    };
    return block_reads(program.graph, block_reads);
  }

  // ---- breadth: ops PyTorch users call that are short formulas of library ops

  // beta * self + alpha * product, torch's way: beta == 0 leaves self out
  // (its NaNs too), a factor of 1 is no multiplication (so bools stay bools),
  // and on integer tensors a float beta or alpha is truncated to an integer
  // first (torch converts them to the tensors' type: beta=0.2 is 0; on bools
  // any nonzero factor is true).
  static EValue scaled_sum(Tracer& t, const ProgramNode& n, const NamedInputs& a, const EValue& product) {
    const DType self_dtype = tensor(t, n, a, "self").dtype;
    const bool integral = !is_floating(self_dtype) && !is_floating(product.tensor->dtype);
    const bool boolean = self_dtype == DType::Bool && product.tensor->dtype == DType::Bool;
    auto factor = [&](std::string_view name) -> EValue {
      const EValue& v = a[name];
      if (v.is_constant() && v.constant.is_boolean()) return c(v.constant.get<bool>() ? 1 : 0);
      if (boolean && v.is_constant() && v.constant.is_number()) return c(v.constant.get<double>() != 0 ? 1 : 0);  // as bool
      if (integral && v.is_constant() && v.constant.is_number_float())
        return c(static_cast<int64_t>(std::trunc(v.constant.get<double>())));
      return v;
    };
    auto is_number = [](const EValue& v, double x) {
      return v.is_constant() && v.constant.is_number() && v.constant.get<double>() == x;
    };
    const EValue beta = factor("beta"), alpha = factor("alpha");
    EValue right = is_number(alpha, 1) ? product : op(t, n, "aten::mul", {product, alpha});
    if (is_number(beta, 0)) {
      // self still takes part in broadcasting and type promotion, not in the values.
      const EValue none = EValue::none();
      return op(t, n, "aten::add", {op(t, n, "aten::zeros_like", {a["self"], none, none, none, none, none}), right, c(1)});
    }
    const EValue left = is_number(beta, 1) ? a["self"] : op(t, n, "aten::mul", {a["self"], beta});
    return op(t, n, "aten::add", {left, right, c(1)});
  }

  // addmv(self, mat, vec, *, beta=1, alpha=1) = beta self + alpha (mat @ vec)
  static std::vector<EValue> addmv(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    return {scaled_sum(t, n, a, op(t, n, "aten::mv", {a["mat"], a["vec"]}))};
  }
  // addr(self, vec1, vec2, *, beta=1, alpha=1) = beta self + alpha outer(vec1, vec2)
  static std::vector<EValue> addr(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    return {scaled_sum(t, n, a, op(t, n, "aten::outer", {a["vec1"], a["vec2"]}))};
  }
  // addbmm(self, batch1, batch2, *, beta=1, alpha=1) = beta self + alpha sum_b(batch1[b] @ batch2[b])
  static std::vector<EValue> addbmm(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const EValue products = op(t, n, "aten::bmm", {a["batch1"], a["batch2"]});
    const EValue summed = op(t, n, "aten::sum", {products, c(nlohmann::json::array({0})), c(false), EValue::none()});
    return {scaled_sum(t, n, a, summed)};
  }
  // addcdiv(self, tensor1, tensor2, *, value=1) = self + value * tensor1 / tensor2
  static std::vector<EValue> addcdiv(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    EValue quotient = op(t, n, "aten::div", {a["tensor1"], a["tensor2"]});
    const EValue& value = a["value"];
    if (!(value.is_constant() && value.constant.is_number() && value.constant.get<double>() == 1.0))
      quotient = op(t, n, "aten::mul", {quotient, value});
    return {op(t, n, "aten::add", {a["self"], quotient, c(1)})};
  }
  // vdot(self, other): dot of real vectors.
  static std::vector<EValue> vdot(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    return {op(t, n, "aten::dot", {a["self"], a["other"]})};
  }
  // inner(self, other): the last dims contracted; a 0-d operand multiplies.
  static std::vector<EValue> inner(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    if (tensor(t, n, a, "self").shape.empty() || tensor(t, n, a, "other").shape.empty())
      return {op(t, n, "aten::mul", {a["self"], a["other"]})};
    return {op(t, n, "aten::tensordot", {a["self"], a["other"], c(nlohmann::json::array({-1})), c(nlohmann::json::array({-1}))})};
  }
  // trace(self) = the sum of the main diagonal of a matrix.
  static std::vector<EValue> trace(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    if (tensor(t, n, a, "self").shape.size() != 2)
      t.fail("bad-argument", n.kind + ": expected a matrix, got shape " + shape_str(tensor(t, n, a, "self").shape));
    return {op(t, n, "aten::sum", {op(t, n, "aten::diagonal", {a["self"], c(0), c(0), c(1)}), EValue::none()})};
  }

  // ravel(self) = reshape(self, [-1]); broadcast_to(self, size) = expand.
  static std::vector<EValue> ravel(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    return {op(t, n, "aten::reshape", {a["self"], c(nlohmann::json::array({-1}))})};
  }
  static std::vector<EValue> broadcast_to(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    return {op(t, n, "aten::expand", {a["self"], a["size"], c(false)})};
  }
  // narrow_copy = narrow; real / conj on real tensors = the tensor; argwhere = nonzero.
  static std::vector<EValue> narrow_copy(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    return {op(t, n, "aten::narrow", {a["self"], a["dim"], a["start"], a["length"]})};
  }
  static std::vector<EValue> argwhere(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    if (!tensor(t, n, a, "self").shape.empty()) return {t.nonzero_value(a["self"])};
    // A 0-d input: [1, 0] or [0, 0] (one row per nonzero, no index columns).
    const EValue rows = t.nonzero_value(op(t, n, "aten::reshape", {a["self"], c(nlohmann::json::array({1}))}));
    return {op(t, n, "aten::slice", {rows, c(1), c(0), c(0), c(1)})};
  }
  // msort(self) = sort(self, dim=0).values
  static std::vector<EValue> msort(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    if (tensor(t, n, a, "self").dtype != DType::Bool) return {t.call_tensor_op(n, "aten::sort", {a["self"], c(0), c(false)})[0]};
    // Bools sort as 0 / 1 (ONNX's TopK takes no bool).
    const EValue as_int = op(t, n, "aten::to", {a["self"], c(3), c(false), c(false)});
    return {op(t, n, "aten::to", {t.call_tensor_op(n, "aten::sort", {as_int, c(0), c(false)})[0], c(11), c(false), c(false)})};
  }

  // fliplr / flipud / rot90(self, k=1, dims=[0, 1]).
  template <int Dim>
  static std::vector<EValue> flip_dim(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const int64_t rank = static_cast<int64_t>(tensor(t, n, a, "self").shape.size());
    if (rank < Dim + 1)
      t.fail("bad-argument", n.kind + ": input must be at least " + std::to_string(Dim + 1) + "-d, got " + std::to_string(rank) + "-d");
    return {op(t, n, "aten::flip", {a["self"], c(nlohmann::json::array({Dim}))})};
  }
  static std::vector<EValue> rot90(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const int64_t rank = static_cast<int64_t>(tensor(t, n, a, "self").shape.size());
    const std::optional<nlohmann::json> dims = as_constant_json(a["dims"]);
    if (!dims || !dims->is_array() || dims->size() != 2)
      t.fail("bad-argument", n.kind + ": dims must be two ints known while tracing");
    int64_t d0 = (*dims)[0].get<int64_t>(), d1 = (*dims)[1].get<int64_t>();
    if (d0 < 0) d0 += rank;
    if (d1 < 0) d1 += rank;
    if (rank < 2 || d0 < 0 || d1 < 0 || d0 >= rank || d1 >= rank || d0 == d1)
      t.fail("bad-argument", n.kind + ": dims must be two different dims of a tensor of at least 2 dims");
    const int64_t k = ((constant_int(t, n, a, "k") % 4) + 4) % 4;
    const EValue x = a["self"];
    if (k == 0) return {op(t, n, "aten::clone", {x, EValue::none()})};
    if (k == 2) return {op(t, n, "aten::flip", {x, c(nlohmann::json::array({d0, d1}))})};
    const int64_t flipped = k == 1 ? d1 : d0;
    return {op(t, n, "aten::transpose", {op(t, n, "aten::flip", {x, c(nlohmann::json::array({flipped}))}), c(d0), c(d1)})};
  }

  // hstack / vstack / dstack / column_stack(Tensor[] tensors): each tensor
  // raised to the rank the stacking needs (as atleast_1d/2d/3d, or [n] ->
  // [n, 1] for column_stack), then concatenated.
  static EValue at_least(Tracer& t, const ProgramNode& n, const EValue& x, int64_t rank, bool column) {
    if (!x.is_tensor()) t.fail("bad-argument", n.kind + ": expected a list of tensors, got a " + describe(x) + " in it");
    const int64_t r = static_cast<int64_t>(x.tensor->shape.size());
    if (r >= rank) return x;
    if (column) return op(t, n, "aten::reshape", {x, c(nlohmann::json::array({-1, 1}))});
    if (r == 0) {
      nlohmann::json ones = nlohmann::json::array();
      for (int64_t d = 0; d < rank; ++d) ones.push_back(1);
      return op(t, n, "aten::reshape", {x, c(ones)});
    }
    // atleast_2d: [n] -> [1, n]; atleast_3d: [n] -> [1, n, 1], [m, n] -> [m, n, 1].
    if (r == 1) {
      const EValue row = op(t, n, "aten::unsqueeze", {x, c(0)});
      return rank == 2 ? row : op(t, n, "aten::unsqueeze", {row, c(2)});
    }
    return op(t, n, "aten::unsqueeze", {x, c(2)});
  }
  static std::vector<EValue> stack_family(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const EValue& list = a["tensors"];
    if (!list.is_sequence() || list.items->empty())
      t.fail("bad-argument", n.kind + ": expected a non-empty list of tensors, got a " + describe(list));
    const bool column = n.kind == "aten::column_stack";
    const int64_t rank = n.kind == "aten::hstack" ? 1 : n.kind == "aten::dstack" ? 3 : 2;
    EList parts;
    for (const EValue& x : *list.items) parts.push_back(at_least(t, n, x, rank, column));
    int64_t dim = n.kind == "aten::vstack" ? 0 : n.kind == "aten::dstack" ? 2 : 1;
    if (n.kind == "aten::hstack" && parts[0].tensor->shape.size() == 1) dim = 0;
    return {op(t, n, "aten::cat", {EValue::list(std::move(parts), t.rewrite_depth_), c(dim)})};
  }
  // hsplit / vsplit / dsplit(self, int sections | int[] indices) = tensor_split
  // along dim 1 (0 for a 1-d hsplit), 0, 2; sections must divide the size.
  static std::vector<EValue> split_family(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const FakeTensor& self = tensor(t, n, a, "self");
    const int64_t rank = static_cast<int64_t>(self.shape.size());
    const int64_t need = n.kind == "aten::hsplit" ? 1 : n.kind == "aten::vsplit" ? 2 : 3;
    if (rank < need)
      t.fail("bad-argument", n.kind + ": input must be at least " + std::to_string(need) + "-d, got shape " + shape_str(self.shape));
    const int64_t dim = n.kind == "aten::hsplit" ? (rank == 1 ? 0 : 1) : n.kind == "aten::vsplit" ? 0 : 2;
    if (a.schema().argument_index("sections")) {
      const int64_t sections = constant_int(t, n, a, "sections");
      const Dim& size = self.shape[static_cast<size_t>(dim)];
      if (sections <= 0 || (size.is_static() && size.value() % sections != 0))
        t.fail("bad-argument", n.kind + ": " + std::to_string(sections) + " sections do not divide dim " + std::to_string(dim) +
                                   " of shape " + shape_str(self.shape) + " evenly");
      return t.call_tensor_op(n, "aten::tensor_split", {a["self"], c(sections), c(dim)});
    }
    return t.call_tensor_op(n, "aten::tensor_split", {a["self"], a["indices"], c(dim)});
  }

  // diag_embed(self, offset=0, dim1=-2, dim2=-1) for the default dims:
  // out[..., i, j] = w[..., i] where j - i == offset, else 0, with w = self
  // padded by |offset| zeros after (offset >= 0) or before (offset < 0).
  static EValue embed_diagonal(Tracer& t, const ProgramNode& n, const EValue& self, int64_t offset) {
    const int64_t k = offset < 0 ? -offset : offset;
    const EValue w = k == 0 ? self
                            : op(t, n, "aten::constant_pad_nd",
                                 {self, c(offset >= 0 ? nlohmann::json::array({0, k}) : nlohmann::json::array({k, 0})), c(0)});
    const FakeTensor& wt = *w.tensor;
    const EValue m = t.sym_size(wt, static_cast<int64_t>(wt.shape.size()) - 1);
    const EValue index = op(t, n, "aten::arange", {m, c(4), EValue::none(), EValue::none(), EValue::none()});
    const EValue gap = op(t, n, "aten::sub", {op(t, n, "aten::unsqueeze", {index, c(0)}), op(t, n, "aten::unsqueeze", {index, c(1)}), c(1)});
    const EValue on_diagonal = op(t, n, "aten::eq", {gap, c(offset)});  // [m, m]: column - row == offset
    const EValue values = op(t, n, "aten::unsqueeze", {w, c(-1)});      // [..., m, 1]: row i holds w[i]
    const EValue zero = op(t, n, "aten::zeros_like", {values, EValue::none(), EValue::none(), EValue::none(), EValue::none(), EValue::none()});
    return op(t, n, "aten::where", {on_diagonal, values, zero});
  }
  static std::vector<EValue> diag_embed(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const FakeTensor& self = tensor(t, n, a, "self");
    const int64_t out_rank = static_cast<int64_t>(self.shape.size()) + 1;
    int64_t d1 = constant_int(t, n, a, "dim1"), d2 = constant_int(t, n, a, "dim2");
    if (d1 < 0) d1 += out_rank;
    if (d2 < 0) d2 += out_rank;
    if (self.shape.empty()) t.fail("bad-argument", n.kind + ": input must be at least 1-d");
    if (d1 != out_rank - 2 || d2 != out_rank - 1)
      t.fail("unsupported-argument", n.kind + ": only the last two dims (dim1=-2, dim2=-1) are supported, got dim1=" +
                                         std::to_string(constant_int(t, n, a, "dim1")) + ", dim2=" +
                                         std::to_string(constant_int(t, n, a, "dim2")));
    return {embed_diagonal(t, n, a["self"], constant_int(t, n, a, "offset"))};
  }
  // diag(self, diagonal=0): a vector's diagonal matrix, or a matrix's diagonal.
  static std::vector<EValue> diag(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const FakeTensor& self = tensor(t, n, a, "self");
    const int64_t offset = constant_int(t, n, a, "diagonal");
    if (self.shape.size() == 1) return {embed_diagonal(t, n, a["self"], offset)};
    if (self.shape.size() != 2) t.fail("bad-argument", n.kind + ": input must be 1-d or 2-d, got shape " + shape_str(self.shape));
    return {op(t, n, "aten::clone", {op(t, n, "aten::diagonal", {a["self"], c(offset), c(0), c(1)}), EValue::none()})};
  }
  // diagflat(self, offset=0) = diag of the flattened input.
  static std::vector<EValue> diagflat(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    tensor(t, n, a, "self");
    const EValue flat = op(t, n, "aten::reshape", {a["self"], c(nlohmann::json::array({-1}))});
    return {embed_diagonal(t, n, flat, constant_int(t, n, a, "offset"))};
  }

  // count_nonzero(self, dim?) / count_nonzero.dim_IntList(self, dim[]) -> int64.
  static std::vector<EValue> count_nonzero(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const EValue nonzero = op(t, n, "aten::to", {op(t, n, "aten::ne", {a["self"], c(0)}), c(4), c(false), c(false)});
    if (a.is_none("dim")) return {op(t, n, "aten::sum", {nonzero, EValue::none()})};
    EValue dims = a["dim"];
    if (dims.is_constant() && dims.constant.is_number_integer()) dims = c(nlohmann::json::array({dims.constant}));
    return {op(t, n, "aten::sum", {nonzero, dims, c(false), EValue::none()})};
  }
  // nansum / nanmean(self, dim?, keepdim, *, dtype?): NaNs count as 0 (nansum)
  // or not at all (nanmean).
  static std::vector<EValue> nan_reduction(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const EValue x = a["self"];
    const EValue nan = op(t, n, "aten::isnan", {x});
    const EValue kept = op(t, n, "aten::where", {nan, c(0), x});
    const EValue dims = a.is_none("dim") ? c(nlohmann::json::array()) : a["dim"];
    const EValue total = op(t, n, "aten::sum", {kept, dims, a["keepdim"], a["dtype"]});
    if (n.kind == "aten::nansum") return {total};
    const EValue count = op(t, n, "aten::sum", {op(t, n, "aten::logical_not", {nan}), dims, a["keepdim"], c(4)});
    return {op(t, n, "aten::div", {total, count})};
  }
  // isclose(self, other, rtol, atol, equal_nan): |a - b| <= atol + rtol |b|,
  // or a == b (equal infinities); NaNs equal when equal_nan. Bools: a == b.
  static std::vector<EValue> isclose(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const EValue equal = op(t, n, "aten::eq", {a["self"], a["other"]});
    if (tensor(t, n, a, "self").dtype == DType::Bool) return {equal};
    const EValue gap = op(t, n, "aten::abs", {op(t, n, "aten::sub", {a["self"], a["other"], c(1)})});
    const EValue bound = op(t, n, "aten::add", {op(t, n, "aten::mul", {op(t, n, "aten::abs", {a["other"]}), a["rtol"]}), a["atol"], c(1)});
    // |a - b| of unequal infinities is inf or NaN, never within a finite bound.
    EValue close = op(t, n, "aten::logical_or", {equal, op(t, n, "aten::le", {gap, bound})});
    if (constant_bool(t, n, a, "equal_nan"))
      close = op(t, n, "aten::logical_or",
                 {close, op(t, n, "aten::logical_and", {op(t, n, "aten::isnan", {a["self"]}), op(t, n, "aten::isnan", {a["other"]})})});
    return {close};
  }
  // heaviside(self, values): 0 below 0, values at 0, 1 above.
  static std::vector<EValue> heaviside(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const FakeTensor& self = tensor(t, n, a, "self");
    const EValue step = op(t, n, "aten::to", {op(t, n, "aten::gt", {a["self"], c(0)}), c(dtype_to_torch_code(self.dtype)), c(false), c(false)});
    return {op(t, n, "aten::where", {op(t, n, "aten::eq", {a["self"], c(0)}), a["values"], step})};
  }
  // float_power(self, exponent): pow in float64.
  static std::vector<EValue> float_power(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    auto as_double = [&](const EValue& v) { return v.is_tensor() ? op(t, n, "aten::to", {v, c(7), c(false), c(false)}) : v; };
    EValue base = as_double(a["self"]);
    const EValue exponent = as_double(a["exponent"]);
    if (!base.is_tensor() && !exponent.is_tensor()) t.fail("bad-argument", n.kind + ": needs a tensor operand");
    if (!base.is_tensor()) {  // float_power.Scalar(Scalar self, Tensor exponent)
      base = op(t, n, "aten::full_like", {exponent, base, EValue::none(), EValue::none(), EValue::none(), EValue::none(), EValue::none()});
    }
    return {op(t, n, "aten::pow", {base, exponent})};
  }
  // ldexp(self, other) = self * 2 ** other
  static std::vector<EValue> ldexp(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    return {op(t, n, "aten::mul", {a["self"], op(t, n, "aten::exp2", {a["other"]})})};
  }
  // diff(self, n=1, dim=-1, prepend?, append?): x[1:] - x[:-1] along dim, n
  // times, after prepend/append are concatenated; bools give x[1:] != x[:-1].
  static std::vector<EValue> diff(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const int64_t times = constant_int(t, n, a, "n");
    if (times < 0) t.fail("bad-argument", n.kind + ": n must be non-negative, got " + std::to_string(times));
    const int64_t dim = constant_int(t, n, a, "dim");
    EList parts;
    if (!a.is_none("prepend")) parts.push_back(a["prepend"]);
    parts.push_back(a["self"]);
    if (!a.is_none("append")) parts.push_back(a["append"]);
    EValue x = parts.size() == 1 ? a["self"] : op(t, n, "aten::cat", {EValue::list(std::move(parts), t.rewrite_depth_), c(dim)});
    const bool is_bool = x.tensor->dtype == DType::Bool;
    for (int64_t i = 0; i < times; ++i) {
      const EValue later = op(t, n, "aten::slice", {x, c(dim), c(1), EValue::none(), c(1)});
      const EValue earlier = op(t, n, "aten::slice", {x, c(dim), c(0), c(-1), c(1)});
      x = is_bool ? op(t, n, "aten::ne", {later, earlier}) : op(t, n, "aten::sub", {later, earlier, c(1)});
    }
    return {times == 0 ? op(t, n, "aten::clone", {x, EValue::none()}) : x};
  }
  // kron(self, other) of static shapes: a [a0, 1, a1, 1, ...] times
  // b [1, b0, 1, b1, ...], reshaped to [a0 b0, a1 b1, ...] (the lower rank
  // padded with leading 1s).
  static std::vector<EValue> kron(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const FakeTensor& x = tensor(t, n, a, "self");
    const FakeTensor& y = tensor(t, n, a, "other");
    const size_t rank = std::max(x.shape.size(), y.shape.size());
    std::vector<int64_t> xs(rank, 1), ys(rank, 1);
    for (size_t i = 0; i < x.shape.size(); ++i) {
      if (!x.shape[i].is_static()) t.fail("unsupported-argument", n.kind + ": dynamic shapes are not supported, got " + shape_str(x.shape));
      xs[rank - x.shape.size() + i] = x.shape[i].value();
    }
    for (size_t i = 0; i < y.shape.size(); ++i) {
      if (!y.shape[i].is_static()) t.fail("unsupported-argument", n.kind + ": dynamic shapes are not supported, got " + shape_str(y.shape));
      ys[rank - y.shape.size() + i] = y.shape[i].value();
    }
    nlohmann::json x_shape = nlohmann::json::array(), y_shape = nlohmann::json::array(), out = nlohmann::json::array();
    for (size_t i = 0; i < rank; ++i) {
      x_shape.push_back(xs[i]);
      x_shape.push_back(1);
      y_shape.push_back(1);
      y_shape.push_back(ys[i]);
      out.push_back(xs[i] * ys[i]);
    }
    const EValue product = op(t, n, "aten::mul", {op(t, n, "aten::reshape", {a["self"], c(x_shape)}),
                                                  op(t, n, "aten::reshape", {a["other"], c(y_shape)})});
    return {op(t, n, "aten::reshape", {product, c(out)})};
  }
  // trapz / trapezoid(y, x | dx, dim=-1): the sum of (y[i+1] + y[i]) / 2 times
  // the spacing (dx, or x[i+1] - x[i]).
  static std::vector<EValue> trapezoid(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const int64_t dim = constant_int(t, n, a, "dim");
    const EValue y = a["y"];
    const EValue later = op(t, n, "aten::slice", {y, c(dim), c(1), EValue::none(), c(1)});
    const EValue earlier = op(t, n, "aten::slice", {y, c(dim), c(0), c(-1), c(1)});
    EValue areas = op(t, n, "aten::div", {op(t, n, "aten::add", {later, earlier, c(1)}), c(2)});
    if (a.schema().argument_index("x")) {
      const FakeTensor& x = tensor(t, n, a, "x");
      const int64_t x_dim = x.shape.size() == 1 ? 0 : dim;
      const EValue spacing = op(t, n, "aten::sub", {op(t, n, "aten::slice", {a["x"], c(x_dim), c(1), EValue::none(), c(1)}),
                                                   op(t, n, "aten::slice", {a["x"], c(x_dim), c(0), c(-1), c(1)}), c(1)});
      if (x.shape.size() == 1 && tensor(t, n, a, "y").shape.size() > 1) {
        // A 1-d x runs along dim: shaped to broadcast there.
        const int64_t rank = static_cast<int64_t>(tensor(t, n, a, "y").shape.size());
        const int64_t d = dim < 0 ? dim + rank : dim;
        nlohmann::json shape = nlohmann::json::array();
        for (int64_t i = 0; i < rank; ++i) shape.push_back(i == d ? -1 : 1);
        areas = op(t, n, "aten::mul", {areas, op(t, n, "aten::reshape", {spacing, c(shape)})});
      } else {
        areas = op(t, n, "aten::mul", {areas, spacing});
      }
    } else {
      areas = op(t, n, "aten::mul", {areas, a["dx"]});
    }
    return {op(t, n, "aten::sum", {areas, c(nlohmann::json::array({dim})), c(false), EValue::none()})};
  }

  // ---- losses: reduction 0 none, 1 mean, 2 sum
  static EValue reduced(Tracer& t, const ProgramNode& n, const NamedInputs& a, const EValue& loss) {
    const int64_t reduction = constant_int(t, n, a, "reduction");
    if (reduction == 0) return loss;
    if (reduction == 1) return op(t, n, "aten::mean", {loss, EValue::none()});
    if (reduction == 2) return op(t, n, "aten::sum", {loss, EValue::none()});
    t.fail("bad-argument", n.kind + ": reduction must be 0 (none), 1 (mean) or 2 (sum), got " + std::to_string(reduction));
  }
  // margin_ranking_loss(input1, input2, target, margin=0, reduction=1) = max(0, -target (x1 - x2) + margin)
  static std::vector<EValue> margin_ranking_loss(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const EValue gap = op(t, n, "aten::sub", {a["input1"], a["input2"], c(1)});
    const EValue raw = op(t, n, "aten::add", {op(t, n, "aten::mul", {op(t, n, "aten::neg", {a["target"]}), gap}), a["margin"], c(1)});
    return {reduced(t, n, a, op(t, n, "aten::clamp_min", {raw, c(0)}))};
  }
  // soft_margin_loss(self, target, reduction=1) = log(1 + exp(-target x))
  static std::vector<EValue> soft_margin_loss(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const EValue z = op(t, n, "aten::mul", {op(t, n, "aten::neg", {a["target"]}), a["self"]});
    return {reduced(t, n, a, op(t, n, "aten::log1p", {op(t, n, "aten::exp", {z})}))};
  }
  // hinge_embedding_loss(self, target, margin=1, reduction=1): x where
  // target != -1, plus max(0, margin - x) where target != 1 (torch's formula).
  static std::vector<EValue> hinge_embedding_loss(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const EValue x = a["self"];
    const EValue zeros = op(t, n, "aten::zeros_like", {x, EValue::none(), EValue::none(), EValue::none(), EValue::none(), EValue::none()});
    const EValue margin_part = op(t, n, "aten::where", {op(t, n, "aten::ne", {a["target"], c(1)}),
                                                       op(t, n, "aten::clamp_min", {op(t, n, "aten::rsub", {x, a["margin"], c(1)}), c(0)}), zeros});
    const EValue self_part = op(t, n, "aten::where", {op(t, n, "aten::ne", {a["target"], c(-1)}), x, zeros});
    return {reduced(t, n, a, op(t, n, "aten::add", {margin_part, self_part, c(1)}))};
  }
  // poisson_nll_loss(input, target, log_input, full, eps, reduction):
  // exp(x) - y x, or x - y log(x + eps); full adds Stirling's term
  // y log y - y + log(2 pi y) / 2 where y > 1.
  static std::vector<EValue> poisson_nll_loss(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const EValue x = a["input"], y = a["target"];
    EValue loss = constant_bool(t, n, a, "log_input")
                      ? op(t, n, "aten::sub", {op(t, n, "aten::exp", {x}), op(t, n, "aten::mul", {y, x}), c(1)})
                      : op(t, n, "aten::sub", {x, op(t, n, "aten::mul", {y, op(t, n, "aten::log", {op(t, n, "aten::add", {x, a["eps"], c(1)})})}), c(1)});
    if (constant_bool(t, n, a, "full")) {
      const EValue ylogy = op(t, n, "aten::mul", {y, op(t, n, "aten::log", {y})});
      const EValue half_log = op(t, n, "aten::mul", {op(t, n, "aten::log", {op(t, n, "aten::mul", {y, c(2.0 * std::numbers::pi)})}), c(0.5)});
      const EValue stirling = op(t, n, "aten::add", {op(t, n, "aten::sub", {ylogy, y, c(1)}), half_log, c(1)});
      loss = op(t, n, "aten::add", {loss, op(t, n, "aten::where", {op(t, n, "aten::gt", {y, c(1)}), stirling, c(0.0)}), c(1)});
    }
    return {reduced(t, n, a, loss)};
  }
  // cosine_embedding_loss(input1, input2, target, margin=0, reduction=1):
  // 1 - cos where target == 1, max(0, cos - margin) where target == -1; cos
  // over the last dim with torch's 1e-12 added to each squared magnitude.
  static std::vector<EValue> cosine_embedding_loss(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const EValue x1 = a["input1"], x2 = a["input2"];
    const EValue last = c(nlohmann::json::array({-1}));
    auto sum_last = [&](const EValue& v) { return op(t, n, "aten::sum", {v, last, c(false), EValue::none()}); };
    const EValue dot = sum_last(op(t, n, "aten::mul", {x1, x2}));
    const EValue m1 = op(t, n, "aten::add", {sum_last(op(t, n, "aten::mul", {x1, x1})), c(1e-12), c(1)});
    const EValue m2 = op(t, n, "aten::add", {sum_last(op(t, n, "aten::mul", {x2, x2})), c(1e-12), c(1)});
    const EValue cos = op(t, n, "aten::div", {dot, op(t, n, "aten::sqrt", {op(t, n, "aten::mul", {m1, m2})})});
    const EValue zeros = op(t, n, "aten::zeros_like", {cos, EValue::none(), EValue::none(), EValue::none(), EValue::none(), EValue::none()});
    const EValue positive = op(t, n, "aten::where", {op(t, n, "aten::eq", {a["target"], c(1)}), op(t, n, "aten::rsub", {cos, c(1), c(1)}), zeros});
    const EValue negative = op(t, n, "aten::where", {op(t, n, "aten::eq", {a["target"], c(-1)}),
                                                    op(t, n, "aten::clamp_min", {op(t, n, "aten::sub", {cos, a["margin"], c(1)}), c(0)}), zeros});
    return {reduced(t, n, a, op(t, n, "aten::add", {positive, negative, c(1)}))};
  }

  // _unique2(self, sorted, return_inverse, return_counts) / unique_dim(self,
  // dim, sorted, return_inverse, return_counts) -> (values, inverse, counts).
  // The number of distinct values (slices along dim) is data: a fresh
  // unbacked size u, as nonzero's. The values come out sorted: torch's CPU
  // kernel always sorts (sorted=False leaves the order unspecified). As in
  // torch, _unique2's inverse and counts are empty ([0]) unless asked for;
  // unique_dim always gives both.
  static std::vector<EValue> unique(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const FakeTensor& self = tensor(t, n, a, "self");
    const bool flat = n.kind == "aten::_unique2";
    const bool inverse = constant_bool(t, n, a, "return_inverse");
    const bool counts = constant_bool(t, n, a, "return_counts");
    const bool sorted = constant_bool(t, n, a, "sorted");
    const int64_t rank = static_cast<int64_t>(self.shape.size());
    int64_t dim = 0;
    if (!flat) {
      dim = constant_int(t, n, a, "dim");
      if (dim < 0) dim += rank;
      if (dim < 0 || dim >= rank)
        t.fail("bad-argument", n.kind + ": dim " + std::to_string(constant_int(t, n, a, "dim")) + " is out of range for shape " +
                                   shape_str(self.shape));
    }
    const Dim distinct = Dim::symbol("u" + std::to_string(t.unbacked_++));
    Shape values_shape = flat ? Shape{distinct} : self.shape;
    if (!flat) values_shape[static_cast<size_t>(dim)] = distinct;
    const Shape inverse_shape = !flat ? Shape{self.shape[static_cast<size_t>(dim)]} : inverse ? self.shape : Shape{Dim(0)};
    const Shape counts_shape = !flat || counts ? Shape{distinct} : Shape{Dim(0)};
    Node node;
    node.op = n.kind;
    node.inputs = {Arg::of(self.id)};
    if (!flat) node.inputs.push_back(Arg::of_constant(dim));
    for (bool flag : {sorted, inverse, counts}) node.inputs.push_back(Arg::of_constant(flag));
    const ValueId values = t.new_value("unique", self.dtype, values_shape);
    const ValueId inverse_id = t.new_value("unique_inverse", DType::Int64, inverse_shape);
    const ValueId counts_id = t.new_value("unique_counts", DType::Int64, counts_shape);
    node.outputs = {values, inverse_id, counts_id};
    node.prov = t.provenance();
    t.emit(std::move(node));
    return {EValue::of_tensor(FakeTensor{values, self.dtype, values_shape, std::nullopt, {}}),
            EValue::of_tensor(FakeTensor{inverse_id, DType::Int64, inverse_shape, std::nullopt, {}}),
            EValue::of_tensor(FakeTensor{counts_id, DType::Int64, counts_shape, std::nullopt, {}})};
  }

  // tile(self, dims) = repeat with dims padded by leading 1s to the input's rank.
  static std::vector<EValue> tile(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const size_t rank = tensor(t, n, a, "self").shape.size();
    const std::optional<nlohmann::json> dims = as_constant_json(a["dims"]);
    if (!dims || !dims->is_array()) t.fail("unsupported-argument", n.kind + ": dims must be ints known while tracing");
    nlohmann::json repeats = nlohmann::json::array();
    for (size_t i = dims->size(); i < rank; ++i) repeats.push_back(1);
    for (const auto& d : *dims) repeats.push_back(d);
    if (repeats.empty()) return {op(t, n, "aten::clone", {a["self"], EValue::none()})};  // a 0-d tensor, no dims
    return {op(t, n, "aten::repeat", {a["self"], c(repeats)})};
  }
  // take_along_dim(self, indices, dim=None): gather on the flattened tensors,
  // or along dim after self and indices are broadcast in every other dim
  // (equal dims, dynamic ones too, or static sizes).
  static std::vector<EValue> take_along_dim(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const FakeTensor& self = tensor(t, n, a, "self");
    const FakeTensor& indices = tensor(t, n, a, "indices");
    const nlohmann::json flat = nlohmann::json::array({-1});
    if (a.is_none("dim"))
      return {op(t, n, "aten::gather", {op(t, n, "aten::reshape", {a["self"], c(flat)}), c(0),
                                        op(t, n, "aten::reshape", {a["indices"], c(flat)}), c(false)})};
    const int64_t rank = static_cast<int64_t>(self.shape.size());
    if (static_cast<int64_t>(indices.shape.size()) != rank)
      t.fail("bad-argument", n.kind + ": self and indices must have the same number of dims, got shapes " + shape_str(self.shape) +
                                 " and " + shape_str(indices.shape));
    int64_t dim = constant_int(t, n, a, "dim");
    if (dim < 0) dim += rank;
    if (dim < 0 || dim >= rank) t.fail("bad-argument", n.kind + ": dim out of range for shape " + shape_str(self.shape));
    nlohmann::json self_shape = nlohmann::json::array(), index_shape = nlohmann::json::array();
    for (int64_t d = 0; d < rank; ++d) {
      const Dim& s = self.shape[static_cast<size_t>(d)];
      const Dim& i = indices.shape[static_cast<size_t>(d)];
      if (d != dim && s == i) {  // the same size (a dynamic one too): nothing to broadcast
        self_shape.push_back(-1);
        index_shape.push_back(-1);
        continue;
      }
      if (!s.is_static() || !i.is_static())
        t.fail("unsupported-argument", n.kind + ": dynamic shapes are not supported, got " + shape_str(self.shape) + " and " +
                                           shape_str(indices.shape));
      if (d == dim) {
        self_shape.push_back(s.value());
        index_shape.push_back(i.value());
        continue;
      }
      if (s.value() != i.value() && s.value() != 1 && i.value() != 1)
        t.fail("bad-argument", n.kind + ": shapes " + shape_str(self.shape) + " and " + shape_str(indices.shape) +
                                   " do not broadcast outside dim " + std::to_string(dim));
      const int64_t both = std::max(s.value(), i.value());
      self_shape.push_back(both);
      index_shape.push_back(both);
    }
    const EValue x = op(t, n, "aten::expand", {a["self"], c(self_shape), c(false)});
    const EValue index = op(t, n, "aten::expand", {a["indices"], c(index_shape), c(false)});
    return {op(t, n, "aten::gather", {x, c(dim), index, c(false)})};
  }
  // cartesian_prod(tensors) = the meshgrid (ij) of the vectors, flattened and
  // stacked as columns; one vector is itself.
  static std::vector<EValue> cartesian_prod(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const EValue& list = a["tensors"];
    if (!list.is_sequence() || list.items->empty()) t.fail("bad-argument", n.kind + ": expected a non-empty list of tensors");
    if (list.items->size() == 1) return {op(t, n, "aten::clone", {(*list.items)[0], EValue::none()})};
    const std::vector<EValue> grids = t.call_tensor_op(n, "aten::meshgrid", {list, c("ij")});
    EList columns;
    for (const EValue& g : grids) columns.push_back(op(t, n, "aten::reshape", {g, c(nlohmann::json::array({-1}))}));
    return {op(t, n, "aten::stack", {EValue::list(std::move(columns), t.rewrite_depth_), c(1)})};
  }
  // special_xlog1py(self, other) = self * log1p(other), 0 where self is 0 unless other is NaN.
  static std::vector<EValue> xlog1py(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    if (!a["other"].is_tensor()) t.fail("unsupported-argument", n.kind + ": a Python number as `other` is not supported");
    const EValue other = a["other"];
    const EValue product = op(t, n, "aten::mul", {a["self"], op(t, n, "aten::log1p", {other})});
    const EValue zero_self = a["self"].is_tensor() ? op(t, n, "aten::eq", {a["self"], c(0)}) : EValue::none();
    EValue r = product;
    if (!zero_self.is_none()) r = op(t, n, "aten::where", {zero_self, c(0.0), product});
    else if (a["self"].is_constant() && a["self"].constant.is_number() && a["self"].constant.get<double>() == 0.0)
      r = op(t, n, "aten::mul", {product, c(0.0)});
    return {op(t, n, "aten::where", {op(t, n, "aten::isnan", {other}), other, r})};
  }
  // special_ndtr(x) = the standard normal CDF = erfc(-x / sqrt 2) / 2.
  static std::vector<EValue> ndtr(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const EValue scaled = op(t, n, "aten::mul", {a["self"], c(-1.0 / std::numbers::sqrt2)});
    return {op(t, n, "aten::mul", {op(t, n, "aten::erfc", {scaled}), c(0.5)})};
  }
  // fft_fftshift / fft_ifftshift(self, dim=None): roll each dim (all by
  // default) by size // 2 (ifftshift: back by it); static sizes.
  static std::vector<EValue> fftshift(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const FakeTensor& self = tensor(t, n, a, "self");
    const int64_t rank = static_cast<int64_t>(self.shape.size());
    std::vector<int64_t> dims;
    if (a.is_none("dim")) {
      for (int64_t d = 0; d < rank; ++d) dims.push_back(d);
    } else {
      const std::optional<nlohmann::json> given = as_constant_json(a["dim"]);
      if (!given) t.fail("unsupported-argument", n.kind + ": dim must be ints known while tracing");
      if (given->is_number_integer()) dims.push_back(given->get<int64_t>());
      else for (const auto& d : *given) dims.push_back(d.get<int64_t>());
    }
    if (dims.empty()) return {op(t, n, "aten::clone", {a["self"], EValue::none()})};
    const bool inverse = n.kind == "aten::fft_ifftshift";
    nlohmann::json shifts = nlohmann::json::array(), axes = nlohmann::json::array();
    for (int64_t d : dims) {
      const int64_t axis = d < 0 ? d + rank : d;
      if (axis < 0 || axis >= rank) t.fail("bad-argument", n.kind + ": dim " + std::to_string(d) + " out of range for shape " + shape_str(self.shape));
      const Dim& size = self.shape[static_cast<size_t>(axis)];
      if (!size.is_static()) t.fail("unsupported-argument", n.kind + ": the shift of the dynamic dim " + std::to_string(axis) + " is not supported");
      shifts.push_back(inverse ? -(size.value() / 2) : size.value() / 2);
      axes.push_back(axis);
    }
    return {op(t, n, "aten::roll", {a["self"], c(shifts), c(axes)})};
  }
  // select_scatter(self, src, dim, index) = self with self.select(dim, index)
  // replaced by src; slice_scatter(self, src, dim=0, start, end, step=1)
  // likewise for a slice. Both are index_copy at the slice's positions.
  static std::vector<EValue> select_scatter(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const FakeTensor& self = tensor(t, n, a, "self");
    const int64_t rank = static_cast<int64_t>(self.shape.size());
    int64_t dim = constant_int(t, n, a, "dim");
    if (dim < 0) dim += rank;
    if (dim < 0 || dim >= rank) t.fail("bad-argument", n.kind + ": dim out of range for shape " + shape_str(self.shape));
    int64_t index = constant_int(t, n, a, "index");
    if (index < 0) {
      const Dim& size = self.shape[static_cast<size_t>(dim)];
      if (!size.is_static()) t.fail("unsupported-argument", n.kind + ": a negative index on a dynamic dim is not supported");
      index += size.value();
    }
    const EValue positions = op(t, n, "aten::tensor", {c(nlohmann::json::array({index})), c(4), EValue::none(), c(false)});
    return {op(t, n, "aten::index_copy", {a["self"], c(dim), positions, op(t, n, "aten::unsqueeze", {a["src"], c(dim)})})};
  }
  static std::vector<EValue> slice_scatter(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const FakeTensor& self = tensor(t, n, a, "self");
    const int64_t rank = static_cast<int64_t>(self.shape.size());
    int64_t dim = constant_int(t, n, a, "dim");
    if (dim < 0) dim += rank;
    if (dim < 0 || dim >= rank) t.fail("bad-argument", n.kind + ": dim out of range for shape " + shape_str(self.shape));
    // The positions: arange over the dim, sliced the same way.
    const EValue all = op(t, n, "aten::arange", {t.sym_size(self, dim), c(4), EValue::none(), EValue::none(), EValue::none()});
    const EValue positions = op(t, n, "aten::slice", {all, c(0), a["start"], a["end"], a["step"]});
    return {op(t, n, "aten::index_copy", {a["self"], c(dim), positions, a["src"]})};
  }
  // sum_to_size(self, size): sum over the leading dims size lacks and the dims
  // where size has 1 (static shapes), to exactly `size`.
  static std::vector<EValue> sum_to_size(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const FakeTensor& self = tensor(t, n, a, "self");
    const std::optional<nlohmann::json> size = as_constant_json(a["size"]);
    if (!size || !size->is_array()) t.fail("unsupported-argument", n.kind + ": size must be ints known while tracing");
    const int64_t rank = static_cast<int64_t>(self.shape.size());
    // torch sums everything to a 0-d size even when the input is 0-d (a bool becomes int64).
    if (size->empty()) return {op(t, n, "aten::sum", {a["self"], EValue::none()})};
    const int64_t lead = rank - static_cast<int64_t>(size->size());
    if (lead < 0) t.fail("bad-argument", n.kind + ": size " + size->dump() + " has more dims than shape " + shape_str(self.shape));
    nlohmann::json dims = nlohmann::json::array();
    for (int64_t d = 0; d < rank; ++d) {
      const Dim& have = self.shape[static_cast<size_t>(d)];
      if (d < lead) {
        dims.push_back(d);
        continue;
      }
      const int64_t want = (*size)[static_cast<size_t>(d - lead)].get<int64_t>();
      if (want == 1 && !(have.is_static() && have.value() == 1)) {
        // A dynamic dim is summed whatever its size (one element sums to
        // itself); only the dtype would differ where sum changes it.
        if (!have.is_static() && !is_floating(self.dtype) && self.dtype != DType::Int64)
          t.fail("unsupported-argument", n.kind + ": summing the dynamic dim " + std::to_string(d) + " of a " +
                                             std::string(dtype_name(self.dtype)) + " tensor to 1 is not supported");
        dims.push_back(d);
      }
    }
    EValue r = a["self"];
    if (!dims.empty()) r = op(t, n, "aten::sum", {r, c(dims), c(true), EValue::none()});
    return {op(t, n, "aten::reshape", {r, c(*size)})};
  }

  // ---- breadth, batch 2 (tests/opinfo): scans, order statistics, linear algebra

  // A tensor's dim normalized to its rank (a 0-d tensor has one dim here, as torch's scans allow dim 0 / -1).
  static int64_t scan_dim(const Tracer& t, const ProgramNode& n, const FakeTensor& x, int64_t dim) {
    const int64_t rank = std::max<int64_t>(1, static_cast<int64_t>(x.shape.size()));
    if (dim < -rank || dim >= rank)
      t.fail("bad-argument", n.kind + ": dim " + std::to_string(dim) + " out of range for shape " + shape_str(x.shape));
    return dim < 0 ? dim + rank : dim;
  }

  // The prefix view of a scan along `dim`: x moved so that dim is last
  // ([..., L]), x spread over a [..., L, L] grid where row i, column j holds
  // x[j], and the [L, L] mask of j <= i. A scan is then a reduction over the
  // last dim of the masked grid, O(L^2) memory but exact and without loops.
  struct Prefix {
    EValue last;     // [..., L]
    EValue grid;     // [..., 1, L], broadcast against mask
    EValue mask;     // [L, L] bool: j <= i
    EValue columns;  // [L] int64: j
    int64_t dim = 0;
    bool scalar = false;  // the input was 0-d
  };
  static Prefix prefix_of(Tracer& t, const ProgramNode& n, const EValue& self, int64_t dim_arg) {
    const FakeTensor& x = *self.tensor;
    Prefix p;
    p.scalar = x.shape.empty();
    p.dim = scan_dim(t, n, x, dim_arg);
    EValue v = self;
    EValue size = c(1);
    if (p.scalar) v = op(t, n, "aten::reshape", {self, c(nlohmann::json::array({1}))});
    else size = t.sym_size(x, p.dim);
    p.last = op(t, n, "aten::movedim", {v, c(p.dim), c(-1)});
    p.columns = op(t, n, "aten::arange", {size, c(4), EValue::none(), EValue::none(), EValue::none()});
    p.mask = op(t, n, "aten::le", {op(t, n, "aten::unsqueeze", {p.columns, c(0)}), op(t, n, "aten::unsqueeze", {p.columns, c(1)})});
    p.grid = op(t, n, "aten::unsqueeze", {p.last, c(-2)});
    return p;
  }
  // A [..., L] result of a scan back in the input's layout.
  static EValue from_prefix(Tracer& t, const ProgramNode& n, const Prefix& p, const EValue& r) {
    const EValue back = op(t, n, "aten::movedim", {r, c(-1), c(p.dim)});
    return p.scalar ? op(t, n, "aten::reshape", {back, c(nlohmann::json::array())}) : back;
  }
  static EValue last_dim() { return c(nlohmann::json::array({-1})); }
  // NaN where any element of the last dim is NaN, else 0 (added to a result,
  // it makes the result NaN exactly where torch's scan or reduction is).
  static EValue nan_term(Tracer& t, const ProgramNode& n, const EValue& x, bool keepdim = false) {
    return op(t, n, "aten::sum", {op(t, n, "aten::where", {op(t, n, "aten::isnan", {x}), x, c(0)}), last_dim(), c(keepdim),
                                  EValue::none()});
  }

  // cumprod(self, dim, *, dtype=None): the product of the masked grid (1
  // outside the prefix); integers and bools accumulate in int64, as torch.
  static std::vector<EValue> cumprod(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const FakeTensor& x = tensor(t, n, a, "self");
    EValue self = a["self"];
    if (!a.is_none("dtype")) self = op(t, n, "aten::to", {self, a["dtype"], c(false), c(false)});
    else if (!is_floating(x.dtype)) self = op(t, n, "aten::to", {self, c(4), c(false), c(false)});
    const Prefix p = prefix_of(t, n, self, constant_int(t, n, a, "dim"));
    const EValue masked = op(t, n, "aten::where", {p.mask, p.grid, c(1)});
    return {from_prefix(t, n, p, op(t, n, "aten::prod", {masked, c(-1), c(false), EValue::none()}))};
  }

  // The running extreme of a prefix grid and torch's index of it: the last
  // position j <= i holding the extreme (torch compares with >= / <=), or the
  // last NaN once one was seen (the value is then NaN).
  struct Running {
    EValue values, indices, filled;
  };
  static Running running_extreme(Tracer& t, const ProgramNode& n, const Prefix& p, bool is_max, bool floating) {
    // Outside the prefix the grid holds x[0], which every prefix contains, so the extreme is unchanged.
    const EValue first = op(t, n, "aten::unsqueeze", {op(t, n, "aten::slice", {p.last, c(-1), c(0), c(1), c(1)}), c(-1)});
    Running r;
    r.filled = op(t, n, "aten::where", {p.mask, p.grid, first});
    r.values = op(t, n, is_max ? "aten::amax" : "aten::amin", {r.filled, last_dim(), c(false)});
    if (floating) r.values = op(t, n, "aten::add", {r.values, nan_term(t, n, r.filled), c(1)});
    EValue hit = op(t, n, "aten::eq", {r.filled, op(t, n, "aten::unsqueeze", {r.values, c(-1)})});
    if (floating) hit = op(t, n, "aten::logical_or", {hit, op(t, n, "aten::isnan", {r.filled})});
    hit = op(t, n, "aten::logical_and", {hit, p.mask});
    r.indices = op(t, n, "aten::amax", {op(t, n, "aten::where", {hit, p.columns, c(-1)}), last_dim(), c(false)});
    return r;
  }
  // cummax / cummin(self, dim) -> (values, indices).
  static std::vector<EValue> cumulative_extreme(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const FakeTensor& x = tensor(t, n, a, "self");
    const bool floating = is_floating(x.dtype);
    EValue self = a["self"];
    // ONNX's ReduceMax/Min take no bool below opset 20 (nor ONNX Runtime's Equal a uint8): bools scan as int64.
    if (x.dtype == DType::Bool) self = op(t, n, "aten::to", {self, c(4), c(false), c(false)});
    const Prefix p = prefix_of(t, n, self, constant_int(t, n, a, "dim"));
    const Running r = running_extreme(t, n, p, n.kind == "aten::cummax", floating);
    EValue values = from_prefix(t, n, p, r.values);
    if (x.dtype == DType::Bool) values = op(t, n, "aten::to", {values, c(11), c(false), c(false)});
    return {values, from_prefix(t, n, p, r.indices)};
  }
  // logcumsumexp(self, dim): m_i + log(sum_{j<=i} exp(x_j - m_i)) with m_i the
  // running max (no overflow, no underflow of the leading terms); an infinite
  // running max is the result itself (all -inf stays -inf, +inf is +inf); NaN propagates.
  static std::vector<EValue> logcumsumexp(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const FakeTensor& x = tensor(t, n, a, "self");
    if (!is_floating(x.dtype))
      t.fail("bad-argument", n.kind + ": expected a floating-point input, got " + std::string(dtype_name(x.dtype)) + " (as torch)");
    const Prefix p = prefix_of(t, n, a["self"], constant_int(t, n, a, "dim"));
    const Running r = running_extreme(t, n, p, true, true);
    const EValue m = r.values;
    const EValue shifted = op(t, n, "aten::exp", {op(t, n, "aten::sub", {p.grid, op(t, n, "aten::unsqueeze", {m, c(-1)}), c(1)})});
    const EValue total = op(t, n, "aten::sum", {op(t, n, "aten::where", {p.mask, shifted, c(0.0)}), last_dim(), c(false), EValue::none()});
    const EValue finite = op(t, n, "aten::add", {m, op(t, n, "aten::log", {total}), c(1)});
    EValue out = op(t, n, "aten::where", {op(t, n, "aten::isinf", {m}), m, finite});
    out = op(t, n, "aten::add", {out, nan_term(t, n, op(t, n, "aten::where", {p.mask, p.grid, c(0.0)})), c(1)});
    return {from_prefix(t, n, p, out)};
  }

  // isin(elements, test_elements, *, assume_unique, invert): every element
  // compared with every test element (== as torch: NaN is in nothing).
  static std::vector<EValue> isin(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const std::string& overload = a.schema().overload;
    EValue found;
    if (overload == "Tensor_Tensor") {
      tensor(t, n, a, "elements");
      tensor(t, n, a, "test_elements");
      const EValue tests = op(t, n, "aten::reshape", {a["test_elements"], last_dim()});
      const EValue eq = op(t, n, "aten::eq", {op(t, n, "aten::unsqueeze", {a["elements"], c(-1)}), tests});
      found = op(t, n, "aten::any", {eq, c(-1), c(false)});
    } else if (overload == "Tensor_Scalar") {
      tensor(t, n, a, "elements");
      found = op(t, n, "aten::eq", {a["elements"], a["test_element"]});
    } else {
      tensor(t, n, a, "test_elements");
      found = op(t, n, "aten::any", {op(t, n, "aten::eq", {a["test_elements"], a["element"]})});
    }
    if (constant_bool(t, n, a, "invert")) found = op(t, n, "aten::logical_not", {found});
    return {found};
  }

  // median(self) / nanmedian(self): the lower median of all elements, as
  // torch (the value only, so no tie rule is involved). median is NaN when any
  // element is; nanmedian leaves NaNs out (NaN when all are).
  static std::vector<EValue> median_all(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const FakeTensor& x = tensor(t, n, a, "self");
    int64_t count = 1;
    for (const Dim& d : x.shape) {
      if (!d.is_static())
        t.fail("unsupported-argument", n.kind + ": the median of a tensor with a dynamic dim is not supported, got " + shape_str(x.shape));
      count *= d.value();
    }
    if (count == 0) t.fail("unsupported-argument", n.kind + ": the median of an empty tensor is not supported");
    const EValue flat = op(t, n, "aten::reshape", {a["self"], last_dim()});
    const bool floating = is_floating(x.dtype);
    if (n.kind == "aten::median" || !floating) {
      const int64_t k = (count - 1) / 2;
      const std::vector<EValue> low = t.call_tensor_op(n, "aten::topk", {flat, c(k + 1), c(0), c(false), c(true)});
      EValue v = op(t, n, "aten::select", {low[0], c(0), c(k)});
      if (floating) v = op(t, n, "aten::add", {v, nan_term(t, n, flat), c(1)});
      return {v};
    }
    // nanmedian: NaNs replaced by a value no smaller than any other element
    // (the max of the others and 0), so the first `count of non-NaN` sorted
    // values are the non-NaN ones; the lower median of those.
    const EValue nan = op(t, n, "aten::isnan", {flat});
    const EValue zeroed = op(t, n, "aten::where", {nan, c(0.0), flat});
    const EValue ceiling = op(t, n, "aten::max", {zeroed});
    const EValue replaced = op(t, n, "aten::where", {nan, ceiling, flat});
    const EValue sorted = t.call_tensor_op(n, "aten::sort", {replaced, c(0), c(false)})[0];
    const EValue kept = op(t, n, "aten::sum", {op(t, n, "aten::to", {op(t, n, "aten::logical_not", {nan}), c(4), c(false), c(false)})});
    const EValue at = op(t, n, "aten::clamp_min", {op(t, n, "aten::floor_divide", {op(t, n, "aten::sub", {kept, c(1), c(1)}), c(2)}), c(0)});
    const EValue v = op(t, n, "aten::reshape", {op(t, n, "aten::index_select", {sorted, c(0), op(t, n, "aten::reshape", {at, last_dim()})}),
                                                c(nlohmann::json::array())});
    // All NaN: the first element is NaN.
    return {op(t, n, "aten::where", {op(t, n, "aten::eq", {kept, c(0)}), op(t, n, "aten::select", {flat, c(0), c(0)}), v})};
  }
  // median.dim / nanmedian.dim return the index of the median too; which of
  // equal values torch reports depends on its selection algorithm, so the
  // dim forms are refused rather than guessed, except where no tie can be.
  // Along a dim of one element (or of a 0-d tensor) there is no tie: the
  // value is the element, the index 0.
  static std::vector<EValue> median_dispatch(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    if (a.schema().overload.empty()) return median_all(t, n, a);
    const FakeTensor& x = tensor(t, n, a, "self");
    const int64_t dim = scan_dim(t, n, x, constant_int(t, n, a, "dim"));
    if (x.shape.empty() || x.shape[static_cast<size_t>(dim)] == Dim(1)) {
      EValue v = op(t, n, "aten::clone", {a["self"], EValue::none()});
      if (!x.shape.empty() && !constant_bool(t, n, a, "keepdim")) v = op(t, n, "aten::squeeze", {v, c(dim)});
      return {v, op(t, n, "aten::zeros_like", {v, c(4), EValue::none(), EValue::none(), EValue::none(), EValue::none()})};
    }
    t.fail("unsupported-argument", n.kind + " with a dim returns an index, and which of several equal values' indices torch returns "
                                            "depends on its selection algorithm; not exported (the full-tensor form, without dim, is)");
  }

  // diagonal_scatter(self, src, offset=0, dim1=0, dim2=1): self with its
  // diagonal replaced by src. Static sizes in dim1, dim2: the diagonal's
  // positions are a constant mask, src is spread over the plane by a constant index.
  static std::vector<EValue> diagonal_scatter(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const FakeTensor& self = tensor(t, n, a, "self");
    tensor(t, n, a, "src");
    const int64_t rank = static_cast<int64_t>(self.shape.size());
    if (rank < 2) t.fail("bad-argument", n.kind + ": self must have at least 2 dims, got " + shape_str(self.shape));
    const auto norm = [&](std::string_view name) {
      int64_t d = constant_int(t, n, a, name);
      if (d < -rank || d >= rank) t.fail("bad-argument", n.kind + ": " + std::string(name) + " out of range for shape " + shape_str(self.shape));
      return d < 0 ? d + rank : d;
    };
    const int64_t d1 = norm("dim1"), d2 = norm("dim2");
    if (d1 == d2) t.fail("bad-argument", n.kind + ": dim1 and dim2 must differ");
    const int64_t offset = constant_int(t, n, a, "offset");
    const Dim& s1 = self.shape[static_cast<size_t>(d1)];
    const Dim& s2 = self.shape[static_cast<size_t>(d2)];
    if (!s1.is_static() || !s2.is_static())
      t.fail("unsupported-argument", n.kind + ": dim1 and dim2 must have static sizes, got " + shape_str(self.shape));
    const int64_t rows = s1.value(), cols = s2.value();
    nlohmann::json mask = nlohmann::json::array(), index = nlohmann::json::array();
    int64_t length = 0;
    for (int64_t i = 0; i < rows; ++i) {
      nlohmann::json mrow = nlohmann::json::array();
      for (int64_t j = 0; j < cols; ++j) {
        const bool on = j - i == offset;
        mrow.push_back(on);
        if (on) ++length;
        index.push_back(on ? (offset >= 0 ? i : j) : 0);
      }
      mask.push_back(mrow);
    }
    // The plane of self as its last two dims; src's diagonal dim is already last.
    const EValue moved = op(t, n, "aten::movedim", {a["self"], c(nlohmann::json::array({d1, d2})), c(nlohmann::json::array({-2, -1}))});
    const EValue mask_t = op(t, n, "aten::tensor", {c(mask), c(11), EValue::none(), c(false)});
    if (length == 0) return {op(t, n, "aten::clone", {a["self"], EValue::none()})};
    const EValue index_t = op(t, n, "aten::tensor", {c(index), c(4), EValue::none(), c(false)});
    const EValue spread = op(t, n, "aten::unflatten", {op(t, n, "aten::index_select", {a["src"], c(-1), index_t}), c(-1),
                                                      c(nlohmann::json::array({rows, cols}))});
    const EValue merged = op(t, n, "aten::where", {mask_t, op(t, n, "aten::to", {spread, c(dtype_code(self.dtype)), c(false), c(false)}), moved});
    return {op(t, n, "aten::movedim", {merged, c(nlohmann::json::array({-2, -1})), c(nlohmann::json::array({d1, d2}))})};
  }
  // torch's ScalarType code of a dtype (for aten::to).
  static int dtype_code(DType d) {
    switch (d) {
      case DType::UInt8: return 0;
      case DType::Int8: return 1;
      case DType::Int16: return 2;
      case DType::Int32: return 3;
      case DType::Int64: return 4;
      case DType::Float16: return 5;
      case DType::Float32: return 6;
      case DType::Float64: return 7;
      case DType::Bool: return 11;
      default: break;
    }
    throw std::logic_error("dtype_code: no torch code for " + std::string(dtype_name(d)));
  }

  // block_diag(tensors): the blocks (0-d as 1x1, 1-d as one row) on the
  // diagonal, zeros elsewhere, in the promoted dtype; static sizes.
  static std::vector<EValue> block_diag(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const EValue& list = a["tensors"];
    if (!list.is_sequence()) t.fail("bad-argument", n.kind + ": expected a list of tensors");
    std::vector<EValue> blocks;
    std::vector<std::pair<int64_t, int64_t>> sizes;
    std::optional<DType> dtype;
    for (const EValue& b : *list.items) {
      if (!b.is_tensor()) t.fail("bad-argument", n.kind + ": expected tensors, got a " + describe(b));
      const Shape& s = b.tensor->shape;
      if (s.size() > 2) t.fail("bad-argument", n.kind + ": blocks must have at most 2 dims, got " + shape_str(s));
      for (const Dim& d : s)
        if (!d.is_static()) t.fail("unsupported-argument", n.kind + ": blocks with a dynamic dim are not supported, got " + shape_str(s));
      const int64_t r = s.size() == 2 ? s[0].value() : 1;
      const int64_t cl = s.empty() ? 1 : s.back().value();
      sizes.emplace_back(r, cl);
      blocks.push_back(op(t, n, "aten::reshape", {b, c(nlohmann::json::array({r, cl}))}));
      dtype = dtype ? promote_types(*dtype, b.tensor->dtype) : b.tensor->dtype;
    }
    if (blocks.empty()) t.fail("unsupported-argument", n.kind + ": an empty list of blocks is not supported");
    int64_t width = 0;
    for (const auto& s : sizes) width += s.second;
    const int code = dtype_code(*dtype);
    EList rows;
    int64_t before = 0;
    for (size_t i = 0; i < blocks.size(); ++i) {
      const auto [r, cl] = sizes[i];
      EList parts;
      const auto zeros = [&](int64_t w) {
        return op(t, n, "aten::zeros", {c(nlohmann::json::array({r, w})), c(code), EValue::none(), EValue::none(), EValue::none()});
      };
      if (before > 0) parts.push_back(zeros(before));
      parts.push_back(op(t, n, "aten::to", {blocks[i], c(code), c(false), c(false)}));
      if (width - before - cl > 0) parts.push_back(zeros(width - before - cl));
      rows.push_back(parts.size() == 1 ? parts[0] : op(t, n, "aten::cat", {EValue::list(std::move(parts), t.rewrite_depth_), c(1)}));
      before += cl;
    }
    if (rows.size() == 1) return {rows[0]};
    return {op(t, n, "aten::cat", {EValue::list(std::move(rows), t.rewrite_depth_), c(0)})};
  }

  // combinations(self, r=2, with_replacement=False): the r-combinations of a
  // 1-d tensor of static length, in torch's (lexicographic) order, as a
  // constant index into it.
  static std::vector<EValue> combinations(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const FakeTensor& x = tensor(t, n, a, "self");
    if (x.shape.size() != 1) t.fail("bad-argument", n.kind + ": expected a 1-d tensor, got " + shape_str(x.shape));
    if (!x.shape[0].is_static()) t.fail("unsupported-argument", n.kind + ": a dynamic length is not supported");
    const int64_t len = x.shape[0].value();
    const int64_t r = constant_int(t, n, a, "r");
    const bool repeat = constant_bool(t, n, a, "with_replacement");
    if (r < 0) t.fail("bad-argument", n.kind + ": r must be non-negative, got " + std::to_string(r));
    if (r == 0) t.fail("unsupported-argument", n.kind + ": r=0 is not supported");
    constexpr size_t kMaxCombinations = 1 << 20;
    nlohmann::json index = nlohmann::json::array();
    size_t count = 0;
    std::vector<int64_t> pick(static_cast<size_t>(r), 0);
    // Walk the combinations in lexicographic order.
    std::function<void(size_t, int64_t)> walk = [&](size_t at, int64_t from) {
      if (at == pick.size()) {
        if (++count > kMaxCombinations)
          t.fail("unsupported-argument", n.kind + ": more than " + std::to_string(kMaxCombinations) + " combinations");
        for (int64_t v : pick) index.push_back(v);
        return;
      }
      for (int64_t v = from; v < len; ++v) {
        pick[at] = v;
        walk(at + 1, repeat ? v : v + 1);
      }
    };
    walk(0, 0);
    if (count == 0)
      return {op(t, n, "aten::reshape", {op(t, n, "aten::slice", {a["self"], c(0), c(0), c(0), c(1)}), c(nlohmann::json::array({0, r}))})};
    const EValue idx = op(t, n, "aten::tensor", {c(index), c(4), EValue::none(), c(false)});
    return {op(t, n, "aten::reshape", {op(t, n, "aten::index_select", {a["self"], c(0), idx}), c(nlohmann::json::array({-1, r}))})};
  }

  // linalg_vecdot(x, y, *, dim=-1) = sum(x * y, dim) (real tensors: conj is the identity).
  static std::vector<EValue> vecdot(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    return {op(t, n, "aten::sum", {op(t, n, "aten::mul", {a["x"], a["y"]}), c(nlohmann::json::array({constant_int(t, n, a, "dim")})),
                                   c(false), EValue::none()})};
  }
  // linalg_multi_dot(tensors): the chain of matmuls (a 1-d first or last
  // operand is a row / column vector, as matmul treats it).
  static std::vector<EValue> multi_dot(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const EValue& list = a["tensors"];
    if (!list.is_sequence() || list.items->size() < 2) t.fail("bad-argument", n.kind + ": expected at least 2 tensors");
    for (size_t i = 0; i < list.items->size(); ++i) {
      const EValue& m = (*list.items)[i];
      if (!m.is_tensor()) t.fail("bad-argument", n.kind + ": expected tensors, got a " + describe(m));
      const size_t rank = m.tensor->shape.size();
      const bool end = i == 0 || i + 1 == list.items->size();
      if (rank != 2 && !(end && rank == 1))
        t.fail("bad-argument", n.kind + ": tensor " + std::to_string(i) + " must be 2-d (1-d only first or last), got " + shape_str(m.tensor->shape));
    }
    EValue r = (*list.items)[0];
    for (size_t i = 1; i < list.items->size(); ++i) r = op(t, n, "aten::matmul", {r, (*list.items)[i]});
    return {r};
  }
  // linalg_matrix_power(self, n): repeated squaring for n >= 1, the identity
  // (in self's shape and dtype) for 0; negative n needs an inverse: refused.
  static std::vector<EValue> matrix_power(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const FakeTensor& x = tensor(t, n, a, "self");
    if (x.shape.size() < 2) t.fail("bad-argument", n.kind + ": expected a (batch of) square matrices, got " + shape_str(x.shape));
    int64_t power = constant_int(t, n, a, "n");
    if (power < 0) t.fail("unsupported-argument", n.kind + ": a negative power (a matrix inverse) is not supported");
    if (power == 0) {
      const EValue k = t.sym_size(x, static_cast<int64_t>(x.shape.size()) - 1);
      const EValue r = op(t, n, "aten::arange", {k, c(4), EValue::none(), EValue::none(), EValue::none()});
      const EValue eye = op(t, n, "aten::eq", {op(t, n, "aten::unsqueeze", {r, c(1)}), op(t, n, "aten::unsqueeze", {r, c(0)})});
      return {op(t, n, "aten::where", {eye, op(t, n, "aten::ones_like", {a["self"]}), op(t, n, "aten::zeros_like", {a["self"]})})};
    }
    EValue result = EValue::none(), base = a["self"];
    while (power > 0) {
      if (power & 1) result = result.is_none() ? base : op(t, n, "aten::matmul", {result, base});
      power >>= 1;
      if (power > 0) base = op(t, n, "aten::matmul", {base, base});
    }
    return {result};
  }
  // linalg_vander(x, *, N=None): columns x^0 .. x^(N-1) (N defaults to x's
  // last dim), the running product of [1, x, x, ...] as torch computes it.
  static std::vector<EValue> vander(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const FakeTensor& x = tensor(t, n, a, "x");
    // A 0-d x is one value, as torch reads it.
    const EValue xv = x.shape.empty() ? op(t, n, "aten::reshape", {a["x"], last_dim()}) : a["x"];
    const Shape& xs = xv.tensor->shape;
    int64_t cols = 0;
    if (a.is_none("N")) {
      if (!xs.back().is_static()) t.fail("unsupported-argument", n.kind + ": N must be given for a dynamic last dim");
      cols = xs.back().value();
    } else {
      cols = constant_int(t, n, a, "N");
    }
    if (cols <= 1) t.fail("bad-argument", n.kind + ": N must be greater than 1, got " + std::to_string(cols));
    const EValue col = op(t, n, "aten::unsqueeze", {xv, c(-1)});
    nlohmann::json shape = nlohmann::json::array();
    for (size_t i = 0; i < xs.size(); ++i) shape.push_back(-1);
    shape.push_back(cols - 1);
    EList parts{op(t, n, "aten::ones_like", {col}),
                op(t, n, "aten::expand", {col, c(shape), c(false)})};
    const EValue powers = op(t, n, "aten::cat", {EValue::list(std::move(parts), t.rewrite_depth_), c(-1)});
    const Prefix p = prefix_of(t, n, powers, -1);
    const EValue prod = op(t, n, "aten::prod", {op(t, n, "aten::where", {p.mask, p.grid, c(1)}), c(-1), c(false), EValue::none()});
    return {op(t, n, "aten::to", {from_prefix(t, n, p, prod), c(dtype_code(x.dtype)), c(false), c(false)})};
  }

  // cov(self, *, correction=1, fweights=None, aweights=None): rows are
  // variables, columns observations; (X - mean)(X - mean)^T / (N - correction).
  // A single variable gives a 0-d result, as torch.
  static std::vector<EValue> cov_matrix(Tracer& t, const ProgramNode& n, const EValue& self, int64_t correction,
                                        const EValue& fweights = EValue::none(), const EValue& aweights = EValue::none()) {
    const FakeTensor& x = *self.tensor;
    if (x.shape.size() > 2) t.fail("bad-argument", n.kind + ": expected a tensor with at most 2 dims, got " + shape_str(x.shape));
    EValue m = self;
    if (!is_floating(x.dtype)) m = op(t, n, "aten::to", {m, c(6), c(false), c(false)});
    if (x.shape.size() < 2) m = op(t, n, "aten::reshape", {m, c(nlohmann::json::array({1, -1}))});
    const FakeTensor& mt = *m.tensor;
    const bool single = x.shape.size() < 2 || (x.shape[0].is_static() && x.shape[0].value() == 1);
    if (!fweights.is_none() || !aweights.is_none()) {
      // Weighted, as torch: w = fweights * aweights, the weighted mean, and
      // the divisor sum(w) - correction * sum(w * aweights) / sum(w) (sum(w) -
      // correction without aweights), clamped at 0.
      EValue w = fweights.is_none() ? aweights : fweights;
      if (!fweights.is_none() && !aweights.is_none()) w = op(t, n, "aten::mul", {fweights, aweights});
      w = op(t, n, "aten::to", {w, c(dtype_code(mt.dtype)), c(false), c(false)});
      const EValue w_sum = op(t, n, "aten::sum", {w});
      const EValue avg = op(t, n, "aten::div", {op(t, n, "aten::sum", {op(t, n, "aten::mul", {m, w}), c(nlohmann::json::array({1})), c(true), EValue::none()}), w_sum});
      EValue divisor = op(t, n, "aten::sub", {w_sum, c(correction), c(1)});
      if (!aweights.is_none() && correction != 0)
        divisor = op(t, n, "aten::sub", {w_sum, op(t, n, "aten::mul", {op(t, n, "aten::div", {op(t, n, "aten::sum", {op(t, n, "aten::mul", {w, aweights})}), w_sum}), c(correction)}), c(1)});
      divisor = op(t, n, "aten::clamp_min", {divisor, c(0)});
      const EValue centered = op(t, n, "aten::sub", {m, avg, c(1)});
      const EValue products = op(t, n, "aten::matmul", {op(t, n, "aten::mul", {centered, w}), op(t, n, "aten::transpose", {centered, c(0), c(1)})});
      EValue r = op(t, n, "aten::div", {products, divisor});
      if (single) r = op(t, n, "aten::reshape", {r, c(nlohmann::json::array())});
      return {r};
    }
    const EValue centered = op(t, n, "aten::sub", {m, op(t, n, "aten::mean", {m, c(nlohmann::json::array({1})), c(true), EValue::none()}), c(1)});
    const EValue products = op(t, n, "aten::matmul", {centered, op(t, n, "aten::transpose", {centered, c(0), c(1)})});
    if (!mt.shape[1].is_static()) t.fail("unsupported-argument", n.kind + ": a dynamic number of observations is not supported");
    // torch divides by N - correction clamped at 0 (so 0 gives inf / NaN, as there).
    const double divisor = static_cast<double>(std::max<int64_t>(mt.shape[1].value() - correction, 0));
    EValue r = op(t, n, "aten::div", {products, c(divisor)});
    if (single) r = op(t, n, "aten::reshape", {r, c(nlohmann::json::array())});
    return {r};
  }
  static std::vector<EValue> cov(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    tensor(t, n, a, "self");
    return cov_matrix(t, n, a["self"], constant_int(t, n, a, "correction"), a["fweights"], a["aweights"]);
  }
  // corrcoef(self) = cov / (stddev_i stddev_j), clipped to [-1, 1] as torch.
  static std::vector<EValue> corrcoef(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const FakeTensor& x = tensor(t, n, a, "self");
    const EValue cv = cov_matrix(t, n, a["self"], 1)[0];
    if (cv.tensor->shape.empty()) return {op(t, n, "aten::div", {cv, cv})};
    (void)x;
    const EValue stddev = op(t, n, "aten::sqrt", {op(t, n, "aten::diagonal", {cv, c(0), c(0), c(1)})});
    EValue r = op(t, n, "aten::div", {cv, op(t, n, "aten::unsqueeze", {stddev, c(1)})});
    r = op(t, n, "aten::div", {r, op(t, n, "aten::unsqueeze", {stddev, c(0)})});
    return {op(t, n, "aten::clamp", {r, c(-1), c(1)})};
  }
  // dist(self, other, p=2) = the p-norm of self - other over all elements.
  static std::vector<EValue> dist(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const EValue gap = op(t, n, "aten::sub", {a["self"], a["other"], c(1)});
    return {op(t, n, "aten::linalg_vector_norm", {gap, a["p"], EValue::none(), c(false)})};
  }
  // cumulative_trapezoid(y, x | dx, dim=-1): the running sum of the trapezoids.
  static std::vector<EValue> cumulative_trapezoid(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const FakeTensor& y = tensor(t, n, a, "y");
    const int64_t rank = static_cast<int64_t>(y.shape.size());
    int64_t dim = constant_int(t, n, a, "dim");
    if (rank == 0 || dim < -rank || dim >= rank) t.fail("bad-argument", n.kind + ": dim out of range for shape " + shape_str(y.shape));
    if (dim < 0) dim += rank;
    const EValue later = op(t, n, "aten::slice", {a["y"], c(dim), c(1), EValue::none(), c(1)});
    const EValue earlier = op(t, n, "aten::slice", {a["y"], c(dim), c(0), c(-1), c(1)});
    EValue areas = op(t, n, "aten::div", {op(t, n, "aten::add", {later, earlier, c(1)}), c(2)});
    if (a.schema().overload == "x") {
      const FakeTensor& x = tensor(t, n, a, "x");
      const int64_t x_dim = x.shape.size() == 1 ? 0 : dim;
      EValue spacing = op(t, n, "aten::sub", {op(t, n, "aten::slice", {a["x"], c(x_dim), c(1), EValue::none(), c(1)}),
                                              op(t, n, "aten::slice", {a["x"], c(x_dim), c(0), c(-1), c(1)}), c(1)});
      if (x.shape.size() == 1 && rank > 1) {
        nlohmann::json shape = nlohmann::json::array();
        for (int64_t i = 0; i < rank; ++i) shape.push_back(i == dim ? -1 : 1);
        spacing = op(t, n, "aten::reshape", {spacing, c(shape)});
      }
      areas = op(t, n, "aten::mul", {areas, spacing});
    } else {
      areas = op(t, n, "aten::mul", {areas, a["dx"]});
    }
    return {op(t, n, "aten::cumsum", {areas, c(dim), EValue::none()})};
  }
  // special_entr(x): -x log x for x > 0, 0 at 0, -inf below 0, NaN for NaN.
  static std::vector<EValue> entr(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const FakeTensor& x = tensor(t, n, a, "self");
    EValue v = a["self"];
    if (!is_floating(x.dtype)) v = op(t, n, "aten::to", {v, c(6), c(false), c(false)});
    const EValue body = op(t, n, "aten::neg", {op(t, n, "aten::mul", {v, op(t, n, "aten::log", {v})})});
    EValue r = op(t, n, "aten::where", {op(t, n, "aten::eq", {v, c(0)}), c(0.0), body});
    return {op(t, n, "aten::where", {op(t, n, "aten::lt", {v, c(0)}), c(-std::numeric_limits<double>::infinity()), r})};
  }

  // scatter_reduce.two(self, dim, index, src, reduce, *, include_self=True):
  // sum and mean through scatter_add, prod through scatter(reduce="multiply")
  // (both ScatterElements with a reduction, opset 16); include_self=False
  // first sets the positions that receive an update to the reduction's
  // identity. amax / amin need ScatterElements' max / min (opset 18), which the
  // op library does not have yet: refused.
  static std::vector<EValue> scatter_reduce(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const FakeTensor& self = tensor(t, n, a, "self");
    tensor(t, n, a, "src");
    tensor(t, n, a, "index");
    const EValue& reduce_v = a["reduce"];
    if (!reduce_v.is_constant() || !reduce_v.constant.is_string())
      t.fail("unsupported-argument", n.kind + ": reduce must be a string known while tracing");
    const std::string reduce = reduce_v.constant.get<std::string>();
    if (reduce != "sum" && reduce != "prod" && reduce != "mean")
      t.fail("unsupported-argument", n.kind + ": reduce='" + reduce + "' is not supported (sum, prod and mean are; amax / amin need "
                                              "ScatterElements' max / min reduction, opset 18, which onnxport does not emit yet)");
    if (self.dtype == DType::Bool) t.fail("unsupported-argument", n.kind + ": bool tensors are not supported");
    const bool include_self = constant_bool(t, n, a, "include_self");
    const EValue dim = c(constant_int(t, n, a, "dim"));
    // 0-d tensors (self, index and src alike) are scattered as one-element vectors.
    const bool scalar = self.shape.empty();
    const auto vec = [&](const char* name) { return scalar ? op(t, n, "aten::reshape", {a[name], last_dim()}) : a[name]; };
    const EValue x = vec("self"), index = vec("index"), src = vec("src");
    const auto back = [&](const EValue& r) { return scalar ? op(t, n, "aten::reshape", {r, c(nlohmann::json::array())}) : r; };
    const EValue ones = op(t, n, "aten::ones_like", {src});
    // How many updates each position receives.
    const EValue hits = op(t, n, "aten::scatter_add", {op(t, n, "aten::zeros_like", {x}), dim, index, ones});
    EValue base = x;
    if (!include_self) base = op(t, n, "aten::where", {op(t, n, "aten::gt", {hits, c(0)}), c(reduce == "prod" ? 1 : 0), x});
    if (reduce == "prod") return {back(op(t, n, "aten::scatter", {base, dim, index, src, c("multiply")}))};
    const EValue total = op(t, n, "aten::scatter_add", {base, dim, index, src});
    if (reduce == "sum") return {back(total)};
    // mean: divided by the number of values reduced (self counts once when
    // included; untouched positions by 1), floor division for integers, as torch.
    EValue count = include_self ? op(t, n, "aten::add", {hits, c(1), c(1)}) : op(t, n, "aten::clamp_min", {hits, c(1)});
    if (is_floating(self.dtype)) return {back(op(t, n, "aten::div", {total, count}))};
    return {back(op(t, n, "aten::div", {total, count, c("floor")}))};
  }

  // searchsorted(sorted_sequence, self, *, out_int32, right, side, sorter):
  // torch's own binary search (lower bound: advance while !(seq[mid] >= v);
  // upper bound: while !(seq[mid] > v)), run on every value at once for the
  // fixed number of steps a sequence of static length needs, so NaNs land
  // where torch puts them too.
  static std::vector<EValue> searchsorted(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const FakeTensor& seq = tensor(t, n, a, "sorted_sequence");
    if (seq.shape.empty()) t.fail("bad-argument", n.kind + ": sorted_sequence must have at least 1 dim");
    const Dim& len_dim = seq.shape.back();
    if (!len_dim.is_static()) t.fail("unsupported-argument", n.kind + ": a sequence of dynamic length is not supported");
    const int64_t len = len_dim.value();
    bool right = constant_bool(t, n, a, "right");
    if (!a.is_none("side")) {
      const EValue& side = a["side"];
      if (!side.is_constant() || !side.constant.is_string()) t.fail("unsupported-argument", n.kind + ": side must be a string known while tracing");
      const std::string s = side.constant.get<std::string>();
      if (s != "left" && s != "right") t.fail("bad-argument", n.kind + ": side must be 'left' or 'right', got '" + s + "'");
      right = s == "right";
    }
    EValue sequence = a["sorted_sequence"];
    if (!a.is_none("sorter")) {
      tensor(t, n, a, "sorter");
      sequence = op(t, n, "aten::gather", {sequence, c(-1), a["sorter"], c(false)});
    }
    EValue values = a["self"];
    const bool scalar = !values.is_tensor();
    if (scalar) values = op(t, n, "aten::full", {c(nlohmann::json::array()), values, c(dtype_code(seq.dtype)), EValue::none(), EValue::none(), EValue::none()});
    const FakeTensor& v = *values.tensor;
    // A 1-d sequence serves values of any shape: searched as one flat row.
    const bool flat = seq.shape.size() == 1;
    if (!flat && v.shape.size() != seq.shape.size())
      t.fail("bad-argument", n.kind + ": sorted_sequence " + shape_str(seq.shape) + " and values " + shape_str(v.shape) +
                                 " must have the same number of dims (or the sequence 1 dim)");
    EValue query = flat ? op(t, n, "aten::reshape", {values, last_dim()}) : values;
    EValue start = op(t, n, "aten::zeros_like", {query, c(4), EValue::none(), EValue::none(), EValue::none(), EValue::none()});
    EValue end = op(t, n, "aten::add", {start, c(len), c(1)});
    int64_t steps = 0;
    for (int64_t span = len; span > 0; span >>= 1) ++steps;
    for (int64_t i = 0; i < steps; ++i) {
      const EValue active = op(t, n, "aten::lt", {start, end});
      const EValue mid = op(t, n, "aten::add", {start, op(t, n, "aten::floor_divide", {op(t, n, "aten::sub", {end, start, c(1)}), c(2)}), c(1)});
      const EValue at = op(t, n, "aten::clamp", {mid, c(0), c(std::max<int64_t>(len - 1, 0))});
      const EValue mid_val = op(t, n, "aten::gather", {sequence, c(-1), at, c(false)});
      const EValue passes = op(t, n, right ? "aten::gt" : "aten::ge", {mid_val, query});
      const EValue go_right = op(t, n, "aten::logical_and", {active, op(t, n, "aten::logical_not", {passes})});
      const EValue go_left = op(t, n, "aten::logical_and", {active, passes});
      start = op(t, n, "aten::where", {go_right, op(t, n, "aten::add", {mid, c(1), c(1)}), start});
      end = op(t, n, "aten::where", {go_left, mid, end});
    }
    EValue r = flat ? op(t, n, "aten::reshape_as", {start, values}) : start;
    if (constant_bool(t, n, a, "out_int32")) r = op(t, n, "aten::to", {r, c(3), c(false), c(false)});
    return {r};
  }

  // renorm(self, p, dim, maxnorm): each slice along dim whose p-norm (over
  // the other dims) exceeds maxnorm is scaled by maxnorm / (norm + 1e-7), as torch.
  static std::vector<EValue> renorm(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const FakeTensor& x = tensor(t, n, a, "self");
    const int64_t rank = static_cast<int64_t>(x.shape.size());
    int64_t dim = constant_int(t, n, a, "dim");
    if (rank == 0 || dim < -rank || dim >= rank) t.fail("bad-argument", n.kind + ": dim out of range for shape " + shape_str(x.shape));
    if (dim < 0) dim += rank;
    nlohmann::json others = nlohmann::json::array();
    for (int64_t d = 0; d < rank; ++d)
      if (d != dim) others.push_back(d);
    const EValue norm = others.empty() ? op(t, n, "aten::abs", {a["self"]})
                                       : op(t, n, "aten::linalg_vector_norm", {a["self"], a["p"], c(others), c(true)});
    const EValue factor = op(t, n, "aten::mul", {op(t, n, "aten::reciprocal", {op(t, n, "aten::add", {norm, c(1e-7), c(1)})}), a["maxnorm"]});
    const EValue scale = op(t, n, "aten::where", {op(t, n, "aten::gt", {norm, a["maxnorm"]}), factor, c(1.0)});
    return {op(t, n, "aten::mul", {a["self"], scale})};
  }

  // native_batch_norm(input, weight, bias, running_mean, running_var,
  // training, momentum, eps) -> (out, save_mean, save_invstd). Eval: batch_norm
  // with the running statistics and two empty statistics, as torch's CPU
  // kernel. Training without running statistics: the batch's mean and biased
  // variance, returned too. Training with running statistics updates them in
  // place in eager PyTorch, which an exported model cannot do: refused.
  static std::vector<EValue> native_batch_norm(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const FakeTensor& x = tensor(t, n, a, "input");
    if (x.shape.size() < 2) t.fail("bad-argument", n.kind + ": input must have at least 2 dims, got " + shape_str(x.shape));
    const bool training = constant_bool(t, n, a, "training");
    const bool has_stats = !a.is_none("running_mean") || !a.is_none("running_var");
    if (training && has_stats)
      t.fail("unsupported-argument", n.kind + ": training=True with running statistics updates running_mean / running_var in place; "
                                              "an exported model cannot (export the module in eval mode)");
    if (!training && (a.is_none("running_mean") || a.is_none("running_var")))
      t.fail("bad-argument", n.kind + ": training=False needs running_mean and running_var");
    const int code = dtype_code(x.dtype);
    if (!training) {
      const EValue out = op(t, n, "aten::batch_norm", {a["input"], a["weight"], a["bias"], a["running_mean"], a["running_var"], c(false),
                                                       a["momentum"], a["eps"], c(false)});
      const auto empty = [&] {
        return op(t, n, "aten::zeros", {c(nlohmann::json::array({0})), c(code), EValue::none(), EValue::none(), EValue::none()});
      };
      return {out, empty(), empty()};
    }
    const int64_t rank = static_cast<int64_t>(x.shape.size());
    nlohmann::json dims = nlohmann::json::array({0});
    nlohmann::json channel_shape = nlohmann::json::array({1, -1});
    for (int64_t d = 2; d < rank; ++d) {
      dims.push_back(d);
      channel_shape.push_back(1);
    }
    const EValue mean = op(t, n, "aten::mean", {a["input"], c(dims), c(true), EValue::none()});
    const EValue centered = op(t, n, "aten::sub", {a["input"], mean, c(1)});
    const EValue var = op(t, n, "aten::mean", {op(t, n, "aten::mul", {centered, centered}), c(dims), c(true), EValue::none()});
    const EValue invstd = op(t, n, "aten::rsqrt", {op(t, n, "aten::add", {var, a["eps"], c(1)})});
    EValue out = op(t, n, "aten::mul", {centered, invstd});
    if (!a.is_none("weight")) out = op(t, n, "aten::mul", {out, op(t, n, "aten::reshape", {a["weight"], c(channel_shape)})});
    if (!a.is_none("bias")) out = op(t, n, "aten::add", {out, op(t, n, "aten::reshape", {a["bias"], c(channel_shape)}), c(1)});
    return {out, op(t, n, "aten::reshape", {mean, last_dim()}), op(t, n, "aten::reshape", {invstd, last_dim()})};
  }

  // gcd(self, other): torch's Euclid on |a|, |b| (C remainder), run on all
  // elements for the fixed number of steps the dtype's range can need (the
  // Fibonacci bound); lcm = |a / gcd * b|, 0 where gcd is 0.
  static EValue gcd_of(Tracer& t, const ProgramNode& n, const EValue& self, const EValue& other) {
    if (!self.is_tensor()) t.fail("bad-argument", n.kind + ": self must be a tensor");
    const DType dt = promote_types(self.tensor->dtype, other.is_tensor() ? other.tensor->dtype : DType::Int64);
    if (is_floating(dt) || dt == DType::Bool) t.fail("bad-argument", n.kind + ": expected integer tensors, got " + std::string(dtype_name(dt)));
    int64_t bits = 64;
    if (dt == DType::Int32) bits = 32;
    else if (dt == DType::Int16) bits = 16;
    else if (dt == DType::Int8 || dt == DType::UInt8) bits = 8;
    const int64_t steps = bits * 3 / 2 + 2;  // > log_phi(2^bits) + 1
    EValue a = op(t, n, "aten::abs", {self});
    EValue b = op(t, n, "aten::abs", {other});
    // Broadcast both once so the loop's wheres keep one shape.
    a = op(t, n, "aten::add", {a, op(t, n, "aten::mul", {b, c(0)}), c(1)});
    b = op(t, n, "aten::add", {b, op(t, n, "aten::mul", {a, c(0)}), c(1)});
    for (int64_t i = 0; i < steps; ++i) {
      const EValue nonzero = op(t, n, "aten::ne", {a, c(0)});
      const EValue safe = op(t, n, "aten::where", {nonzero, a, c(1)});
      const EValue rest = op(t, n, "aten::fmod", {b, safe});
      b = op(t, n, "aten::where", {nonzero, a, b});
      a = op(t, n, "aten::where", {nonzero, rest, a});
    }
    return b;
  }
  static std::vector<EValue> gcd(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    return {gcd_of(t, n, a["self"], a["other"])};
  }
  static std::vector<EValue> lcm(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const EValue g = gcd_of(t, n, a["self"], a["other"]);
    const EValue zero = op(t, n, "aten::eq", {g, c(0)});
    const EValue quotient = op(t, n, "aten::div", {a["self"], op(t, n, "aten::where", {zero, c(1), g}), c("trunc")});
    const EValue r = op(t, n, "aten::abs", {op(t, n, "aten::mul", {quotient, a["other"]})});
    return {op(t, n, "aten::where", {zero, c(0), r})};
  }

  // ---- modified Bessel functions of the first kind, orders 0 and 1

  // i0, special_i0e, special_i1, special_i1e, computed in float64: the power
  // series sum_k (x/2)^(2k+nu) / (k! (k+nu)!) for |x| <= 30 (60 terms: the
  // last is below 1e-20 of the sum there), and for |x| > 30 the asymptotic
  // series e^x / sqrt(2 pi x) sum_k b_k / x^k with
  // b_k = b_(k-1) (-(4 nu^2 - (2k-1)^2)) / (8k) (12 terms: the smallest
  // term there is below 1e-14). i1 is odd; the e-forms are scaled by
  // exp(-|x|). Where torch's own exp(|x|) overflows (also for infinite x)
  // the unscaled result is inf as there (0 scaled); NaN stays NaN.
  static std::vector<EValue> bessel_i(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const FakeTensor& x = tensor(t, n, a, "self");
    const int nu = n.kind == "aten::special_i1" || n.kind == "aten::special_i1e" ? 1 : 0;
    const bool scaled = n.kind == "aten::special_i0e" || n.kind == "aten::special_i1e";
    constexpr double kSwitch = 30.0;
    const EValue xd = op(t, n, "aten::to", {a["self"], c(7), c(false), c(false)});
    const EValue ax = op(t, n, "aten::abs", {xd});
    // Series on |x| clamped to the switch point (the other branch then never overflows).
    const EValue s = op(t, n, "aten::clamp_max", {ax, c(kSwitch)});
    const EValue q = op(t, n, "aten::mul", {op(t, n, "aten::mul", {s, s}), c(0.25)});
    EValue term = nu == 0 ? op(t, n, "aten::ones_like", {s}) : op(t, n, "aten::mul", {s, c(0.5)});
    EValue sum = term;
    for (int k = 1; k <= 60; ++k) {
      term = op(t, n, "aten::mul", {term, op(t, n, "aten::mul", {q, c(1.0 / (static_cast<double>(k) * (k + nu)))})});
      sum = op(t, n, "aten::add", {sum, term, c(1)});
    }
    if (scaled) sum = op(t, n, "aten::mul", {sum, op(t, n, "aten::exp", {op(t, n, "aten::neg", {s})})});
    // Asymptotic series on |x| clamped from below to the switch point.
    const EValue z = op(t, n, "aten::clamp_min", {ax, c(kSwitch)});
    const EValue inv = op(t, n, "aten::reciprocal", {z});
    EValue asym = op(t, n, "aten::ones_like", {z});
    EValue power = asym;
    double b = 1.0;
    for (int k = 1; k <= 12; ++k) {
      b *= -(4.0 * nu * nu - (2.0 * k - 1) * (2.0 * k - 1)) / (8.0 * k);
      power = op(t, n, "aten::mul", {power, inv});
      asym = op(t, n, "aten::add", {asym, op(t, n, "aten::mul", {power, c(b)}), c(1)});
    }
    asym = op(t, n, "aten::mul", {asym, op(t, n, "aten::rsqrt", {op(t, n, "aten::mul", {z, c(2.0 * std::numbers::pi)})})});
    if (!scaled) asym = op(t, n, "aten::mul", {asym, op(t, n, "aten::exp", {z})});
    EValue r = op(t, n, "aten::where", {op(t, n, "aten::le", {ax, c(kSwitch)}), sum, asym});
    const int out_code = is_floating(x.dtype) ? dtype_code(x.dtype) : 6;
    if (!scaled) {
      // torch computes exp(|x|) in the output's dtype: where that overflows
      // (|x| > 88.72 in float32), its result is inf though the value is not.
      const EValue xo = op(t, n, "aten::to", {a["self"], c(out_code), c(false), c(false)});
      const EValue over = op(t, n, "aten::isinf", {op(t, n, "aten::exp", {op(t, n, "aten::abs", {xo})})});
      r = op(t, n, "aten::where", {over, c(std::numeric_limits<double>::infinity()), r});
    }
    if (nu == 1) r = op(t, n, "aten::mul", {r, op(t, n, "aten::sign", {xd})});
    r = op(t, n, "aten::where", {op(t, n, "aten::isnan", {xd}), xd, r});
    return {op(t, n, "aten::to", {r, c(out_code), c(false), c(false)})};
  }

  // bitwise_left_shift / bitwise_right_shift / __lshift__ / __rshift__ on
  // integer tensors. ONNX's BitShift takes unsigned integers only, so the
  // shifts are arithmetic on int64: a << m = a * 2^m (wrapping), a >> m =
  // floor(a / 2^m) (torch's arithmetic shift of signed values). m is the
  // shift count as torch's CPU kernel applies it: masked to 0..63 for int64,
  // to 0..31 for narrower types (which C++ shifts as 32-bit ints), so a
  // negative or oversized count gives eager's result too. 2^m is built from
  // m's bits; m = 63 shifts int64 right to the sign (-1 or 0).
  static std::vector<EValue> bit_shift(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const bool left = n.kind == "aten::bitwise_left_shift" || n.kind == "aten::__lshift__";
    const std::string& overload = a.schema().overload;
    if (overload == "int") t.fail("unsupported-argument", n.kind + ": shifts of Python ints are not supported");
    const EValue self = a[a.schema().arguments[0].name], other = a[a.schema().arguments[1].name];
    std::optional<DType> dt;
    if (self.is_tensor()) dt = self.tensor->dtype;
    if (other.is_tensor()) dt = dt ? promote_types(*dt, other.tensor->dtype) : other.tensor->dtype;
    if (!dt) t.fail("bad-argument", n.kind + ": expected a tensor");
    if (is_floating(*dt) || *dt == DType::Bool)
      t.fail("bad-argument", n.kind + ": shifts need integer tensors, got " + std::string(dtype_name(*dt)) + " (as torch)");
    for (const EValue* v : {&self, &other})
      if (!v->is_tensor() && !(v->is_constant() && v->constant.is_number_integer()))
        t.fail("unsupported-argument", n.kind + ": a shift operand must be a tensor or an int known while tracing, got a " + describe(*v));
    const auto as_i64 = [&](const EValue& v) { return v.is_tensor() ? op(t, n, "aten::to", {v, c(4), c(false), c(false)}) : v; };
    const auto as_tensor = [&](const EValue& v) {
      return v.is_tensor() ? v : op(t, n, "aten::full", {c(nlohmann::json::array()), v, c(4), EValue::none(), EValue::none(), EValue::none()});
    };
    const EValue value = as_tensor(as_i64(self));
    const EValue count = as_tensor(as_i64(other));
    const bool wide = *dt == DType::Int64;
    const EValue m = op(t, n, "aten::remainder", {count, c(wide ? 64 : 32)});
    // 2^m from the bits of m (constants 2, 4, 16, 256, 65536, 2^32; the product wraps at 2^63 as int64 does).
    EValue power = op(t, n, "aten::ones_like", {m});
    for (int bit = 0; bit < (wide ? 6 : 5); ++bit) {
      const EValue set = op(t, n, "aten::eq", {op(t, n, "aten::remainder", {op(t, n, "aten::div", {m, c(int64_t{1} << bit), c("floor")}), c(2)}), c(1)});
      power = op(t, n, "aten::where", {set, op(t, n, "aten::mul", {power, c(int64_t{1} << (int64_t{1} << bit))}), power});
    }
    EValue r;
    if (left) {
      r = op(t, n, "aten::mul", {value, power});
    } else {
      r = op(t, n, "aten::div", {value, power, c("floor")});
      if (wide) {
        const EValue sign = op(t, n, "aten::where", {op(t, n, "aten::lt", {value, c(0)}), c(-1), c(0)});
        r = op(t, n, "aten::where", {op(t, n, "aten::eq", {m, c(63)}), sign, r});
      }
    }
    return {op(t, n, "aten::to", {r, c(dtype_code(*dt)), c(false), c(false)})};
  }

  // index_put(self, indices, values, accumulate=False), the functional
  // x[i, j] = v / x.index_put(...):
  // - integer index tensors for the leading dims (broadcast together,
  //   negative ones wrapped; static sizes): one linear index into self's
  //   leading dims flattened, then index_copy, or index_add when accumulating
  //   (ScatterElements with reduction add, opset 16). Repeated positions
  //   without accumulate are undefined in torch (its docs say so); ONNX
  //   Runtime writes them in order, as eager's CPU loop does.
  // - one boolean mask after leading full slices, with values that do not
  //   depend on how many elements it selects (values of at most the rank of
  //   the dims after the mask): where(mask, v, x), or x + where(mask, v, 0).
  static std::vector<EValue> index_put(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const FakeTensor& self = tensor(t, n, a, "self");
    const FakeTensor& values = tensor(t, n, a, "values");
    const EValue& list = a["indices"];
    if (!list.is_sequence()) t.fail("bad-argument", n.kind + ": indices must be a list");
    const EList& indices = *list.items;
    const bool accumulate = constant_bool(t, n, a, "accumulate");
    const int64_t rank = static_cast<int64_t>(self.shape.size());
    size_t leading = 0;
    while (leading < indices.size() && indices[leading].is_none()) ++leading;
    if (leading + 1 == indices.size() && indices[leading].is_tensor() &&
        (indices[leading].tensor->dtype == DType::Bool || indices[leading].tensor->dtype == DType::UInt8)) {
      EValue mask = indices[leading];
      if (mask.tensor->dtype != DType::Bool) mask = op(t, n, "aten::to", {mask, c(11), c(false), c(false)});
      const int64_t mask_rank = static_cast<int64_t>(mask.tensor->shape.size());
      const int64_t after = rank - static_cast<int64_t>(leading) - mask_rank;
      if (after < 0) t.fail("bad-argument", n.kind + ": the mask " + shape_str(mask.tensor->shape) + " does not fit " + shape_str(self.shape));
      if (static_cast<int64_t>(values.shape.size()) > after)
        t.fail("unsupported-argument", n.kind + ": values " + shape_str(values.shape) + " with one value per selected element "
                                                "(a size that depends on the mask's data) are not supported; values broadcast to "
                                                "every selected element are");
      for (size_t i = 0; i < leading; ++i) mask = op(t, n, "aten::unsqueeze", {mask, c(0)});
      for (int64_t i = 0; i < after; ++i) mask = op(t, n, "aten::unsqueeze", {mask, c(-1)});
      if (accumulate && self.dtype == DType::Bool)  // torch accumulates bools as a logical or
        return {op(t, n, "aten::logical_or", {a["self"], op(t, n, "aten::logical_and", {mask, a["values"]})})};
      if (accumulate) {
        const EValue sum = op(t, n, "aten::add", {a["self"], op(t, n, "aten::where", {mask, a["values"], c(0)}), c(1)});
        return {op(t, n, "aten::to", {sum, c(dtype_code(self.dtype)), c(false), c(false)})};
      }
      return {op(t, n, "aten::where", {mask, op(t, n, "aten::to", {a["values"], c(dtype_code(self.dtype)), c(false), c(false)}), a["self"]})};
    }
    if (indices.empty() || leading != 0 || static_cast<int64_t>(indices.size()) > rank)
      t.fail("unsupported-argument", n.kind + ": only integer index tensors for the leading dims, or one boolean mask, are supported");
    const int64_t k = static_cast<int64_t>(indices.size());
    Shape batch;  // the index tensors' broadcast shape
    for (const EValue& i : indices) {
      if (!i.is_tensor() || is_floating(i.tensor->dtype) || i.tensor->dtype == DType::Bool)
        t.fail("unsupported-argument", n.kind + ": only integer index tensors for the leading dims, or one boolean mask, are supported");
      for (const Dim& d : i.tensor->shape)
        if (!d.is_static()) t.fail("unsupported-argument", n.kind + ": index tensors with a dynamic dim are not supported");
      const Shape& s = i.tensor->shape;
      Shape merged(std::max(batch.size(), s.size()), Dim(1));
      for (size_t j = 0; j < merged.size(); ++j) {
        const int64_t x = j + batch.size() >= merged.size() ? batch[j + batch.size() - merged.size()].value() : 1;
        const int64_t y = j + s.size() >= merged.size() ? s[j + s.size() - merged.size()].value() : 1;
        if (x != y && x != 1 && y != 1) t.fail("bad-argument", n.kind + ": index tensors do not broadcast together");
        merged[j] = Dim(std::max(x, y));
      }
      batch = merged;
    }
    for (const Dim& d : self.shape)
      if (!d.is_static()) t.fail("unsupported-argument", n.kind + ": a self with a dynamic dim is not supported, got " + shape_str(self.shape));
    // The linear position in self's first k dims, negative indices wrapped.
    EValue linear = EValue::none();
    int64_t stride = 1;
    for (int64_t d = k - 1; d >= 0; --d) {
      const int64_t size = self.shape[static_cast<size_t>(d)].value();
      EValue i = op(t, n, "aten::to", {indices[static_cast<size_t>(d)], c(4), c(false), c(false)});
      i = op(t, n, "aten::where", {op(t, n, "aten::lt", {i, c(0)}), op(t, n, "aten::add", {i, c(size), c(1)}), i});
      const EValue term = stride == 1 ? i : op(t, n, "aten::mul", {i, c(stride)});
      linear = linear.is_none() ? term : op(t, n, "aten::add", {linear, term, c(1)});
      stride *= size;
    }
    nlohmann::json batch_shape = nlohmann::json::array(), update_shape = nlohmann::json::array({-1});
    int64_t count = 1;
    for (const Dim& d : batch) {
      batch_shape.push_back(d.value());
      count *= d.value();
    }
    nlohmann::json rows_shape = nlohmann::json::array({stride});
    for (int64_t d = k; d < rank; ++d) {
      batch_shape.push_back(self.shape[static_cast<size_t>(d)].value());
      update_shape.push_back(self.shape[static_cast<size_t>(d)].value());
      rows_shape.push_back(self.shape[static_cast<size_t>(d)].value());
    }
    if (count == 0) return {op(t, n, "aten::clone", {a["self"], EValue::none()})};
    if (accumulate && self.dtype == DType::Bool)
      t.fail("unsupported-argument", n.kind + ": accumulate=True on a bool tensor (a logical or at each position) is not supported "
                                              "with integer indices");
    const EValue positions = op(t, n, "aten::reshape", {op(t, n, "aten::expand", {linear, c(nlohmann::json(batch_shape.begin(), batch_shape.begin() + static_cast<std::ptrdiff_t>(batch.size()))), c(false)}), last_dim()});
    EValue updates = op(t, n, "aten::to", {a["values"], c(dtype_code(self.dtype)), c(false), c(false)});
    updates = op(t, n, "aten::reshape", {op(t, n, "aten::expand", {updates, c(batch_shape), c(false)}), c(update_shape)});
    const EValue rows = op(t, n, "aten::reshape", {a["self"], c(rows_shape)});
    const EValue written = accumulate ? op(t, n, "aten::index_add", {rows, c(0), positions, updates, c(1)})
                                      : op(t, n, "aten::index_copy", {rows, c(0), positions, updates});
    return {op(t, n, "aten::reshape_as", {written, a["self"]})};
  }
  // put(self, index, source, accumulate=False): index_put on the flattened
  // self (negative indices wrapped), the same rule for repeated positions.
  static std::vector<EValue> put(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const FakeTensor& self = tensor(t, n, a, "self");
    tensor(t, n, a, "index");
    tensor(t, n, a, "source");
    int64_t count = 1;
    for (const Dim& d : self.shape) {
      if (!d.is_static()) t.fail("unsupported-argument", n.kind + ": a self with a dynamic dim is not supported, got " + shape_str(self.shape));
      count *= d.value();
    }
    EValue i = op(t, n, "aten::reshape", {op(t, n, "aten::to", {a["index"], c(4), c(false), c(false)}), last_dim()});
    i = op(t, n, "aten::where", {op(t, n, "aten::lt", {i, c(0)}), op(t, n, "aten::add", {i, c(count), c(1)}), i});
    const EValue flat = op(t, n, "aten::reshape", {a["self"], last_dim()});
    const EValue src = op(t, n, "aten::reshape", {op(t, n, "aten::to", {a["source"], c(dtype_code(self.dtype)), c(false), c(false)}), last_dim()});
    if (constant_bool(t, n, a, "accumulate") && self.dtype == DType::Bool)
      t.fail("unsupported-argument", n.kind + ": accumulate=True on a bool tensor (a logical or at each position) is not supported");
    const EValue written = constant_bool(t, n, a, "accumulate") ? op(t, n, "aten::index_add", {flat, c(0), i, src, c(1)})
                                                                 : op(t, n, "aten::index_copy", {flat, c(0), i, src});
    return {op(t, n, "aten::reshape_as", {written, a["self"]})};
  }

  // adaptive_max_pool1d / 2d(self, output_size) -> (values, indices). Where
  // every spatial size is a multiple of its output size the op library's own
  // op (a MaxPool) serves; otherwise each output window [floor(i L / O),
  // ceil((i + 1) L / O)) is reduced on its own (static sizes, at most 4096
  // windows), with torch's index rule: the first maximum in row-major order,
  // or the last NaN of the window; the index is h * W + w in the input plane.
  static std::vector<EValue> adaptive_max_pool(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const FakeTensor& x = tensor(t, n, a, "self");
    const size_t spatial = n.kind == "aten::adaptive_max_pool1d" ? 1 : 2;
    const std::optional<nlohmann::json> out = as_constant_json(a["output_size"]);
    if (!out || !out->is_array() || out->size() != spatial)
      t.fail("unsupported-argument", n.kind + ": output_size must be " + std::to_string(spatial) + " ints known while tracing");
    if (x.shape.size() < spatial + 1) t.fail("bad-argument", n.kind + ": input of shape " + shape_str(x.shape) + " has too few dims");
    std::vector<int64_t> in_size, out_size;
    bool divisible = true;
    int64_t windows = 1;
    for (size_t d = 0; d < spatial; ++d) {
      const Dim& s = x.shape[x.shape.size() - spatial + d];
      const int64_t o = (*out)[d].get<int64_t>();
      if (!s.is_static() || o <= 0) {
        divisible = divisible && s.is_static() && o > 0 && s.value() % o == 0;
        continue;
      }
      in_size.push_back(s.value());
      out_size.push_back(o);
      divisible = divisible && s.value() % o == 0;
      windows *= o;
    }
    if (divisible || in_size.size() != spatial) {
      // The op library's op takes a batch dim: an unbatched input gets one for the call.
      if (x.shape.size() > spatial + 1) return t.call_tensor_op(n, n.kind, {a["self"], a["output_size"]});
      std::vector<EValue> r = t.call_tensor_op(n, n.kind, {op(t, n, "aten::unsqueeze", {a["self"], c(0)}), a["output_size"]});
      for (EValue& v : r) v = op(t, n, "aten::squeeze", {v, c(0)});
      return r;
    }
    if (windows > 4096) t.fail("unsupported-argument", n.kind + ": more than 4096 uneven output windows are not supported");
    const bool floating = is_floating(x.dtype);
    const int64_t width = in_size.back();
    const int64_t rows = spatial == 2 ? out_size[0] : 1, cols = out_size.back();
    EList value_rows, index_rows;
    for (int64_t i = 0; i < rows; ++i) {
      const int64_t h0 = spatial == 2 ? i * in_size[0] / rows : 0;
      const int64_t h1 = spatial == 2 ? ((i + 1) * in_size[0] + rows - 1) / rows : 1;
      EList values, indices;
      for (int64_t j = 0; j < cols; ++j) {
        const int64_t w0 = j * width / cols, w1 = ((j + 1) * width + cols - 1) / cols;
        EValue piece = op(t, n, "aten::slice", {a["self"], c(-1), c(w0), c(w1), c(1)});
        if (spatial == 2) {
          piece = op(t, n, "aten::slice", {piece, c(-2), c(h0), c(h1), c(1)});
          piece = op(t, n, "aten::flatten", {piece, c(-2), c(-1)});
        }
        const int64_t len = (h1 - h0) * (w1 - w0), wl = w1 - w0;
        EValue value = op(t, n, "aten::amax", {piece, last_dim(), c(true)});
        EValue at = op(t, n, "aten::argmax", {piece, c(-1), c(true)});
        if (floating) {
          value = op(t, n, "aten::add", {value, nan_term(t, n, piece, true), c(1)});
          const EValue nan = op(t, n, "aten::to", {op(t, n, "aten::isnan", {piece}), c(4), c(false), c(false)});
          const EValue last_nan = op(t, n, "aten::add", {op(t, n, "aten::neg", {op(t, n, "aten::argmax", {op(t, n, "aten::flip", {nan, last_dim()}), c(-1), c(true)})}),
                                                         c(len - 1), c(1)});
          at = op(t, n, "aten::where", {op(t, n, "aten::gt", {op(t, n, "aten::amax", {nan, last_dim(), c(true)}), c(0)}), last_nan, at});
        }
        // Window position (r // wl, r % wl) to the input plane's h * W + w.
        const EValue row = op(t, n, "aten::div", {at, c(wl), c("floor")});
        const EValue col = op(t, n, "aten::remainder", {at, c(wl)});
        EValue index = op(t, n, "aten::add", {op(t, n, "aten::mul", {op(t, n, "aten::add", {row, c(h0), c(1)}), c(width)}),
                                              op(t, n, "aten::add", {col, c(w0), c(1)}), c(1)});
        values.push_back(value);
        indices.push_back(index);
      }
      const auto row_of = [&](EList parts) {
        EValue r = parts.size() == 1 ? parts[0] : op(t, n, "aten::cat", {EValue::list(std::move(parts), t.rewrite_depth_), c(-1)});
        return spatial == 2 ? op(t, n, "aten::unsqueeze", {r, c(-2)}) : r;
      };
      value_rows.push_back(row_of(std::move(values)));
      index_rows.push_back(row_of(std::move(indices)));
    }
    if (spatial == 1) return {value_rows[0], index_rows[0]};
    const auto stack = [&](EList parts) {
      return parts.size() == 1 ? parts[0] : op(t, n, "aten::cat", {EValue::list(std::move(parts), t.rewrite_depth_), c(-2)});
    };
    return {stack(std::move(value_rows)), stack(std::move(index_rows))};
  }

  // special_erfcx(x) = exp(x^2) erfc(x): that product below x = 2 (erfc has
  // no cancellation there; it overflows to inf below about -9.3 as torch's
  // does), and from 2 up the continued fraction
  // 1 / (sqrt(pi) (x + (1/2) / (x + 1 / (x + (3/2) / (x + ...))))), 40 terms
  // (checked against eager on 300k points in [-9, 60]: within 1e-3 relative).
  static std::vector<EValue> erfcx(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const FakeTensor& x = tensor(t, n, a, "self");
    EValue v = a["self"];
    if (!is_floating(x.dtype)) v = op(t, n, "aten::to", {v, c(6), c(false), c(false)});
    return {erfcx_of(t, n, v)};
  }
  static EValue erfcx_of(Tracer& t, const ProgramNode& n, const EValue& v) {
    const EValue small = op(t, n, "aten::mul", {op(t, n, "aten::exp", {op(t, n, "aten::mul", {v, v})}), op(t, n, "aten::erfc", {v})});
    const EValue z = op(t, n, "aten::clamp_min", {v, c(2.0)});
    EValue k = z;
    for (int term = 40; term >= 1; --term) k = op(t, n, "aten::add", {z, op(t, n, "aten::mul", {op(t, n, "aten::reciprocal", {k}), c(term / 2.0)}), c(1)});
    const EValue large = op(t, n, "aten::reciprocal", {op(t, n, "aten::mul", {k, c(std::sqrt(std::numbers::pi))})});
    return op(t, n, "aten::where", {op(t, n, "aten::lt", {v, c(2.0)}), small, large});
  }

  // ---- spectral ops as DFT matrices (tests/opinfo: stft, istft, fft.irfft, fft.hfft)
  //
  // onnxport has no complex dtype, so a complex spectrum is the real layout
  // torch.view_as_real gives it: [..., 2] with the real and imaginary parts.
  // The transforms are matmuls with constant cosine / sine tables built in
  // double from exact angle indices ((f k) mod N), computed in float64 and
  // cast back: one formula at every opset (13 included), no ONNX DFT/STFT op.

  // The program node that writes the value `name`, if any.
  static const ProgramNode* producer_of(const Program& program, const std::string& name) {
    const ProgramNode* found = nullptr;
    auto visit = [&](const ProgramBlock& b, auto& self) -> void {
      for (const ProgramNode& node : b.nodes) {
        if (std::find(node.outputs.begin(), node.outputs.end(), name) != node.outputs.end()) found = &node;
        for (const ProgramBlock& sub : node.blocks) self(sub, self);
      }
    };
    visit(program.graph, visit);
    return found;
  }
  // Every node of the program that reads `name`; `as_output` tells whether a
  // block or the graph returns it.
  static std::vector<const ProgramNode*> readers_of(const Program& program, const std::string& name, bool& as_output) {
    std::vector<const ProgramNode*> readers;
    as_output = false;
    auto visit = [&](const ProgramBlock& b, auto& self) -> void {
      for (const ProgramNode& node : b.nodes) {
        if (std::find(node.inputs.begin(), node.inputs.end(), name) != node.inputs.end()) readers.push_back(&node);
        for (const ProgramBlock& sub : node.blocks) self(sub, self);
      }
      if (std::find(b.outputs.begin(), b.outputs.end(), name) != b.outputs.end()) as_output = true;
    };
    visit(program.graph, visit);
    return readers;
  }
  // Whether the program value `name` is the complex result of
  // stft(..., return_complex=True), which the stft rule below writes in the
  // real layout: its last input is a prim::Constant true.
  static bool is_complex_stft(const Program& program, const std::string& name) {
    const ProgramNode* p = producer_of(program, name);
    if (p == nullptr || p->kind != "aten::stft" || p->inputs.empty()) return false;
    const ProgramNode* flag = producer_of(program, p->inputs.back());
    return flag != nullptr && flag->kind == "prim::Constant" && flag->attrs.contains("value") &&
           flag->attrs["value"].is_boolean() && flag->attrs["value"].get<bool>();
  }

  // A [rows, cols] float64 constant with entries f(r, c).
  static EValue table(Tracer& t, const ProgramNode& n, int64_t rows, int64_t cols, const std::function<double(int64_t, int64_t)>& f) {
    nlohmann::json data = nlohmann::json::array();
    for (int64_t r = 0; r < rows; ++r) {
      nlohmann::json row = nlohmann::json::array();
      for (int64_t col = 0; col < cols; ++col) row.push_back(f(r, col));
      data.push_back(std::move(row));
    }
    return op(t, n, "aten::tensor", {c(std::move(data)), c(7), EValue::none(), c(false)});
  }
  static double angle(int64_t f, int64_t k, int64_t size) {
    return 2.0 * std::numbers::pi * static_cast<double>((f * k) % size) / static_cast<double>(size);
  }
  static EValue to_dtype(Tracer& t, const ProgramNode& n, const EValue& x, int code) {
    return op(t, n, "aten::to", {x, c(code), c(false), c(false)});
  }
  static int64_t static_dim(Tracer& t, const ProgramNode& n, const FakeTensor& x, int64_t d, std::string_view what) {
    const int64_t rank = static_cast<int64_t>(x.shape.size());
    const Dim& dim = x.shape[static_cast<size_t>(d < 0 ? d + rank : d)];
    if (!dim.is_static())
      t.fail("unsupported-argument", n.kind + ": " + std::string(what) + " must be a static size, got `" + dim.str() +
                                         "` (the transform's tables are built while tracing)",
             "Declare that dim static.");
    return dim.value();
  }

  // The window of a short-time transform: `window` (or ones) of win_length
  // entries, zero-padded on both sides to n_fft as torch centers it, float64.
  static EValue padded_window(Tracer& t, const ProgramNode& n, const NamedInputs& a, int64_t n_fft, int64_t win_length) {
    const EValue none = EValue::none();
    if (win_length <= 0 || win_length > n_fft)
      t.fail("bad-argument", n.kind + ": expected 0 < win_length <= n_fft, got win_length=" + std::to_string(win_length) +
                                 ", n_fft=" + std::to_string(n_fft));
    EValue w;
    if (a.is_none("window")) {
      w = op(t, n, "aten::ones", {c(nlohmann::json::array({win_length})), c(7), none, none, none});
    } else {
      const FakeTensor& window = tensor(t, n, a, "window");
      if (window.shape.size() != 1 || !window.shape[0].is_static() || window.shape[0].value() != win_length)
        t.fail("bad-argument", n.kind + ": expected a 1-d window of win_length=" + std::to_string(win_length) +
                                   " entries, got shape " + shape_str(window.shape));
      if (!is_floating(window.dtype)) t.fail("unsupported-argument", n.kind + ": the window must be a float tensor");
      w = to_dtype(t, n, a["window"], 7);
    }
    const int64_t left = (n_fft - win_length) / 2;
    if (left == 0 && win_length == n_fft) return w;
    return op(t, n, "aten::constant_pad_nd", {w, c(nlohmann::json::array({left, n_fft - win_length - left})), c(0)});
  }

  static void refuse_complex_input(Tracer& t, const ProgramNode& n, const FakeTensor& x) {
    if (!is_floating(x.dtype))
      t.fail("unsupported-argument", n.kind + ": expected a float tensor, got " + std::string(dtype_name(x.dtype)) +
                                         " (onnxport has no complex tensors)");
  }

  // stft(self [L] or [B, L], n_fft, hop_length=n_fft/4, win_length=n_fft,
  // window=ones, [center=True, pad_mode="reflect",] normalized, onesided,
  // return_complex) -> [B?, freqs, frames, 2]: frames of n_fft samples every
  // hop_length (after padding n_fft/2 on both sides with pad_mode when
  // center), times the window, through the DFT
  //   X[f] = sum_k x[k] (cos(2 pi f k / N) - i sin(2 pi f k / N)),
  // f < N/2 + 1 when onesided (the default for real input), scaled by
  // 1/sqrt(N) when normalized. return_complex=True is complex in eager: it is
  // captured (in the real layout) only when every reader of the result is
  // view_as_real or istft, which read that layout; anything else is refused.
  static std::vector<EValue> stft(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const EValue none = EValue::none();
    const FakeTensor& self = tensor(t, n, a, "self");
    refuse_complex_input(t, n, self);
    const int64_t rank = static_cast<int64_t>(self.shape.size());
    if (rank != 1 && rank != 2)
      t.fail("bad-argument", n.kind + ": expected a 1-d or 2-d input, got shape " + shape_str(self.shape));
    const int64_t n_fft = constant_int(t, n, a, "n_fft");
    const int64_t hop = a.is_none("hop_length") ? n_fft / 4 : constant_int(t, n, a, "hop_length");
    const int64_t win_length = a.is_none("win_length") ? n_fft : constant_int(t, n, a, "win_length");
    if (n_fft <= 0 || hop <= 0)
      t.fail("bad-argument", n.kind + ": expected n_fft > 0 and hop_length > 0, got n_fft=" + std::to_string(n_fft) +
                                 ", hop_length=" + std::to_string(hop));
    const bool onesided = a.is_none("onesided") || constant_bool(t, n, a, "onesided");
    const bool normalized = constant_bool(t, n, a, "normalized");
    if (!a.is_none("return_complex") && constant_bool(t, n, a, "return_complex")) {
      bool as_output = false;
      const std::vector<const ProgramNode*> readers = readers_of(t.program_, n.outputs.at(0), as_output);
      const bool real_layout_only = !as_output && std::all_of(readers.begin(), readers.end(), [](const ProgramNode* r) {
        return r->kind == "aten::view_as_real" || r->kind == "aten::istft";
      });
      if (!real_layout_only)
        t.fail("unsupported-argument",
               n.kind + ": return_complex=True gives a complex tensor, and onnxport has no complex tensors; it is exported "
                        "only when every use of the result is torch.view_as_real(...) or torch.istft(...)",
               "Use torch.view_as_real(torch.stft(..., return_complex=True)) (real and imaginary parts in a last dim of 2).");
    }
    const int code = dtype_code(self.dtype);
    EValue x = rank == 1 ? op(t, n, "aten::unsqueeze", {a["self"], c(0)}) : a["self"];
    if (a.schema().argument_index("center") && constant_bool(t, n, a, "center")) {
      const EValue& mode = a["pad_mode"];
      if (!mode.is_constant() || !mode.constant.is_string())
        t.fail("unsupported-argument", n.kind + ": pad_mode must be a string known while tracing");
      const int64_t pad = n_fft / 2;
      const EValue x3 = op(t, n, "aten::unsqueeze", {x, c(1)});
      x = op(t, n, "aten::squeeze", {op(t, n, "aten::pad", {x3, c(nlohmann::json::array({pad, pad})), mode, none}), c(1)});
    }
    const FakeTensor& padded = *x.tensor;
    const int64_t length = static_dim(t, n, padded, -1, "the signal length");
    if (n_fft > length)
      t.fail("bad-argument", n.kind + ": n_fft=" + std::to_string(n_fft) + " is longer than the (padded) signal of " +
                                 std::to_string(length) + " samples");
    const EValue frames = op(t, n, "aten::unfold", {to_dtype(t, n, x, 7), c(-1), c(n_fft), c(hop)});  // [B, T, N]
    const EValue windowed = op(t, n, "aten::mul", {frames, padded_window(t, n, a, n_fft, win_length)});
    const int64_t freqs = onesided ? n_fft / 2 + 1 : n_fft;
    const double scale = normalized ? 1.0 / std::sqrt(static_cast<double>(n_fft)) : 1.0;
    const EValue cosines = table(t, n, n_fft, freqs, [&](int64_t k, int64_t f) { return scale * std::cos(angle(f, k, n_fft)); });
    const EValue sines = table(t, n, n_fft, freqs, [&](int64_t k, int64_t f) { return -scale * std::sin(angle(f, k, n_fft)); });
    const EValue re = op(t, n, "aten::matmul", {windowed, cosines});
    const EValue im = op(t, n, "aten::matmul", {windowed, sines});
    EList parts{re, im};
    EValue out = op(t, n, "aten::stack", {EValue::list(std::move(parts), t.rewrite_depth_), c(-1)});  // [B, T, F, 2]
    out = op(t, n, "aten::transpose", {out, c(1), c(2)});
    if (rank == 1) out = op(t, n, "aten::squeeze", {out, c(0)});
    return {to_dtype(t, n, out, code)};
  }

  // view_as_real of stft(..., return_complex=True), which the stft rule
  // already wrote in the real layout; any other complex tensor is refused.
  static std::vector<EValue> view_as_real(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    if (!is_complex_stft(t.program_, n.inputs.at(0)))
      t.fail("unsupported-op", n.kind + " of a complex tensor: onnxport has no complex tensors (only "
                                        "view_as_real(stft(..., return_complex=True)) is captured)");
    return {op(t, n, "aten::alias", {a["self"]})};
  }

  // Overlap-add of frames [B, T, N] placed every `hop` samples ->
  // [B, N + hop (T - 1)]: each frame is cut into r = ceil(N / hop) chunks of
  // hop samples; chunk j of every frame, laid end to end, is shifted by j
  // chunks, and the r shifted rows are summed (exact, no scatter: any opset).
  static EValue overlap_add(Tracer& t, const ProgramNode& n, const EValue& frames, int64_t frames_count, int64_t n_fft, int64_t hop) {
    const int64_t r = (n_fft + hop - 1) / hop;
    EValue f = r * hop == n_fft ? frames : op(t, n, "aten::constant_pad_nd", {frames, c(nlohmann::json::array({0, r * hop - n_fft})), c(0)});
    EValue sum;
    for (int64_t j = 0; j < r; ++j) {
      const EValue chunk = op(t, n, "aten::slice", {f, c(2), c(j * hop), c((j + 1) * hop), c(1)});  // [B, T, hop]
      const EValue row = op(t, n, "aten::flatten", {chunk, c(1), c(2)});                           // [B, T hop]
      const EValue shifted = op(t, n, "aten::constant_pad_nd", {row, c(nlohmann::json::array({j * hop, (r - 1 - j) * hop})), c(0)});
      sum = j == 0 ? shifted : op(t, n, "aten::add", {sum, shifted, c(1)});
    }
    return op(t, n, "aten::slice", {sum, c(1), c(0), c(n_fft + hop * (frames_count - 1)), c(1)});
  }

  // istft(self [B?, freqs, frames, 2] (the real layout), n_fft, hop_length,
  // win_length, window, center=True, normalized, onesided, length,
  // return_complex=False) -> [B?, samples]: each frame's irfft of n_fft
  // samples (as eager: onesided only sets how many bins the input must have;
  // 1/N, or 1/sqrt(N) when normalized), times the
  // window, overlap-added and divided by the overlap-added squared window;
  // n_fft/2 samples trimmed from both ends when center, then cut or
  // zero-padded to `length`. Eager refuses a window whose envelope falls
  // below 1e-11: a constant window is checked the same way here; a window
  // given as a tensor cannot be, and there the model divides by it.
  static std::vector<EValue> istft(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const FakeTensor& self = tensor(t, n, a, "self");
    refuse_complex_input(t, n, self);
    const int64_t rank = static_cast<int64_t>(self.shape.size());
    if ((rank != 3 && rank != 4) || !self.shape.back().is_static() || self.shape.back().value() != 2)
      t.fail("bad-argument", n.kind + ": expected [freqs, frames, 2] or [batch, freqs, frames, 2] (a complex "
                                      "spectrum's real layout), got shape " + shape_str(self.shape));
    if (constant_bool(t, n, a, "return_complex"))
      t.fail("unsupported-argument", n.kind + ": return_complex=True gives a complex tensor, and onnxport has no complex tensors");
    const int64_t n_fft = constant_int(t, n, a, "n_fft");
    const int64_t hop = a.is_none("hop_length") ? n_fft / 4 : constant_int(t, n, a, "hop_length");
    const int64_t win_length = a.is_none("win_length") ? n_fft : constant_int(t, n, a, "win_length");
    if (n_fft <= 0 || hop <= 0)
      t.fail("bad-argument", n.kind + ": expected n_fft > 0 and hop_length > 0");
    const int64_t freqs_in = static_dim(t, n, self, -3, "the number of frequencies");
    const int64_t frames_count = static_dim(t, n, self, -2, "the number of frames");
    const bool onesided = a.is_none("onesided") ? freqs_in != n_fft : constant_bool(t, n, a, "onesided");
    if (onesided ? freqs_in != n_fft / 2 + 1 : freqs_in != n_fft)
      t.fail("bad-argument", n.kind + ": expected " + std::to_string(onesided ? n_fft / 2 + 1 : n_fft) + " frequencies for n_fft=" +
                                 std::to_string(n_fft) + (onesided ? " (onesided)" : "") + ", got " + std::to_string(freqs_in));
    const bool center = constant_bool(t, n, a, "center");
    const bool normalized = constant_bool(t, n, a, "normalized");
    const int code = dtype_code(self.dtype);
    EValue x = rank == 3 ? op(t, n, "aten::unsqueeze", {a["self"], c(0)}) : a["self"];
    x = op(t, n, "aten::transpose", {to_dtype(t, n, x, 7), c(1), c(2)});  // [B, T, F, 2]
    const EValue re = op(t, n, "aten::select", {x, c(3), c(0)});
    const EValue im = op(t, n, "aten::select", {x, c(3), c(1)});
    const double scale = normalized ? 1.0 / std::sqrt(static_cast<double>(n_fft)) : 1.0 / static_cast<double>(n_fft);
    // With return_complex=False eager takes irfft(n_fft) of every frame,
    // onesided or not: the first n_fft/2 + 1 bins, those between DC and
    // Nyquist counted twice (their mirror images), the others unread.
    auto weight = [&](int64_t f) { return 2 * f > n_fft ? 0.0 : f == 0 || 2 * f == n_fft ? 1.0 : 2.0; };
    const EValue cosines = table(t, n, freqs_in, n_fft, [&](int64_t f, int64_t k) { return scale * weight(f) * std::cos(angle(f, k, n_fft)); });
    const EValue sines = table(t, n, freqs_in, n_fft, [&](int64_t f, int64_t k) { return -scale * weight(f) * std::sin(angle(f, k, n_fft)); });
    const EValue time = op(t, n, "aten::add", {op(t, n, "aten::matmul", {re, cosines}), op(t, n, "aten::matmul", {im, sines}), c(1)});
    const EValue window = padded_window(t, n, a, n_fft, win_length);
    const EValue y = overlap_add(t, n, op(t, n, "aten::mul", {time, window}), frames_count, n_fft, hop);
    const EValue squared = op(t, n, "aten::unsqueeze", {op(t, n, "aten::unsqueeze", {op(t, n, "aten::mul", {window, window}), c(0)}), c(0)});
    const EValue tiled = op(t, n, "aten::expand", {squared, c(nlohmann::json::array({1, frames_count, n_fft})), c(false)});
    const EValue envelope = overlap_add(t, n, tiled, frames_count, n_fft, hop);
    const int64_t expected = n_fft + hop * (frames_count - 1);
    const int64_t start = center ? n_fft / 2 : 0;
    int64_t end = expected;
    if (!a.is_none("length")) end = start + constant_int(t, n, a, "length");
    else if (center) end = expected - n_fft / 2;
    const int64_t stop = std::min(end, expected);
    if (stop <= start) t.fail("bad-argument", n.kind + ": the output would be empty");
    if (a.is_none("window")) {
      // ones: the envelope is the number of frames covering each sample.
      for (int64_t s = start; s < stop; ++s) {
        const int64_t left = (n_fft - win_length) / 2;
        int64_t covered = 0;
        for (int64_t fr = 0; fr < frames_count; ++fr) covered += s - fr * hop >= left && s - fr * hop < left + win_length;
        if (covered == 0)
          t.fail("bad-argument", n.kind + ": window overlap add min is 0 at sample " + std::to_string(s) +
                                     " (eager refuses these arguments: the inverse is not unique)");
      }
    }
    EValue out = op(t, n, "aten::div", {op(t, n, "aten::slice", {y, c(1), c(start), c(stop), c(1)}),
                                        op(t, n, "aten::slice", {envelope, c(1), c(start), c(stop), c(1)})});
    if (end > expected) out = op(t, n, "aten::constant_pad_nd", {out, c(nlohmann::json::array({0, end - expected})), c(0)});
    if (rank == 3) out = op(t, n, "aten::squeeze", {out, c(0)});
    return {to_dtype(t, n, out, code)};
  }

  // bincount(self [n] ints, weights=None, minlength=0): the output's length,
  // max(self) + 1 but at least minlength, is read from the data when the
  // model runs (an unbacked size, as nonzero's count), and the counts or
  // summed weights are scattered into zeros of that length. int64 counts;
  // float32 weights sum in float32, any other weights in float64, as eager.
  // Eager refuses negative values; the model cannot raise, and there
  // ScatterElements wraps the index.
  static std::vector<EValue> bincount(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const EValue none = EValue::none();
    const FakeTensor& self = tensor(t, n, a, "self");
    if (self.shape.size() != 1 || is_floating(self.dtype) || self.dtype == DType::Bool)
      t.fail("bad-argument", n.kind + ": expected a 1-d integer tensor, got " + std::string(dtype_name(self.dtype)) + " of shape " +
                                 shape_str(self.shape));
    const int64_t minlength = constant_int(t, n, a, "minlength");
    if (minlength < 0) t.fail("bad-argument", n.kind + ": minlength must be non-negative, got " + std::to_string(minlength));
    int out_code = 4;
    if (!a.is_none("weights")) {
      const FakeTensor& w = tensor(t, n, a, "weights");
      if (w.shape.size() != 1) t.fail("bad-argument", n.kind + ": weights must be 1-d like the input, got shape " + shape_str(w.shape));
      out_code = w.dtype == DType::Float32 ? 6 : 7;
    }
    const EValue x = to_dtype(t, n, a["self"], 4);
    // -1 appended so that an empty input still has a largest value: the length is then minlength.
    const EValue sentinel = op(t, n, "aten::tensor", {c(nlohmann::json::array({-1})), c(4), none, c(false)});
    const EValue largest = op(t, n, "aten::max", {op(t, n, "aten::cat", {EValue::list({x, sentinel}, t.rewrite_depth_), c(0)})});
    const EValue count = op(t, n, "aten::clamp_min", {op(t, n, "aten::add", {largest, c(1), c(1)}), c(minlength)});
    const EValue length = t.data_dependent_scalar("aten::Int", *count.tensor);
    const EValue zeros = op(t, n, "aten::zeros", {EValue::list({length}, t.rewrite_depth_), c(out_code), none, none, none});
    const EValue values = a.is_none("weights") ? op(t, n, "aten::ones_like", {x, c(4), none, none, none, none})
                                               : to_dtype(t, n, a["weights"], out_code);
    return {op(t, n, "aten::scatter_add", {zeros, c(0), x, values})};
  }

  // ---- gamma-family and inverse-error functions (tests/opinfo), in float64
  // with the result in the input's float dtype (float32 for integers and
  // bools, as eager). Each formula was checked against eager in float64 on
  // dense grids (tests of integration.breadth_ops: on two inputs).

  // A small expression builder over one tensor, so formulas read as math.
  struct Ex {
    Tracer* t;
    const ProgramNode* n;
    EValue v;
    Ex make(EValue r) const { return {t, n, std::move(r)}; }
    Ex un(const char* kind) const { return make(op(*t, *n, kind, {v})); }
    Ex bin(const char* kind, const EValue& o) const { return make(op(*t, *n, kind, {v, o})); }
    Ex operator+(const Ex& o) const { return make(op(*t, *n, "aten::add", {v, o.v, c(1)})); }
    Ex operator+(double o) const { return make(op(*t, *n, "aten::add", {v, c(o), c(1)})); }
    Ex operator-(const Ex& o) const { return make(op(*t, *n, "aten::sub", {v, o.v, c(1)})); }
    Ex operator-(double o) const { return make(op(*t, *n, "aten::sub", {v, c(o), c(1)})); }
    Ex operator*(const Ex& o) const { return bin("aten::mul", o.v); }
    Ex operator*(double o) const { return bin("aten::mul", c(o)); }
    Ex rsub(double o) const { return make(op(*t, *n, "aten::rsub", {v, c(o), c(1)})); }  // o - v
    Ex recip() const { return un("aten::reciprocal"); }
    Ex log() const { return un("aten::log"); }
    Ex lt(double o) const { return bin("aten::lt", c(o)); }
    Ex eq(double o) const { return bin("aten::eq", c(o)); }
    Ex floor() const { return un("aten::floor"); }
    Ex where(const Ex& yes, const Ex& no) const { return make(op(*t, *n, "aten::where", {v, yes.v, no.v})); }
    Ex where(double yes, const Ex& no) const { return make(op(*t, *n, "aten::where", {v, c(yes), no.v})); }
    Ex operator&(const Ex& o) const { return bin("aten::logical_and", o.v); }
  };
  static Ex as_double(Tracer& t, const ProgramNode& n, const NamedInputs& a, const char* name = "self") {
    return {&t, &n, to_dtype(t, n, a[name], 7)};
  }
  static int float_result_code(const FakeTensor& x) { return is_floating(x.dtype) ? dtype_code(x.dtype) : 6; }
  static constexpr double kInf = std::numeric_limits<double>::infinity();
  static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

  // x <= 0 and an integer: the poles of the gamma family.
  static Ex at_pole(const Ex& x) { return x.bin("aten::le", c(0.0)) & x.bin("aten::eq", x.floor().v); }

  // lgamma(x) = log|Gamma(x)|: Lanczos (g = 7, 9 terms) from 1/2 up, the
  // reflection log(pi / |sin(pi x)|) - lgamma(1 - x) below (the sine taken of
  // x's fraction, exact however large x is); inf at the poles and at +-inf.
  // Within 4e-13 of eager on [-20, 50] in float64.
  static Ex lgamma_of(const Ex& x) {
    static constexpr double kLanczos[9] = {0.99999999999980993, 676.5203681218851, -1259.1392167224028,
                                           771.32342877765313, -176.61502916214059, 12.507343278686905,
                                           -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7};
    const Ex small = x.lt(0.5);
    const Ex y = small.where(x.rsub(1.0), x);
    const Ex z = y - 1.0;
    Ex sum = (z * 0.0) + kLanczos[0];
    for (int i = 1; i < 9; ++i) sum = sum + (z + static_cast<double>(i)).recip() * kLanczos[i];
    const Ex u = z + 7.5;
    const Ex lanczos = (z + 0.5) * u.log() - u + 0.5 * std::log(2.0 * std::numbers::pi) + sum.log();
    const Ex fraction = x - x.floor();
    const Ex sine = (fraction * std::numbers::pi).un("aten::sin");
    const Ex reflected = (sine.log() + lanczos).rsub(std::log(std::numbers::pi));
    Ex r = small.where(reflected, lanczos);
    r = at_pole(x).where(kInf, r);
    return x.un("aten::isinf").where(kInf, r);
  }
  static std::vector<EValue> lgamma(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    if (!a.schema().overload.empty()) {  // math.lgamma of a Python number (lgamma.int / .float / .Scalar)
      const double value = constant_number(t, n, a, "a");
      return {c(std::lgamma(value))};
    }
    const FakeTensor& x = tensor(t, n, a, "self");
    return {to_dtype(t, n, lgamma_of(as_double(t, n, a)).v, float_result_code(x))};
  }

  // mvlgamma(x, p) = p (p - 1) / 4 log(pi) + sum_(j < p) lgamma(x - j / 2).
  // (PyTorch 1.13 computes the same sum for x <= (p - 1) / 2 too.)
  static std::vector<EValue> mvlgamma(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const FakeTensor& x = tensor(t, n, a, "self");
    const int64_t p = constant_int(t, n, a, "p");
    if (p < 1 || p > 1000) t.fail("bad-argument", n.kind + ": p must be between 1 and 1000, got " + std::to_string(p));
    const Ex xd = as_double(t, n, a);
    Ex sum = lgamma_of(xd);
    for (int64_t j = 1; j < p; ++j) sum = sum + lgamma_of(xd - static_cast<double>(j) / 2.0);
    sum = sum + static_cast<double>(p * (p - 1)) / 4.0 * std::log(std::numbers::pi);
    return {to_dtype(t, n, sum.v, float_result_code(x))};
  }

  // The coefficients of d^n/dx^n cot(pi x) / pi^n as a polynomial in
  // c = cot(pi x): P_0 = c, P_(k+1) = -(1 + c^2) P_k'(c).
  static std::vector<double> cot_derivative(int order) {
    std::vector<double> p = {0.0, 1.0};
    for (int k = 0; k < order; ++k) {
      std::vector<double> q(p.size() + 1, 0.0);
      for (size_t i = 1; i < p.size(); ++i) {
        const double d = static_cast<double>(i) * p[i];  // the derivative's coefficient of c^(i-1)
        q[i - 1] -= d;
        q[i + 1] -= d;
      }
      p = std::move(q);
    }
    return p;
  }

  // polygamma(order, x), digamma = polygamma(0, .): from 1/2 up, ten terms
  // of the series sum_k 1/(y + k)^(order+1) (digamma: -sum 1/(y + k)) and the
  // Euler-Maclaurin tail from y + 10 (8 Bernoulli terms); below 1/2 the
  // reflection psi^(n)(x) = (-1)^n psi^(n)(1 - x) - pi^(n+1) P_n(cot(pi x)).
  // Poles as eager: digamma(+-0) = -+inf, NaN at negative integers,
  // (-1)^(n+1) inf for n >= 1. Within 1e-11 of eager on [-9.5, 30] for
  // n = 0..4 (float64). Eager's trigamma at a negative integer is a huge
  // finite number from sin(pi x) rounding; here it is inf.
  static Ex polygamma_of(const Ex& x, int order, int result_code) {
    static constexpr double kBernoulli[8] = {1.0 / 6, -1.0 / 30, 1.0 / 42, -1.0 / 30, 5.0 / 66, -691.0 / 2730, 7.0 / 6, -3617.0 / 510};
    const Ex small = x.lt(0.5);
    const Ex y = small.where(x.rsub(1.0), x);
    const Ex z = y + 10.0;
    const Ex zi = z.recip();
    Ex value = y * 0.0;
    if (order == 0) {
      Ex direct = y * 0.0;
      for (int k = 0; k < 10; ++k) direct = direct + (y + static_cast<double>(k)).recip();
      const Ex zi2 = zi * zi;
      Ex tail = z.log() - zi * 0.5;
      Ex power = zi2;
      for (int j = 1; j <= 8; ++j) {
        tail = tail - power * (kBernoulli[j - 1] / (2.0 * j));
        power = power * zi2;
      }
      value = tail - direct;
    } else {
      const double s = order + 1.0;
      Ex direct = y * 0.0;
      for (int k = 0; k < 10; ++k) direct = direct + (y + static_cast<double>(k)).bin("aten::pow", c(-s));
      // Hurwitz zeta(s, z) ~ z^(1-s)/(s-1) + z^(-s)/2 + sum_j B_2j/(2j)! s(s+1)...(s+2j-2) z^(-s-2j+1)
      Ex tail = z.bin("aten::pow", c(1.0 - s)) * (1.0 / (s - 1.0)) + z.bin("aten::pow", c(-s)) * 0.5;
      double rising = s, factorial = 1.0;
      for (int j = 1; j <= 8; ++j) {
        if (j > 1) rising *= (s + 2.0 * j - 3.0) * (s + 2.0 * j - 2.0);
        factorial *= (2.0 * j - 1.0) * (2.0 * j);
        tail = tail + z.bin("aten::pow", c(-s - 2.0 * j + 1.0)) * (kBernoulli[j - 1] / factorial * rising);
      }
      double n_factorial = 1.0;
      for (int k = 2; k <= order; ++k) n_factorial *= k;
      value = (direct + tail) * ((order % 2 == 1 ? 1.0 : -1.0) * n_factorial);
    }
    const Ex fraction = x - x.floor();
    // cos(pi f) / sin(pi f), the cosine as sin(pi (1/2 - f)): ONNX Runtime
    // has no float64 Tan or Cos, it has float64 Sin.
    const Ex cosine = (fraction.rsub(0.5) * std::numbers::pi).un("aten::sin");
    const Ex cot = cosine.bin("aten::div", (fraction * std::numbers::pi).un("aten::sin").v);
    const std::vector<double> p = cot_derivative(order);
    Ex poly = cot * 0.0;
    for (auto it = p.rbegin(); it != p.rend(); ++it) poly = poly * cot + *it;
    const Ex reflected = value * (order % 2 == 0 ? 1.0 : -1.0) - poly * std::pow(std::numbers::pi, order + 1);
    Ex r = small.where(reflected, value);
    const Ex pole = at_pole(x);
    if (order == 0) {
      r = pole.where(kNaN, r);
      const Ex negative_zero = x.recip().lt(0.0);
      r = x.eq(0.0).where(negative_zero.where(kInf, (x * 0.0) - kInf), r);
      return x.eq(kInf).where(kInf, r);
    }
    if (order == 1) {
      // Eager's trigamma reflects through pi^2 / sin(pi x)^2 in the result's
      // dtype, so at a non-positive integer it gives the huge finite number
      // that sin's rounding there makes (inf at 0): the same here.
      const Ex working{x.t, x.n, to_dtype(*x.t, *x.n, x.v, result_code)};
      const Ex sine = (working * static_cast<double>(result_code == 6 ? static_cast<double>(std::numbers::pi_v<float>)
                                                                    : std::numbers::pi)).un("aten::sin");
      const Ex rounded = (sine * sine).recip() * (std::numbers::pi * std::numbers::pi);
      r = pole.where(Ex{x.t, x.n, to_dtype(*x.t, *x.n, rounded.v, 7)}, r);
      return x.eq(-kInf).where(kNaN, x.eq(kInf).where(0.0, r));
    }
    r = pole.where(order % 2 == 1 ? kInf : -kInf, r);
    return x.eq(kInf).where(kNaN, r);
  }
  static std::vector<EValue> digamma(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const FakeTensor& x = tensor(t, n, a, "self");
    return {to_dtype(t, n, polygamma_of(as_double(t, n, a), 0, float_result_code(x)).v, float_result_code(x))};
  }
  static std::vector<EValue> polygamma(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const FakeTensor& x = tensor(t, n, a, "self");
    const int64_t order = constant_int(t, n, a, "n");
    if (order < 0) t.fail("bad-argument", n.kind + ": n must be non-negative, got " + std::to_string(order));
    if (order > 20)
      t.fail("unsupported-argument", n.kind + ": n=" + std::to_string(order) + " is above 20, where the series used here is not checked");
    return {to_dtype(t, n, polygamma_of(as_double(t, n, a), static_cast<int>(order), float_result_code(x)).v, float_result_code(x))};
  }

  // erfinv(y) from w = -log((1 - y)(1 + y)): Giles' single-precision
  // polynomials ("Approximating the erfinv function", GPU Computing Gems),
  // evaluated in float64: within 7e-6 relative of eager's float32 result on
  // [-1, 1]; +-inf at +-1, NaN outside. float64 inputs are refused: this is
  // not accurate to float64.
  static Ex giles_erfinv(const Ex& y, const Ex& w) {
    static constexpr double kCentral[9] = {2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
                                           -0.00125372503, -0.00417768164, 0.246640727, 1.50140941};
    static constexpr double kTail[9] = {-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
                                        -0.0076224613, 0.00943887047, 1.00167406, 2.83297682};
    const Ex a = w - 2.5;
    const Ex b = w.un("aten::sqrt") - 3.0;
    Ex p = (a * 0.0) + kCentral[0], q = (b * 0.0) + kTail[0];
    for (int i = 1; i < 9; ++i) {
      p = p * a + kCentral[i];
      q = q * b + kTail[i];
    }
    return w.lt(5.0).where(p, q) * y;
  }
  static void refuse_float64(Tracer& t, const ProgramNode& n, const FakeTensor& x) {
    if (x.dtype == DType::Float64)
      t.fail("unsupported-argument", n.kind + " of float64: onnxport's formula is accurate to float32 only",
             "Compute it in float32 (x.float()), or leave it out of the exported module.");
  }
  static std::vector<EValue> erfinv(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const FakeTensor& x = tensor(t, n, a, "self");
    refuse_float64(t, n, x);
    const Ex y = as_double(t, n, a);
    const Ex w = ((y.rsub(1.0)) * (y + 1.0)).log() * -1.0;
    Ex r = giles_erfinv(y, w);
    r = y.un("aten::abs").eq(1.0).where(y * kInf, r);
    return {to_dtype(t, n, r.v, float_result_code(x))};
  }
  // ndtri(p) = sqrt(2) erfinv(2p - 1), with w = -log(4 p (1 - p)) taken from
  // p itself so small p keeps its precision; -inf at 0, inf at 1.
  static std::vector<EValue> ndtri(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const FakeTensor& x = tensor(t, n, a, "self");
    refuse_float64(t, n, x);
    const Ex p = as_double(t, n, a);
    const Ex w = (p * p.rsub(1.0) * 4.0).log() * -1.0;
    Ex r = giles_erfinv(p * 2.0 - 1.0, w) * std::numbers::sqrt2;
    r = p.eq(0.0).where(-kInf, p.eq(1.0).where(kInf, r));
    return {to_dtype(t, n, r.v, float_result_code(x))};
  }
  // log_ndtr(x) = log(Phi(x)), as eager computes it: with t = x / sqrt(2),
  // log(erfcx(-t) / 2) - t^2 below x = -1 (no underflow in the far tail),
  // log1p(-erfc(t) / 2) from -1 up. In float32 (float64 refused), as the
  // erfc / erfcx formulas here are.
  static std::vector<EValue> log_ndtr(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const FakeTensor& x = tensor(t, n, a, "self");
    refuse_float64(t, n, x);
    const Ex v{&t, &n, is_floating(x.dtype) ? a["self"] : to_dtype(t, n, a["self"], 6)};
    const Ex scaled = v * std::numbers::sqrt2 * 0.5;
    const Ex tail = (Ex{&t, &n, erfcx_of(t, n, (scaled * -1.0).v)} * 0.5).log() - scaled * scaled;
    const Ex body = (scaled.un("aten::erfc") * -0.5).un("aten::log1p");
    // NaN stays NaN (ONNX Runtime's Erf does not keep it).
    return {v.un("aten::isnan").where(v, v.lt(-1.0).where(tail, body)).v};
  }

  // quantile / nanquantile(self, q (float or 1-d tensor), dim=None,
  // keepdim=False, interpolation="linear"), as eager computes it: NaNs are
  // set to +inf and sorted last, ranks = q (count - 1) with count the
  // slice's size (quantile) or its non-NaN count (nanquantile), rounded as
  // the mode says (lower floor, higher ceil, nearest half to even), the
  // values at floor and ceil of the rank gathered and lerped (weight
  // rank - floor, 1/2 for midpoint). A slice with a NaN (quantile), or with
  // only NaNs (nanquantile), gives NaN. q outside [0, 1] is refused when
  // known; a q tensor is data (eager refuses it outside [0, 1] when run).
  static std::vector<EValue> quantile(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const EValue none = EValue::none();
    const FakeTensor& self = tensor(t, n, a, "self");
    if (!is_floating(self.dtype)) t.fail("bad-argument", n.kind + ": expected a float input, got " + std::string(dtype_name(self.dtype)));
    const bool ignore_nan = n.kind == "aten::nanquantile";
    const int64_t rank = static_cast<int64_t>(self.shape.size());
    const bool keepdim = constant_bool(t, n, a, "keepdim");
    const EValue& mode_v = a["interpolation"];
    if (!mode_v.is_constant() || !mode_v.constant.is_string()) t.fail("unsupported-argument", n.kind + ": interpolation must be a string known while tracing");
    const std::string mode = mode_v.constant.get<std::string>();
    if (mode != "linear" && mode != "lower" && mode != "higher" && mode != "nearest" && mode != "midpoint")
      t.fail("bad-argument", n.kind + ": interpolation must be linear, lower, higher, midpoint or nearest, got '" + mode + "'");
    const bool q_tensor = a["q"].is_tensor();
    if (q_tensor) {
      const FakeTensor& q = tensor(t, n, a, "q");
      if (q.shape.size() > 1) t.fail("bad-argument", n.kind + ": q must be a scalar or a 1-d tensor, got shape " + shape_str(q.shape));
    } else {
      const double q = constant_number(t, n, a, "q");
      if (!(q >= 0.0 && q <= 1.0)) t.fail("bad-argument", n.kind + ": q must be in [0, 1], got " + std::to_string(q));
    }
    const bool q_vector = q_tensor && tensor(t, n, a, "q").shape.size() == 1;
    int64_t dim = -1;
    EValue x = a["self"];
    if (a.is_none("dim")) {
      x = op(t, n, "aten::reshape", {x, c(nlohmann::json::array({-1}))});
    } else {
      dim = constant_int(t, n, a, "dim");
      if (dim < -std::max<int64_t>(rank, 1) || dim >= std::max<int64_t>(rank, 1)) t.fail("bad-argument", n.kind + ": dim out of range");
      if (dim < 0) dim += std::max<int64_t>(rank, 1);
      x = rank == 0 ? op(t, n, "aten::reshape", {x, c(nlohmann::json::array({1}))}) : op(t, n, "aten::movedim", {x, c(dim), c(-1)});
    }
    const EValue nan_mask = op(t, n, "aten::isnan", {x});
    const EValue filled = op(t, n, "aten::where", {nan_mask, c(kInf), x});
    const EValue sorted = t.call_tensor_op(n, "aten::sort", {filled, c(-1), c(false)})[0];  // [..., N]
    const int64_t sorted_rank = static_cast<int64_t>(sorted.tensor->shape.size());
    const EValue sum_last = c(nlohmann::json::array({-1}));
    const EValue valid = op(t, n, "aten::sum", {op(t, n, "aten::logical_not", {nan_mask}), sum_last, c(true), c(4)});  // [..., 1]
    const EValue size = t.sym_size(*sorted.tensor, sorted_rank - 1);
    const EValue count = ignore_nan ? valid : size;
    const int code = dtype_code(self.dtype);
    const EValue last = op(t, n, "aten::to", {op(t, n, "aten::clamp_min", {op(t, n, "aten::sub", {ignore_nan ? count : op(t, n, "aten::mul", {op(t, n, "aten::ones_like", {valid, none, none, none, none, none}), count}), c(1), c(1)}), c(0)}), c(code), c(false), c(false)});
    EValue q = q_tensor ? a["q"] : op(t, n, "aten::tensor", {a["q"], c(code), none, c(false)});
    if (q_vector) {
      nlohmann::json shape = nlohmann::json::array({-1});
      for (int64_t d = 0; d < sorted_rank; ++d) shape.push_back(1);
      q = op(t, n, "aten::reshape", {q, c(shape)});  // [Q, 1, ..., 1]
    }
    EValue ranks = op(t, n, "aten::mul", {q, last});  // [Q?, ..., 1]
    if (mode == "lower") ranks = op(t, n, "aten::floor", {ranks});
    else if (mode == "higher") ranks = op(t, n, "aten::ceil", {ranks});
    else if (mode == "nearest") ranks = op(t, n, "aten::round", {ranks});
    const EValue positions = op(t, n, "aten::arange", {size, c(4), none, none, none});
    // The sorted value at an index: a where and a sum (no inf * 0 from the NaNs' infs).
    auto pick = [&](const EValue& index) {
      const EValue hit = op(t, n, "aten::eq", {positions, index});
      return op(t, n, "aten::sum", {op(t, n, "aten::where", {hit, sorted, c(0.0)}), sum_last, c(true), none});
    };
    const EValue below = op(t, n, "aten::to", {ranks, c(4), c(false), c(false)});
    EValue result = pick(below);
    if (mode == "linear" || mode == "midpoint") {
      const EValue weight = mode == "midpoint" ? op(t, n, "aten::full_like", {ranks, c(0.5), none, none, none, none, none})
                                               : op(t, n, "aten::sub", {ranks, op(t, n, "aten::to", {below, c(code), c(false), c(false)}), c(1)});
      const EValue above = pick(op(t, n, "aten::to", {op(t, n, "aten::ceil", {ranks}), c(4), c(false), c(false)}));
      // torch's lerp: a + w (b - a) below w = 1/2, b - (b - a)(1 - w) from there.
      const EValue span = op(t, n, "aten::sub", {above, result, c(1)});
      const EValue low = op(t, n, "aten::add", {result, op(t, n, "aten::mul", {weight, span}), c(1)});
      const EValue high = op(t, n, "aten::sub", {above, op(t, n, "aten::mul", {span, op(t, n, "aten::rsub", {weight, c(1.0), c(1)})}), c(1)});
      result = op(t, n, "aten::where", {op(t, n, "aten::lt", {weight, c(0.5)}), low, high});
    }
    const EValue undefined = ignore_nan ? op(t, n, "aten::eq", {valid, c(0)}) : op(t, n, "aten::any", {nan_mask, c(-1), c(true)});
    result = op(t, n, "aten::where", {undefined, c(kNaN), result});
    result = op(t, n, "aten::squeeze", {result, c(-1)});  // [Q?, ...]
    if (keepdim) {
      if (a.is_none("dim")) {
        nlohmann::json shape = nlohmann::json::array();
        if (q_vector) shape.push_back(-1);
        for (int64_t d = 0; d < rank; ++d) shape.push_back(1);
        result = op(t, n, "aten::reshape", {result, c(shape)});
      } else if (rank > 0) {
        result = op(t, n, "aten::unsqueeze", {result, c(dim + (q_vector ? 1 : 0))});
      }
    }
    return {op(t, n, "aten::to", {result, c(code), c(false), c(false)})};
  }

  // histc(self, bins=100, min=0, max=0) -> [bins] in self's dtype: counts
  // of the elements in [min, max], the bin of x being
  // (x - min) * bins / (max - min) truncated, in self's dtype and in that
  // order as eager's kernel computes it (x == max in the last bin). With
  // min == max the range is the data's own (read when the model runs), and
  // widened by 1 on each side when that is a single value. Elements
  // outside the range are not counted; NaNs are, in bin 0, as eager does.
  static std::vector<EValue> histc(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const EValue none = EValue::none();
    const FakeTensor& self = tensor(t, n, a, "self");
    if (!is_floating(self.dtype)) t.fail("bad-argument", n.kind + ": expected a float input, got " + std::string(dtype_name(self.dtype)));
    const int64_t bins = constant_int(t, n, a, "bins");
    if (bins <= 0) t.fail("bad-argument", n.kind + ": bins must be positive, got " + std::to_string(bins));
    const double lo_arg = constant_number(t, n, a, "min"), hi_arg = constant_number(t, n, a, "max");
    if (lo_arg > hi_arg) t.fail("bad-argument", n.kind + ": max must be larger than min");
    const int code = dtype_code(self.dtype);
    const EValue x = op(t, n, "aten::reshape", {a["self"], c(nlohmann::json::array({-1}))});
    EValue lo, hi;
    if (lo_arg == hi_arg) {
      // The data's range (an empty input keeps min and max: the -inf/inf fill then picks them).
      const EValue data_lo = op(t, n, "aten::amin", {op(t, n, "aten::cat", {EValue::list({x, op(t, n, "aten::tensor", {c(nlohmann::json::array({kInf})), c(code), none, c(false)})}, t.rewrite_depth_), c(0)}), c(nlohmann::json::array({0})), c(false)});
      const EValue data_hi = op(t, n, "aten::amax", {op(t, n, "aten::cat", {EValue::list({x, op(t, n, "aten::tensor", {c(nlohmann::json::array({-kInf})), c(code), none, c(false)})}, t.rewrite_depth_), c(0)}), c(nlohmann::json::array({0})), c(false)});
      const EValue empty = op(t, n, "aten::gt", {data_lo, data_hi});
      lo = op(t, n, "aten::where", {empty, c(lo_arg), data_lo});
      hi = op(t, n, "aten::where", {empty, c(hi_arg), data_hi});
      const EValue single = op(t, n, "aten::eq", {lo, hi});
      lo = op(t, n, "aten::where", {single, op(t, n, "aten::sub", {lo, c(1), c(1)}), lo});
      hi = op(t, n, "aten::where", {single, op(t, n, "aten::add", {hi, c(1), c(1)}), hi});
    } else {
      lo = op(t, n, "aten::tensor", {c(lo_arg), c(code), none, c(false)});
      hi = op(t, n, "aten::tensor", {c(hi_arg), c(code), none, c(false)});
    }
    // Eager (1.13) skips only the elements below min or above max: a NaN is
    // counted, in bin 0.
    const EValue outside = op(t, n, "aten::logical_or", {op(t, n, "aten::lt", {x, lo}), op(t, n, "aten::gt", {x, hi})});
    const EValue inside = op(t, n, "aten::logical_not", {outside});
    const EValue scaled = op(t, n, "aten::div", {op(t, n, "aten::mul", {op(t, n, "aten::sub", {x, lo, c(1)}), c(bins)}), op(t, n, "aten::sub", {hi, lo, c(1)})});
    // Outside elements get bin 0 and add 0; NaNs bin 0 (their truncation is undefined).
    const EValue safe = op(t, n, "aten::where", {op(t, n, "aten::logical_or", {outside, op(t, n, "aten::isnan", {scaled})}), c(0.0), scaled});
    const EValue bin = op(t, n, "aten::clamp", {op(t, n, "aten::to", {safe, c(4), c(false), c(false)}), c(0), c(bins - 1)});
    const EValue ones = op(t, n, "aten::to", {inside, c(code), c(false), c(false)});
    const EValue zeros = op(t, n, "aten::zeros", {c(nlohmann::json::array({bins})), c(code), none, none, none});
    return {op(t, n, "aten::scatter_add", {zeros, c(0), bin, ones})};
  }

  // pdist(self [N, M], p=2) -> [N (N - 1) / 2]: the p-norm distances of the
  // pairs i < j in row-major order (static N).
  static std::vector<EValue> pdist(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const FakeTensor& self = tensor(t, n, a, "self");
    if (self.shape.size() != 2) t.fail("bad-argument", n.kind + ": expected a 2-d input, got shape " + shape_str(self.shape));
    const int64_t rows = static_dim(t, n, self, 0, "the number of rows");
    const double p = constant_number(t, n, a, "p");
    if (p < 0) t.fail("bad-argument", n.kind + ": p must be non-negative, got " + std::to_string(p));
    if (rows > 4096) t.fail("unsupported-argument", n.kind + ": more than 4096 rows (the pair table is built while tracing)");
    nlohmann::json first = nlohmann::json::array(), second = nlohmann::json::array();
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = i + 1; j < rows; ++j) {
        first.push_back(i);
        second.push_back(j);
      }
    const EValue none = EValue::none();
    const EValue left = op(t, n, "aten::index_select", {a["self"], c(0), op(t, n, "aten::tensor", {c(std::move(first)), c(4), none, c(false)})});
    const EValue right = op(t, n, "aten::index_select", {a["self"], c(0), op(t, n, "aten::tensor", {c(std::move(second)), c(4), none, c(false)})});
    const EValue diff = op(t, n, "aten::sub", {left, right, c(1)});
    const EValue norm = op(t, n, "aten::linalg_vector_norm", {diff, c(p), c(nlohmann::json::array({-1})), c(false), none});
    // A NaN makes the distance NaN for every p (p = 0's count would take it for a nonzero).
    return {op(t, n, "aten::where", {op(t, n, "aten::any", {op(t, n, "aten::isnan", {diff}), c(-1), c(false)}), c(kNaN), norm})};
  }

  // fft_irfft / fft_hfft(self, n=None, dim=-1, norm=None) of a real tensor
  // (onnxport has no complex tensors: a real input is eager's complex input
  // with zero imaginary parts): the real signal of n = 2 (m - 1) points
  // (or n) from the first n/2 + 1 bins (fewer are zero-padded),
  //   x[k] = scale sum_f w_f X_f cos(2 pi f k / n), w = 1 at DC and Nyquist, 2 between;
  // scale 1/n for irfft's "backward" (default), 1/sqrt(n) "ortho", 1
  // "forward"; hfft the other way round (1, 1/sqrt(n), 1/n).
  static std::vector<EValue> inverse_real_fft(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const FakeTensor& self = tensor(t, n, a, "self");
    const int64_t rank = static_cast<int64_t>(self.shape.size());
    if (rank == 0) t.fail("bad-argument", n.kind + ": expected a tensor with at least one dim");
    int64_t dim = constant_int(t, n, a, "dim");
    if (dim < -rank || dim >= rank) t.fail("bad-argument", n.kind + ": dim " + std::to_string(dim) + " out of range");
    if (dim < 0) dim += rank;
    const int64_t bins = static_dim(t, n, self, dim, "the transformed dim");
    const int64_t points = a.is_none("n") ? 2 * (bins - 1) : constant_int(t, n, a, "n");
    if (points < 1) t.fail("bad-argument", n.kind + ": invalid number of data points (" + std::to_string(points) + ")");
    std::string norm = "backward";
    if (!a.is_none("norm")) {
      const EValue& v = a["norm"];
      if (!v.is_constant() || !v.constant.is_string()) t.fail("unsupported-argument", n.kind + ": norm must be a string known while tracing");
      norm = v.constant.get<std::string>();
    }
    if (norm != "backward" && norm != "ortho" && norm != "forward")
      t.fail("bad-argument", n.kind + ": norm must be backward, ortho or forward, got '" + norm + "'");
    const bool hermitian = n.kind == "aten::fft_hfft";
    const double size = static_cast<double>(points);
    const double scale = norm == "ortho" ? 1.0 / std::sqrt(size) : (norm == "backward") != hermitian ? 1.0 / size : 1.0;
    auto weight = [&](int64_t f) { return 2 * f > points ? 0.0 : f == 0 || 2 * f == points ? 1.0 : 2.0; };
    const EValue cosines = table(t, n, bins, points, [&](int64_t f, int64_t k) { return scale * weight(f) * std::cos(angle(f, k, points)); });
    const EValue moved = op(t, n, "aten::movedim", {to_dtype(t, n, a["self"], 7), c(dim), c(-1)});
    const EValue out = op(t, n, "aten::movedim", {op(t, n, "aten::matmul", {moved, cosines}), c(-1), c(dim)});
    return {to_dtype(t, n, out, float_result_code(self))};
  }

  // A list of ints known while tracing (a constant list, or a list of constants).
  static std::vector<int64_t> constant_ints(Tracer& t, const ProgramNode& n, const NamedInputs& a, std::string_view name) {
    const EValue& v = a[name];
    std::vector<int64_t> out;
    if (v.is_constant() && v.constant.is_array()) {
      for (const auto& x : v.constant) {
        if (!x.is_number_integer()) t.fail("unsupported-argument", n.kind + ": `" + std::string(name) + "` must be ints known while tracing");
        out.push_back(x.get<int64_t>());
      }
      return out;
    }
    if (v.is_constant() && v.constant.is_number_integer()) return {v.constant.get<int64_t>()};
    if (v.is_sequence()) {
      for (const EValue& x : *v.items) {
        if (!x.is_constant() || !x.constant.is_number_integer())
          t.fail("unsupported-argument", n.kind + ": `" + std::string(name) + "` must be ints known while tracing, got a " + describe(x));
        out.push_back(x.constant.get<int64_t>());
      }
      return out;
    }
    t.fail("unsupported-argument", n.kind + ": `" + std::string(name) + "` must be a list of ints known while tracing, got a " + describe(v));
    return out;
  }

  // fft_irfft2 / irfftn / hfft2 / hfftn(self, s, dim, norm) of a real
  // tensor: the inverse complex DFT (e^(+i)) over every transformed dim but
  // the last, real and imaginary parts as two tensors (cosine and sine
  // tables, the input cut or zero-padded to s), then irfft's cosine and sine
  // tables over the last dim (s[-1] or 2 (m - 1) points). For a real input
  // hfftn is that same sum, scaled the other way round: irfftn 1 / prod(s)
  // backward, 1 / sqrt ortho, 1 forward; hfftn 1, 1 / sqrt, 1 / prod(s).
  static std::vector<EValue> inverse_real_fftn(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const FakeTensor& self = tensor(t, n, a, "self");
    const int64_t rank = static_cast<int64_t>(self.shape.size());
    const std::optional<std::vector<int64_t>> s = a.is_none("s") ? std::nullopt : std::optional(constant_ints(t, n, a, "s"));
    std::vector<int64_t> dims;
    if (!a.is_none("dim")) {
      dims = constant_ints(t, n, a, "dim");
    } else {
      const int64_t count = s ? static_cast<int64_t>(s->size()) : rank;
      for (int64_t d = rank - count; d < rank; ++d) dims.push_back(d);
    }
    if (dims.empty()) t.fail("bad-argument", n.kind + ": no dims to transform");
    if (s && s->size() != dims.size()) t.fail("bad-argument", n.kind + ": s and dim must have the same length");
    for (int64_t& d : dims) {
      if (d < -rank || d >= rank) t.fail("bad-argument", n.kind + ": dim " + std::to_string(d) + " out of range");
      if (d < 0) d += rank;
    }
    for (size_t i = 0; i < dims.size(); ++i)
      for (size_t j = i + 1; j < dims.size(); ++j)
        if (dims[i] == dims[j]) t.fail("bad-argument", n.kind + ": dims must be unique");
    std::string norm = "backward";
    if (!a.is_none("norm")) {
      const EValue& v = a["norm"];
      if (!v.is_constant() || !v.constant.is_string()) t.fail("unsupported-argument", n.kind + ": norm must be a string known while tracing");
      norm = v.constant.get<std::string>();
    }
    if (norm != "backward" && norm != "ortho" && norm != "forward")
      t.fail("bad-argument", n.kind + ": norm must be backward, ortho or forward, got '" + norm + "'");
    std::vector<int64_t> sizes;
    double total = 1.0;
    for (size_t i = 0; i < dims.size(); ++i) {
      const int64_t m = static_dim(t, n, self, dims[i], "a transformed dim");
      const bool last = i + 1 == dims.size();
      int64_t out = s && (*s)[i] != -1 ? (*s)[i] : last ? 2 * (m - 1) : m;
      if (out < 1) t.fail("bad-argument", n.kind + ": invalid number of data points (" + std::to_string(out) + ")");
      sizes.push_back(out);
      total *= static_cast<double>(out);
    }
    const bool hermitian = n.kind == "aten::fft_hfft2" || n.kind == "aten::fft_hfftn";
    const double scale = norm == "ortho" ? 1.0 / std::sqrt(total) : (norm == "backward") != hermitian ? 1.0 / total : 1.0;
    EValue re = to_dtype(t, n, a["self"], 7);
    std::optional<EValue> im;
    for (size_t i = 0; i + 1 < dims.size(); ++i) {
      const int64_t m = static_dim(t, n, self, dims[i], "a transformed dim");
      const int64_t size = sizes[i];
      const EValue cosines = table(t, n, m, size, [&](int64_t l, int64_t j) { return l < size ? std::cos(angle(l, j, size)) : 0.0; });
      const EValue sines = table(t, n, m, size, [&](int64_t l, int64_t j) { return l < size ? std::sin(angle(l, j, size)) : 0.0; });
      auto along = [&](const EValue& v, const EValue& m_) {
        return op(t, n, "aten::movedim", {op(t, n, "aten::matmul", {op(t, n, "aten::movedim", {v, c(dims[i]), c(-1)}), m_}), c(-1), c(dims[i])});
      };
      EValue next_re = along(re, cosines), next_im = along(re, sines);
      if (im) {
        next_re = op(t, n, "aten::sub", {next_re, along(*im, sines), c(1)});
        next_im = op(t, n, "aten::add", {next_im, along(*im, cosines), c(1)});
      }
      re = next_re;
      im = next_im;
    }
    const int64_t d = dims.back();
    const int64_t bins = static_dim(t, n, self, d, "a transformed dim");
    const int64_t points = sizes.back();
    auto weight = [&](int64_t f) { return 2 * f > points ? 0.0 : f == 0 || 2 * f == points ? 1.0 : 2.0; };
    const EValue cosines = table(t, n, bins, points, [&](int64_t f, int64_t k) { return scale * weight(f) * std::cos(angle(f, k, points)); });
    auto along_last = [&](const EValue& v, const EValue& m_) {
      return op(t, n, "aten::movedim", {op(t, n, "aten::matmul", {op(t, n, "aten::movedim", {v, c(d), c(-1)}), m_}), c(-1), c(d)});
    };
    EValue out = along_last(re, cosines);
    if (im) {
      const EValue sines = table(t, n, bins, points, [&](int64_t f, int64_t k) { return -scale * weight(f) * std::sin(angle(f, k, points)); });
      out = op(t, n, "aten::add", {out, along_last(*im, sines), c(1)});
    }
    return {to_dtype(t, n, out, float_result_code(self))};
  }

  // angle(x) of a real tensor: pi below 0 (-inf too), 0 from -0 up, NaN
  // kept; float32 for integers and bools, as eager.
  static std::vector<EValue> angle_of_real(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const FakeTensor& x = tensor(t, n, a, "self");
    const EValue v = is_floating(x.dtype) ? a["self"] : to_dtype(t, n, a["self"], 6);
    const EValue zeros = op(t, n, "aten::zeros_like", {v, EValue::none(), EValue::none(), EValue::none(), EValue::none(), EValue::none()});
    const EValue half_turn = op(t, n, "aten::where", {op(t, n, "aten::lt", {v, c(0)}), c(std::numbers::pi), zeros});
    return {op(t, n, "aten::where", {op(t, n, "aten::isnan", {v}), v, half_turn})};
  }

  // frexp(x) -> (mantissa in [1/2, 1) with x's sign, int32 exponent), in
  // float64: e = floor(log2 |x|) + 1, corrected by one where log2 rounded
  // across a power of two (m >= 1 or m < 1/2), m = x / 2^e (exact: a power
  // of two). Zeros, infinities and NaN are their own mantissa, exponent 0.
  static std::vector<EValue> frexp(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    if (a.schema().overload != "Tensor") {  // math.frexp of a Python float
      int exponent = 0;
      const double mantissa = std::frexp(constant_number(t, n, a, "a"), &exponent);
      return {c(mantissa), c(exponent)};
    }
    const FakeTensor& x = tensor(t, n, a, "self");
    if (!is_floating(x.dtype)) t.fail("bad-argument", n.kind + ": expected a float input, got " + std::string(dtype_name(x.dtype)));
    const Ex v = as_double(t, n, a);
    const Ex size = v.un("aten::abs");
    const Ex regular = size.bin("aten::gt", c(0.0)) & v.un("aten::isfinite");
    const Ex safe = regular.where(size, (size * 0.0) + 1.0);  // log2 of 1 where the result is not read
    Ex e = safe.un("aten::log2").floor() + 1.0;
    auto mantissa = [&](const Ex& exponent) { return safe.bin("aten::div", Ex{&t, &n, op(t, n, "aten::pow", {c(2.0), exponent.v})}.v); };
    const Ex m0 = mantissa(e);
    e = m0.bin("aten::ge", c(1.0)).where(e + 1.0, m0.lt(0.5).where(e - 1.0, e));
    const Ex signed_mantissa = v.bin("aten::div", Ex{&t, &n, op(t, n, "aten::pow", {c(2.0), e.v})}.v);
    const Ex m = regular.where(signed_mantissa, v);
    const Ex exponent = regular.un("aten::logical_not").where(0.0, e);
    return {to_dtype(t, n, m.v, dtype_code(x.dtype)), to_dtype(t, n, exponent.v, 3)};
  }

  // equal(self, other) -> bool: the same shape (no broadcasting) and every
  // element equal after type promotion (so a NaN makes it false). Shapes that
  // differ while tracing give a constant false; dims that may or may not
  // match when the model runs are refused by name.
  static std::vector<EValue> equal(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    const FakeTensor& self = tensor(t, n, a, "self");
    const FakeTensor& other = tensor(t, n, a, "other");
    if (self.shape.size() != other.shape.size()) return {c(false)};
    for (size_t d = 0; d < self.shape.size(); ++d) {
      const Dim& x = self.shape[d];
      const Dim& y = other.shape[d];
      if (x.is_static() && y.is_static()) {
        if (x.value() != y.value()) return {c(false)};
      } else if (x.str() != y.str()) {
        t.fail("unsupported-argument", n.kind + ": dim " + std::to_string(d) + " is `" + x.str() + "` in one tensor and `" + y.str() +
                                           "` in the other: whether the shapes match is known only when the model runs");
      }
    }
    return {op(t, n, "aten::all", {op(t, n, "aten::eq", {a["self"], a["other"]})})};
  }

  // allclose(self, other, rtol, atol, equal_nan) -> bool = all(isclose(...)),
  // broadcasting as isclose does.
  static std::vector<EValue> allclose(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    return {op(t, n, "aten::all", {isclose(t, n, a)[0]})};
  }

  // nonzero_numpy(Tensor self) -> Tensor[]: one index vector per dim, as
  // numpy.nonzero (the columns of nonzero's result).
  static std::vector<EValue> nonzero_numpy(Tracer& t, const ProgramNode& n, const NamedInputs& a) {
    tensor(t, n, a, "self");
    return t.call_tensor_op(n, "aten::unbind", {t.nonzero_value(a["self"]), c(1)});
  }
};

const std::unordered_map<std::string, CompositeOps::Rule>& CompositeOps::rules() {
  // torch's ScalarType codes: Byte 0, Char 1, Short 2, Int 3, Long 4, Half 5,
  // Float 6, Double 7. (_cast_Bool, _cast_BFloat16, _cast_Complex* and
  // tanhshrink have no TorchScript schema in PyTorch 1.13, so no program holds
  // them.)
  static const std::unordered_map<std::string, Rule> table = {
      {"aten::_cast_Byte", &cast<0>},
      {"aten::_cast_Char", &cast<1>},
      {"aten::_cast_Short", &cast<2>},
      {"aten::_cast_Int", &cast<3>},
      {"aten::_cast_Long", &cast<4>},
      {"aten::_cast_Half", &cast<5>},
      {"aten::_cast_Float", &cast<6>},
      {"aten::_cast_Double", &cast<7>},
      {"aten::_log_softmax", &softmax_family},
      {"aten::_softmax", &softmax_family},
      {"aten::lift", &identity},
      {"aten::lift_fresh", &identity},
      {"aten::cpu", &identity},
      {"aten::unsafe_split", &safe_split},
      {"aten::unsafe_chunk", &safe_split},
      {"aten::unsafe_split_with_sizes", &safe_split},
      {"aten::_pad_circular", &pad_circular},
      {"aten::is_pinned", &is_pinned},
      {"aten::_dim_arange", &dim_arange},
      {"aten::numpy_T", &numpy_t},
      {"aten::_shape_as_tensor", &shape_as_tensor},
      {"aten::native_dropout", &native_dropout},
      {"aten::native_layer_norm", &native_layer_norm},
      {"aten::_weight_norm", &weight_norm},
      {"aten::cdist", &cdist},
      {"aten::one_hot", &one_hot},
      {"aten::fake_quantize_per_tensor_affine", &fake_quantize_per_tensor},
      {"aten::fake_quantize_per_channel_affine", &fake_quantize_per_channel},
      {"aten::hann_window", &hann_window},
      {"aten::conv_tbc", &conv_tbc},
      {"aten::nonzero_numpy", &nonzero_numpy},
      {"aten::__interpolate", &interpolate},
      {"aten::embedding_bag", &embedding_bag},
      // breadth (tests/opinfo): formulas of library ops
      {"aten::addmv", &addmv},
      {"aten::addr", &addr},
      {"aten::addbmm", &addbmm},
      {"aten::addcdiv", &addcdiv},
      {"aten::vdot", &vdot},
      {"aten::inner", &inner},
      {"aten::trace", &trace},
      {"aten::ravel", &ravel},
      {"aten::broadcast_to", &broadcast_to},
      {"aten::narrow_copy", &narrow_copy},
      {"aten::real", &identity},
      {"aten::conj", &identity},
      {"aten::argwhere", &argwhere},
      {"aten::msort", &msort},
      {"aten::fliplr", &flip_dim<1>},
      {"aten::flipud", &flip_dim<0>},
      {"aten::rot90", &rot90},
      {"aten::hstack", &stack_family},
      {"aten::vstack", &stack_family},
      {"aten::dstack", &stack_family},
      {"aten::column_stack", &stack_family},
      {"aten::hsplit", &split_family},
      {"aten::vsplit", &split_family},
      {"aten::dsplit", &split_family},
      {"aten::diag", &diag},
      {"aten::diag_embed", &diag_embed},
      {"aten::diagflat", &diagflat},
      {"aten::count_nonzero", &count_nonzero},
      {"aten::nansum", &nan_reduction},
      {"aten::nanmean", &nan_reduction},
      {"aten::isclose", &isclose},
      {"aten::heaviside", &heaviside},
      {"aten::float_power", &float_power},
      {"aten::ldexp", &ldexp},
      {"aten::diff", &diff},
      {"aten::kron", &kron},
      {"aten::trapz", &trapezoid},
      {"aten::trapezoid", &trapezoid},
      {"aten::margin_ranking_loss", &margin_ranking_loss},
      {"aten::soft_margin_loss", &soft_margin_loss},
      {"aten::hinge_embedding_loss", &hinge_embedding_loss},
      {"aten::poisson_nll_loss", &poisson_nll_loss},
      {"aten::cosine_embedding_loss", &cosine_embedding_loss},
      {"aten::_unique2", &unique},
      {"aten::unique_dim", &unique},
      {"aten::multilabel_margin_loss", &multilabel_margin_loss},
      {"aten::tile", &tile},
      {"aten::take_along_dim", &take_along_dim},
      {"aten::cartesian_prod", &cartesian_prod},
      {"aten::special_xlog1py", &xlog1py},
      {"aten::special_ndtr", &ndtr},
      {"aten::fft_fftshift", &fftshift},
      {"aten::fft_ifftshift", &fftshift},
      {"aten::select_scatter", &select_scatter},
      {"aten::slice_scatter", &slice_scatter},
      {"aten::sum_to_size", &sum_to_size},
      {"aten::lstm", &lstm},
      {"aten::cumprod", &cumprod},
      {"aten::cummax", &cumulative_extreme},
      {"aten::cummin", &cumulative_extreme},
      {"aten::logcumsumexp", &logcumsumexp},
      {"aten::isin", &isin},
      {"aten::median", &median_dispatch},
      {"aten::nanmedian", &median_dispatch},
      {"aten::diagonal_scatter", &diagonal_scatter},
      {"aten::block_diag", &block_diag},
      {"aten::combinations", &combinations},
      {"aten::linalg_vecdot", &vecdot},
      {"aten::linalg_multi_dot", &multi_dot},
      {"aten::linalg_matrix_power", &matrix_power},
      {"aten::linalg_vander", &vander},
      {"aten::cov", &cov},
      {"aten::corrcoef", &corrcoef},
      {"aten::dist", &dist},
      {"aten::cumulative_trapezoid", &cumulative_trapezoid},
      {"aten::special_entr", &entr},
      {"aten::scatter_reduce", &scatter_reduce},
      {"aten::searchsorted", &searchsorted},
      {"aten::renorm", &renorm},
      {"aten::native_batch_norm", &native_batch_norm},
      {"aten::gcd", &gcd},
      {"aten::lcm", &lcm},
      {"aten::i0", &bessel_i},
      {"aten::special_i0", &bessel_i},
      {"aten::special_i0e", &bessel_i},
      {"aten::special_i1", &bessel_i},
      {"aten::special_i1e", &bessel_i},
      {"aten::bitwise_left_shift", &bit_shift},
      {"aten::bitwise_right_shift", &bit_shift},
      {"aten::__lshift__", &bit_shift},
      {"aten::__rshift__", &bit_shift},
      {"aten::index_put", &index_put},
      {"aten::put", &put},
      {"aten::adaptive_max_pool1d", &adaptive_max_pool},
      {"aten::adaptive_max_pool2d", &adaptive_max_pool},
      {"aten::special_erfcx", &erfcx},
      {"aten::stft", &stft},
      {"aten::istft", &istft},
      {"aten::view_as_real", &view_as_real},
      {"aten::bincount", &bincount},
      {"aten::lgamma", &lgamma},
      {"aten::digamma", &digamma},
      {"aten::special_digamma", &digamma},
      {"aten::special_psi", &digamma},
      {"aten::polygamma", &polygamma},
      {"aten::special_polygamma", &polygamma},
      {"aten::special_gammaln", &lgamma},
      {"aten::mvlgamma", &mvlgamma},
      {"aten::special_multigammaln", &mvlgamma},
      {"aten::erfinv", &erfinv},
      {"aten::special_erfinv", &erfinv},
      {"aten::special_ndtri", &ndtri},
      {"aten::special_log_ndtr", &log_ndtr},
      {"aten::quantile", &quantile},
      {"aten::nanquantile", &quantile},
      {"aten::histc", &histc},
      {"aten::pdist", &pdist},
      {"aten::fft_irfft", &inverse_real_fft},
      {"aten::fft_hfft", &inverse_real_fft},
      {"aten::fft_irfft2", &inverse_real_fftn},
      {"aten::fft_irfftn", &inverse_real_fftn},
      {"aten::fft_hfft2", &inverse_real_fftn},
      {"aten::fft_hfftn", &inverse_real_fftn},
      {"aten::angle", &angle_of_real},
      {"aten::frexp", &frexp},
      {"aten::equal", &equal},
      {"aten::allclose", &allclose},
  };
  return table;
}

bool Tracer::is_composite(const std::string& kind) { return CompositeOps::rules().count(kind) != 0; }

void Tracer::on_composite(const ProgramNode& n) {
  const CompositeOps::Rule rule = CompositeOps::rules().at(n.kind);
  std::vector<EValue> args = inputs_of(n);
  std::vector<ArgSummary> kinds;
  kinds.reserve(args.size());
  for (const EValue& v : args) kinds.push_back(summarize(to_op_arg(v, false)));
  SchemaBinding binding = resolve_schema(n.kind, kinds);
  if (!binding.ok()) fail("bad-argument", n.kind + ": " + binding.error);
  const NamedInputs named(*binding.schema, std::move(args), std::move(binding.position));
  bind_op_results(n, rule(*this, n, named));
}

}  // namespace onnxport::trace
