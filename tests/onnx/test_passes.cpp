// check_model, model_to_text, write_model_atomic / read_model, count_op_types.
#include "onnx_test_util.hpp"

#include "model_io.hpp"

#include <onnx/defs/parser.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <iterator>
#include <fstream>

#include <unistd.h>

namespace onnxport {
namespace {

namespace fs = std::filesystem;
using namespace onnxport::testing;

onnx::ModelProto parse(const std::string& text) {
  onnx::ModelProto m;
  const auto status = onnx::OnnxParser::Parse(m, text.c_str());
  EXPECT_TRUE(status.IsOK()) << status.ErrorMessage();
  return m;
}

onnx::ModelProto seed_model() {
  SeedGraph seed;
  seed.finish_draft();
  const TranslatorRegistry reg = standard_registry();
  return translate_graph(seed.b.g, reg, TranslateOptions{}).model;
}

// A fresh folder under the system temp folder, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("onnxport-onnx-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }
  std::vector<std::string> entries() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(path_)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  fs::path path_;
  static inline int counter_ = 0;
};

TEST(CheckModel, PassesOnATranslatedModelAndInfersValueInfo) {
  onnx::ModelProto m = seed_model();
  const auto problems = check_model(m);
  EXPECT_TRUE(problems.empty()) << (problems.empty() ? "" : problems[0].message);
  EXPECT_GT(m.graph().value_info_size(), 0);
}

TEST(CheckModel, ReportsAnUndefinedInputAsACheckerError) {
  onnx::ModelProto m = parse(R"(
    <ir_version: 8, opset_import: ["" : 17]>
    g (float[2] x) => (float[2] y) {
      y = Add(x, nowhere)
    }
  )");
  const auto problems = check_model(m);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].code, "onnx-checker");
  EXPECT_EQ(problems[0].stage, "check");
  EXPECT_NE(problems[0].message.find("nowhere"), std::string::npos);
}

TEST(CheckModel, ReportsATypeMismatchFromShapeInference) {
  onnx::ModelProto m = parse(R"(
    <ir_version: 8, opset_import: ["" : 17]>
    g (float[2] x, int64[2] n) => (float[2] y) {
      y = Add(x, n)
    }
  )");
  const auto problems = check_model(m);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].code, "shape-inference");
}

TEST(CheckModel, ReportsAnUnknownOperator) {
  onnx::ModelProto m = parse(R"(
    <ir_version: 8, opset_import: ["" : 17]>
    g (float[2] x) => (float[2] y) {
      y = NoSuchOp(x)
    }
  )");
  const auto problems = check_model(m);
  ASSERT_FALSE(problems.empty());
  EXPECT_NE(problems[0].message.find("NoSuchOp"), std::string::npos);
}

TEST(ModelToText, UsesOnnxTextSyntax) {
  onnx::ModelProto m = seed_model();
  optimize_model(m);
  const std::string text = model_to_text(m);
  EXPECT_NE(text.find("ir_version: 8"), std::string::npos) << text;
  EXPECT_NE(text.find("opset_import: [\"\" : 17]"), std::string::npos) << text;
  EXPECT_NE(text.find("MatMul"), std::string::npos) << text;
  EXPECT_NE(text.find("   linear = Add(val_1, mlp.0.bias)"), std::string::npos) << text;
  EXPECT_NE(text.find("ModelWithControlFlowTest (float[3] x) => (float[1] mul)"), std::string::npos) << text;
  // Initializers are listed with their values (small ones) or a summary.
  EXPECT_NE(text.find("float[2] mlp.0.bias  {-0.403322,-0.409063}"), std::string::npos) << text;
}

