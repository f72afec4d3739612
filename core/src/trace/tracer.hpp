// The tracing engine: an abstract interpreter over a Program that records the
// tensor ops it meets into a Graph. See docs/strategies.md.
//
// One Tracer traces one program once. Python-level values (ints, strings,
// module attributes, lists) are evaluated on the spot; tensor ops go through
// the op library's meta functions (and reference kernels in concrete mode)
// and become Graph nodes. What to do with data-dependent control flow is the
// policy's business (TracePolicy).
#pragma once

#include "evalue.hpp"
#include "environment.hpp"

#include "base/sym_expr.hpp"
#include "base/flat_name_map.hpp"
#include "onnx/names.hpp"
#include "ops/broadcast_assumptions.hpp"

#include <onnxport/ops.hpp>
#include <onnxport/trace.hpp>

#include <exception>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace onnxport::trace {

class CondMerger;
struct FrameScope;

// An error that stops the node at hand (the engine may keep scanning after it
// when the policy asks to report every problem).
class TraceError : public std::exception {
 public:
  explicit TraceError(Diagnostic d) : diag_(std::move(d)) {}
  const Diagnostic& diagnostic() const { return diag_; }
  const char* what() const noexcept override { return diag_.message.c_str(); }

 private:
  Diagnostic diag_;
};

// Thrown when the engine cannot go on after errors it already recorded.
struct StopScan {};

// The marker a `with torch.no_grad():` object is traced as (python_values.cpp).
bool is_grad_mode_object(const EValue& v);

struct TracerConfig {
  TracePolicy policy;
  // Reference interpreter: tensors carry data and every data-dependent
  // decision is taken by value, silently (no guards, no assertions).
  bool eager = false;
  // Concrete example inputs: required in concrete mode, size hints otherwise.
  const TensorMap* inputs = nullptr;
  int64_t default_dim = 2;  // hint for a symbolic dim without an example size
};

class Tracer {
 public:
  Tracer(const Program& program, const CaptureOptions& options, TracerConfig config);

  // Traces the program; returns the flattened output values (the graph's
  // outputs are set too). Throws TraceError on the first error the policy
  // does not continue past, StopScan when it stopped after recorded errors.
  std::vector<EValue> run();

  Graph& graph() { return graph_; }
  // Before the graph leaves the tracer: the weight paths the tracer reserved
  // that no value took (weights never read) are reserved in the graph too
  // (reserve_names() did so for the Python builtins), so that a later
  // Graph::unique_name (decomposition) avoids them as it did when the tracer
  // named its values through the graph. The graph indexes its values' names
  // itself when decomposition first asks (Graph::sync_used_names).
  void hand_over_reserved_names();
  std::vector<Diagnostic>& diagnostics() { return diags_; }
  bool has_errors() const;
  bool concrete() const { return config_.policy.evaluate_concretely || config_.eager; }

  // Whether a node of this kind reaches a rule: an engine handler, a Python
  // scalar op, the op library, or (for an in-place kind `op_`) the op library's
  // `op`. Mirrors dispatch(); a kind it accepts can still be refused for its
  // arguments. Used by the registry-coverage test (docs/torch-onnx-registry.md).
  static bool has_rule_for(const std::string& kind);

 private:
  using Handler = void (Tracer::*)(const ProgramNode&);
  static const std::unordered_map<std::string, Handler>& handlers();

  // ---- setup (tracer.cpp)
  void reserve_names();
  void bind_inputs();
  EValue bind_tensor_input(const ProgramValue& in, size_t position);
  EValue bind_sequence_input(const ProgramValue& in);
  EValue bind_scalar_input(const ProgramValue& in, size_t position);
  void check_dynamic_shape_names() const;
  const Tensor* example_input(const ProgramValue& in, size_t position) const;
  void set_graph_outputs(const std::vector<EValue>& outputs);

