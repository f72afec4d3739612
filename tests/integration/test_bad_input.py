"""Bad input, each case: one clear error naming the file and the place, a
non-zero exit, and no output file (issue 2, "Bad input")."""
import json
import os
import shutil
import unittest

from onnxport_testlib import DEFAULT_CONFIG, OnnxportTestCase, example, fresh_dir, read_json, run, write_safetensors

BUILTIN_PLUGINS = [{"name": n} for n in ("strategy-strict", "strategy-non-strict", "strategy-cond-rewrite",
                                         "strategy-draft", "translators-aten")]


def copy_bundle(name, dest):
    shutil.copytree(example(name), dest)
    return dest


def load_program_json(bundle):
    with open(os.path.join(bundle, "program.json")) as f:
        return json.load(f)


def save_program_json(bundle, doc):
    with open(os.path.join(bundle, "program.json"), "w") as f:
        json.dump(doc, f, indent=1)


def write_config(path, doc):
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
    return path


def seed_weights(skip=None, override=None):
    """The seed's weights, without `skip`, with `override` = {name: (shape, values)}."""
    from onnxport_testlib import B0, B1, W0, W1
    tensors = {"mlp.0.weight": ([2, 3], sum(W0, [])), "mlp.0.bias": ([2], B0),
               "mlp.1.weight": ([1, 2], sum(W1, [])), "mlp.1.bias": ([1], B1)}
    tensors.pop(skip, None)
    tensors.update(override or {})
    return tensors


