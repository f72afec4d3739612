// A well-formed plugin whose strategy throws from capture(): the host must
// report "❌ ... threw: ..." for that attempt and go on with the next strategy.
#include <onnxport/sdk.hpp>

#include <memory>
#include <stdexcept>

namespace {

class ExplodingStrategy final : public onnxport::Strategy {
 public:
  std::string_view name() const override { return "explodes"; }
  onnxport::CaptureResult capture(const onnxport::Program&, const onnxport::CaptureOptions&,
                                  onnxport::HostServices&) override {
    throw std::runtime_error("the exploding strategy blew up on purpose");
  }
};

void register_all(onnxport::Registrar& r) { r.add_strategy(std::make_unique<ExplodingStrategy>()); }

}  // namespace

ONNXPORT_PLUGIN("integration-explodes", "0.0.1", "A strategy that throws from capture()", register_all)