TEST(ModelToText, SummarizesLargeInitializersAndPrintsSubgraphs) {
  GraphBuilder b;
  const ValueId x = b.input("x", DType::Float32, {20});
  const ValueId w = b.param("w", f32({20}, std::vector<float>(20, 0.5f)));
  b.output(b.node("aten::add", {v(x), v(w)}, "add", DType::Float32, {20}));
  const TranslatorRegistry reg = standard_registry();
  const std::string text = model_to_text(translate_graph(b.g, reg, TranslateOptions{}).model);
  EXPECT_NE(text.find("float[20] w {20 values}"), std::string::npos) << text;
  EXPECT_EQ(text.find("0.5"), std::string::npos) << text;

  SeedGraph seed;
  seed.finish_cond();
  const std::string cond_text = model_to_text(translate_graph(seed.b.g, reg, TranslateOptions{}).model);
  EXPECT_NE(cond_text.find("   getitem = If<then_branch = then_branch () => (float[1] mul) {"), std::string::npos)
      << cond_text;
  EXPECT_NE(cond_text.find("\n      neg = Neg(linear_1)\n"), std::string::npos) << cond_text;
}

TEST(CountOpTypes, CountsSubgraphNodesInFirstSeenOrder) {
  onnx::ModelProto m = parse(R"(
    <ir_version: 8, opset_import: ["" : 17]>
    g (bool c, float[2] x) => (float[2] y) {
      r = Relu(x)
      y = If(c) <
        then_branch = then_g () => (float[2] t) { t = Relu(r) },
        else_branch = else_g () => (float[2] e) { e = Neg(r) }
      >
    }
  )");
  EXPECT_EQ(count_op_types(m),
            (std::vector<std::pair<std::string, int>>{{"Relu", 2}, {"If", 1}, {"Neg", 1}}));
}

TEST(WriteModel, WritesAtomicallyAndReadsBack) {
  TempDir dir;
  const fs::path file = dir.path() / "sub" / "folder" / "model.onnx";  // parents are created
  onnx::ModelProto m = seed_model();
  write_model_atomic(m, file);
  EXPECT_TRUE(fs::exists(file));
  EXPECT_EQ(fs::directory_iterator(file.parent_path())->path().filename(), "model.onnx");  // no temp left
  const onnx::ModelProto back = read_model(file);
  EXPECT_EQ(back.SerializeAsString(), m.SerializeAsString());
  EXPECT_EQ(meta(*find_node_by_output(back.graph(), "linear"), "scope"), "mlp.0");
}

TEST(WriteModel, LeavesNothingWhenTheFolderCannotBeCreated) {
  TempDir dir;
  const fs::path blocker = dir.path() / "not-a-folder";
  std::ofstream(blocker) << "x";
  const fs::path file = blocker / "model.onnx";
  try {
    write_model_atomic(seed_model(), file);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("model.onnx"), std::string::npos) << e.what();
  }
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"not-a-folder"}));
}

TEST(WriteModel, LeavesNothingWhenTheFolderIsNotWritable) {
  if (::geteuid() == 0) GTEST_SKIP() << "root ignores folder permissions";
  TempDir dir;
  const fs::path locked = dir.path() / "locked";
  fs::create_directories(locked);
  fs::permissions(locked, fs::perms::owner_read | fs::perms::owner_exec);
  EXPECT_THROW(write_model_atomic(seed_model(), locked / "model.onnx"), std::runtime_error);
  fs::permissions(locked, fs::perms::owner_all);
  EXPECT_TRUE(fs::is_empty(locked));
}

TEST(WriteModel, LeavesNothingInAFolderThatRefusesNewFiles) {
  // /proc refuses new files even for root, unlike permission bits.
  const fs::path file = "/proc/onnxport-test-model.onnx";
  try {
    write_model_atomic(seed_model(), file);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(file.string()), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(file));
  fs::path tmp = file;
  tmp += ".tmp." + std::to_string(::getpid());
  EXPECT_FALSE(fs::exists(tmp));
}

TEST(WriteModel, LeavesNoTempFileWhenTheRenameFails) {
  TempDir dir;
  const fs::path target = dir.path() / "model.onnx";
  fs::create_directories(target / "occupied");  // a non-empty folder where the file should go
  EXPECT_THROW(write_model_atomic(seed_model(), target), std::runtime_error);
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"model.onnx"}));
  EXPECT_TRUE(fs::is_directory(target));
}