class BadInput(OnnxportTestCase):
    def setUp(self):
        self.dir = fresh_dir("bad-" + self._testMethodName)
        self.model = os.path.join(self.dir, "out.onnx")
        self.report = os.path.join(self.dir, "report")

    def export(self, bundle, config=DEFAULT_CONFIG, *extra):
        return run("export", bundle, "-c", config, "-o", self.model, "--report", self.report, *extra)

    def assertRejected(self, proc, exit_codes, *must_mention):
        """Non-zero exit (one of exit_codes), an `error:` line naming every
        piece of must_mention, no output model, and a report that says why."""
        self.assertIn(proc.returncode, exit_codes,
                      "exit code %d\n--- stderr\n%s" % (proc.returncode, proc.stderr))
        self.assertIn("error: ", proc.stderr)
        for piece in must_mention:
            self.assertIn(piece, proc.stderr)
        self.assertNotIn("Traceback", proc.stderr)
        self.assertNotIn("terminate called", proc.stderr)
        self.assertFalse(os.path.exists(self.model), "an output file was written despite the error")
        self.assertEqual([f for f in os.listdir(self.dir) if ".onnx" in f], [], "a temp model was left behind")
        report = read_json(os.path.join(self.report, "report.json"))
        self.assertFalse(report["status"]["ok"])
        self.assertFalse(report["status"]["output_written"])
        self.assertTrue(report["status"]["error"])
        return report

    # -- program bundles -----------------------------------------------------

    def test_malformed_program_json(self):
        bundle = copy_bundle("seed", os.path.join(self.dir, "bundle"))
        path = os.path.join(bundle, "program.json")
        with open(path) as f:
            text = f.read()
        # A missing comma between two members, somewhere in the middle.
        broken = text.replace('"version": 1,', '"version": 1', 1)
        self.assertNotEqual(broken, text)
        with open(path, "w") as f:
            f.write(broken)
        proc = self.export(bundle)
        self.assertRejected(proc, (2,), path)
        self.assertRegex(proc.stderr, r"line \d+|byte \d+")

    def test_truncated_program_json(self):
        bundle = copy_bundle("seed", os.path.join(self.dir, "bundle"))
        path = os.path.join(bundle, "program.json")
        with open(path, "rb") as f:
            data = f.read()
        with open(path, "wb") as f:
            f.write(data[:len(data) // 2])
        proc = self.export(bundle)
        self.assertRejected(proc, (2,), path)

    def test_program_json_with_a_wrong_type(self):
        bundle = copy_bundle("seed", os.path.join(self.dir, "bundle"))
        doc = load_program_json(bundle)
        doc["graph"]["nodes"][3]["inputs"] = "mlp"  # must be a list
        save_program_json(bundle, doc)
        proc = self.export(bundle)
        self.assertRejected(proc, (2,), os.path.join(bundle, "program.json"), "/graph/nodes/3/inputs")

    def test_missing_program_folder(self):
        proc = self.export(os.path.join(self.dir, "no-such-bundle"))
        self.assertRejected(proc, (2,), "no-such-bundle")

    def test_unknown_ops_are_all_named(self):
        # Two uses of aten::frobnicate and, on an independent path, aten::wibble:
        # `strict` (tried first) keeps scanning after an error and names both.
        bundle = copy_bundle("seed-cond", os.path.join(self.dir, "bundle"))
        doc = load_program_json(bundle)
        nodes = doc["graph"]["nodes"]
        linears = [n for n in nodes if n["kind"] == "aten::linear"]
        self.assertEqual(len(linears), 2)
        for n in linears:
            n["kind"] = "aten::frobnicate"
        nodes.insert(0, {"kind": "aten::wibble", "inputs": ["x"], "outputs": ["wibbled"],
                         "source": {"file": "model.py", "line": 7, "col": 5, "text": "y = torch.wibble(x)"}})
        save_program_json(bundle, doc)
        proc = self.export(bundle)
        self.assertRejected(proc, (1, 2), "aten::frobnicate", "aten::wibble", "model.py:7", "linear.py:114")

    def test_missing_translators_are_reported_all_at_once_grouped_by_op(self):
        # The strategies without translators-aten: every op lacks a translator.
        config = write_config(os.path.join(self.dir, "config.json"),
                              {"plugins": BUILTIN_PLUGINS[:4], "strategies": ["strict"]})
        proc = self.export(example("seed-cond"), config)
        report = self.assertRejected(proc, (1,), "[onnxport] Translate the graph into ONNX... ❌")
        block = proc.stderr[proc.stderr.index("[onnxport] Translate the graph into ONNX...\n"):]
        self.assertIn("aten::linear: 2 nodes", block)
        for op in ("aten::sum", "aten::gt", "higher_order::cond"):
            self.assertIn(op + ": 1 node", block)
        missing = {m["op"]: m for m in report["analysis"]["missing_translators"]}
        self.assertEqual(missing["aten::linear"]["count"], 2)
        self.assertEqual(missing["aten::linear"]["loc"]["line"], 114)
        self.assertIn("aten::linear", missing["aten::linear"]["example"])
        self.assertEqual(report["status"]["stages"]["translate"], "failed")
        self.assertEqual(report["status"]["stages"]["check"], "not run")

    def test_missing_weight(self):
        bundle = copy_bundle("seed", os.path.join(self.dir, "bundle"))
        weights = os.path.join(bundle, "weights.safetensors")
        write_safetensors(weights, seed_weights(skip="mlp.1.bias"))
        proc = self.export(bundle)
        self.assertRejected(proc, (2,), weights, "mlp.1.bias")

    def test_weight_of_the_wrong_shape_against_its_declaration(self):
        bundle = copy_bundle("seed", os.path.join(self.dir, "bundle"))
        doc = load_program_json(bundle)
        linear0 = doc["module"]["children"]["mlp"]["children"]["0"]
        linear0["parameter_shapes"] = {"weight": [2, 3], "bias": [2]}
        save_program_json(bundle, doc)
        weights = os.path.join(bundle, "weights.safetensors")
        write_safetensors(weights, seed_weights(override={"mlp.0.weight": ([3, 2], sum([[0.1, 0.2]] * 3, []))}))
        proc = self.export(bundle)
        self.assertRejected(proc, (2,), weights, "mlp.0.weight", "[3, 2]", "[2, 3]")

    def test_weight_of_the_wrong_shape_for_its_use(self):
        # No shape declared: the shapes meet at aten::linear, whose source line is named.
        bundle = copy_bundle("seed", os.path.join(self.dir, "bundle"))
        doc = load_program_json(bundle)
        for child in doc["module"]["children"]["mlp"]["children"].values():
            child.pop("parameter_shapes", None)
        save_program_json(bundle, doc)
        write_safetensors(os.path.join(bundle, "weights.safetensors"),
                          seed_weights(override={"mlp.0.weight": ([2, 4], [0.1] * 8)}))
        proc = self.export(bundle)
        self.assertRejected(proc, (1, 2), "aten::linear", "linear.py:114")

    def test_corrupt_safetensors(self):
        bundle = copy_bundle("seed", os.path.join(self.dir, "bundle"))
        weights = os.path.join(bundle, "weights.safetensors")
        with open(weights, "wb") as f:
            f.write(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json")
        proc = self.export(bundle)
        self.assertRejected(proc, (2,), weights)

    # -- nodes against their op schemas (docs/program-format.md) ---------------

    def seed_with(self, edit):
        """The seed bundle with `edit(nodes)` applied to its program.json."""
        bundle = copy_bundle("seed", os.path.join(self.dir, "bundle"))
        doc = load_program_json(bundle)
        edit(doc["graph"]["nodes"])
        save_program_json(bundle, doc)
        return bundle

    def test_node_argument_of_the_wrong_kind(self):
        # aten::linear(x, 2, bias): the int constant where its weight belongs.
        def edit(nodes):
            self.assertEqual(nodes[8]["kind"], "aten::linear")
            nodes[8]["inputs"][1] = "5"
        bundle = self.seed_with(edit)
        for extra in ((), ("--isolate",)):  # refused before any strategy runs, in a child or not
            proc = self.export(bundle, DEFAULT_CONFIG, *extra)
            self.assertRejected(proc, (2,), os.path.join(bundle, "program.json"), "/graph/nodes/8",
                                "aten::linear at torch/nn/modules/linear.py:114",
                                "aten::linear(Tensor input, Tensor weight, Tensor? bias=None) -> Tensor",
                                "argument 'weight' (position 1) must be Tensor, got int")

    def test_node_with_an_argument_too_many(self):
        def edit(nodes):
            nodes[8]["inputs"].append("x")
        bundle = self.seed_with(edit)
        proc = self.export(bundle)
        self.assertRejected(proc, (2,), "/graph/nodes/8", "aten::linear", "takes 3 arguments, got 4")

    def test_node_that_fits_none_of_its_overloads_names_each(self):
        # aten::sum(Tensor, float): a float is neither a dtype nor a dim list.
        def edit(nodes):
            nodes.insert(12, {"kind": "prim::Constant", "inputs": [], "outputs": ["s"], "attrs": {"value": 0.5},
                              "output_types": ["float"]})
            self.assertEqual(nodes[13]["kind"], "aten::sum")
            nodes[13]["inputs"][1] = "s"
        bundle = self.seed_with(edit)
        proc = self.export(bundle)
        self.assertRejected(proc, (2,), "/graph/nodes/13", "its arguments (Tensor, float) fit no schema of aten::sum",
                            "aten::sum(Tensor self, *, ScalarType? dtype=None) -> Tensor: argument 'dtype' "
                            "(position 1) must be ScalarType?, got float",
                            "aten::sum.dim_IntList(")

    def test_recorded_overload_that_does_not_exist(self):
        def edit(nodes):
            nodes[12]["overload"] = "dim_Intlist"
        bundle = self.seed_with(edit)
        proc = self.export(bundle)
        self.assertRejected(proc, (2,), "/graph/nodes/12/overload", "aten::sum",
                            "records the overload 'dim_Intlist', which aten::sum does not have",
                            "'dim_IntList'")

    def test_recorded_overload_that_the_arguments_do_not_fit(self):
        # aten::sum.int(int[] self) recorded on sum(Tensor).
        def edit(nodes):
            nodes[12]["overload"] = "int"
            nodes[12]["inputs"] = nodes[12]["inputs"][:1]
        bundle = self.seed_with(edit)
        proc = self.export(bundle)
        self.assertRejected(proc, (2,), "/graph/nodes/12", "does not fit the overload it records, "
                            "aten::sum.int(int[] self) -> int: argument 'self' (position 0) must be int[], got Tensor")

    def test_recorded_overloads_that_fit_export(self):
        # The check's counterpart: the same nodes with their true overloads export.
        def edit(nodes):
            nodes[8]["overload"] = nodes[11]["overload"] = ""
            nodes[12]["overload"] = ""
        bundle = self.seed_with(edit)
        proc = self.export(bundle)
        self.assertEqual(proc.returncode, 0, proc.stderr)

    # -- config --------------------------------------------------------------

    def test_config_unknown_key(self):
        config = write_config(os.path.join(self.dir, "config.json"),
                              {"plugins": BUILTIN_PLUGINS, "strategies": ["strict"], "optimise": True})
        proc = self.export(example("seed-cond"), config)
        self.assertRejected(proc, (2,), config, "/optimise")

    def test_config_wrong_type(self):
        config = write_config(os.path.join(self.dir, "config.json"),
                              {"plugins": BUILTIN_PLUGINS, "strategies": ["strict"], "opset": "17"})
        proc = self.export(example("seed-cond"), config)
        self.assertRejected(proc, (2,), config, "/opset")

    def test_config_malformed_json(self):
        config = os.path.join(self.dir, "config.json")
        with open(config, "w") as f:
            f.write('{"strategies": ["strict",]}')
        proc = self.export(example("seed-cond"), config)
        self.assertRejected(proc, (2,), config)

    def test_config_missing_plugin(self):
        config = write_config(os.path.join(self.dir, "config.json"),
                              {"plugins": BUILTIN_PLUGINS + [{"name": "no-such-plugin"}], "strategies": ["strict"]})
        proc = self.export(example("seed-cond"), config)
        self.assertRejected(proc, (2,), config, "/plugins/5", "no-such-plugin")

    def test_unknown_strategy_name(self):
        proc = self.export(example("seed-cond"), DEFAULT_CONFIG, "--strategies", "telepathy")
        report = self.assertRejected(proc, (1,), "telepathy")
        self.assertIn("[onnxport] Obtain model graph for `ModelWithControlFlowTest` with `telepathy`... ❌",
                      proc.stderr)
        self.assertIn("no loaded plugin registers a strategy named `telepathy`", proc.stderr)
        self.assertEqual(report["status"]["strategies"], {"telepathy": "failed"})

    # -- plugins -------------------------------------------------------------

    def test_a_strategy_that_throws_fails_alone(self):
        lib = os.environ["ONNXPORT_EXPLODING_PLUGIN"]
        config = write_config(os.path.join(self.dir, "config.json"),
                              {"plugins": BUILTIN_PLUGINS + [{"path": lib}],
                               "strategies": ["explodes", "cond-rewrite"]})
        proc = self.export(example("seed"), config)
        self.assertExitCode(proc, 0, "export after a throwing strategy")
        self.assertInOrder(proc.stderr, [
            "with `explodes`...", "with `explodes`... ❌",
            "`explodes` failed: error[strategy-threw]: strategy 'explodes' (plugin integration-explodes) threw: the "
            "exploding strategy blew up on purpose", "with `cond-rewrite`... ✅"])
        report = read_json(os.path.join(self.report, "report.json"))
        attempt = report["capture"]["attempts"][0]
        self.assertEqual((attempt["strategy"], attempt["plugin"], attempt["status"]),
                         ("explodes", "integration-explodes", "failed"))
        self.assertEqual(attempt["diagnostics"][0]["code"], "strategy-threw")
        self.assertTrue(os.path.isfile(self.model))

    def plugin_config(self, plugin_path):
        return write_config(os.path.join(self.dir, "config.json"),
                            {"plugins": BUILTIN_PLUGINS + [{"path": plugin_path}], "strategies": ["strict"]})

    def test_plugin_that_is_not_a_library(self):
        fake = os.path.join(self.dir, "libonnxport-fake.so")
        with open(fake, "w") as f:
            f.write("this is not an ELF file\n")
        config = self.plugin_config(fake)
        proc = self.export(example("seed-cond"), config)
        self.assertRejected(proc, (2,), config, "/plugins/5", fake)

    def test_library_without_the_entry_point(self):
        lib = os.environ["ONNXPORT_BAD_PLUGIN_NO_ENTRY"]
        config = self.plugin_config(lib)
        proc = self.export(example("seed-cond"), config)
        self.assertRejected(proc, (2,), config, "/plugins/5", lib, "onnxport_plugin")

    def test_plugin_with_the_wrong_abi_version(self):
        lib = os.environ["ONNXPORT_BAD_PLUGIN_WRONG_ABI"]
        config = self.plugin_config(lib)
        proc = self.export(example("seed-cond"), config)
        self.assertRejected(proc, (2,), config, "/plugins/5", lib, "ABI version", "99")

    def test_plugins_command_lists_the_refusal(self):
        lib = os.environ["ONNXPORT_BAD_PLUGIN_WRONG_ABI"]
        proc = run("plugins", "-c", self.plugin_config(lib))
        self.assertExitCode(proc, 2, "plugins with a refused plugin")
        self.assertIn("❌", proc.stdout)
        self.assertIn("ABI version", proc.stdout)
        self.assertIn("✅ strategy-strict", proc.stdout)

    # -- usage ---------------------------------------------------------------

    def test_usage_errors_exit_2(self):
        proc = run("export", example("seed"))  # no -o
        self.assertEqual(proc.returncode, 2, proc.stderr)
        proc = run("export", example("seed"), "-o", self.model, "--optimize", "--no-optimize")
        self.assertEqual(proc.returncode, 2, proc.stderr)
        proc = run("frobnicate")
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertFalse(os.path.exists(self.model))

    def test_existing_output_is_left_alone_on_failure(self):
        with open(self.model, "w") as f:
            f.write("previous model")
        proc = self.export(os.path.join(self.dir, "no-such-bundle"))
        self.assertEqual(proc.returncode, 2)
        with open(self.model) as f:
            self.assertEqual(f.read(), "previous model")


if __name__ == "__main__":
    unittest.main()