  // ---- environment (tracer.cpp)
  const EValue& in(const ProgramNode& n, size_t i) const;
  const EValue& lookup(const std::string& name, const ProgramNode* where) const;
  std::vector<EValue> inputs_of(const ProgramNode& n) const;
  void bind(const std::string& name, EValue v);
  void bind_outputs(const ProgramNode& n, const std::vector<EValue>& values);
  void bind_all_outputs(const ProgramNode& n, const EValue& v);
  // Binds an op's results to the node's outputs: one list (or tuple) output
  // when the node's type says so, else one output per result.
  void bind_op_results(const ProgramNode& n, std::vector<EValue> outs);
  // Functionalization: every name bound to the tensor `old_id` now means `v`.
  void rebind_mutated(ValueId old_id, const EValue& v);

  // ---- dispatch (tracer.cpp)
  void run_block(const ProgramBlock& b);
  void run_node(const ProgramNode& n);
  void dispatch(const ProgramNode& n);
  void run_generic(const ProgramNode& n);

  // ---- diagnostics (tracer.cpp)
  Diagnostic make_diag(std::string code, Severity sev, std::string message, std::string hint = {},
                       std::string category = {}) const;
  [[noreturn]] void fail(std::string code, std::string message, std::string hint = {}) const;
  // Records an error and continues when the policy reports all errors;
  // throws it otherwise.
  void report_error(Diagnostic d);
  // Records an error once per (code, node), counting repeats.
  void record_error(Diagnostic d);
  bool already_reported(const std::string& code, const ProgramNode& n);
  static std::string error_key(const std::string& code, const ProgramNode* n);
  void warn(std::string code, std::string category, std::string message, std::string hint = {});

  // ---- control flow (control.cpp)
  void on_if(const ProgramNode& n);
  void on_loop(const ProgramNode& n);
  void on_cond(const ProgramNode& n);
  // aten::_assert_async: a number torch.jit.trace froze (trace_guards in control.cpp).
  void on_assert_async(const ProgramNode& n);
  // Runs a block's nodes with `args` bound to its inputs; returns its outputs.
  std::vector<EValue> run_inline(const ProgramBlock& b, const std::vector<EValue>& args);
  // Decides a SymBool the engine must know (a branch, a loop condition).
  bool decide(const SymScalar& cond, const ProgramNode& n, std::string_view what);
  // `fix`: the hint of the refusal of a guard on a dynamic dim, when the
  // branch advice (cond-rewrite) does not apply.
  bool decide_shape(const SymScalar& cond, const ProgramNode& n, std::string_view what, std::string_view fix = {});
  // A meta function broadcast a dim of declared dynamic dims against a static
  // size other than 1: a guard that the dim equals it, refused by strict and
  // non-strict, specialized (not sound) by the others.
  void guard_broadcasts(const ProgramNode& n, const std::string& kind, const std::vector<BroadcastAssumption>& taken);
  // The declared dynamic dims (and int inputs) in `expr`, their example sizes
  // ("batch=3"), and how to name them ("dim `batch`, input `n`").
  std::vector<std::string> dynamic_dims_in(const std::string& expr) const;
  std::string example_sizes(const std::vector<std::string>& dims) const;
  std::string dim_list(const std::vector<std::string>& dims) const;
  // The error for a loop on tensor data (strict/non-strict: torch's message;
  // cond-rewrite: not supported yet). Never returns.
  [[noreturn]] void data_dependent_loop_error(const SymScalar& cond, const ProgramNode& n, std::string_view what);
  void record_specialization(const SymScalar& cond, bool value, const ProgramNode& n, std::string_view what);
  // Traces both blocks into a higher_order::cond node and binds its outputs.
  // `cond`, when given, is what each branch may assume (branch_facts.cpp).
  void rewrite_as_cond(const ProgramNode& n, ValueId pred, std::optional<bool> pred_value,
                       const std::vector<EValue>& operands, const SymScalar* cond = nullptr);
  bool rewrites_shape_branch(const SymScalar& cond) const;
  // An `if` whose other block raises: the block every valid input takes.
  std::optional<size_t> block_that_does_not_raise(const ProgramNode& n) const;
  void skip_raising_branch(const SymScalar& cond, size_t taken_block);
  // Loops too large to unroll (control.cpp).
  int64_t known_trip_count(const ProgramNode& loop, const ProgramBlock& enclosing) const;
  int64_t unrolled_cost(const ProgramBlock& b) const;
  void keep_as_loop(const ProgramNode& n, int64_t trip, const EValue& cond, const std::vector<EValue>& carried,
                    int64_t estimate);
  bool try_rewrite_shape_branch(const ProgramNode& n, const SymScalar& cond);
  // Trip count of a prim::Loop as a plain int, specializing a symbolic one.
  int64_t loop_trip_count(const ProgramNode& n, const EValue& max_trip);
  EValue as_condition(EValue c);
  // True when a loop depending on `v` must become a higher_order::loop.
  bool rewrites_loop_on(const EValue& v) const;

