// Readers on the hostile-input reproducers (issue 15) and their shapes: every
// bad value is an InputError naming the file and the place, never another
// exception, a wrapped size, a misaligned load, a hang or unbounded recursion.
#include "../unit/test_util.hpp"

#include "base/checked_math.hpp"
#include "base/json_file.hpp"
#include "base/limits.hpp"

#include <onnxport/graph.hpp>
#include <onnxport_core/bundle.hpp>
#include <onnxport_core/config.hpp>
#include <onnxport_core/onnx_passes.hpp>

#include <onnx/onnx_pb.h>

#include <sys/stat.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <future>
#include <limits>

namespace onnxport::test {
namespace {

namespace fs = std::filesystem;

fs::path reproducer(const std::string& path) { return fs::path(ONNXPORT_HOSTILE_INPUTS) / path; }

std::string read_all(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_all(const fs::path& file, const std::string& bytes) {
  std::ofstream out(file, std::ios::binary);
  out << bytes;
}

// Runs `f`, which must throw an InputError; returns it (what(), file, place).
template <class F>
InputError input_error(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected an InputError, got another exception: " << e.what();
    return InputError("", "", "");
  }
  ADD_FAILURE() << "expected an InputError, got no error";
  return InputError("", "", "");
}

#define EXPECT_MENTIONS(message, ...)                                                           \
  do {                                                                                          \
    const std::string msg_ = (message);                                                         \
    for (const char* part : {__VA_ARGS__})                                                      \
      EXPECT_NE(msg_.find(part), std::string::npos) << "missing '" << part << "' in: " << msg_; \
  } while (0)

// ------------------------------------------------------------------ checked arithmetic

TEST(HostileReaders, CheckedArithmetic) {
  const int64_t max = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(checked_mul(3, 4), 12);
  EXPECT_FALSE(checked_mul(max / 2 + 1, 2));
  EXPECT_FALSE(checked_add(max, 1));
  const std::vector<int64_t> wraps{int64_t{1} << 32, int64_t{1} << 32};
  EXPECT_FALSE(checked_numel(wraps));
  const std::vector<int64_t> empty_but_huge{0, max, max};
  EXPECT_EQ(checked_numel(empty_but_huge), 0);
  const std::vector<int64_t> bytes_wrap{int64_t{1} << 31, int64_t{1} << 31};  // 2^62 elements fit, 2^64 bytes do not
  EXPECT_EQ(checked_numel(bytes_wrap), int64_t{1} << 62);
  EXPECT_FALSE(checked_nbytes(bytes_wrap, 4));
  const std::vector<int64_t> negative{2, -1};
  EXPECT_FALSE(checked_numel(negative));
}

TEST(HostileReaders, TensorAllocationsAreCheckedAndBounded) {  // F2, F11
  EXPECT_THROW(Tensor::zeros(DType::Float32, {int64_t{1} << 31, int64_t{1} << 31}), std::invalid_argument);
  EXPECT_THROW(Tensor::zeros(DType::Float32, {int64_t{1} << 32, int64_t{1} << 32}), std::invalid_argument);
  try {
    Tensor::zeros(DType::Float32, {4, int64_t{1} << 30});  // 16 GiB, the F9 input
    ADD_FAILURE() << "a 16 GiB tensor was allocated";
  } catch (const std::length_error& e) {
    EXPECT_MENTIONS(e.what(), "limit", "ONNXPORT_MAX_TENSOR_BYTES");
  }
}

// ------------------------------------------------------------------ JSON

TEST(HostileReaders, NumberOutOfRangeIsAnInputError) {  // F13: out_of_range.406
  const auto e = input_error([] { parse_json_text(R"({"opset": 1e999})", "cfg.json"); });
  EXPECT_EQ(e.file(), "cfg.json");
  EXPECT_EQ(e.place(), "line 1, column 15");  // the last character of 1e999
  EXPECT_MENTIONS(e.what(), "1e999");
  EXPECT_EQ(std::string(e.what()).find("json.exception"), std::string::npos) << e.what();
  const auto c = input_error([] { load_config(reproducer("F13-numbers-and-types/cfg-number-overflow.json")); });
  EXPECT_MENTIONS(c.what(), "cfg-number-overflow.json", "line 1");
  const auto p = input_error([] {
    const auto file = reproducer("F13-numbers-and-types/number-overflow.json");
    parse_program_text(read_all(file), file);
  });
  EXPECT_MENTIONS(p.what(), "number-overflow.json", "line 1", "1e999");
}

TEST(HostileReaders, NestingDeeperThanTheLimitIsAnInputError) {  // F6, F7
  const int depth = limits::kMaxJsonDepth;
  const std::string ok = std::string(depth, '[') + std::string(depth, ']');
  EXPECT_NO_THROW(parse_json_text(ok, "ok.json"));
  const std::string deep = R"({"a": )" + std::string(depth, '[') + std::string(depth, ']') + "}";
  const auto e = input_error([&] { parse_json_text(deep, "deep.json"); });
  EXPECT_EQ(e.place(), "line 1, column " + std::to_string(7 + depth - 1));
  EXPECT_MENTIONS(e.what(), "deep.json", "nested deeper than 256");
  // A string full of brackets is not nesting.
  EXPECT_NO_THROW(parse_json_text(R"({"a": ")" + std::string(10000, '[') + R"("})", "s.json"));
  for (const char* bundle : {"F6-deep-if", "F6-deep-const-list", "F6-deep-attrs"}) {
    const auto b = input_error([&] { load_program(reproducer(bundle)); });
    EXPECT_MENTIONS(b.what(), "program.json", "nested deeper");
  }
}

TEST(HostileReaders, DeepModuleTreesLoadInLinearTime) {  // F7
  // The deepest tree the limit allows: its loading time must stay small (it
  // was quadratic in the depth), and one level more is refused cleanly.
  auto tree = [](int levels) {
    std::string module = R"({"type": "M"})";
    for (int i = 0; i < levels; ++i) module = R"({"type": "M", "children": {"c": )" + module + "}}";
    return R"({"format": "onnxport.program", "version": 1, "module": )" + module +
           R"(, "graph": {"inputs": [{"name": "self", "type": "Module"}], "nodes": [], "outputs": []}})";
  };
  const int allowed = (limits::kMaxJsonDepth - 2) / 2;
  const auto start = std::chrono::steady_clock::now();
  const Program p = parse_program_text(tree(allowed), "program.json");
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 2.0);
  int depth = 0;
  for (const ModuleInfo* m = &p.module; !m->children.empty(); m = &m->children.front().second) ++depth;
  EXPECT_EQ(depth, allowed);
  EXPECT_MENTIONS(input_error([&] { parse_program_text(tree(allowed + 1), "program.json"); }).what(), "nested deeper");
  const auto file = reproducer("F7-deep-children-quadratic/deepch-10000.json");
  EXPECT_MENTIONS(input_error([&] { parse_program_text(read_all(file), file); }).what(), "deepch-10000.json",
                  "nested deeper");
}

TEST(HostileReaders, NumberWhereAStringBelongsIsAnInputError) {  // F13: type_error.302
  const auto file = reproducer("F13-dumped-graph-type/1.json");
  const auto e = input_error([&] { Graph::from_json(parse_json_text(read_all(file), file)); });
  EXPECT_EQ(e.place(), "/body/nodes/2/prov/loc/file");
  EXPECT_MENTIONS(e.what(), "expected a string");
  const auto o = input_error([] {
    Graph::from_json(nlohmann::json::parse(
        R"({"format": "onnxport.graph", "values": [], "inputs": [4294967296], "body": {"nodes": [], "outputs": []}})"));
  });
  EXPECT_EQ(o.place(), "/inputs/0");
}

TEST(HostileReaders, PriorityThatWouldWrapIsRefused) {  // F13-numbers-and-types/cfg-priority-wrap.json
  const auto e = input_error([] { load_config(reproducer("F13-numbers-and-types/cfg-priority-wrap.json")); });
  EXPECT_EQ(e.place(), "/plugins/0/priority");
  EXPECT_MENTIONS(e.what(), "4294967295", "out of range");
}

// ------------------------------------------------------------------ program.json

TEST(HostileReaders, ListWithoutAnItemTypeIsAnInputError) {  // F10-list-empty-type
  const auto e = input_error([] { load_program(reproducer("F10-list-empty-type")); });
  EXPECT_EQ(e.place(), "/graph/inputs/1/elements");
  EXPECT_MENTIONS(e.what(), "List[]", "one item type");
}

TEST(HostileReaders, DeclaredShapeWhoseBytesWrapIsAnInputError) {  // F2-input-shape-bytes-wrap
  const auto e = input_error([] { load_program(reproducer("F2-input-shape-bytes-wrap")); });
  EXPECT_EQ(e.place(), "/graph/inputs/1/shape");
  EXPECT_MENTIONS(e.what(), "program.json", "64 bits");
}

TEST(HostileReaders, GraphTensorWhoseSizeOverflowsIsAnInputError) {  // F11-graph-tensor-overflow
  const auto file = reproducer("F11-graph-tensor-overflow/h3-graph-tensor-overflow.json");
  const auto e = input_error([&] { Graph::from_json(parse_json_text(read_all(file), file)); });
  EXPECT_EQ(e.place(), "/values/0/data/shape");
}

// ------------------------------------------------------------------ safetensors

TEST(HostileReaders, SafetensorsShapeProductThatWrapsIsAnInputError) {  // F1
  for (const char* name : {"h2-st-numel-wrap.safetensors", "h2-st-numel-wrap-pageend.safetensors"}) {
    const auto e = input_error([&] { read_safetensors(reproducer(std::string("F1-safetensors-numel-wrap/") + name)); });
    EXPECT_MENTIONS(e.what(), name, "64 bits");
    EXPECT_EQ(e.place().rfind("/", 0), 0u) << e.what();
  }
}

TEST(HostileReaders, SafetensorsHeaderErrorsNameTheHeader) {  // F13 st-number-overflow
  ScratchDir dir;
  std::string header = R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "__metadata__": {"x": 1e999}})";
  std::string bytes(8, '\0');
  const uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) bytes[static_cast<size_t>(i)] = static_cast<char>((n >> (8 * i)) & 0xff);
  write_all(dir.path() / "bad.safetensors", bytes + header + std::string(4, '\0'));
  const auto e = input_error([&] { read_safetensors(dir.path() / "bad.safetensors"); });
  EXPECT_EQ(e.place(), "header");
  EXPECT_MENTIONS(e.what(), "malformed JSON header at line 1, column", "1e999");
}

