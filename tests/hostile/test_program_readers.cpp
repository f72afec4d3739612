// program.json has two readers (core/src/program/program_json.hpp): the fast
// one fills graph nodes straight from the text and declines whatever it does
// not read; the checked one builds a document per node and reports every
// error with its JSON pointer. load_program uses the fast one and falls back
// to the checked one, so they must agree: every text the fast one reads, the
// checked one reads into the same Program; no text the checked one refuses
// is read by the fast one. Checked here on every program.json in the
// repository, on thousands of mutations of them, and on chosen texts; the
// program_json fuzz target checks the same on what it generates.
#include "program/program_json.hpp"

#include "../support/program_description.hpp"

#include <onnxport/diagnostics.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace onnxport;
namespace fs = std::filesystem;

namespace {

struct Outcome {
  std::optional<std::string> fast;     // description, or nullopt if the fast reader declined
  std::optional<std::string> checked;  // description, or nullopt if the checked reader refused
  std::string error;                   // the checked reader's error
};

Outcome read_both(std::string_view text) {
  const fs::path file = "/bundle/program.json";
  Outcome o;
  TiedWeights fast_tied, checked_tied;
  if (auto p = read_program_text_fast(text, file, fast_tied)) o.fast = test::describe_program(*p, fast_tied);
  try {
    const Program p = read_program_text_checked(text, file, checked_tied);
    o.checked = test::describe_program(p, checked_tied);
  } catch (const InputError& e) {
    o.error = e.what();
  }
  return o;
}

// The agreement every text must show; returns whether the fast reader read it.
bool expect_agreement(std::string_view text, const std::string& label) {
  const Outcome o = read_both(text);
  if (!o.fast) return false;
  EXPECT_TRUE(o.checked.has_value()) << label << ": the fast reader read a text the checked one refuses with: "
                                     << o.error;
  if (o.checked) {
    EXPECT_EQ(*o.fast, *o.checked) << label;
  }
  return true;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Every program.json text in the repository's tests and examples: bundles,
// the fuzz corpora, the hostile reproducers.
std::vector<fs::path> corpus() {
  std::vector<fs::path> files;
  for (const char* dir : {"tests", "examples"}) {
    for (const auto& entry : fs::recursive_directory_iterator(fs::path(ONNXPORT_REPO_ROOT) / dir)) {
      if (!entry.is_regular_file() || entry.path().extension() != ".json") continue;
      if (read_file(entry.path()).find("\"onnxport.program\"") != std::string::npos) files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

// A program.json the way torch2program writes one, with `nodes` spliced in.
std::string program_with_nodes(const std::string& nodes) {
  return R"({"format":"onnxport.program","version":1,"name":"M",)"
         R"("module":{"type":"M","attributes":{"training":false},"parameters":["w"],"parameter_shapes":{"w":[2]},)"
         R"("children":{"b":{"type":"B"},"a":{"type":"A","parameters":["weight"]}}},)"
         R"("graph":{"inputs":[{"name":"self","type":"Module"},{"name":"x","dtype":"float32","shape":["batch",2]}],)"
         R"("nodes":[)" +
         nodes + R"(],"outputs":["x"]}})";
}

}  // namespace

TEST(ProgramReaders, ReadEveryProgramInTheRepositoryAlike) {
  const auto files = corpus();
  ASSERT_GE(files.size(), 40u) << "the corpus went missing";
  size_t fast_read = 0, checked_read = 0;
  for (const auto& f : files) {
    const std::string text = read_file(f);
    if (expect_agreement(text, f.string())) ++fast_read;
    if (read_both(text).checked) ++checked_read;
  }
  // The fast reader must actually read what writers write, not decline it all.
  EXPECT_GE(fast_read * 10, checked_read * 9) << fast_read << " of " << checked_read << " valid programs read fast";
  EXPECT_TRUE(read_both(read_file(fs::path(ONNXPORT_REPO_ROOT) / "examples/seed/program.json")).fast)
      << "the seed's program.json is declined by the fast reader";
  EXPECT_TRUE(read_both(read_file(fs::path(ONNXPORT_REPO_ROOT) / "examples/seed-cond/program.json")).fast)
      << "seed-cond's program.json (blocks) is declined by the fast reader";
}

// Deterministic mutations of every corpus text (one seed): bytes deleted,
// replaced or inserted where they break the JSON or its fields, pieces
// repeated, the text cut short.
TEST(ProgramReaders, ReadMutatedProgramsAlike) {
  static const std::vector<std::string> kPieces = {
      "{", "}", "[", "]", "\"", ":", ",", "\\", "0", "-", "1e999", "-0", "1.5e-3", "18446744073709551616",
      "18446744073709551615", "-9223372036854775809", "null", "true", "\"\\ud83d\\ude00\"", "\"\\udc00\"",
      "\"\\u00e9\"", "\xc3\xa9", "\xed\xa0\x80", "\xff", "\x01", "\"kind\":\"prim::If\",", "\"inputs\":[],",
      "\"outputs\":[\"v\"],", "\"blocks\":[],", "\"attrs\":null,", "\"source\":{\"line\":-1},", "\"scope\":7,",
      "\"overload\":\"Tensor\",", "{\"inputs\":[],\"nodes\":[],\"outputs\":[]}", "\xef\xbb\xbf"};
  std::mt19937 rng(20261204);
  auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  size_t texts = 0, fast_read = 0, checked_read = 0;
  for (const auto& f : corpus()) {
    const std::string original = read_file(f);
    if (original.empty()) continue;
    for (int round = 0; round < 150; ++round) {
      std::string text = original;
      const int edits = 1 + static_cast<int>(pick(3));
      for (int e = 0; e < edits && !text.empty(); ++e) {
        const size_t at = pick(text.size());
        switch (pick(5)) {
          case 0: text.erase(at, 1 + pick(8)); break;
          case 1: text[at] = kPieces[pick(kPieces.size())][0]; break;
          case 2: text.insert(at, kPieces[pick(kPieces.size())]); break;
          case 3: text.insert(at, text.substr(at, 1 + pick(64))); break;
          default: text.resize(at); break;
        }
      }
      ++texts;
      if (expect_agreement(text, f.string() + " mutation " + std::to_string(round))) ++fast_read;
      if (read_both(text).checked) ++checked_read;
      if (HasFailure()) return;  // one mismatch says enough
    }
  }
  // Some mutations stay valid (inside a string, a repeated list item); the
  // fast reader must read most of those, or this test checks little.
  EXPECT_GT(checked_read, texts / 50) << checked_read << " of " << texts << " mutations valid";
  EXPECT_GE(fast_read * 10, checked_read * 8) << fast_read << " of " << checked_read << " valid mutations read fast";
}

// Strings and numbers as nlohmann reads them: escapes, surrogate pairs,
// UTF-8 copied as written, signed and unsigned integers, floats.
TEST(ProgramReaders, ReadStringsAndNumbersAsTheCheckedReader) {
  const std::string text = program_with_nodes(
      R"({"kind":"prim::Constant","inputs":[],"outputs":["c1"],"attrs":{"value":[0,-0,-7,18446744073709551615,)"
      R"(-9223372036854775808,1.5e-3,-0.0,2E10,1e-320,"tab\tquote\"slash\/u\u00e9\ud83d\ude00 \u0000end","caf)"
      "\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"
      R"("]},"output_types":["List[int]"],"source":{"file":"m.py","line":3,"col":0,"text":"x = 1 # \u2603"},)"
      R"("scope":"a"},)"
      R"({"kind":"prim::GetAttr","inputs":["self"],"outputs":["wt"],"attrs":{"name":"weight","path":"a.weight"}},)"
      R"({"kind":"aten::add","overload":"Tensor","inputs":["x","x"],"outputs":["y"],"scope":null,"source":null,)"
      R"("output_types":null})");
  const Outcome o = read_both(text);
  ASSERT_TRUE(o.checked) << o.error;
  ASSERT_TRUE(o.fast) << "declined";
  EXPECT_EQ(*o.fast, *o.checked);
}

// Texts the fast reader declines although they are valid: the checked
// reader reads them (parse_program_text falls back to it).
TEST(ProgramReaders, DeclineWhatTheFastReaderDoesNotReadAndLetTheCheckedOneReadIt) {
  const std::string node = R"({"kind":"aten::relu","inputs":["x"],"outputs":["y"]})";
  const std::string usual = program_with_nodes(node);
  ASSERT_TRUE(read_both(usual).fast);
  std::vector<std::pair<std::string, std::string>> cases = {
      // the module declared after the graph that uses it
      {"module after graph", R"({"format":"onnxport.program","version":1,"graph":{"inputs":[{"name":"x"}],"nodes":[)" +
                                 node + R"(],"outputs":["y"]},"module":{"type":"M"}})"},
      {"byte order mark", "\xef\xbb\xbf" + usual},
      {"integer beyond 64 bits (nlohmann reads a float)",
       program_with_nodes(R"({"kind":"prim::Constant","inputs":[],"outputs":["c"],"attrs":{"value":18446744073709551616}})")},
      {"block nodes before block inputs",
       program_with_nodes(R"({"kind":"prim::Constant","inputs":[],"outputs":["n"],"attrs":{"value":3}},)"
                          R"({"kind":"prim::Constant","inputs":[],"outputs":["t"],"attrs":{"value":true}},)"
                          R"({"kind":"prim::Loop","inputs":["n","t"],"outputs":[],"blocks":[{"nodes":[],"inputs":["i"],)"
                          R"("outputs":["t"]}]})")},
  };
  for (const auto& [label, text] : cases) {
    const Outcome o = read_both(text);
    EXPECT_FALSE(o.fast) << label << ": expected the fast reader to decline";
    EXPECT_TRUE(o.checked) << label << ": " << o.error;
    TiedWeights tied;
    EXPECT_NO_THROW(parse_program_text(text, "/bundle/program.json", tied)) << label;
  }
}

// Errors come from the checked reader, with their place, whichever reader
// saw them first.
TEST(ProgramReaders, ErrorsNameTheirPlace) {
  const struct {
    std::string text;
    std::string place;
  } cases[] = {
      {program_with_nodes(R"({"kind":"aten::relu","inputs":["nope"],"outputs":["y"]})"), "/graph/nodes/0/inputs/0"},
      {program_with_nodes(R"({"kind":"aten::relu","inputs":["x"],"outputs":["x"]})"), "/graph/nodes/0/outputs/0"},
      {program_with_nodes(R"({"kind":"relu","inputs":["x"],"outputs":["y"]})"), "/graph/nodes/0/kind"},
      {program_with_nodes(R"({"kind":"aten::relu","inputs":["x"],"outputs":["y"],"colour":1})"), "/graph/nodes/0/colour"},
      {program_with_nodes(R"({"kind":"aten::relu","inputs":["x"],"outputs":["y"],"source":{"line":1.5}})"),
       "/graph/nodes/0/source/line"},
      {program_with_nodes(R"({"kind":"aten::relu","inputs":["x"],"outputs":["y"]},)").substr(0, 400), "line 1"},
  };
  for (const auto& c : cases) {
    TiedWeights tied;
    try {
      parse_program_text(c.text, "/bundle/program.json", tied);
      ADD_FAILURE() << "no error for " << c.text;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(c.place), std::string::npos) << e.what();
    }
  }
}
