// A strategy that truncates a file while the export runs, then declines
// (throws), so that the host goes on with the next strategy on a program
// whose memory-mapped weights file has just shrunk: the file named by
// ONNXPORT_TEST_TRUNCATE is cut to ONNXPORT_TEST_TRUNCATE_TO bytes (default
// 4096). Used by integration.lent_weights (docs/large-models.md, "A weights
// file that changes during the export"); never installed.
#include <onnxport/sdk.hpp>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>

#include <cerrno>
#include <unistd.h>

namespace {

class TruncatingStrategy final : public onnxport::Strategy {
 public:
  std::string_view name() const override { return "truncates"; }
  onnxport::CaptureResult capture(const onnxport::Program&, const onnxport::CaptureOptions&,
                                  onnxport::HostServices&) override {
    const char* file = std::getenv("ONNXPORT_TEST_TRUNCATE");
    if (file == nullptr || *file == '\0') throw std::runtime_error("ONNXPORT_TEST_TRUNCATE is not set");
    const char* to = std::getenv("ONNXPORT_TEST_TRUNCATE_TO");
    const long long size = to != nullptr ? std::atoll(to) : 4096;
    if (::truncate(file, static_cast<off_t>(size)) != 0)
      throw std::runtime_error(std::string("cannot truncate ") + file + ": " + std::strerror(errno));
    throw std::runtime_error(std::string("truncated ") + file + " to " + std::to_string(size) + " bytes on purpose");
  }
};

void register_all(onnxport::Registrar& r) { r.add_strategy(std::make_unique<TruncatingStrategy>()); }

}  // namespace

ONNXPORT_PLUGIN("integration-truncates", "0.0.1", "A strategy that truncates a file, then declines",
                register_all)