TEST(HostileReaders, UnalignedSafetensorsDataIsCopiedToAlignedMemory) {  // F12
  const TensorMap weights = read_safetensors(reproducer("F12-unaligned-safetensors/weights.safetensors"));
  ASSERT_FALSE(weights.items().empty());
  for (const auto& [name, t] : weights.items()) {
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t.bytes()) % dtype_size(t.dtype()), 0u) << name;
    for (int64_t i = 0; i < t.numel(); ++i) EXPECT_TRUE(std::isfinite(t.get_double(i))) << name;
  }
  // The same values as an aligned copy of the file would give.
  ScratchDir dir;
  write_safetensors(dir.path() / "aligned.safetensors", weights);
  const TensorMap again = read_safetensors(dir.path() / "aligned.safetensors");
  for (const auto& [name, t] : weights.items()) {
    const Tensor* u = again.find(name);
    ASSERT_NE(u, nullptr);
    ASSERT_EQ(u->nbytes(), t.nbytes());
    EXPECT_EQ(std::memcmp(u->bytes(), t.bytes(), t.nbytes()), 0) << name;
  }
}

// ------------------------------------------------------------------ ONNX models

void write_model(const fs::path& file, const onnx::TensorProto& initializer) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(17);
  *m.mutable_graph()->add_initializer() = initializer;
  m.mutable_graph()->set_name("g");
  std::ofstream out(file, std::ios::binary);
  m.SerializeToOstream(&out);
}