  // ---- loops on tensor data (loop_rewrite.cpp)
  // Emits a higher_order::loop for the iterations from `offset` on; `trip`
  // is None (unbounded), an int, or a SymInt; `cond` the first condition.
  void rewrite_as_loop(const ProgramNode& n, const EValue& trip, const EValue& cond,
                       const std::vector<EValue>& carried, int64_t offset);
  struct ScanAppend {
    std::shared_ptr<EList> list;  // the outer list appended to
    EValue item;                  // the value appended in this iteration
  };
  struct LoopSlots;
  std::vector<EValue> trace_loop_body(const ProgramNode& n, const std::vector<EValue>& carried,
                                      const LoopSlots& slots, int64_t offset, Block& body,
                                      std::vector<ScanAppend>& scans);
  void add_scan_outputs(const ProgramNode& n, const EValue& trip, const EValue& cond, const EValue& next_cond,
                        const std::vector<ScanAppend>& scans, Block& body, Node& node);
  bool update_loop_slots(const ProgramNode& n, const std::vector<EValue>& carried,
                         const std::vector<EValue>& outs, LoopSlots& slots);
  EValue loop_carried_input(const EValue& initial, const Shape& shape, const std::string& name);

  // ---- Python-level values (python_values.cpp)
  void on_constant(const ProgramNode& n);
  void on_get_attr(const ProgramNode& n);
  const ModuleInfo* child_module(const ModuleInfo& m, const std::string& name);
  EValue tensor_ref(const std::string& name);
  EValue attribute_value(const nlohmann::json& value);
  void on_list_construct(const ProgramNode& n);
  void on_list_unpack(const ProgramNode& n);
  void on_tuple_construct(const ProgramNode& n);
  void on_tuple_index(const ProgramNode& n);
  void on_getitem(const ProgramNode& n);
  void on_len(const ProgramNode& n);
  void on_append(const ProgramNode& n);
  void on_list_copy(const ProgramNode& n);
  void on_slice(const ProgramNode& n);
  void on_identity(const ProgramNode& n);
  void on_uninitialized(const ProgramNode& n);
  void on_raise(const ProgramNode& n);
  void on_side_effect(const ProgramNode& n);
  void on_create_object(const ProgramNode& n);
  void on_context_manager(const ProgramNode& n);
  void on_is(const ProgramNode& n);
  void on_format(const ProgramNode& n);
  void on_false_query(const ProgramNode& n);
  void on_device(const ProgramNode& n);
  void on_dtype(const ProgramNode& n);
  void on_layout(const ProgramNode& n);
  void on_is_floating_point(const ProgramNode& n);
  std::string python_text(const EValue& v) const;

  // ---- module state, list concatenation, isinstance, PackedSequence (module_state.cpp)
  void on_set_attr(const ProgramNode& n);
  const EValue* assigned_attribute(const std::string& path) const;
  void on_add(const ProgramNode& n);     // aten::add: list/tuple concatenation, else arithmetic
  void on_extend(const ProgramNode& n);  // aten::add_ / aten::extend on a list, else the in-place op
  void on_copy(const ProgramNode& n);    // aten::copy: list copy, else the tensor op
  void on_compare(const ProgramNode& n);  // aten::eq / aten::ne: lists element-wise, else scalars/tensors
  std::optional<EValue> sequences_equal(const ProgramNode& n, const EValue& a, const EValue& b);
  void on_isinstance(const ProgramNode& n);
  // A forward that takes a PackedSequence argument is refused (packed_sequences.cpp).
  void refuse_packed_sequence_inputs() const;

