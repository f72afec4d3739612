"""nn.LSTM / nn.GRU script into overloads (forward__0, forward__1): the one fitting the inputs is written."""
import unittest

import torch

from frontend_helpers import BundleTestCase, check_value_scoping, load_bundle, node_kinds
from torch2program import ConversionError, write_bundle


def make(cls):
    return cls(input_size=4, hidden_size=3, num_layers=2, bidirectional=True)


class RecurrentTest(BundleTestCase):
    def convert(self, module, args):
        write_bundle(module, args, self.bundle_dir(), expected=True)
        return load_bundle(self.bundle_dir())

    def test_lstm_picks_the_tensor_overload(self):
        lstm, x = make(torch.nn.LSTM), torch.randn(7, 2, 4)
        program, weights, _, expected = self.convert(lstm, (x,))
        self.assertEqual(program["producer"]["method"], "forward__0")
        self.assertEqual([(v["name"], v["type"]) for v in program["graph"]["inputs"]],
                         [("self", "Module"), ("input", "Tensor"), ("hx", "NoneType")])
        self.assertIn("aten::lstm", node_kinds(program))
        check_value_scoping(self, program)
        out, (h, c) = lstm(x)
        self.assertEqual(list(expected), ["output.0", "output.1", "output.2"])
        for name, eager in zip(expected, (out, h, c)):
            self.assertTrue(torch.equal(expected[name], eager), name)
        refs = [r["tensor_ref"] for r in program["module"]["attributes"]["_flat_weights"]]
        self.assertEqual(refs, lstm._flat_weights_names)
        self.assertTrue(all(ref in weights for ref in refs))

    def test_lstm_with_initial_state(self):
        lstm = make(torch.nn.LSTM)
        state = (torch.randn(4, 2, 3), torch.randn(4, 2, 3))
        program, _, inputs, _ = self.convert(lstm, (torch.randn(7, 2, 4), state))
        self.assertEqual(program["producer"]["method"], "forward__0")
        # The type of the value given, not the parameter's Optional[...]
        self.assertEqual(program["graph"]["inputs"][2]["type"], "Tuple[Tensor, Tensor]")
        self.assertEqual([e["name"] for e in program["graph"]["inputs"][2]["elements"]], ["hx.0", "hx.1"])
        self.assertTrue(torch.equal(inputs["hx.1"], state[1]))

    def test_gru(self):
        gru, x = make(torch.nn.GRU), torch.randn(7, 2, 4)
        program, _, _, expected = self.convert(gru, (x,))
        self.assertEqual(program["producer"]["method"], "forward__0")
        self.assertIn("aten::gru", node_kinds(program))
        self.assertTrue(torch.equal(expected["output.0"], gru(x)[0]))

    def test_no_overload_fits(self):
        with self.assertRaises(ConversionError) as caught:
            self.convert(make(torch.nn.LSTM), (3,))
        message = str(caught.exception)
        self.assertIn("no forward overload accepts the example inputs", message)
        self.assertIn("forward__0", message)
        self.assertIn("forward__1", message)
        self.assertIn("input 'input' is int, expected Tensor", message)


if __name__ == "__main__":
    unittest.main()
