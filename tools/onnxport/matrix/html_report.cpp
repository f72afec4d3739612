// matrix.html (docs/matrix.md): the grid is rendered here with every string
// from the matrix escaped; the inline script only reads the embedded JSON and
// builds the filters' effects and the cell panel with DOM text nodes, never
// with markup, so a diagnostic that quotes "</script>" stays text.
#include "html_report.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <stdexcept>
#include <vector>

namespace onnxport::matrix {

using nlohmann::json;

namespace {

// --- text --------------------------------------------------------------------

// Length of the valid UTF-8 sequence at text[i], or 0 when it is not one
// (overlong forms, surrogates and code points past U+10FFFF are invalid).
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  unsigned int code = 0;
  if ((lead & 0xE0) == 0xC0) {
    length = 2;
    code = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3;
    code = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4;
    code = lead & 0x07;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    code = (code << 6) | (byte(i + k) & 0x3F);
  }
  static constexpr unsigned int kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
  if (code < kSmallest[length] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return 0;
  return length;
}

// A JSON value as the page shows it: strings as they are, null as "",
// anything else as compact JSON.
std::string text_of(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return "";
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

// The member `key` of `object` as text, "" when absent.
std::string field_text(const json& object, const char* key) {
  const auto it = object.find(key);
  return it == object.end() ? std::string() : text_of(*it);
}

std::string format_seconds(double seconds) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.2f s", seconds);
  return buffer;
}

// --- statuses ------------------------------------------------------------------

struct StatusStyle {
  const char* name;
  const char* symbol;
  const char* label;
};

// The cell statuses of matrix.json in the order the summary lists them. The
// symbols are in DejaVu Sans (Debian's default font), so no web font is needed.
constexpr StatusStyle kStatuses[] = {
    {"pass", "\u2713", "pass"},          // ✓
    {"fail", "\u2717", "fail"},          // ✗
    {"unsound", "\u26A0", "unsound"},    // ⚠
    {"timeout", "\u25F7", "timeout"},    // ◷
    {"crash", "\u2620", "crash"},        // ☠
};

const StatusStyle* find_status(const std::string& status) {
  for (const auto& style : kStatuses)
    if (status == style.name) return &style;
  return nullptr;
}

// The CSS class of a status: only known statuses get their own class, so a
// value from the file never becomes part of a class name.
std::string status_class(const std::string& status) {
  return find_status(status) ? "st-" + status : "st-unknown";
}

// --- the grid's shape ---------------------------------------------------------------

// An ordered set of strings: the axes keep matrix.json's order, values seen
// only in cells are appended in the order they first appear.
class OrderedNames {
 public:
  void add(const std::string& name) {
    if (seen_.insert(name).second) names_.push_back(name);
  }
  const std::vector<std::string>& names() const { return names_; }

