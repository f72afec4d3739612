// Numeric agreement with PyTorch: every case of make_fixtures.py runs through
// the op's meta function and its kernel; the meta must predict the kernel's
// dtype and shape exactly, and the kernel must match torch's outputs.
#include "op_test_support.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <set>

namespace onnxport::test {
namespace {

std::string fixture_path() {
  if (const char* env = std::getenv("ONNXPORT_OPS_FIXTURES")) return env;
  return ONNXPORT_OPS_FIXTURES_DEFAULT;
}

const nlohmann::json& fixtures() {
  static const nlohmann::json data = [] {
    std::ifstream in(fixture_path());
    if (!in)
      throw std::runtime_error("cannot read " + fixture_path() +
                               ": run the tests through ctest (fixture ops.make_fixtures) or "
                               "/usr/bin/python3 tests/ops/make_fixtures.py " + fixture_path());
    return nlohmann::json::parse(in);
  }();
  return data;
}

bool close_enough(double got, double want, double atol, double rtol) {
  if (std::isnan(want)) return std::isnan(got);
  if (std::isinf(want)) return got == want;
  return std::fabs(got - want) <= atol + rtol * std::fabs(want);
}

// Compares one kernel output with torch's; returns an empty string when equal.
std::string compare(const Tensor& got, const Tensor& want, double atol, double rtol) {
  if (got.dtype() != want.dtype())
    return "dtype " + std::string(dtype_name(got.dtype())) + " != torch's " + std::string(dtype_name(want.dtype()));
  if (got.shape() != want.shape())
    return "shape " + shape_str(shape_of(got.shape())) + " != torch's " + shape_str(shape_of(want.shape()));
  const bool exact = !is_floating(want.dtype());
  for (int64_t i = 0; i < want.numel(); ++i) {
    const bool ok = exact ? got.get_int(i) == want.get_int(i) : close_enough(got.get_double(i), want.get_double(i), atol, rtol);
    if (!ok)
      return "element " + std::to_string(i) + ": got " + std::to_string(got.get_double(i)) + ", torch " +
             std::to_string(want.get_double(i)) + "\n  got   " + got.values_str(12) + "\n  torch " + want.values_str(12);
  }
  return "";
}

void check_case(const nlohmann::json& c) {
  const std::string name = c.at("name").get<std::string>();
  SCOPED_TRACE(name + (c.value("note", "").empty() ? "" : " (" + c["note"].get<std::string>() + ")"));
  ArgStore store;
  std::vector<OpArg> args;
  for (const auto& a : c.at("args")) args.push_back(decode_arg(store, a));
  const std::string op = c.at("op").get<std::string>();
  std::vector<TensorMeta> metas;
  std::vector<Tensor> outs;
  try {
    metas = run_meta(op, args);
    outs = run_kernel(op, args);
  } catch (const std::exception& e) {
    ADD_FAILURE() << name << " threw: " << e.what();
    return;
  }
  const auto& expected = c.at("outputs");
  ASSERT_EQ(metas.size(), outs.size()) << name << ": meta and kernel disagree on the number of outputs";
  ASSERT_EQ(outs.size(), expected.size()) << name << ": torch returned " << expected.size() << " outputs";
  for (size_t i = 0; i < outs.size(); ++i) {
    EXPECT_EQ(metas[i].dtype, outs[i].dtype()) << name << " output " << i << ": meta dtype " << dtype_name(metas[i].dtype)
                                               << " vs kernel " << dtype_name(outs[i].dtype());
    EXPECT_EQ(shape_str(metas[i].shape), shape_str(shape_of(outs[i].shape()))) << name << " output " << i << ": meta vs kernel shape";
    const std::string diff = compare(outs[i], decode_tensor(expected[i]), c.at("atol").get<double>(), c.at("rtol").get<double>());
    EXPECT_TRUE(diff.empty()) << name << " output " << i << ": " << diff;
  }
}

TEST(TorchFixtures, KernelsMatchPyTorch) {
  const auto& cases = fixtures().at("cases");
  ASSERT_GT(cases.size(), 100u);
  for (const auto& c : cases) check_case(c);
}

// Every op the library can evaluate is exercised against torch at least once.
TEST(TorchFixtures, EveryRegisteredOpHasACase) {
  std::set<std::string> covered;
  for (const auto& c : fixtures().at("cases")) covered.insert(c.at("op").get<std::string>());
  for (const std::string& name : OpLibrary::instance().names()) {
    if (name.rfind("aten::", 0) == 0 && OpLibrary::instance().find(name)->kernel) {  // other tests add their own ops
      // Braces: EXPECT_TRUE is an if/else inside, which -Wdangling-else flags.
      EXPECT_TRUE(covered.count(name)) << name << " has no case in tests/ops/make_fixtures.py";
    }
  }
}

}  // namespace
}  // namespace onnxport::test
