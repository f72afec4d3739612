#include <onnxport_core/bundle.hpp>

#include "test_util.hpp"

#include <cstring>

using namespace onnxport;
using namespace onnxport::test;

namespace {

// Builds a safetensors file by hand: header JSON + raw bytes.
std::string safetensors_bytes(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i, n >>= 8) out[static_cast<size_t>(i)] = static_cast<char>(n & 0xff);
  return out + header + data;
}

}  // namespace

TEST(Safetensors, WriteReadRoundTrip) {
  ScratchDir dir;
  TensorMap m;
  m.set("w", Tensor::from_vector<double>(DType::Float32, {2, 2}, {1, 2, 3, 4}));
  m.set("idx", Tensor::from_vector<int>(DType::Int64, {3}, {7, 8, 9}));
  m.set("half", Tensor::from_vector<double>(DType::Float16, {1}, {0.5}));
  m.set("empty", Tensor::zeros(DType::Float32, {0, 4}));
  m.set("flag", Tensor::scalar(DType::Bool, 1));
  const auto file = dir.path() / "t.safetensors";
  write_safetensors(file, m, {{"format", "pt"}});
  // Atomic write: only the final file remains.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1);
  // The header is padded so the data starts 8-byte aligned.
  const std::string bytes = read_file(file);
  uint64_t header_len = 0;
  std::memcpy(&header_len, bytes.data(), 8);
  EXPECT_EQ((8 + header_len) % 8, 0u);
  EXPECT_NE(bytes.find("\"__metadata__\":{\"format\":\"pt\"}"), std::string::npos);

  const TensorMap back = read_safetensors(file);
  ASSERT_EQ(back.size(), 5u);
  EXPECT_EQ(back.items()[0].first, "w");  // file order is kept
  EXPECT_EQ(back.find("w")->values_str(), "[[1, 2], [3, 4]]");
  EXPECT_FALSE(back.find("w")->owns_storage());  // borrowed from the mapping
  EXPECT_EQ(back.find("idx")->get_int(2), 9);
  EXPECT_EQ(back.find("half")->get_double(0), 0.5);
  EXPECT_EQ(back.find("empty")->numel(), 0);
  EXPECT_EQ(back.find("flag")->get_double(0), 1.0);
}

TEST(Safetensors, TensorsOutliveTheMap) {
  ScratchDir dir;
  TensorMap m;
  m.set("a", Tensor::from_vector<double>(DType::Float64, {2}, {1.25, 2.5}));
  write_safetensors(dir.path() / "a.safetensors", m);
  Tensor kept;
  {
    TensorMap back = read_safetensors(dir.path() / "a.safetensors");
    kept = *back.find("a");
  }
  EXPECT_EQ(kept.get_double(1), 2.5);  // the mapping lives as long as a tensor borrows it
}

TEST(Safetensors, TooShort) {
  ScratchDir dir;
  write_file(dir.path() / "x.safetensors", "abc");
  const auto e = expect_input_error([&] { read_safetensors(dir.path() / "x.safetensors"); });
  EXPECT_NE(std::string(e.what()).find("x.safetensors: byte 0: file is 3 bytes"), std::string::npos) << e.what();
}

TEST(Safetensors, HeaderLengthBeyondFile) {
  ScratchDir dir;
  std::string bytes = safetensors_bytes("{}", "");
  bytes[0] = 'x';  // header length 120 in a 10-byte file
  write_file(dir.path() / "x.safetensors", bytes);
  const auto e = expect_input_error([&] { read_safetensors(dir.path() / "x.safetensors"); });
  EXPECT_NE(std::string(e.what()).find("header length 120 exceeds the file size"), std::string::npos) << e.what();
}

TEST(Safetensors, MalformedHeader) {
  ScratchDir dir;
  write_file(dir.path() / "x.safetensors", safetensors_bytes("{\"a\": {", ""));
  const auto e = expect_input_error([&] { read_safetensors(dir.path() / "x.safetensors"); });
  EXPECT_EQ(e.place(), "header");
  EXPECT_NE(std::string(e.what()).find("malformed JSON header"), std::string::npos);
}