  // ---- packed sequences (packed_sequences.cpp, docs/sequence-models.md "Packed sequences")
  // A PackedSequence's data and batch_sizes are not materialized: data is the
  // padded batch, time-major, and batch_sizes the per-sequence lengths. The
  // engine answers what nn.LSTM & co. ask of them (dim, size(-1),
  // batch_sizes[0], batch_sizes.size(0)), turns the recurrent op into
  // onnxport::padded_*, and pad_packed_sequence into a mask; any other use is
  // refused, naming it and its line.
  struct PackedBatch {
    EValue padded;       // [T, B, features...], time-major
    EValue lengths;      // int64 [B], in the order of padded's batch
    std::string origin;  // "line 12 (`pack_padded_sequence(...)`)"
  };
  enum class PackedRole : uint8_t { Data, BatchSizes };
  struct PackedUse {
    PackedRole role;
    std::shared_ptr<const PackedBatch> batch;
  };
  const PackedUse* packed_use(const EValue& v) const;
  EValue packed_value(PackedRole role, const std::shared_ptr<const PackedBatch>& batch, DType dtype, Shape shape);
  void on_pack_padded_sequence(const ProgramNode& n);
  // _pad_packed_sequence of tensors that are not a packed sequence built in
  // forward (the packed case is on_packed_use): refused.
  void on_pad_unpacked(const ProgramNode& n);
  bool on_packed_use(const ProgramNode& n);  // false: not a packed use, dispatch as usual
  void packed_recurrent(const ProgramNode& n, const PackedUse& data, const PackedUse& batch_sizes);
  void pad_packed(const ProgramNode& n, const PackedUse& data, const PackedUse& batch_sizes);
  bool total_length_given(const ProgramNode& pad) const;
  [[noreturn]] void fail_packed_use(const ProgramNode& n, const PackedUse& use, const std::string& what) const;

  // ---- dicts (dicts.cpp)
  void on_dict_construct(const ProgramNode& n);
  void on_set_item(const ProgramNode& n);
  void on_dict_view(const ProgramNode& n);  // aten::keys / values / items
  void on_dict_get(const ProgramNode& n);
  void on_contains(const ProgramNode& n);
  EValue dict_getitem(const EValue& d, const EValue& key, const ProgramNode& n);
  const nlohmann::json& dict_key(const EValue& key, const ProgramNode& n) const;
  void check_mutable_here(const EValue& container, const ProgramNode& n) const;
  void on_list_insert(const ProgramNode& n);  // l.insert(i, v)
  void on_pop(const ProgramNode& n);          // l.pop(i), d.pop(k[, default])
  void on_delete(const ProgramNode& n);       // del l[i], del d[k]
  int64_t list_position(const EValue& list, const EValue& index, const ProgramNode& n, bool clamp) const;

