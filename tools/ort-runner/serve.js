#!/usr/bin/env node
// onnxport's long-lived ONNX Runtime runner: one process runs many models, so
// a test suite pays Node's and ONNX Runtime's start-up once instead of per model.
//
//   node tools/ort-runner/serve.js
//
// Reads one JSON request per line on stdin:
//   {"id": ANY, "model": "m.onnx", "inputs": "in.safetensors", "outputs": "out.safetensors"}
// and answers each with one JSON line on stdout, in order:
//   {"id": ANY, "ok": true}  or  {"id": ANY, "ok": false, "error": "message"}
// Inputs are fed by name; tensors in the inputs file that the model does not
// take are left out (an exporter may drop an unused input), a missing one is
// an error. Outputs are written as run.js writes them (atomically). Graph
// optimizations are disabled, as in run.js. The process ends at end of input.
'use strict';

const readline = require('readline');
const {RunnerError, loadOnnxRuntime, readSafetensors, toOrtTensor, outputBytes, writeSafetensors} = require('./run.js');

async function runOne(ort, request) {
  const {model, inputs: inputsFile, outputs: outputsFile} = request;
  if (typeof model !== 'string' || typeof inputsFile !== 'string' || typeof outputsFile !== 'string') {
    throw new RunnerError('a request needs string fields "model", "inputs" and "outputs"');
  }
  const inputs = readSafetensors(inputsFile);
  let session;
  try {
    session = await ort.InferenceSession.create(model, {graphOptimizationLevel: 'disabled', logSeverityLevel: 3});
  } catch (e) {
    throw new RunnerError(`cannot load model ${model}: ${e.message}`);
  }
  try {
    const byName = new Map(inputs);
    const missing = session.inputNames.filter((n) => !byName.has(n));
    if (missing.length > 0) {
      throw new RunnerError(`${inputsFile}: missing model input(s) ${missing.map((n) => `'${n}'`).join(', ')}; ` +
                            `the model takes [${session.inputNames.join(', ')}]`);
    }
    const feeds = {};
    for (const name of session.inputNames) feeds[name] = toOrtTensor(ort, name, byName.get(name));
    let results;
    try {
      results = await session.run(feeds);
    } catch (e) {
      throw new RunnerError(`running ${model} failed: ${e.message}`);
    }
    const outputs = session.outputNames.map((name) => {
      const {dtype, bytes} = outputBytes(name, results[name]);
      return [name, {dtype, shape: Array.from(results[name].dims), bytes}];
    });
    writeSafetensors(outputsFile, outputs);
  } finally {
    if (typeof session.release === 'function') await session.release();
  }
}

async function main() {
  const ort = loadOnnxRuntime();
  const lines = readline.createInterface({input: process.stdin, crlfDelay: Infinity});
  for await (const line of lines) {
    if (line.trim() === '') continue;
    let request;
    let answer;
    try {
      request = JSON.parse(line);
      await runOne(ort, request);
      answer = {id: request.id, ok: true};
    } catch (e) {
      const message = e instanceof RunnerError ? e.message : (e && e.message) || String(e);
      answer = {id: request ? request.id : null, ok: false, error: message};
    }
    process.stdout.write(JSON.stringify(answer) + '\n');
  }
}

main().catch((e) => {
  process.stderr.write(`ort-runner serve: error: ${(e && e.stack) || String(e)}\n`);
  process.exit(1);
});
