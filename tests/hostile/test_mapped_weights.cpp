// Weights lent from a memory-mapped safetensors file (issue 14,
// core/src/onnx/lent_weights.hpp): the model bytes are those of a model
// holding copies; a weights file that shrinks during the write, a SIGBUS on
// a vanished page and a full disk are clear errors that leave no output and
// the previous file intact. The SIGBUS test leaves a shrunk file recorded
// for the rest of the process, so it runs after the tests that commit
// (gtest runs a file's tests in order).
#include <onnxport_core/bundle.hpp>
#include <onnxport_core/onnx_passes.hpp>

#include "base/mapped_files.hpp"
#include "onnx/byte_writer.hpp"
#include "onnx/const_eval.hpp"
#include "onnx/lent_weights.hpp"
#include "onnx/model_io.hpp"
#include "onnx/proto_util.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace onnxport;

namespace {

// Each test starts as an export does: with nothing remembered of files
// unmapped by an earlier test (several truncate their weights file).
fs::path fresh_dir(const std::string& name) {
  forget_unmapped_file_problems();
  fs::path dir = fs::temp_directory_path() / ("onnxport-mapped-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string slurp(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A weights file with one large float tensor "w" (rows x 256) and one small
// one "b" (16 values).
fs::path write_weights(const fs::path& dir, int64_t rows) {
  std::vector<float> w(static_cast<size_t>(rows * 256)), b(16);
  for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(i % 977) * 0.5f;
  for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<float>(i);
  TensorMap m;
  m.set("w", Tensor::from_vector(DType::Float32, {rows, 256}, w));
  m.set("b", Tensor::from_vector(DType::Float32, {16}, b));
  const fs::path file = dir / "weights.safetensors";
  write_safetensors(file, m);
  return file;
}

// A model whose fields surround the initializers on every level (fields
// before and after the graph, nodes before the initializers, inputs and
// outputs after, a node with metadata kept as unknown fields) so that the
// streamed bytes must come out in exactly protobuf's order.
onnx::ModelProto model_with(const TensorMap& weights, bool lend) {
  onnx::ModelProto model;
  model.set_ir_version(8);
  model.set_producer_name("onnxport-test");
  model.set_doc_string("doc");
  auto* opset = model.add_opset_import();
  opset->set_version(17);
  auto* meta = model.add_metadata_props();
  meta->set_key("k");
  meta->set_value("v");
  onnx::GraphProto& g = *model.mutable_graph();
  g.set_name("g");
  auto* node = g.add_node();
  node->set_op_type("MatMul");
  node->add_input("x");
  node->add_input("w");
  node->add_output("y");
  onnx_build::add_metadata(*node, "source", "test.py:1");
  for (const char* name : {"b", "w"}) {
    onnx::TensorProto& init = *g.add_initializer();
    const Tensor& t = *weights.find(name);
    if (!(lend && onnx_build::lend_weight(t, name, init))) onnx_build::tensor_to_proto(t, name, init);
  }
  auto* in = g.add_input();
  in->set_name("x");
  auto* out = g.add_output();
  out->set_name("y");
  g.set_doc_string("graph doc");
  return model;
}

}  // namespace

TEST(MappedWeights, StreamedModelHasTheBytesOfACopiedOne) {
  const fs::path dir = fresh_dir("identical");
  const TensorMap weights = read_safetensors(write_weights(dir, 64));
  const std::string copied = model_with(weights, false).SerializeAsString();
  onnx_build::LendingScope scope;
  onnx::ModelProto lent = model_with(weights, true);
  ASSERT_TRUE(onnx_build::lent_id(lent.graph().initializer(1)).has_value()) << "the 64 KB weight is lent";
  ASSERT_FALSE(onnx_build::lent_id(lent.graph().initializer(0)).has_value()) << "the 64-byte bias is copied";
  const std::string before = lent.SerializeAsString();
  write_model_atomic(lent, dir / "model.onnx");
  EXPECT_EQ(slurp(dir / "model.onnx"), copied);
  EXPECT_EQ(lent.SerializeAsString(), before) << "the model is put back as it was";
  // And with external data: the data file holds the mapped bytes.
  ExternalDataOptions always;
  always.always = true;
  {
    StagedModel staged(lent, dir / "ext.onnx", always);
    staged.commit();
  }
  const Tensor& w = *weights.find("w");
  const std::string data = slurp(dir / "ext.onnx.data");
  ASSERT_EQ(data.size(), w.nbytes());
  EXPECT_EQ(std::memcmp(data.data(), w.bytes(), w.nbytes()), 0);
  EXPECT_EQ(lent.SerializeAsString(), before);
  fs::remove_all(dir);
}

TEST(MappedWeights, ConstantFoldingReadsLentWeightsInPlace) {
  const fs::path dir = fresh_dir("fold");
  const TensorMap weights = read_safetensors(write_weights(dir, 64));
  onnx_build::LendingScope scope;
  onnx::TensorProto proto;
  ASSERT_TRUE(onnx_build::lend_weight(*weights.find("w"), "w", proto));
  auto value = onnx_build::const_from_proto(proto);
  ASSERT_TRUE(value.has_value());
  EXPECT_TRUE(value->bytes.empty()) << "no copy of the input";
  EXPECT_EQ(static_cast<const void*>(value->data().data()), static_cast<const void*>(weights.find("w")->bytes()));
  // A fold that only changes the dims lends the same bytes again.
  onnx::TensorProto reshaped;
  value->dims = {256, 64};
  onnx_build::const_to_proto(std::move(*value), "w2", reshaped);
  ASSERT_TRUE(onnx_build::lent_id(reshaped).has_value());
  EXPECT_EQ(onnx_build::tensor_data(reshaped).data(), onnx_build::tensor_data(proto).data());
  fs::remove_all(dir);
}

// y = MatMul(x, Transpose(w)), what a Linear on a 3-D input becomes, with w
// lent or copied.
onnx::ModelProto transposed_weight_model(const TensorMap& weights, bool lend) {
  onnx::ModelProto model;
  model.set_ir_version(8);
  model.add_opset_import()->set_version(17);
  onnx::GraphProto& g = *model.mutable_graph();
  g.set_name("g");
  auto* t = g.add_node();
  t->set_op_type("Transpose");
  t->add_input("w");
  t->add_output("wt");
  auto* perm = t->add_attribute();
  perm->set_name("perm");
  perm->set_type(onnx::AttributeProto::INTS);
  perm->add_ints(1);
  perm->add_ints(0);
  auto* mm = g.add_node();
  mm->set_op_type("MatMul");
  mm->add_input("x");
  mm->add_input("wt");
  mm->add_output("y");
  onnx::TensorProto& init = *g.add_initializer();
  const Tensor& w = *weights.find("w");
  if (!(lend && onnx_build::lend_weight(w, "w", init))) onnx_build::tensor_to_proto(w, "w", init);
  onnx_build::set_tensor_type(*g.add_input(), "x", DType::Float32, Shape{Dim(2), Dim(w.shape()[1])});
  onnx_build::set_tensor_type(*g.add_output(), "y", DType::Float32, Shape{Dim(2), Dim(w.shape()[0])});
  return model;
}

// Folding Transpose(w) of a lent w makes no transposed copy: the writers
// transpose it piece by piece from the mapping (4100 x 256 floats: the
// transpose is 4.2 MB, more than one piece of kLentWritePieceBytes), and the
// model and data file are those of the fold that copies.
TEST(MappedWeights, FoldedTransposeOfALentWeightIsWrittenWithoutACopy) {
  const fs::path dir = fresh_dir("transposed");
  const TensorMap weights = read_safetensors(write_weights(dir, 4100));
  onnx::ModelProto copied = transposed_weight_model(weights, false);
  optimize_model(copied);
  ASSERT_EQ(copied.graph().initializer_size(), 1);
  const std::string expected_data = copied.graph().initializer(0).raw_data();
  ASSERT_EQ(expected_data.size(), size_t{4100} * 256 * 4);
  const std::string expected = copied.SerializeAsString();

  onnx_build::LendingScope scope;
  onnx::ModelProto lent = transposed_weight_model(weights, true);
  optimize_model(lent);
  ASSERT_EQ(lent.graph().initializer_size(), 1);
  const auto id = onnx_build::lent_id(lent.graph().initializer(0));
  ASSERT_TRUE(id.has_value()) << "W^T is lent, not copied into raw_data";
  EXPECT_TRUE(onnx_build::lent_is_deferred(*id)) << "no transposed copy was made by folding";
  EXPECT_EQ(onnx_build::tensor_data_size(lent.graph().initializer(0)), expected_data.size());

  write_model_atomic(lent, dir / "model.onnx");
  EXPECT_EQ(slurp(dir / "model.onnx"), expected);
  ExternalDataOptions always;
  always.always = true;
  {
    StagedModel staged(lent, dir / "ext.onnx", always);
    staged.commit();
  }
  EXPECT_EQ(slurp(dir / "ext.onnx.data"), expected_data);
  EXPECT_TRUE(onnx_build::lent_is_deferred(*id)) << "the writers transposed piece by piece";
  // A reader that needs every byte at once gets them made.
  EXPECT_EQ(onnx_build::lent_bytes(*id), expected_data);
  fs::remove_all(dir);
}

// LentWriter transposes the deferred weights on a second thread ahead of the
// writer: whatever the order the writer asks in, each id gets exactly the
// bytes of its transpose (a weight twice in a row, one larger than a write
// piece, an id out of the announced order, an id that is not deferred).
TEST(MappedWeights, LentWriterWritesEachTransposeWhateverTheOrderAsked) {
  const fs::path dir = fresh_dir("ahead");
  std::vector<int64_t> rows_of = {300, 4100, 17, 64};
  TensorMap m;
  for (size_t i = 0; i < rows_of.size(); ++i) {
    std::vector<float> w(static_cast<size_t>(rows_of[i] * 256));
    for (size_t k = 0; k < w.size(); ++k) w[k] = static_cast<float>((k * 7 + i) % 1013);
    m.set("w" + std::to_string(i), Tensor::from_vector(DType::Float32, {rows_of[i], 256}, w));
  }
  write_safetensors(dir / "weights.safetensors", m);
  const TensorMap weights = read_safetensors(dir / "weights.safetensors");

  onnx_build::LendingScope scope;
  std::vector<uint64_t> transposed;
  std::vector<std::string> expected;
  for (size_t i = 0; i < rows_of.size(); ++i) {
    const Tensor& w = *weights.find("w" + std::to_string(i));
    onnx::TensorProto proto;
    ASSERT_TRUE(onnx_build::lend_weight(w, "w", proto));
    const auto id = onnx_build::lend_transposed(*onnx_build::lent_id(proto), rows_of[i], 256, 4);
    ASSERT_TRUE(id.has_value());
    transposed.push_back(*id);
    std::string t(w.nbytes(), '\0');
    const auto* in = reinterpret_cast<const float*>(w.bytes());
    auto* out = reinterpret_cast<float*>(t.data());
    for (int64_t r = 0; r < rows_of[i]; ++r)
      for (int64_t c = 0; c < 256; ++c) out[c * rows_of[i] + r] = in[r * 256 + c];
    expected.push_back(std::move(t));
  }
  auto write_all = [&](onnx_build::LentWriter& writer, const std::vector<size_t>& asked) {
    for (size_t i : asked) {
      std::string got;
      EXPECT_TRUE(writer.write(transposed[i], [&](std::string_view bytes) {
        got.append(bytes);
        return true;
      }));
      EXPECT_TRUE(got == expected[i]) << "weight " << i;
    }
  };
  {
    // In the announced order, one weight twice.
    onnx_build::LentWriter writer({transposed[0], transposed[1], transposed[1], transposed[2], transposed[3]});
    write_all(writer, {0, 1, 1, 2, 3});
  }
  {
    // Out of order: the writer falls back for what it was not told.
    onnx_build::LentWriter writer({transposed[0], transposed[1], transposed[2], transposed[3]});
    write_all(writer, {2, 0, 1, 3, 3});
  }
  {
    // The writer stops early (a failed write): the second thread ends with it.
    onnx_build::LentWriter writer({transposed[0], transposed[1], transposed[2], transposed[3]});
    EXPECT_FALSE(writer.write(transposed[0], [](std::string_view) { return false; }));
  }
  {
    // A write fails in the middle of a weight written in several strips
    // (4100 rows: 16 KB per row of its transpose); what follows is written
    // without the second thread, and right.
    onnx_build::LentWriter writer({transposed[0], transposed[1], transposed[2], transposed[3]});
    write_all(writer, {0});
    size_t pieces = 0;
    std::string got;
    EXPECT_FALSE(writer.write(transposed[1], [&](std::string_view bytes) {
      got.append(bytes);
      return ++pieces < 2;
    }));
    EXPECT_EQ(pieces, 2u) << "weight 1 was not written in strips";
    EXPECT_TRUE(got.size() < expected[1].size() && expected[1].compare(0, got.size(), got) == 0);
    write_all(writer, {2, 3});
  }
  // Made in memory (lent_bytes), an entry is no longer deferred and is
  // written from those bytes.
  EXPECT_EQ(onnx_build::lent_bytes(transposed[3]), expected[3]);
  EXPECT_FALSE(onnx_build::lent_is_deferred(transposed[3]));
  {
    onnx_build::LentWriter writer({transposed[3], transposed[0], transposed[2]});
    write_all(writer, {3, 0, 2});
  }
  fs::remove_all(dir);
}

// The weights file is truncated after it was mapped: write(2) from the
// vanished pages fails with EFAULT, which must be an error, not a model.
TEST(MappedWeights, FileTruncatedBeforeTheWriteIsAnErrorAndNoOutput) {
  for (bool external : {false, true}) {
    const fs::path dir = fresh_dir(external ? "trunc-ext" : "trunc");
    const fs::path file = write_weights(dir, 1024);  // 1 MB
    const TensorMap weights = read_safetensors(file);
    onnx_build::LendingScope scope;
    onnx::ModelProto model = model_with(weights, true);
    const fs::path out = dir / "model.onnx";
    {
      std::ofstream previous(out, std::ios::binary);
      previous << "previous model";
    }
    ASSERT_EQ(::truncate(file.c_str(), 4096), 0);
    ExternalDataOptions options;
    options.always = external;
    try {
      StagedModel staged(model, out, options);
      staged.commit();
      FAIL() << "a model was written from a truncated weights file";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("shrank"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(out.string()), std::string::npos) << e.what();
    }
    EXPECT_EQ(slurp(out), "previous model");
    EXPECT_FALSE(fs::exists(dir / "model.onnx.data"));
    for (const auto& entry : fs::directory_iterator(dir))
      EXPECT_EQ(entry.path().filename().string().find(".model.onnx.staging"), std::string::npos) << entry.path();
    fs::remove_all(dir);
  }
}

// A file cut inside its last page gives no signal (the rest of that page
// reads zeros): the size check of mapped_file_problem sees it.
TEST(MappedWeights, FileCutInsideItsLastPageIsSeenBySize) {
  const fs::path dir = fresh_dir("cut-in-page");
  const fs::path file = write_weights(dir, 1);  // 1 KB of weights: one page
  {
    const TensorMap weights = read_safetensors(file);
    ASSERT_FALSE(mapped_file_problem().has_value());
    ASSERT_EQ(::truncate(file.c_str(), static_cast<off_t>(fs::file_size(file) - 100)), 0);
    const auto after = mapped_file_problem();
    ASSERT_TRUE(after.has_value());
    EXPECT_EQ(*after, file.string());
  }
  fs::remove_all(dir);
}

// A full disk (RLIMIT_FSIZE, as the CLI tests do) while the streamed model
// or its data file is written: an error naming the output, no output file,
// the previous file intact.
TEST(MappedWeights, DiskFullWhileStreamingLeavesThePreviousFile) {
  for (bool external : {false, true}) {
    const fs::path dir = fresh_dir(external ? "full-ext" : "full");
    const TensorMap weights = read_safetensors(write_weights(dir, 1024));
    onnx_build::LendingScope scope;
    onnx::ModelProto model = model_with(weights, true);
    const fs::path out = dir / "model.onnx";
    {
      std::ofstream previous(out, std::ios::binary);
      previous << "previous model";
    }
    ExternalDataOptions options;
    options.always = external;
    struct rlimit old {};
    ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
    auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
    struct rlimit small = old;
    small.rlim_cur = 256 * 1024;  // the 1 MB weight does not fit
    ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
    std::string error;
    try {
      StagedModel staged(model, out, options);
      staged.commit();
    } catch (const std::runtime_error& e) {
      error = e.what();
    }
    ::setrlimit(RLIMIT_FSIZE, &old);
    std::signal(SIGXFSZ, old_handler);
    EXPECT_NE(error.find("File too large"), std::string::npos) << error;
    EXPECT_EQ(slurp(out), "previous model");
    EXPECT_FALSE(fs::exists(dir / "model.onnx.data"));
    fs::remove_all(dir);
  }
}

// Mapped bytes are copied file to file by the kernel (byte_writer.hpp); an
// output the kernel cannot copy into (O_APPEND: EBADF) gets them through a
// buffer; both give exactly the bytes, after what the file already held.
TEST(MappedWeights, AppendBytesCopiesMappedBytesInTheKernelOrThroughABuffer) {
  const fs::path dir = fresh_dir("append");
  const fs::path file = write_weights(dir, 1024);  // 1 MB
  const TensorMap weights = read_safetensors(file);
  const Tensor& w = *weights.find("w");
  const std::string_view bytes(reinterpret_cast<const char*>(w.bytes()), w.nbytes());
  ASSERT_TRUE(mapped_file_range(bytes.data(), bytes.size()).has_value()) << "the weights are not mapped";
  EXPECT_FALSE(mapped_file_range(bytes.data(), slurp(file).size() + 1).has_value()) << "a range past the mapping";
  for (int flags : {O_WRONLY | O_CREAT | O_TRUNC, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND}) {
    const fs::path out = dir / "out.bin";
    const int fd = ::open(out.c_str(), flags | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0);
    std::string error;
    EXPECT_TRUE(onnx_build::append_bytes(fd, "head", error)) << error;
    EXPECT_TRUE(onnx_build::append_bytes(fd, bytes, error)) << error;
    EXPECT_TRUE(onnx_build::append_bytes(fd, bytes.substr(4093, 70001), error)) << error;  // unaligned
    ::close(fd);
    EXPECT_EQ(slurp(out), "head" + std::string(bytes) + std::string(bytes.substr(4093, 70001)))
        << ((flags & O_APPEND) ? "through the buffer" : "copied by the kernel");
  }
  fs::remove_all(dir);
}

// The kernel's copy of a file truncated meanwhile ends early: the error that
// names the weights file and says it shrank, not a short file.
TEST(MappedWeights, AppendBytesFromAFileTruncatedMeanwhileSaysItShrank) {
  const fs::path dir = fresh_dir("append-trunc");
  const fs::path file = write_weights(dir, 1024);
  {
    const TensorMap weights = read_safetensors(file);
    const Tensor& w = *weights.find("w");
    const std::string_view bytes(reinterpret_cast<const char*>(w.bytes()), w.nbytes());
    ASSERT_EQ(::truncate(file.c_str(), 4096), 0);
    const int fd = ::open((dir / "out.bin").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0);
    std::string error;
    EXPECT_FALSE(onnx_build::append_bytes(fd, bytes, error));
    EXPECT_EQ(error, file.string() + ": the file shrank while the export was reading it (it is memory-mapped: a "
                     "weights file must not change during an export); no model was written");
    ::close(fd);
  }
  forget_unmapped_file_problems();
  fs::remove_all(dir);
}

// A read of a vanished page (constant folding, a draft capture) raises
// SIGBUS: the handler records the file and maps zero pages over the rest of
// the mapping, so the read returns; from then on mapped_file_problem names
// the file and a staged model refuses to be moved into place.
TEST(MappedWeights, SigbusOnATruncatedMappingIsRecordedAndRefusesTheCommit) {
  const fs::path dir = fresh_dir("sigbus");
  const fs::path file = write_weights(dir, 1024);
  {
    const TensorMap weights = read_safetensors(file);
    ASSERT_FALSE(mapped_file_problem().has_value());
    onnx_build::LendingScope scope;
    onnx::ModelProto model = model_with(weights, true);
    const fs::path out = dir / "model.onnx";
    {
      std::ofstream previous(out, std::ios::binary);
      previous << "previous model";
    }
    ASSERT_EQ(::truncate(file.c_str(), 4096), 0);
    const Tensor& w = *weights.find("w");
    float sum = 0;
    for (int64_t i = 0; i < w.numel(); i += 1024) sum += w.data<float>()[i];  // past 4096: a SIGBUS, then zeros
    EXPECT_EQ(w.data<float>()[w.numel() - 1], 0.0f) << "the vanished pages read as zeros";
    const auto problem = mapped_file_problem();
    ASSERT_TRUE(problem.has_value());
    EXPECT_EQ(*problem, file.string());
    try {
      StagedModel staged(model, out, ExternalDataOptions{});
      staged.commit();
      FAIL() << "a model was moved into place after a weights file shrank";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(file.string() + ": the file shrank while the export was reading it"),
                std::string::npos)
          << e.what();
    }
    EXPECT_EQ(slurp(out), "previous model");
    EXPECT_GE(sum, 0.0f);
  }
  // The mapping is gone, but the export that read its zeros must still fail.
  EXPECT_TRUE(mapped_file_problem().has_value());
  fs::remove_all(dir);
}
