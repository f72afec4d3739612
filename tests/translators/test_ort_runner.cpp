// The ONNX Runtime runner and compare_tensors, on their own.
#include "harness.hpp"

#include <onnxport_core/onnx_passes.hpp>
#include <onnxport_core/ort.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace onnxport::translator_tests {
namespace {

namespace fs = std::filesystem;

TEST(OrtRunner, IsInstalledBySetup) {
  // The set-up installs onnxruntime-node; a missing runner is a failure.
  auto runner = find_ort_runner();
  ASSERT_TRUE(runner.has_value()) << "ONNX Runtime runner not found: run 'npm install --ignore-scripts' in "
                                  << ONNXPORT_TEST_SOURCE_DIR;
  EXPECT_EQ(runner->filename(), "run.js");
}

TEST(OrtRunner, ModelThatDoesNotLoadGivesTheRunnersMessage) {
  fs::path bad = fs::temp_directory_path() / ("onnxport-not-a-model-" + std::to_string(::getpid()) + ".onnx");
  { std::ofstream(bad) << "this is not a protobuf"; }
  TensorMap inputs;
  inputs.set("x", Tensor::zeros(DType::Float32, {2}));
  try {
    run_onnxruntime(bad, inputs);
    ADD_FAILURE() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot load model"), std::string::npos) << e.what();
  }
  fs::remove(bad);
}

TEST(OrtRunner, MissingInputIsNamed) {
  GraphBuilder b;
  ValueId x = b.input(Tensor::zeros(DType::Float32, {2}), "x");
  ValueId y = b.input(Tensor::zeros(DType::Float32, {2}), "y");
  b.output(b.node1("aten::mul", {V(x), V(y)}));
  // Translate through the normal path, then run with only "x".
  onnx::ModelProto m = check_graph(b, {.opsets = {17}});
  fs::path file = fs::temp_directory_path() / ("onnxport-missing-input-" + std::to_string(::getpid()) + ".onnx");
  write_model_atomic(m, file);
  TensorMap inputs;
  inputs.set("x", Tensor::zeros(DType::Float32, {2}));
  try {
    run_onnxruntime(file, inputs);
    ADD_FAILURE() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("missing model input(s) 'y'"), std::string::npos) << e.what();
  }
  fs::remove(file);
}

TEST(OrtRunner, ExplicitRunnerSettingIsHonouredAndNeverSilentlyReplaced) {
  const char* old = std::getenv("ONNXPORT_ORT_RUNNER");
  std::string saved = old ? old : "";
  ::setenv("ONNXPORT_ORT_RUNNER", "/nonexistent/run.js", 1);
  EXPECT_FALSE(find_ort_runner().has_value());
  TensorMap inputs;
  try {
    run_onnxruntime("/nonexistent/model.onnx", inputs);
    ADD_FAILURE() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("ONNXPORT_ORT_RUNNER"), std::string::npos) << e.what();
  }
  ::setenv("ONNXPORT_ORT_RUNNER", (fs::path(ONNXPORT_TEST_SOURCE_DIR) / "tools" / "ort-runner").c_str(), 1);
  auto runner = find_ort_runner();
  ASSERT_TRUE(runner.has_value());
  EXPECT_EQ(runner->filename(), "run.js");
  if (old) ::setenv("ONNXPORT_ORT_RUNNER", saved.c_str(), 1);
  else ::unsetenv("ONNXPORT_ORT_RUNNER");
}

TEST(CompareTensors, ToleranceNaNAndHistogram) {
  Tensor e = values(DType::Float32, {4}, {1.0, 2.0, NAN, 0.0});
  Tensor a = values(DType::Float32, {4}, {1.0, 2.0 + 1e-5, NAN, 1e-3});
  Comparison tight = compare_tensors("y", a, e, 1e-6, 0);
  EXPECT_FALSE(tight.ok);
  EXPECT_NEAR(tight.max_abs, 1e-3, 1e-9);
  Comparison loose = compare_tensors("y", a, e, 1e-2, 0);
  EXPECT_TRUE(loose.ok);
  int64_t total = 0;
  for (auto [bound, count] : loose.histogram) total += count;
  EXPECT_EQ(total, 4);
  EXPECT_EQ(loose.histogram.front().second, 2);  // exact matches, NaN == NaN included
}

TEST(CompareTensors, NaNOnOneSideAndShapeMismatchFail) {
  Tensor e = values(DType::Float32, {2}, {1.0, 2.0});
  EXPECT_FALSE(compare_tensors("y", values(DType::Float32, {2}, {1.0, NAN}), e, 1, 1).ok);
  Comparison c = compare_tensors("y", values(DType::Float32, {1, 2}, {1.0, 2.0}), e, 1, 1);
  EXPECT_FALSE(c.ok);
  EXPECT_NE(c.problem.find("shape"), std::string::npos);
}

}  // namespace
}  // namespace onnxport::translator_tests