 private:
  std::vector<std::string> names_;
  std::set<std::string> seen_;
};

struct Column {
  std::string combination;
  std::string opset;
};

struct Grid {
  OrderedNames models, combinations, opsets;
  std::vector<Column> columns;
  // (model, combination, opset) -> index into "cells"; the first cell wins.
  std::map<std::vector<std::string>, std::size_t> cell_at;
  std::vector<std::size_t> duplicates;  // cells not placed: their place was taken
};

void add_axis(const json& matrix, const char* axis, OrderedNames& names) {
  const auto axes = matrix.find("axes");
  if (axes == matrix.end() || !axes->is_object()) return;
  const auto values = axes->find(axis);
  if (values == axes->end() || !values->is_array()) return;
  for (const auto& value : *values) names.add(text_of(value));
}

Grid build_grid(const json& matrix, const json& cells) {
  Grid grid;
  add_axis(matrix, "models", grid.models);
  add_axis(matrix, "combinations", grid.combinations);
  add_axis(matrix, "opsets", grid.opsets);
  for (std::size_t i = 0; i < cells.size(); ++i) {
    const json& cell = cells[i];
    std::vector<std::string> place = {field_text(cell, "model"), field_text(cell, "combination"),
                                      field_text(cell, "opset")};
    grid.models.add(place[0]);
    grid.combinations.add(place[1]);
    grid.opsets.add(place[2]);
    if (!grid.cell_at.emplace(std::move(place), i).second) grid.duplicates.push_back(i);
  }
  for (const auto& combination : grid.combinations.names())
    for (const auto& opset : grid.opsets.names()) grid.columns.push_back({combination, opset});
  return grid;
}

// --- rendering --------------------------------------------------------------------

class Html {
 public:
  Html& raw(std::string_view text) {
    out_ += text;
    return *this;
  }
  Html& text(std::string_view text) {
    out_ += escape_html(text);
    return *this;
  }
  // ` name="value"` with the value escaped.
  Html& attr(std::string_view name, std::string_view value) {
    out_ += ' ';
    out_ += name;
    out_ += "=\"";
    out_ += escape_html(value);
    out_ += '"';
    return *this;
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

std::string opset_label(const std::string& opset) { return opset.empty() ? "opset ?" : "opset " + opset; }

void render_header(Html& html, const json& matrix, std::size_t cell_count) {
  html.raw("<header><h1>onnxport matrix</h1><p class=\"source\">");
  std::string file, digest;
  if (const auto it = matrix.find("matrix"); it != matrix.end() && it->is_object()) {
    file = field_text(*it, "file");
    digest = field_text(*it, "digest");
  }
  html.raw("<span id=\"matrix-file\">").text(file.empty() ? "(matrix file not recorded)" : file).raw("</span>");
  if (!digest.empty())
    html.raw(" <span class=\"digest\"").attr("title", "sha256 " + digest).raw(">sha256 ")
        .text(digest.substr(0, 12)).raw("</span>");
  if (const auto it = matrix.find("shard"); it != matrix.end() && it->is_object())
    html.raw(" <span class=\"shard\">shard ").text(field_text(*it, "index")).raw(" of ")
        .text(field_text(*it, "count")).raw("</span>");
  html.raw(" <span class=\"cell-count\">").text(std::to_string(cell_count)).raw(" cells</span>");
  html.raw("</p></header>\n");
}

void render_summary(Html& html, const json& matrix, const json& cells, const Grid& grid) {
  std::map<std::string, std::size_t> counts;
  std::size_t other = 0;
  double seconds = 0;
  for (const auto& cell : cells) {
    const std::string status = field_text(cell, "status");
    if (find_status(status)) ++counts[status];
    else ++other;
    if (const auto it = cell.find("seconds"); it != cell.end() && it->is_number()) seconds += it->get<double>();
  }
  html.raw("<section id=\"summary\"><span class=\"total\">").text(std::to_string(cells.size()))
      .raw(" cells</span>");
  for (const auto& style : kStatuses) {
    html.raw(" <button type=\"button\" class=\"count st-").raw(style.name).raw("\" data-only-status=\"")
        .raw(style.name).raw("\" title=\"show only this status\" id=\"count-").raw(style.name).raw("\">")
        .raw(style.symbol).raw(" <b>").text(std::to_string(counts[style.name])).raw("</b> ")
        .raw(style.label).raw("</button>");
  }
  if (other > 0)
    html.raw(" <span class=\"count st-unknown\">? <b>").text(std::to_string(other)).raw("</b> other</span>");
  html.raw(" <span class=\"seconds\">").text(format_seconds(seconds)).raw(" in cells</span>");

  // matrix.json carries its own summary: if it disagrees with the cells, the
  // page says so instead of silently showing one of the two.
  if (const auto it = matrix.find("summary"); it != matrix.end() && it->is_object()) {
    std::string mismatches;
    const auto check = [&](const std::string& key, std::size_t actual) {
      const auto value = it->find(key);
      if (value == it->end() || !value->is_number_integer() || value->get<long long>() < 0 ||
          static_cast<std::size_t>(value->get<long long>()) != actual)
        mismatches += (mismatches.empty() ? "" : ", ") + key + " " + (value == it->end() ? "missing" : text_of(*value)) +
                      " (cells: " + std::to_string(actual) + ")";
    };
    check("total", cells.size());
    for (const auto& style : kStatuses) check(style.name, counts[style.name]);
    if (!mismatches.empty())
      html.raw("<p class=\"warning\" id=\"summary-mismatch\">matrix.json's summary disagrees with its cells: ")
          .text(mismatches).raw("</p>");
  }
  if (!grid.duplicates.empty()) {
    std::string ids;
    for (std::size_t i : grid.duplicates)
      ids += (ids.empty() ? "" : ", ") + field_text(cells[i], "id") + " (cells[" + std::to_string(i) + "])";
    html.raw("<p class=\"warning\" id=\"duplicates\">cells with the model, combination and opset of an earlier cell, "
             "not in the grid: ")
        .text(ids).raw("</p>");
  }
  html.raw("</section>\n");
}

void render_select(Html& html, const char* id, const char* label, const char* all,
                   const std::vector<std::string>& names, bool opsets) {
  html.raw("<label>").raw(label).raw(" <select id=\"").raw(id).raw("\"><option value=\"\">").raw(all)
      .raw("</option>");
  for (const auto& name : names)
    html.raw("<option").attr("value", name).raw(">").text(opsets ? opset_label(name) : name).raw("</option>");
  html.raw("</select></label>\n");
}

void render_filters(Html& html, const Grid& grid) {
  html.raw("<section id=\"filters\">\n");
  render_select(html, "filter-model", "Model", "all models", grid.models.names(), false);
  render_select(html, "filter-combination", "Combination", "all combinations", grid.combinations.names(), false);
  render_select(html, "filter-opset", "Opset", "all opsets", grid.opsets.names(), true);
  html.raw("<fieldset id=\"filter-status\"><legend>Status</legend>");
  for (const auto& style : kStatuses)
    html.raw("<label class=\"st-").raw(style.name).raw("\"><input type=\"checkbox\" checked value=\"")
        .raw(style.name).raw("\"> ").raw(style.symbol).raw(" ").raw(style.label).raw("</label>");
  html.raw("</fieldset> <button type=\"button\" id=\"filter-reset\">show all</button> "
           "<span id=\"shown-count\" aria-live=\"polite\"></span>\n</section>\n");
}

// The name of the first stage of `cell` that neither passed nor was skipped,
// "" when there is none: what a cell without a winning strategy shows.
std::string stopping_stage(const json& cell) {
  const auto stages = cell.find("stages");
  if (stages == cell.end() || !stages->is_array()) return "";
  for (const auto& stage : *stages) {
    if (!stage.is_object()) continue;
    const std::string status = field_text(stage, "status");
    if (status != "ok" && status != "skipped") return field_text(stage, "name");
  }
  return "";
}

void render_cell(Html& html, const json& cell, std::size_t index, const Column& column, const std::string& model) {
  const std::string status = field_text(cell, "status");
  const std::string strategy = field_text(cell, "strategy");
  const std::string stage = strategy.empty() ? stopping_stage(cell) : "";
  const StatusStyle* style = find_status(status);
  std::string title = model + " \u00B7 " + column.combination + " \u00B7 " + opset_label(column.opset) + "\n" +
                      (status.empty() ? "no status" : status);
  if (!strategy.empty()) title += " with " + strategy;
  if (!stage.empty()) title += " in " + stage;
  if (const auto it = cell.find("seconds"); it != cell.end() && it->is_number())
    title += ", " + format_seconds(it->get<double>());
  html.raw("<td class=\"cell has-data ").raw(status_class(status)).raw("\" tabindex=\"0\" role=\"button\"")
      .attr("data-index", std::to_string(index))
      .attr("data-id", field_text(cell, "id"))
      .attr("data-model", model)
      .attr("data-combination", column.combination)
      .attr("data-opset", column.opset)
      .attr("data-status", status)
      .attr("title", title)
      .raw("><span class=\"sym\">").raw(style ? style->symbol : "?").raw("</span> ");
  if (!strategy.empty()) html.raw("<span class=\"strategy\">").text(strategy).raw("</span></td>");
  else if (!stage.empty()) html.raw("<span class=\"stage\">").text(stage).raw("</span></td>");
  else html.raw("<span class=\"strategy\">-</span></td>");
}

void render_grid(Html& html, const json& cells, const Grid& grid) {
  const auto& opsets = grid.opsets.names();
  html.raw("<div id=\"grid-wrap\"><table id=\"grid\">\n<thead><tr><th rowspan=\"2\" class=\"corner\">model</th>");
  for (const auto& combination : grid.combinations.names())
    html.raw("<th class=\"combination\"").attr("colspan", std::to_string(opsets.size()))
        .attr("data-combination", combination).raw(">").text(combination).raw("</th>");
  html.raw("</tr>\n<tr>");
  for (const auto& column : grid.columns)
    html.raw("<th class=\"opset col\"").attr("data-combination", column.combination)
        .attr("data-opset", column.opset).raw(">").text(opset_label(column.opset)).raw("</th>");
  html.raw("</tr></thead>\n<tbody>\n");

  std::vector<std::size_t> column_pass(grid.columns.size(), 0), column_present(grid.columns.size(), 0);
  for (const auto& model : grid.models.names()) {
    std::size_t row_pass = 0, row_present = 0;
    Html row;
    for (std::size_t c = 0; c < grid.columns.size(); ++c) {
      const Column& column = grid.columns[c];
      const auto it = grid.cell_at.find({model, column.combination, column.opset});
      if (it == grid.cell_at.end()) {
        row.raw("<td class=\"cell empty col\"").attr("data-model", model)
            .attr("data-combination", column.combination).attr("data-opset", column.opset)
            .raw(" title=\"no cell here (excluded, or run by another shard)\">\u00B7</td>");
        continue;
      }
      const bool pass = field_text(cells[it->second], "status") == "pass";
      row_pass += pass;
      column_pass[c] += pass;
      ++row_present;
      ++column_present[c];
      render_cell(row, cells[it->second], it->second, column, model);
    }
    html.raw("<tr class=\"model-row\"").attr("data-model", model).raw("><th class=\"model\" scope=\"row\"")
        .attr("title", model).raw("><span class=\"model-name\">").text(model.empty() ? "(no model)" : model)
        .raw("</span> <span class=\"row-count\">").text(std::to_string(row_pass) + "/" + std::to_string(row_present))
        .raw("</span></th>").raw(row.take()).raw("</tr>\n");
  }
  html.raw("</tbody>\n<tfoot><tr><th scope=\"row\">passed</th>");
  for (std::size_t c = 0; c < grid.columns.size(); ++c)
    html.raw("<td class=\"col column-count\"").attr("data-combination", grid.columns[c].combination)
        .attr("data-opset", grid.columns[c].opset).raw(">")
        .text(std::to_string(column_pass[c]) + "/" + std::to_string(column_present[c])).raw("</td>");
  html.raw("</tr></tfoot>\n</table></div>\n");
}

constexpr const char* kStyle = R"CSS(
:root { --pass: #d3f0d6; --pass-ink: #1b5e20; --fail: #f9d0d0; --fail-ink: #8e1616;
  --unsound: #ffe8a3; --unsound-ink: #7a5200; --timeout: #e4d7f7; --timeout-ink: #4a2a86;
  --crash: #4a1c1c; --crash-ink: #ffe0e0; --line: #c9ccd1; --muted: #5f6670; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 "DejaVu Sans", "Liberation Sans", Arial, sans-serif; color: #1d2126; background: #fafbfc; }
header { padding: 12px 20px 4px; }
h1 { font-size: 20px; margin: 0 0 4px; }
.source { margin: 0; color: var(--muted); }
.source > span + span::before { content: "\00B7  "; }
#summary, #filters { padding: 6px 20px; display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }
.count { border: 1px solid var(--line); border-radius: 12px; padding: 2px 10px; cursor: pointer; font: inherit; }
.warning { flex-basis: 100%; margin: 4px 0; padding: 6px 10px; background: #fff4d6; border-left: 4px solid #d9a400; }
#filters select, #filters button { font: inherit; }
#filter-status { border: 1px solid var(--line); border-radius: 6px; padding: 2px 8px; display: flex; gap: 10px; }
#filter-status legend { font-size: 12px; color: var(--muted); }
#shown-count { color: var(--muted); }
#grid-wrap { margin: 8px 20px 20px; overflow: auto; max-height: calc(100vh - 150px); border: 1px solid var(--line); background: #fff; }
#grid { border-collapse: separate; border-spacing: 0; }
#grid th, #grid td { border-right: 1px solid var(--line); border-bottom: 1px solid var(--line); padding: 4px 8px; white-space: nowrap; }
#grid thead th { position: sticky; background: #eef0f3; z-index: 2; }
#grid thead tr:first-child th { top: 0; }
#grid thead tr:nth-child(2) th { top: 29px; font-weight: normal; color: var(--muted); }
#grid th.model, #grid th.corner, #grid tfoot th { position: sticky; left: 0; background: #f4f5f7; z-index: 1; text-align: left; }
#grid th.corner { z-index: 3; }
.model-name { display: inline-block; max-width: 28em; overflow: hidden; text-overflow: ellipsis; vertical-align: bottom; }
.row-count, .column-count { color: var(--muted); font-weight: normal; font-size: 12px; }
td.cell { text-align: left; min-width: 7em; }
td.has-data { cursor: pointer; }
td.has-data:hover, td.has-data:focus { outline: 2px solid #1f6feb; outline-offset: -2px; }
td.selected { outline: 3px solid #1f6feb; outline-offset: -3px; }
td.empty { color: #b0b4ba; text-align: center; }
.st-pass { background: var(--pass); color: var(--pass-ink); }
.st-fail { background: var(--fail); color: var(--fail-ink); }
.st-unsound { background: var(--unsound); color: var(--unsound-ink); }
.st-timeout { background: var(--timeout); color: var(--timeout-ink); }
.st-crash { background: var(--crash); color: var(--crash-ink); }
.st-unknown { background: #e6e6e6; color: #333; }
.sym { font-weight: bold; }
td.cell .stage { font-style: italic; }
#panel td.seconds { white-space: nowrap; }
.col-off, .row-off { display: none; }
td.status-off { visibility: hidden; }
#panel { position: fixed; top: 0; right: 0; width: min(560px, 92vw); height: 100vh; overflow: auto; background: #fff;
  border-left: 1px solid var(--line); box-shadow: -6px 0 18px rgba(0,0,0,.12); padding: 12px 18px 24px; z-index: 10; }
#panel[hidden] { display: none; }
#panel h2 { font-size: 16px; margin: 4px 32px 8px 0; word-break: break-all; }
#panel h3 { font-size: 14px; margin: 16px 0 6px; }
#panel-close { position: absolute; top: 8px; right: 10px; font-size: 18px; border: 0; background: none; cursor: pointer; }
#panel dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0; }
#panel dt { color: var(--muted); }
#panel dd { margin: 0; }
#panel table { border-collapse: collapse; width: 100%; }
#panel th, #panel td { border-bottom: 1px solid var(--line); padding: 3px 6px; text-align: left; vertical-align: top; }
#panel pre { margin: 0; white-space: pre-wrap; word-break: break-word; font: 12px/1.35 "DejaVu Sans Mono", monospace; }
.diagnostic { border-left: 4px solid var(--line); padding: 4px 8px; margin: 6px 0; background: #f7f8fa; }
.diagnostic.sev-error { border-color: #c62828; }
.diagnostic.sev-warning { border-color: #d9a400; }
.diagnostic.sev-note { border-color: #1f6feb; }
.diagnostic .meta { color: var(--muted); font-size: 12px; margin-bottom: 2px; }
.diagnostic .hint { color: var(--muted); margin-top: 2px; }
.stage-ok { color: var(--pass-ink); } .stage-failed, .stage-crashed { color: var(--fail-ink); font-weight: bold; }
.stage-timeout { color: var(--timeout-ink); font-weight: bold; } .stage-skipped { color: var(--muted); }
)CSS";

// The script: filters and the cell panel. It builds every element with
// createElement/textContent (never innerHTML), so text from the matrix
// cannot become markup.
constexpr const char* kScript = R"JS(
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('matrix-data').textContent);
  var cells = Array.isArray(data.cells) ? data.cells : [];
  var grid = document.getElementById('grid');
  var panel = document.getElementById('panel');
  var panelBody = document.getElementById('panel-body');
  var modelSelect = document.getElementById('filter-model');
  var combinationSelect = document.getElementById('filter-combination');
  var opsetSelect = document.getElementById('filter-opset');
  var statusBoxes = Array.prototype.slice.call(document.querySelectorAll('#filter-status input'));
  var shownCount = document.getElementById('shown-count');
  var dataCells = Array.prototype.slice.call(grid.querySelectorAll('td.has-data'));
  var selected = null;

  function el(tag, className, children) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
    });
    return node;
  }
  function text(value) {
    if (value === null || value === undefined || value === '') return '-';
    if (typeof value === 'string') return value;
    return JSON.stringify(value);
  }
  function number(value) {
    if (typeof value !== 'number') return text(value);
    if (value === 0) return '0';
    var magnitude = Math.abs(value);
    return magnitude < 1e-3 || magnitude >= 1e6 ? value.toExponential(2) : String(Number(value.toPrecision(4)));
  }
  function seconds(value) { return typeof value === 'number' ? value.toFixed(2) + ' s' : text(value); }
  var knownSeverity = { error: 1, warning: 1, note: 1 };
  var knownStageStatus = { ok: 1, failed: 1, skipped: 1, timeout: 1, crashed: 1 };

  // --- filters ---------------------------------------------------------------
  function columnVisible(node) {
    return (combinationSelect.value === '' || node.dataset.combination === combinationSelect.value) &&
           (opsetSelect.value === '' || node.dataset.opset === opsetSelect.value);
  }
  function applyFilters() {
    var statuses = {};
    var allStatuses = true;
    statusBoxes.forEach(function (box) { statuses[box.value] = box.checked; if (!box.checked) allStatuses = false; });
    grid.querySelectorAll('.col').forEach(function (node) { node.classList.toggle('col-off', !columnVisible(node)); });
    grid.querySelectorAll('th.combination').forEach(function (head) {
      var span = 0;
      grid.querySelectorAll('thead th.opset').forEach(function (opsetHead) {
        if (opsetHead.dataset.combination === head.dataset.combination && columnVisible(opsetHead)) span += 1;
      });
      head.classList.toggle('col-off', span === 0);
      head.colSpan = Math.max(span, 1);
    });
    var shown = 0;
    grid.querySelectorAll('tr.model-row').forEach(function (row) {
      var rowOn = modelSelect.value === '' || row.dataset.model === modelSelect.value;
      var rowShown = 0;
      row.querySelectorAll('td.has-data').forEach(function (td) {
        var on = rowOn && columnVisible(td) && statuses[td.dataset.status] !== false;
        td.classList.toggle('status-off', !on);
        if (on) rowShown += 1;
      });
      // With a status filter on, rows without a matching cell go away too.
      row.classList.toggle('row-off', !rowOn || (!allStatuses && rowShown === 0));
      shown += rowShown;
    });
    shownCount.textContent = 'showing ' + shown + ' of ' + dataCells.length + ' cells';
  }
  [modelSelect, combinationSelect, opsetSelect].concat(statusBoxes).forEach(function (control) {
    control.addEventListener('change', applyFilters);
  });
  document.getElementById('filter-reset').addEventListener('click', function () {
    modelSelect.value = combinationSelect.value = opsetSelect.value = '';
    statusBoxes.forEach(function (box) { box.checked = true; });
    applyFilters();
  });
  document.querySelectorAll('[data-only-status]').forEach(function (button) {
    button.addEventListener('click', function () {
      statusBoxes.forEach(function (box) { box.checked = box.value === button.dataset.onlyStatus; });
      applyFilters();
    });
  });

  // --- the cell panel ----------------------------------------------------------
  // The cell's folder (reports, logs) beside the page. Each segment is
  // percent-encoded, so the link is always a relative path: a "dir" such as
  // "javascript:..." becomes a file name, never a script URL.
  function folderLink(dir) {
    var link = el('a', '', [dir]);
    link.href = dir.split('/').map(encodeURIComponent).join('/') + '/';
    return link;
  }
  function definitionList(pairs) {
    var list = el('dl');
    pairs.forEach(function (pair) { list.appendChild(el('dt', '', [pair[0]])); list.appendChild(el('dd', '', [pair[1]])); });
    return list;
  }
  function table(headers, rows) {
    var head = el('tr', '', headers.map(function (h) { return el('th', '', [h]); }));
    var body = el('tbody', '', rows);
    return el('table', '', [el('thead', '', [head]), body]);
  }
  function stagesSection(stages) {
    if (!Array.isArray(stages) || stages.length === 0) return el('p', 'none', ['no stages recorded']);
    return table(['stage', 'status', 'time', 'message'], stages.map(function (stage) {
      stage = stage || {};
      var status = text(stage.status);
      return el('tr', 'stage', [el('td', '', [text(stage.name)]),
        el('td', knownStageStatus[stage.status] ? 'stage-' + stage.status : '', [status]),
        el('td', 'seconds', [seconds(stage.seconds)]), el('td', '', [el('pre', '', [stage.message ? text(stage.message) : ''])])]);
    }));
  }
  function diagnosticsSection(diagnostics) {
    if (!Array.isArray(diagnostics) || diagnostics.length === 0) return el('p', 'none', ['no diagnostics']);
    return el('div', 'diagnostics', diagnostics.map(function (d) {
      d = d || {};
      var meta = [text(d.severity)];
      if (d.code) meta.push(text(d.code));
      if (d.where) meta.push(text(d.where));
      if (d.loc) meta.push(text(d.loc));
      var parts = [el('div', 'meta', [meta.join(' \u00b7 ')]), el('pre', 'message', [text(d.message)])];
      if (d.hint) parts.push(el('pre', 'hint', ['hint: ' + text(d.hint)]));
      return el('div', 'diagnostic' + (knownSeverity[d.severity] ? ' sev-' + d.severity : ''), parts);
    }));
  }
  function nodesSection(byOp) {
    if (!byOp || typeof byOp !== 'object') return el('p', 'none', ['no node counts']);
    var ops = Object.keys(byOp).sort(function (a, b) { return (byOp[b] - byOp[a]) || (a < b ? -1 : a > b ? 1 : 0); });
    if (ops.length === 0) return el('p', 'none', ['no nodes']);
    return table(['op', 'nodes'], ops.map(function (op) { return el('tr', '', [el('td', '', [op]), el('td', '', [text(byOp[op])])]); }));
  }
  function openPanel(td) {
    var cell = cells[Number(td.dataset.index)] || {};
    if (selected) selected.classList.remove('selected');
    selected = td;
    td.classList.add('selected');
    panelBody.textContent = '';
    panelBody.appendChild(el('h2', '', [text(cell.id)]));
    panelBody.appendChild(definitionList([
      ['status', text(cell.status)], ['strategy', text(cell.strategy)],
      ['sound', cell.sound === true ? 'yes' : cell.sound === false ? 'no' : '-'],
      ['model', text(cell.model)], ['combination', text(cell.combination)], ['opset', text(cell.opset)],
      ['time', seconds(cell.seconds)], ['nodes', text(cell.node_count)],
      ['max abs diff', number(cell.max_abs_diff)], ['max rel diff', number(cell.max_rel_diff)]]
      .concat('exit_code' in cell ? [['exit code', text(cell.exit_code)]] : [])
      .concat(typeof cell.dir === 'string' ? [['folder', folderLink(cell.dir)]] : [])));
    panelBody.appendChild(el('h3', '', ['Stages']));
    panelBody.appendChild(stagesSection(cell.stages));
    panelBody.appendChild(el('h3', '', ['Diagnostics']));
    panelBody.appendChild(diagnosticsSection(cell.diagnostics));
    panelBody.appendChild(el('h3', '', ['Nodes by op']));
    panelBody.appendChild(nodesSection(cell.nodes_by_op));
    // Fields added to the format after this page was written still show here.
    panelBody.appendChild(el('details', '', [el('summary', '', ['cell as JSON']), el('pre', '', [JSON.stringify(cell, null, 2)])]));
    panel.hidden = false;
    try { history.replaceState(null, '', '#cell=' + encodeURIComponent(text(cell.id))); } catch (e) { /* file:// may refuse */ }
  }
  function closePanel() {
    panel.hidden = true;
    if (selected) { selected.classList.remove('selected'); selected.focus(); }
    selected = null;
  }
  dataCells.forEach(function (td) {
    td.addEventListener('click', function () { openPanel(td); });
    td.addEventListener('keydown', function (event) {
      if (event.key === 'Enter' || event.key === ' ') { event.preventDefault(); openPanel(td); }
    });
  });
  document.getElementById('panel-close').addEventListener('click', closePanel);
  document.addEventListener('keydown', function (event) { if (event.key === 'Escape' && !panel.hidden) closePanel(); });

  applyFilters();
  if (location.hash.indexOf('#cell=') === 0) {
    var wanted = decodeURIComponent(location.hash.slice(6));
    dataCells.forEach(function (td) { if (td.dataset.id === wanted) openPanel(td); });
  }
  document.body.dataset.ready = 'true';
})();
)JS";

}  // namespace

std::string escape_html(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t length = utf8_sequence_length(text, i);
    if (length == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
      continue;
    }
    if (length > 1) {
      out.append(text.substr(i, length));
      i += length;
      continue;
    }
    switch (text[i]) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += text[i];
    }
    ++i;
  }
  return out;
}

std::string json_for_script_element(const nlohmann::json& value) {
  const std::string dumped = value.dump(-1, ' ', false, json::error_handler_t::replace);
  std::string out;
  out.reserve(dumped.size() + dumped.size() / 16);
  for (char c : dumped) {
    switch (c) {
      case '<': out += "\\u003c"; break;
      case '>': out += "\\u003e"; break;
      case '&': out += "\\u0026"; break;
      default: out += c;
    }
  }
  return out;
}

std::string render_matrix_html(const nlohmann::json& matrix) {
  if (!matrix.is_object()) throw std::invalid_argument("matrix.html: the matrix is not a JSON object");
  const auto cells_it = matrix.find("cells");
  if (cells_it == matrix.end() || !cells_it->is_array())
    throw std::invalid_argument("matrix.html: the matrix has no \"cells\" array");
  const json& cells = *cells_it;
  for (std::size_t i = 0; i < cells.size(); ++i)
    if (!cells[i].is_object())
      throw std::invalid_argument("matrix.html: cells[" + std::to_string(i) + "] is not an object");

  const Grid grid = build_grid(matrix, cells);
  std::string title = "onnxport matrix";
  if (const auto it = matrix.find("matrix"); it != matrix.end() && it->is_object() && !field_text(*it, "file").empty())
    title += ": " + field_text(*it, "file");

  Html html;
  html.raw("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
           "<meta name=\"generator\" content=\"onnxport matrix\"><title>")
      .text(title).raw("</title>\n<style>").raw(kStyle).raw("</style></head>\n<body>\n");
  render_header(html, matrix, cells.size());
  render_summary(html, matrix, cells, grid);
  render_filters(html, grid);
  render_grid(html, cells, grid);
  html.raw("<aside id=\"panel\" hidden aria-label=\"cell details\"><button type=\"button\" id=\"panel-close\" "
           "title=\"close (Esc)\">\u00D7</button><div id=\"panel-body\"></div></aside>\n");
  html.raw("<script type=\"application/json\" id=\"matrix-data\">").raw(json_for_script_element(matrix))
      .raw("</script>\n<script>").raw(kScript).raw("</script>\n</body></html>\n");
  return html.take();
}

}  // namespace onnxport::matrix
