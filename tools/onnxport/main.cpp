// onnxport: export PyTorch programs (program bundles) to ONNX through plugins.
//
//   onnxport export PROGRAM_DIR -c CONFIG -o OUT.onnx [--report DIR] ...
//   onnxport plugins -c CONFIG [--opset N]
//   onnxport inspect FILE
//   onnxport run BUNDLE_DIR [--inputs FILE] [--onnx MODEL]
//   onnxport matrix MATRIX.json [-o DIR] [-j N] [--shard I/N] [--baseline FILE]
//   onnxport matrix merge PARTS... -o DIR
//
// Exit codes: 0 ok, 1 the export (or a check) failed, 2 usage/config/input error.
#include "cli_common.hpp"

#include <onnxport/version.hpp>

#include <csignal>
#include <iostream>

#include <malloc.h>

#ifdef ONNXPORT_WITH_JEMALLOC
// jemalloc's start-up options (its documented `malloc_conf` symbol; the
// MALLOC_CONF variable still overrides them). jemalloc returns freed pages
// to the kernel on a timer (dirty_decay_ms, 10 s by default, then muzzy
// pages at once), and the next allocation faults them in again. One run of
// the CLI frees a stage's memory and allocates the next stage's: the longer
// the export, the larger the share of its memory that went through the
// kernel twice, which made large exports slower per layer (bench/README.md,
// "jemalloc keeps freed pages"). The cost is peak memory: a later stage does
// not always reuse what an earlier one freed (bench/scaling's 16,384 layers:
// peak RSS 286 -> 317 MB); the 3 GB program's weights are mapped, not
// allocated, and its anonymous memory did not change.
extern "C" {
extern const char* malloc_conf;
const char* malloc_conf = "dirty_decay_ms:-1,muzzy_decay_ms:-1";
}
#endif

int main(int argc, char** argv) {
  using namespace onnxport;
#ifndef ONNXPORT_WITH_JEMALLOC
  // Built without jemalloc (see tools/onnxport/CMakeLists.txt): an export
  // allocates millions of small objects next to large buffers, and with
  // glibc's fastbins each large free consolidates every fastbin chunk, a walk
  // over the whole heap that made big exports superlinear; the per-thread
  // cache still serves small allocations quickly without them.
  mallopt(M_MXFAST, 0);
#endif
  // A file size limit (ulimit -f) reached while writing a model makes
  // write(2) fail with EFBIG, reported and cleaned up like a full disk,
  // instead of killing the process with its temporaries left behind.
  std::signal(SIGXFSZ, SIG_IGN);
  CLI::App app{"onnxport " ONNXPORT_SDK_VERSION ": export PyTorch programs to ONNX through plugins"};
  app.name("onnxport");
  app.require_subcommand(1);
  app.set_version_flag("--version", ONNXPORT_SDK_VERSION);
  // Usage errors in the form of every other error: "error: --opset: ...".
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return "error: " + std::string(e.what()) + "\nRun with --help for more information.\n";
  });

  cli::Action action;
  cli::add_export_command(app, action);
  cli::add_plugins_command(app, action);
  cli::add_inspect_command(app, action);
  cli::add_run_command(app, action);
  cli::add_matrix_command(app, action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version are "errors" with exit code 0.
    return app.exit(e) == 0 ? kExitOk : kExitInputError;
  }
  try {
    return action();
  } catch (const InputError& e) {
    cli::print_error(e.what());
    return kExitInputError;
  } catch (const DiagnosticError& e) {
    std::cerr << e.diagnostic().to_text();
    return kExitFailed;
  } catch (const std::exception& e) {
    cli::print_error(e.what());
    return kExitFailed;
  }
}