TEST(HostileReaders, OnnxRawDataMustMatchTheDims) {  // F3
  ScratchDir dir;
  onnx::TensorProto t;
  t.set_name("w");
  t.set_data_type(onnx::TensorProto::FLOAT);
  t.add_dims(4);
  t.set_raw_data(std::string(5, '\0'));  // 4 floats need 16 bytes
  write_model(dir.path() / "m.onnx", t);
  const auto e = input_error([&] { read_model(dir.path() / "m.onnx"); });
  EXPECT_EQ(e.place(), "graph.initializer[0] 'w'");
  EXPECT_MENTIONS(e.what(), "raw_data has 5 bytes", "16");
  for (const char* name : {"rawdata-1001bytes.onnx", "rawdata-3bytes.onnx", "rawdata-5bytes.onnx"})
    input_error([&] { read_model(reproducer(std::string("F3-onnx-rawdata-mismatch/") + name)); });
}

TEST(HostileReaders, OnnxDimsWhoseProductOverflowsAreAnInputError) {  // F11-onnx-dims-overflow
  ScratchDir dir;
  onnx::TensorProto t;
  t.set_name("w");
  t.set_data_type(onnx::TensorProto::FLOAT);
  t.add_dims(int64_t{1} << 32);
  t.add_dims(int64_t{1} << 32);
  write_model(dir.path() / "m.onnx", t);
  EXPECT_MENTIONS(input_error([&] { read_model(dir.path() / "m.onnx"); }).what(), "64 bits");
  EXPECT_MENTIONS(input_error([&] { read_model(reproducer("F11-onnx-dims-overflow/70.onnx")); }).what(), "70.onnx");
}