  // ---- tensor metadata and symbolic scalars (symbolic.cpp)
  void on_size(const ProgramNode& n);
  void on_dim(const ProgramNode& n);
  void on_numel(const ProgramNode& n);
  void on_scalar_conversion(const ProgramNode& n);  // aten::Bool/Int/Float/item/is_nonzero
  void on_num_to_tensor(const ProgramNode& n);
  EValue scalar_op(const ProgramNode& n, const std::string& kind, const std::vector<EValue>& args);
  EValue sym_op(const std::string& kind, const std::vector<EValue>& args);
  EValue sym_compare(const std::string& kind, const EValue& a, const EValue& b);
  EValue sym_logic(const std::string& kind, const std::vector<EValue>& args);
  EValue sym_arith(const std::string& kind, const EValue& a, const EValue& b);
  EValue sym_size(const FakeTensor& t, int64_t dim);
  // The Python int a 0-d integer tensor is known to hold (a traced
  // program's sizes: prim::NumToTensor, then tensor arithmetic), or nullopt.
  std::optional<EValue> scalar_shadow(const EValue& v) const;
  EValue truncated_division(const ProgramNode& n, const EValue& a, const EValue& b);
  void record_scalar_shadow(const ProgramNode& n, const std::string& kind, const std::vector<EValue>& args,
                            const std::vector<EValue>& outs);
  EValue data_dependent_scalar(const std::string& kind, const FakeTensor& t);
  EValue sym_extreme(const std::string& kind, const EValue& a, const EValue& b);  // prim::min / prim::max
  std::optional<sym::Expr> int_expr(const EValue& v) const;
  ValueId scalar_value_id(const EValue& v);  // a Graph value for a constant or Sym scalar
  std::optional<double> hint_of(const EValue& v) const;
  std::string expr_of(const EValue& v) const;

  // ---- tensor ops (tensor_ops.cpp)
  std::vector<EValue> call_tensor_op(const ProgramNode& n, const std::string& kind,
                                     const std::vector<EValue>& args);
  void on_tensor_op(const ProgramNode& n);
  void refuse_squeeze_of_data_dependent_size(const std::vector<EValue>& args);
  bool has_data(const std::vector<EValue>& args) const;
  bool kernel_available(const OpDef& def, const std::string& kind);
  void on_inplace_op(const ProgramNode& n);

  // ---- functionalization (mutation.cpp)
  struct ViewInfo {
    ValueId base = kNoValue;    // the tensor viewed
    std::string kind;           // aten::slice, aten::select, aten::view, ...
    std::vector<EValue> args;   // the view op's arguments (args[0] is the base)
  };
  void record_view(const std::string& kind, const std::vector<EValue>& args, const std::vector<EValue>& outs);
  EValue current_value(ValueId id, const EValue& fallback) const;
  EValue updated_value(const ProgramNode& n, const std::vector<EValue>& args);
  EValue copy_value(const ProgramNode& n, const std::vector<EValue>& args);
  EValue index_put_value(const ProgramNode& n, const std::vector<EValue>& args);
  EValue write_back(const ProgramNode& n, const ViewInfo& view, const EValue& base, const EValue& new_view);
  void commit_mutation(const ProgramNode& n, const FakeTensor& self, EValue result);
  void note_merged_mutation(const FakeTensor& old, const EValue& merged);
  // ---- per-iteration values of rewritten loops (loop_scans.cpp)
  struct StackedList {
    EValue scanned;         // [count, item dims...]: the values appended by the loop
    std::string loop_line;  // where the loop is, for messages
  };
  bool record_scan_append(const ProgramNode& n, const EValue& list, const EValue& item);
  const StackedList* stacked(const EValue& v) const;
  [[noreturn]] void fail_stacked_use(const StackedList& s, const std::string& what) const;
  EValue stacked_items(const ProgramNode& n, const EValue& list);
  void on_stack_or_cat(const ProgramNode& n);
  EValue stacked_len(const EValue& list);
  EValue stacked_getitem(const ProgramNode& n, const EValue& list, const EValue& key);
  // cond-rewrite: a loop whose trip count is a dynamic dim (or int input) becomes higher_order::loop.
  bool loops_over_dynamic_dim(const ProgramNode& n, const EValue& trip);

  // ---- ops captured as other ops of the library (composite_ops.cpp)
  friend struct CompositeOps;
  static bool is_composite(const std::string& kind);
  void on_composite(const ProgramNode& n);

  // ---- quantized tensors (quantized_ops.cpp, docs/architecture.md §4b)
  friend struct QuantizedOps;
  static bool is_quantized_rule(const std::string& kind);
  void on_quantized(const ProgramNode& n);
  // Refuses a node that would compute on a quantized tensor's integer
  // representation (any op but the quantization rules and Python containers).
  void refuse_quantized_inputs(const ProgramNode& n);
  // relu, max_pool2d, flatten... of a quantized tensor: dequantize, the op,
  // quantize with the same parameters. False when the node is not one.
  bool requantize_same_qparams(const ProgramNode& n);