TEST(WriteModel, FailedSerializationRemovesTheTempFileAndKeepsTheOldFile) {
  TempDir dir;
  const fs::path file = dir.path() / "model.onnx";
  std::ofstream(file) << "previous";
  EXPECT_THROW(onnx_build::write_file_atomic(file,
                                             [](int fd, std::string& error) {
                                               (void)!::write(fd, "partial", 7);
                                               error = "serializer failed";
                                               return false;
                                             }),
               std::runtime_error);
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"model.onnx"}));
  std::ifstream in(file);
  std::string content;
  std::getline(in, content);
  EXPECT_EQ(content, "previous");
}

TEST(ReadModel, MissingFileNamesThePath) {
  try {
    read_model("/nonexistent/dir/model.onnx");
    FAIL() << "expected an error";
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), "/nonexistent/dir/model.onnx");
    EXPECT_NE(std::string(e.what()).find("no such file"), std::string::npos);
  }
}

TEST(ReadModel, GarbageIsNotAModel) {
  TempDir dir;
  const fs::path file = dir.path() / "garbage.onnx";
  std::ofstream(file, std::ios::binary) << std::string("\xff\xff\xff\xff this is not protobuf", 26);
  EXPECT_THROW(read_model(file), InputError);
  const fs::path empty = dir.path() / "empty.onnx";
  std::ofstream(empty).close();
  EXPECT_THROW(read_model(empty), InputError);
  EXPECT_THROW(read_model(dir.path()), InputError);
}


// ---------------------------------------------------------------------------
// StagedModel: external data, staging and commit (docs/large-models.md).

// The seed model with three more initializers of 3, 100 and 2000 bytes.
onnx::ModelProto model_with_blobs() {
  onnx::ModelProto m = seed_model();
  for (int size : {3, 100, 2000}) {
    onnx::TensorProto* t = m.mutable_graph()->add_initializer();
    t->set_name("blob" + std::to_string(size));
    t->set_data_type(onnx::TensorProto::UINT8);
    t->add_dims(size);
    std::string bytes(static_cast<size_t>(size), '\0');
    for (int i = 0; i < size; ++i) bytes[static_cast<size_t>(i)] = static_cast<char>(1 + i % 200);
    t->set_raw_data(bytes);
  }
  return m;
}

std::string file_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string entry(const onnx::TensorProto& t, const std::string& key) {
  for (const auto& e : t.external_data())
    if (e.key() == key) return e.value();
  return "";
}

TEST(StagedModel, WritesAlignedExternalDataAndLeavesTheModelAsItWas) {
  TempDir dir;
  const fs::path file = dir.path() / "model.onnx";
  onnx::ModelProto m = model_with_blobs();
  const std::string before = m.SerializeAsString();
  {
    StagedModel staged(m, file, ExternalDataOptions{true, 50});
    EXPECT_EQ(m.SerializeAsString(), before);  // the bytes moved out are back
    EXPECT_EQ(staged.external_tensors(), 2);    // blob100 and blob2000; the seed's and blob3 are under 50 bytes
    EXPECT_EQ(staged.external_bytes(), 2100);
    EXPECT_FALSE(fs::exists(file));
    staged.commit();
  }
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"model.onnx", "model.onnx.data"}));
  const std::string data = file_text(dir.path() / "model.onnx.data");
  EXPECT_EQ(data.size(), 128u + 2000u);  // blob100 at 0, blob2000 at 128 (the next multiple of 64)
  const onnx::ModelProto back = read_model(file);
  int external = 0;
  for (const auto& t : back.graph().initializer()) {
    const onnx::TensorProto* original = nullptr;
    for (const auto& o : m.graph().initializer())
      if (o.name() == t.name()) original = &o;
    ASSERT_NE(original, nullptr);
    if (t.data_location() != onnx::TensorProto::EXTERNAL) {
      EXPECT_EQ(t.raw_data(), original->raw_data()) << t.name();
      continue;
    }
    ++external;
    EXPECT_FALSE(t.has_raw_data());
    EXPECT_EQ(entry(t, "location"), "model.onnx.data");
    const auto offset = std::stoull(entry(t, "offset"));
    const auto length = std::stoull(entry(t, "length"));
    EXPECT_EQ(offset % 64, 0u) << t.name();
    EXPECT_EQ(data.substr(offset, length), original->raw_data()) << t.name();
  }
  EXPECT_EQ(external, 2);
  EXPECT_TRUE(check_model_file(file).empty());
  EXPECT_NE(model_to_text(back).find("blob2000 {2000 values in model.onnx.data at 128}"), std::string::npos)
      << model_to_text(back);
}