// ------------------------------------------------------------------ special files and paths

// Runs `f` on another thread; fails (instead of hanging the test run) when it
// does not finish within 10 s.
template <class F>
void within_seconds(F f) {
  auto done = std::async(std::launch::async, std::move(f));
  ASSERT_EQ(done.wait_for(std::chrono::seconds(10)), std::future_status::ready) << "blocked";
  done.get();
}

TEST(HostileReaders, FifoIsRefusedWithoutBlocking) {
  ScratchDir dir;
  const fs::path fifo = dir.path() / "program.json";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  within_seconds([&] { EXPECT_MENTIONS(input_error([&] { read_text_file(fifo); }).what(), "FIFO", "not a regular file"); });
  within_seconds([&] { EXPECT_MENTIONS(input_error([&] { read_safetensors(fifo); }).what(), "not a regular file"); });
  within_seconds([&] { EXPECT_MENTIONS(input_error([&] { read_model(fifo); }).what(), "not a regular file"); });
}

TEST(HostileReaders, DeviceFilesAreRefused) {
  within_seconds([] { EXPECT_MENTIONS(input_error([] { read_text_file("/dev/zero"); }).what(), "/dev/zero", "character device"); });
  within_seconds([] { input_error([] { load_config("/dev/zero"); }); });
}

TEST(HostileReaders, BundleFilesMayNotLinkOutsideTheBundle) {
  ScratchDir dir;
  const fs::path bundle = dir.copy_of(example("seed"));
  const fs::path outside = dir.path() / "elsewhere.safetensors";
  fs::rename(bundle / "weights.safetensors", outside);
  fs::create_symlink("../elsewhere.safetensors", bundle / "weights.safetensors");
  EXPECT_MENTIONS(input_error([&] { load_program(bundle); }).what(), "weights.safetensors", "outside the bundle");
  fs::remove(bundle / "weights.safetensors");
  fs::create_symlink(outside, bundle / "weights.safetensors");  // absolute
  EXPECT_MENTIONS(input_error([&] { load_program(bundle); }).what(), "outside the bundle");
  // A link inside the bundle is fine.
  fs::remove(bundle / "weights.safetensors");
  fs::rename(outside, bundle / "real.safetensors");
  fs::create_symlink("real.safetensors", bundle / "weights.safetensors");
  EXPECT_NO_THROW(load_program(bundle));
}

}  // namespace
}  // namespace onnxport::test
