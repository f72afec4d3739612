"""A client of tools/ort-runner/serve.js: one long-lived Node.js process runs
many ONNX models in ONNX Runtime (start-up is paid once, not per model).

A request that takes longer than its timeout, or a runner that dies (a model
can crash ONNX Runtime), ends that process; the next request starts a new one.
"""
import json
import os
import select
import subprocess
import tempfile


class OrtUnavailable(Exception):
    """Node.js or onnxruntime-node cannot be started."""


class OrtServer:
    def __init__(self, source_dir, timeout=60):
        self.script = os.path.join(source_dir, "tools", "ort-runner", "serve.js")
        self.timeout = timeout
        self.proc = None
        self.next_id = 0
        # stderr goes to a file: a pipe nobody reads could fill and stall the runner.
        self.log = tempfile.TemporaryFile(mode="w+")

    def _start(self):
        try:
            self.proc = subprocess.Popen(["node", self.script], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=self.log, text=True, bufsize=1)
        except OSError as error:
            raise OrtUnavailable("cannot start node: %s" % error) from None

    def close(self):
        if self.proc is not None:
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
            self.proc = None

    def _kill(self):
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def run(self, model, inputs, outputs):
        """Runs `model` on the safetensors file `inputs`, writing `outputs`; returns None or an error text."""
        if self.proc is None or self.proc.poll() is not None:
            self._start()
        self.next_id += 1
        request = {"id": self.next_id, "model": model, "inputs": inputs, "outputs": outputs}
        try:
            self.proc.stdin.write(json.dumps(request) + "\n")
            self.proc.stdin.flush()
        except OSError:
            return self._died()
        ready, _, _ = select.select([self.proc.stdout], [], [], self.timeout)
        if not ready:
            self._kill()
            return "ONNX Runtime took longer than %d s" % self.timeout
        line = self.proc.stdout.readline()
        if not line:
            return self._died()
        answer = json.loads(line)
        if answer.get("id") != self.next_id:
            self._kill()
            return "the ONNX Runtime runner answered out of order"
        return None if answer.get("ok") else answer.get("error", "unknown error")

    def _died(self):
        err = ""
        try:
            self.proc.wait(timeout=10)
            self.log.seek(0)
            err = self.log.read()[-2000:]
            self.log.seek(0)
            self.log.truncate()
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
        code = self.proc.returncode
        self.proc = None
        if "cannot load onnxruntime-node" in err or "Cannot find module" in err:
            raise OrtUnavailable(err.strip())
        return "the ONNX Runtime process died (exit %s): %s" % (code, err.strip().splitlines()[-1] if err.strip() else "")
