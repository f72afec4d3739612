// A program that torch2program could only capture with torch.jit.trace may
// already be specialized to its example inputs: the trace ran the Python code
// once and kept the branch it took, the loop count it saw, the number it read
// out of a tensor. No strategy can undo that, because the other branch is not
// in the program. torch.jit.trace says so in a TracerWarning, which
// torch2program keeps in producer.trace_warnings (docs/torch2program.md).
#pragma once

#include <onnxport/program.hpp>

#include <string>
#include <vector>

namespace onnxport::pipeline {

// The trace warnings of `program` that say the trace fixed a value of the
// example inputs ("FILE:LINE: Converting a tensor to a Python boolean might
// cause the trace to be incorrect."), each cut to its first sentence. Empty
// for a scripted program, or a traced one whose warnings only say that
// `torch.tensor` results became constants (right whenever the values are
// constants, which is how such calls are normally used), or whose warnings
// all come from argument checks: an `assert`, an `if` whose body only raises
// (torch2program lists those in producer.trace_checks), or from numbers that
// the program checks with an aten::_assert_async guard (producer.trace_guards),
// which the tracing engine decides like any size condition.
std::vector<std::string> trace_specializations(const Program& program);

}  // namespace onnxport::pipeline
