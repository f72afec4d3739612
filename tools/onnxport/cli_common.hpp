// Shared pieces of the onnxport subcommands.
#pragma once

#include <onnxport_core/pipeline.hpp>

#include <CLI/CLI.hpp>

#include <filesystem>
#include <functional>
#include <string>

namespace onnxport::cli {

// What a parsed subcommand runs; returns the process exit code.
using Action = std::function<int()>;

void add_export_command(CLI::App& app, Action& action);
void add_plugins_command(CLI::App& app, Action& action);
void add_inspect_command(CLI::App& app, Action& action);
void add_run_command(CLI::App& app, Action& action);
void add_matrix_command(CLI::App& app, Action& action);

// -c CONFIG, or the default config (pipeline.hpp); throws InputError when
// neither is available.
std::filesystem::path resolve_config(const std::string& given);

// CLI11 check of an --opset value: empty when onnxport can target it, else the
// usage error (the supported range and what the installed checker knows).
std::string check_opset(const std::string& text);

// Prints "error: <message>" to stderr.
void print_error(const std::string& message);

}  // namespace onnxport::cli
