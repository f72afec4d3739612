// ExportReport's small helpers: status names, stage lookup, parameter stats.
#include <onnxport_core/report.hpp>

#include <map>

namespace onnxport {

std::string_view status_name(Status s) {
  switch (s) {
    case Status::NotRun: return "not run";
    case Status::Ok: return "ok";
    case Status::Failed: return "failed";
    case Status::Unsound: return "unsound";
  }
  return "not run";
}

std::string_view status_mark(Status s) {
  switch (s) {
    case Status::NotRun: return "-";
    case Status::Ok: return "✅";
    case Status::Failed: return "❌";
    case Status::Unsound: return "⚠";
  }
  return "-";
}

namespace {
StageReport named_stage(std::string_view name) {
  StageReport s;
  s.name = name;
  return s;
}
}  // namespace

ExportReport::ExportReport() {
  for (std::string_view name : kReportStages) stages.push_back(named_stage(name));
}

StageReport& ExportReport::stage(std::string_view name) {
  for (auto& s : stages)
    if (s.name == name) return s;
  stages.push_back(named_stage(name));
  return stages.back();
}

const StageReport* ExportReport::find_stage(std::string_view name) const {
  for (const auto& s : stages)
    if (s.name == name) return &s;
  return nullptr;
}

std::vector<ParameterStats> parameter_stats(const Graph& graph) {
  // std::map keeps the dtypes in a stable (alphabetical) order for the report.
  std::map<std::string, ParameterStats> by_dtype;
  for (ValueId id : graph.params) {
    const Value& v = graph.value(id);
    const DType dtype = v.data.defined() ? v.data.dtype() : v.dtype;
    ParameterStats& s = by_dtype[std::string(dtype_name(dtype))];
    s.dtype = dtype_name(dtype);
    s.count += 1;
    if (v.data.defined()) {
      s.elements += v.data.numel();
      s.bytes += static_cast<int64_t>(v.data.nbytes());
    } else if (auto sizes = static_sizes(v.shape)) {
      int64_t n = 1;
      for (int64_t d : *sizes) n *= d;
      s.elements += n;
      s.bytes += n * static_cast<int64_t>(dtype_size(dtype));
    }
  }
  std::vector<ParameterStats> out;
  out.reserve(by_dtype.size());
  for (auto& [name, s] : by_dtype) out.push_back(s);
  return out;
}

}  // namespace onnxport