TEST(Safetensors, DataPastTheEnd) {
  ScratchDir dir;
  write_file(dir.path() / "x.safetensors",
             safetensors_bytes(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", std::string(4, '\0')));
  const auto e = expect_input_error([&] { read_safetensors(dir.path() / "x.safetensors"); });
  EXPECT_EQ(e.place(), "/w/data_offsets");
  EXPECT_NE(std::string(e.what()).find("tensor 'w': data range [0, 8] goes past the end of the data (4 bytes"),
            std::string::npos)
      << e.what();
}

TEST(Safetensors, SizeMismatch) {
  ScratchDir dir;
  write_file(dir.path() / "x.safetensors",
             safetensors_bytes(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", std::string(8, '\0')));
  const auto e = expect_input_error([&] { read_safetensors(dir.path() / "x.safetensors"); });
  EXPECT_NE(std::string(e.what()).find("tensor 'w': 8 bytes for f32[3], which needs 12"), std::string::npos) << e.what();
}

TEST(Safetensors, Overlap) {
  ScratchDir dir;
  write_file(dir.path() / "x.safetensors",
             safetensors_bytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                               R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                               std::string(12, '\0')));
  const auto e = expect_input_error([&] { read_safetensors(dir.path() / "x.safetensors"); });
  EXPECT_NE(std::string(e.what()).find("tensor 'b' overlaps tensor 'a'"), std::string::npos) << e.what();
}

TEST(Safetensors, UnknownDType) {
  ScratchDir dir;
  write_file(dir.path() / "x.safetensors",
             safetensors_bytes(R"({"c":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}})", std::string(8, '\0')));
  const auto e = expect_input_error([&] { read_safetensors(dir.path() / "x.safetensors"); });
  EXPECT_EQ(e.place(), "/c/dtype");
  EXPECT_NE(std::string(e.what()).find("unsupported dtype 'C64'"), std::string::npos);
}

TEST(Safetensors, MissingFile) {
  ScratchDir dir;
  const auto e = expect_input_error([&] { read_safetensors(dir.path() / "nope.safetensors"); });
  EXPECT_NE(std::string(e.what()).find("nope.safetensors: cannot open"), std::string::npos);
}

// The header's entries are read while it is parsed (core/src/program/safetensors.cpp,
// HeaderEntryReader); what a reader of the whole parsed header did is kept.

TEST(Safetensors, ANameGivenTwiceIsItsLastValue) {
  ScratchDir dir;
  write_file(dir.path() / "x.safetensors",
             safetensors_bytes(R"({"w":{"dtype":"C64","shape":[1],"data_offsets":[0,8]},)"
                               R"("__metadata__":{"format":"pt","w":"not a tensor"},)"
                               R"("w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
                               std::string(8, '\0')));
  const TensorMap m = read_safetensors(dir.path() / "x.safetensors");
  ASSERT_EQ(m.size(), 1u);
  ASSERT_NE(m.find("w"), nullptr);
  EXPECT_EQ(m.find("w")->shape(), std::vector<int64_t>({2}));
}

TEST(Safetensors, OfSeveralBadEntriesTheFirstNameFails) {
  ScratchDir dir;
  write_file(dir.path() / "x.safetensors",
             safetensors_bytes(R"({"z":{"dtype":"C64","shape":[1],"data_offsets":[0,8]},)"
                               R"("b":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})",
                               std::string(8, '\0')));
  const auto e = expect_input_error([&] { read_safetensors(dir.path() / "x.safetensors"); });
  EXPECT_NE(std::string(e.what()).find("tensor 'b': 8 bytes for f32[3]"), std::string::npos) << e.what();
}

TEST(Safetensors, MalformedHeaderAfterABadEntryIsMalformed) {
  ScratchDir dir;
  write_file(dir.path() / "x.safetensors",
             safetensors_bytes(R"({"a":{"dtype":"C64","shape":[1],"data_offsets":[0,8]},"b":)", std::string(8, '\0')));
  const auto e = expect_input_error([&] { read_safetensors(dir.path() / "x.safetensors"); });
  EXPECT_EQ(e.place(), "header");
  EXPECT_NE(std::string(e.what()).find("malformed JSON header"), std::string::npos) << e.what();
}

TEST(Safetensors, EmptyTensorsAtOneOffsetAreInNameOrder) {
  ScratchDir dir;
  write_file(dir.path() / "x.safetensors",
             safetensors_bytes(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                               R"("c":{"dtype":"F32","shape":[0],"data_offsets":[8,8]},)"
                               R"("a":{"dtype":"F32","shape":[0],"data_offsets":[8,8]},)"
                               R"("b":{"dtype":"F32","shape":[0],"data_offsets":[8,8]}})",
                               std::string(8, '\0')));
  const TensorMap m = read_safetensors(dir.path() / "x.safetensors");
  std::vector<std::string> names;
  for (const auto& [name, t] : m.items()) names.push_back(name);
  EXPECT_EQ(names, std::vector<std::string>({"w", "a", "b", "c"}));
}