TEST(StagedModel, InlineUnderTwoGigabytesUnlessAsked) {
  TempDir dir;
  onnx::ModelProto m = model_with_blobs();
  EXPECT_FALSE(needs_external_data(m, ExternalDataOptions{}));
  StagedModel staged(m, dir.path() / "model.onnx", ExternalDataOptions{});
  EXPECT_FALSE(staged.data_file());
  staged.commit();
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"model.onnx"}));
  EXPECT_EQ(read_model(dir.path() / "model.onnx").SerializeAsString(), m.SerializeAsString());
}

TEST(StagedModel, NotCommittedLeavesThePreviousFiles) {
  TempDir dir;
  const fs::path file = dir.path() / "model.onnx";
  std::ofstream(file) << "previous model";
  std::ofstream(dir.path() / "model.onnx.data") << "previous data";
  onnx::ModelProto m = model_with_blobs();
  {
    StagedModel staged(m, file, ExternalDataOptions{true, 0});
    EXPECT_TRUE(fs::exists(staged.model_file()));
  }
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"model.onnx", "model.onnx.data"}));
  EXPECT_EQ(file_text(file), "previous model");
  EXPECT_EQ(file_text(dir.path() / "model.onnx.data"), "previous data");
}

TEST(StagedModel, AFailedModelRenamePutsThePreviousDataFileBack) {
  TempDir dir;
  const fs::path target = dir.path() / "model.onnx";
  fs::create_directories(target / "occupied");  // a non-empty folder where the model should go
  std::ofstream(dir.path() / "model.onnx.data") << "previous data";
  onnx::ModelProto m = model_with_blobs();
  StagedModel staged(m, target, ExternalDataOptions{true, 0});
  try {
    staged.commit();
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(target.string()), std::string::npos) << e.what();
  }
  EXPECT_EQ(file_text(dir.path() / "model.onnx.data"), "previous data");
  EXPECT_TRUE(fs::is_directory(target / "occupied"));
}

// An exported model whose one external entry is edited by `edit`.
InputError read_edited(const std::function<void(onnx::TensorProto&)>& edit) {
  TempDir dir;
  const fs::path file = dir.path() / "model.onnx";
  onnx::ModelProto m = model_with_blobs();
  StagedModel(m, file, ExternalDataOptions{true, 1000}).commit();
  onnx::ModelProto written = read_model(file);
  for (auto& t : *written.mutable_graph()->mutable_initializer())
    if (t.data_location() == onnx::TensorProto::EXTERNAL) edit(t);
  write_model_atomic(written, file);
  try {
    read_model(file);
  } catch (const InputError& e) {
    return e;
  }
  ADD_FAILURE() << "read_model accepted the edited entry";
  return InputError("", "", "");
}

void set_entry(onnx::TensorProto& t, const std::string& key, const std::string& value) {
  for (auto& e : *t.mutable_external_data())
    if (e.key() == key) e.set_value(value);
}

TEST(ReadModel, ChecksExternalEntries) {
  auto expect = [](const InputError& e, const std::string& text) {
    EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("'blob2000'"), std::string::npos) << e.what();
  };
  expect(read_edited([](onnx::TensorProto& t) { set_entry(t, "location", "/etc/passwd"); }), "is absolute");
  expect(read_edited([](onnx::TensorProto& t) { set_entry(t, "location", "../model.onnx.data"); }),
         "leaves the model's folder");
  expect(read_edited([](onnx::TensorProto& t) { set_entry(t, "location", "other.data"); }), "missing");
  expect(read_edited([](onnx::TensorProto& t) { set_entry(t, "length", "1999"); }), "the dims need 2000");
  expect(read_edited([](onnx::TensorProto& t) { set_entry(t, "offset", "64"); }), "shorter than the model says");
  expect(read_edited([](onnx::TensorProto& t) { set_entry(t, "offset", "-1"); }), "is not a byte count");
}

}  // namespace
}  // namespace onnxport