  // ---- data-dependent sizes (data_dependent_ops.cpp)
  EValue nonzero_value(const EValue& x);
  EValue mask_index(const ProgramNode& n, const EValue& x, size_t leading, const EValue& mask);
  void on_nonzero(const ProgramNode& n);
  void on_index(const ProgramNode& n);
  void on_masked_select(const ProgramNode& n);

  // A graph output for the final value of a mutated buffer or input, named
  // `<name>.updated`; its node carries the first mutation's source line.
  ValueId mutation_output(const std::string& name, const EValue& final_value);
  // Adds `name` to `order` (mutated_buffers_ or mutated_inputs_) when it is
  // not there yet, remembering where it was first updated.
  void note_mutated(std::vector<std::string>& order, const std::string& name, const SourceLoc& where);
  OpArg to_op_arg(const EValue& v, bool for_kernel) const;
  Arg to_graph_arg(const EValue& v);
  EValue lift_constant_tensor(Tensor t, const std::string& base);
  EValue parameter(const std::string& path, ValueRole role);
  const Tensor* find_weight(std::string_view path);
  ValueId new_value(const std::string& base, DType dtype, Shape shape, ValueKind kind = ValueKind::Tensor);
  // Every value of graph_ is named and added here, not through
  // Graph::unique_name / add_value: the SDK's Graph keeps its taken names in
  // an unordered_set<std::string> (sdk/include/onnxport/graph.hpp, a layout
  // plugins compile against), looked up three times per value, which grew
  // about 6x for 4x the layers on bench/scaling. names_ gives the same names
  // (base, base_1, base_2, ...) from a flat table (onnx/names.hpp).
  std::string unique_name(const std::string& base) { return names_.unique(base); }
  ValueId add_value(Value v);
  void emit(Node node);
  Provenance provenance(std::string original_kind = {}) const;

  const Program& program_;
  CaptureOptions options_;
  TracerConfig config_;
  Graph graph_;
  onnx_build::NameTable names_;  // every name taken in graph_ (unique_name above)
  std::vector<Diagnostic> diags_;

  Environment env_;                                                // bound names -> values (environment.hpp)
  std::vector<std::vector<std::string>> aliases_;                  // tensor id -> names bound to it
  Environment params_;                                             // dotted path -> parameter value
  Environment buffers_;                                            // dotted path -> current buffer value
  std::vector<std::string> mutated_buffers_;                       // in first-mutation order
  std::unordered_map<const EList*, StackedList> stacked_lists_;    // lists a rewritten loop appended to
  std::unordered_map<ValueId, ViewInfo> views_;                    // view tensor id -> what it views
  std::unordered_map<ValueId, EValue> superseded_;                 // mutated tensor id -> its new value
  std::unordered_map<ValueId, std::string> input_of_;              // tensor id -> the user input it (still) is
  std::vector<std::string> mutated_inputs_;                        // in first-mutation order
  std::unordered_map<std::string, EValue> input_values_;           // mutated input -> its final value
  std::unordered_map<std::string, SourceLoc> mutation_sites_;      // buffer path or input -> first update
  struct ChildIndex {
    bool by_position = false;  // children named "0", "1", ... in order (nn.Sequential, nn.ModuleList)
    std::unordered_map<std::string, const ModuleInfo*> by_name;  // otherwise
  };
  std::unordered_map<const ModuleInfo*, ChildIndex> child_index_;  // built on a module's first child lookup
  // Dotted path -> Parameter / Buffer, walked in module order (a hash map's
  // order read its nodes and the name tables' slots at random: bench/README.md,
  // "Weights in module order").
  FlatNameMap<ValueRole> weight_roles_;
  size_t weight_hint_ = 0;  // the item of program_.weights after the last one find_weight found
  std::unordered_map<std::string, EValue> tensor_constants_;  // tensor_ref name -> lifted constant
  std::unordered_map<std::string, EValue> set_attrs_;         // dotted path -> value a prim::SetAttr assigned
  std::unordered_map<ValueId, EValue> scalar_shadows_;         // 0-d int tensor -> the int (or SymInt) it holds
  std::unordered_map<ValueId, EValue> condition_shadows_;      // 0-d bool tensor comparing shadows -> the SymBool
  std::unordered_map<const FakeTensor*, PackedUse> packed_;    // a PackedSequence's data / batch_sizes
  std::set<std::string> packed_max_lengths_;                   // program names of batch_sizes.size(0)

