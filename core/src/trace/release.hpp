// A finished tracer destroyed on a second thread.
//
// Why: at the end of a trace the tracer frees every value it bound (the
// environment, the parameters' fake tensors, the name tables): 3.6 / 21 ms
// at bench/scaling's 4,096 / 16,384 layers, growing 5-6x for 4x the layers
// since a large trace's objects are out of the caches by then (bench/
// README.md, "Tracers released on a second thread"). The second core is idle
// while the export goes on with the graph, so the capture need not wait.
//
// What a tracer's destruction touches is its own: its values share
// ownership of weights and tensors (shared_ptr, atomic counts) and hold the
// program only by reference, which no destructor reads.
#pragma once

#include <memory>

namespace onnxport::trace {

class Tracer;

// Destroys `tracer` on a second thread, after the previous release has
// finished; inline when no thread can be started.
void release_in_background(std::unique_ptr<Tracer> tracer);

// Returns when every tracer handed to release_in_background() is destroyed.
// Called at the end of an export, and before every fork of the process (a
// pthread_atfork handler): the child would otherwise inherit a
// half-destroyed tracer and no thread to finish it.
void wait_for_released_tracers();

}  // namespace onnxport::trace
