#!/usr/bin/env node
// onnxport's ONNX Runtime runner.
//
//   node tools/ort-runner/run.js MODEL.onnx INPUTS.safetensors OUTPUTS.safetensors
//
// Reads the model inputs (by ONNX input name) from a safetensors file, runs
// the model with onnxruntime-node, and writes every model output to a
// safetensors file (atomically: temp file + rename). On any failure it prints
// one clear message to stderr and exits with status 1, leaving no output file.
//
// Graph optimizations are disabled on purpose: we test the graph onnxport
// wrote, not what ONNX Runtime would rewrite it into.
'use strict';

const fs = require('fs');
const path = require('path');

class RunnerError extends Error {}

// safetensors dtype name <-> ORT tensor type, with the typed array that holds it.
// float16 travels as raw 16-bit patterns (ORT-node represents it as Uint16Array).
const DTYPES = {
  F32: {ort: 'float32', array: Float32Array},
  F64: {ort: 'float64', array: Float64Array},
  F16: {ort: 'float16', array: Uint16Array},
  I64: {ort: 'int64', array: BigInt64Array},
  I32: {ort: 'int32', array: Int32Array},
  I16: {ort: 'int16', array: Int16Array},
  I8: {ort: 'int8', array: Int8Array},
  U8: {ort: 'uint8', array: Uint8Array},
  BOOL: {ort: 'bool', array: Uint8Array},
};
const SAFETENSORS_BY_ORT = Object.fromEntries(Object.entries(DTYPES).map(([st, d]) => [d.ort, st]));

function loadOnnxRuntime() {
  // The host names the node_modules folder it found (ONNXPORT_NODE_MODULES:
  // an installation's, or the one a user points to).
  const nodeModules = process.env.ONNXPORT_NODE_MODULES;
  if (nodeModules) {
    try {
      return require(path.join(path.resolve(nodeModules), 'onnxruntime-node'));
    } catch (e) {
      throw new RunnerError(`cannot load onnxruntime-node from ${nodeModules}: ${e.message}`);
    }
  }
  // Run by hand from a source tree (<repo>/tools/ort-runner): the package is
  // installed in <repo>/node_modules by `npm install --ignore-scripts`.
  const repoRoot = path.resolve(__dirname, '..', '..');
  try {
    return require(require.resolve('onnxruntime-node', {paths: [repoRoot, __dirname]}));
  } catch (e) {
    throw new RunnerError(
        `cannot load onnxruntime-node from ${path.join(repoRoot, 'node_modules')}: ${e.message}\n` +
        `hint: run 'npm install --ignore-scripts' in ${repoRoot}`);
  }
}

function numel(shape) {
  return shape.reduce((n, d) => n * d, 1);
}