  Block* block_ = nullptr;                  // where nodes are emitted
  const ProgramNode* node_ = nullptr;       // the node being traced (provenance, errors)
  int rewrite_depth_ = 0;                   // > 0 while tracing a branch of a rewritten cond
  int unbacked_ = 0;                        // next unbacked symbol: u0, u1, ...
  int64_t emitted_nodes_ = 0;               // graph nodes emitted so far, in every block
  int shape_branch_attempts_ = 0;           // > 0 while trying to rewrite a branch on a dynamic dim: errors throw
  std::vector<std::pair<std::string, int64_t>> hints_;  // symbol -> example size / value
  std::set<std::string> dynamic_symbols_;   // symbols of the inputs' dynamic dims (and int/float inputs)
  std::set<std::string> tensor_inputs_;     // names of the tensor inputs (list elements as lx.0)
  std::set<std::string> scalar_inputs_;     // symbols of int/float inputs: any value, not assumed >= 2
  sym::SymbolBounds symbol_bounds_;         // known lower bounds: dynamic dims >= 2, loop counters >= 0

  // Branch journal (rewrite): bindings to undo after tracing a branch, and
  // outer names mutated inside it.
  struct Frame {
    bool loop_body = false;                        // the body of a rewritten loop
    std::vector<ScanAppend> scans;                 // loop body: appends to outer lists
    std::vector<std::pair<std::string, std::optional<EValue>>> undo;
    std::set<std::string> defined;                 // names first bound inside the frame
    std::vector<std::string> mutated;              // outer names rebound by in-place ops
    // A branch of a rewritten cond: what its condition says there
    // (branch_facts.cpp): condition texts known true / false, and symbols
    // an `Eq(symbol, constant)` pins (inside `if x.shape[0] == 3:`, batch=3).
    std::vector<std::string> known_true, known_false;
    std::vector<std::pair<std::string, int64_t>> bindings;
    std::vector<std::pair<std::string, int64_t>> lower_bounds;  // `Gt(batch, 4)`: batch >= 5
  };
  // Branch facts (branch_facts.cpp). They apply only to symbolic tracing:
  // with data, a tensor's real sizes are the example's.
  void assume_branch(const SymScalar& cond, bool taken);
  std::optional<bool> known_condition(const std::string& expr) const;
  std::vector<std::pair<std::string, int64_t>> branch_bindings() const;
  Dim known_dim(const Dim& d) const;  // a static Dim when the branch facts pin every symbol of d
  Shape known_shape(const Shape& s) const;
  Dim settled_dim(const Dim& d) const;  // Min/Max decided by the dims' known bounds
  sym::SymbolBounds known_bounds() const;  // symbol_bounds_ and the branch facts' lower bounds
  std::vector<Frame> frames_;
  void bind_raw(const std::string& name, EValue v, bool mutation);
  void note_alias(ValueId id, const std::string& name);  // records that `name` is bound to tensor `id`
  friend struct FrameScope;
  friend class CondMerger;
  bool python_truth_of(const EValue& constant) const;

  // Draft: specialization (and missing-kernel) diagnostics, grouped by
  // location and value, or by op; the index of each group's diagnostic.
  std::map<std::string, size_t> specialization_groups_;
  std::unordered_map<std::string, size_t> error_groups_;  // error_key -> index in diags_
};

}  // namespace onnxport::trace