// Parses a safetensors file: 8-byte little-endian header length, JSON header,
// then the raw data block. Returns [[name, {dtype, shape, bytes}], ...] in
// header order (excluding __metadata__).
function readSafetensors(file) {
  let buf;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    throw new RunnerError(`cannot read inputs file ${file}: ${e.message}`);
  }
  const where = (msg) => new RunnerError(`${file}: ${msg}`);
  if (buf.length < 8) throw where(`truncated: ${buf.length} bytes, expected an 8-byte header length`);
  const headerLen = buf.readBigUInt64LE(0);
  if (headerLen > BigInt(buf.length - 8)) {
    throw where(`header length ${headerLen} exceeds the file size (${buf.length} bytes)`);
  }
  const dataStart = 8 + Number(headerLen);
  let header;
  try {
    header = JSON.parse(buf.subarray(8, dataStart).toString('utf8'));
  } catch (e) {
    throw where(`byte 8: header is not valid JSON: ${e.message}`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw where('byte 8: header is not a JSON object');
  }
  const dataLen = buf.length - dataStart;
  const tensors = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const ptr = `/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    const dt = DTYPES[info && info.dtype];
    if (!dt) throw where(`${ptr}/dtype: unsupported dtype ${JSON.stringify(info && info.dtype)}`);
    if (!Array.isArray(info.shape) || !info.shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw where(`${ptr}/shape: expected a list of non-negative integers`);
    }
    const offs = info.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !(offs[0] <= offs[1]) || offs[1] > dataLen) {
      throw where(`${ptr}/data_offsets: ${JSON.stringify(offs)} is outside the ${dataLen}-byte data block`);
    }
    const expected = numel(info.shape) * dt.array.BYTES_PER_ELEMENT;
    if (offs[1] - offs[0] !== expected) {
      throw where(`${ptr}/data_offsets: holds ${offs[1] - offs[0]} bytes, shape ${JSON.stringify(info.shape)} ` +
                  `of ${info.dtype} needs ${expected}`);
    }
    tensors.push([name, {dtype: info.dtype, shape: info.shape, bytes: buf.subarray(dataStart + offs[0], dataStart + offs[1])}]);
  }
  return tensors;
}

// A typed array over a fresh, aligned copy of the bytes (the file's data block
// gives no alignment guarantee).
function typedArrayOf(dtype, bytes) {
  const Array_ = DTYPES[dtype].array;
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return new Array_(copy.buffer, 0, bytes.length / Array_.BYTES_PER_ELEMENT);
}

function toOrtTensor(ort, name, t) {
  const ortType = DTYPES[t.dtype].ort;
  let data = typedArrayOf(t.dtype, t.bytes);
  // ORT-node wants bool tensors as Uint8Array of 0/1.
  if (ortType === 'bool') data = data.map((v) => (v ? 1 : 0));
  try {
    return new ort.Tensor(ortType, data, t.shape);
  } catch (e) {
    throw new RunnerError(`input '${name}': cannot build a ${ortType} tensor of shape ${JSON.stringify(t.shape)}: ${e.message}`);
  }
}

function outputBytes(name, tensor) {
  const st = SAFETENSORS_BY_ORT[tensor.type];
  if (!st) throw new RunnerError(`output '${name}': dtype ${tensor.type} cannot be written to safetensors by this runner`);
  const data = tensor.data;
  if (tensor.type === 'bool') return {dtype: st, bytes: Buffer.from(Uint8Array.from(data, (v) => (v ? 1 : 0)))};
  return {dtype: st, bytes: Buffer.from(data.buffer, data.byteOffset, data.byteLength)};
}

// Writes tensors ([[name, {dtype, shape, bytes}]]) as safetensors, atomically.
function writeSafetensors(file, tensors) {
  const header = {};
  let offset = 0;
  for (const [name, t] of tensors) {
    header[name] = {dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.bytes.length]};
    offset += t.bytes.length;
  }
  let headerText = JSON.stringify(header);
  // Pad with spaces so the data block starts 8-byte aligned (as the reference writer does).
  headerText += ' '.repeat((8 - ((8 + Buffer.byteLength(headerText)) % 8)) % 8);
  const headerBuf = Buffer.from(headerText, 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(headerBuf.length));
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    fs.writeFileSync(tmp, Buffer.concat([len, headerBuf, ...tensors.map(([, t]) => t.bytes)]));
    fs.renameSync(tmp, file);
  } catch (e) {
    try { fs.unlinkSync(tmp); } catch (_) { /* nothing to clean */ }
    throw new RunnerError(`cannot write outputs file ${file}: ${e.message}`);
  }
}

function checkFeeds(session, inputs, inputsFile) {
  const provided = new Set(inputs.map(([name]) => name));
  const missing = session.inputNames.filter((n) => !provided.has(n));
  if (missing.length > 0) {
    throw new RunnerError(`${inputsFile}: missing model input(s) ${missing.map((n) => `'${n}'`).join(', ')}; ` +
                          `the model takes [${session.inputNames.join(', ')}], the file has [${[...provided].join(', ')}]`);
  }
  const known = new Set(session.inputNames);
  const extra = [...provided].filter((n) => !known.has(n));
  if (extra.length > 0) {
    throw new RunnerError(`${inputsFile}: ${extra.map((n) => `'${n}'`).join(', ')} is not an input of the model; ` +
                          `the model takes [${session.inputNames.join(', ')}]`);
  }
}

async function main(argv) {
  if (argv.length !== 3) {
    throw new RunnerError('usage: node run.js MODEL.onnx INPUTS.safetensors OUTPUTS.safetensors');
  }
  const [modelFile, inputsFile, outputsFile] = argv;
  const ort = loadOnnxRuntime();
  const inputs = readSafetensors(inputsFile);

  let session;
  try {
    session = await ort.InferenceSession.create(modelFile, {graphOptimizationLevel: 'disabled', logSeverityLevel: 3});
  } catch (e) {
    throw new RunnerError(`cannot load model ${modelFile}: ${e.message}`);
  }
  checkFeeds(session, inputs, inputsFile);

  const feeds = {};
  for (const [name, t] of inputs) feeds[name] = toOrtTensor(ort, name, t);
  let results;
  try {
    results = await session.run(feeds);
  } catch (e) {
    const shapes = inputs.map(([n, t]) => `${n}: ${t.dtype}${JSON.stringify(t.shape)}`).join(', ');
    throw new RunnerError(`running ${modelFile} failed (inputs ${shapes}): ${e.message}`);
  }
  const outputs = session.outputNames.map((name) => {
    const tensor = results[name];
    const {dtype, bytes} = outputBytes(name, tensor);
    return [name, {dtype, shape: Array.from(tensor.dims), bytes}];
  });
  writeSafetensors(outputsFile, outputs);
}

// serve.js reuses the readers and writers for its long-lived mode.
module.exports = {RunnerError, loadOnnxRuntime, readSafetensors, toOrtTensor, outputBytes, writeSafetensors};

if (require.main === module) {
  main(process.argv.slice(2)).catch((e) => {
    const message = e instanceof RunnerError ? e.message : (e && e.stack) || String(e);
    process.stderr.write(`ort-runner: error: ${message}\n`);
    process.exit(1);
  });
}
