"""Packed sequences through the recurrent layers (docs/sequence-models.md,
"Packed sequences"): pack_padded_sequence -> nn.LSTM / nn.GRU / nn.RNN ->
pad_packed_sequence exports with config/default.json, and ONNX Runtime matches
eager PyTorch on other batch sizes and other lengths (lengths shorter than the
padded length included, so the masking and the final states of the reverse
direction are checked). Other uses of a packed sequence are refused with the
use and its line, never exported wrong."""
import os
import unittest

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from onnxport_testlib import OnnxportTestCase, read_onnx_graph, run
from torch_export_check import TorchExportMixin, export

STEPS, FEATURES = 5, 3


class PackedLstm(nn.Module):
    """Unsorted lengths (enforce_sorted=False), a given initial state, bidirectional, batch_first."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(FEATURES, 4, num_layers=2, bidirectional=True, batch_first=True)

    def forward(self, x, lengths, h0, c0):
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, (h, c) = self.lstm(packed, (h0, c0))
        padded, out_lengths = pad_packed_sequence(out, batch_first=True, padding_value=-1.0, total_length=x.size(1) + 2)
        return padded, out_lengths, h, c


class PackedGru(nn.Module):
    """Sorted lengths, time-major, total_length equal to the padded length."""

    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(FEATURES, 4, bidirectional=True)

    def forward(self, x, lengths):
        out, h = self.gru(pack_padded_sequence(x, lengths))
        padded, _ = pad_packed_sequence(out, total_length=x.size(0))
        return padded, h


def lstm_args(batch, lengths):
    return (torch.randn(batch, STEPS, FEATURES), torch.tensor(lengths), torch.randn(4, batch, 4),
            torch.randn(4, batch, 4))


class PackedRecurrentLayersMatchEager(OnnxportTestCase, TorchExportMixin):
    def test_lstm_unsorted_with_state_padding_value_and_longer_total_length(self):
        torch.manual_seed(0)
        module = PackedLstm().eval()
        ex = self.assertExports(module, lstm_args(2, [3, 5]), "packed-lstm",
                                dynamic_shapes={n: {0 if n in ("x", "lengths") else 1: "batch"}
                                                for n in ("x", "lengths", "h0", "c0")})
        lstms = [n for n in read_onnx_graph(ex.model).nodes if n.op_type == "LSTM"]
        self.assertEqual(len(lstms), 2)  # one a layer, both directions
        self.assertTrue(all(len(n.inputs) > 4 and n.inputs[4] for n in lstms), "every LSTM gets sequence_lens")
        # The reference kernel of onnxport::padded_lstm (what draft and `onnxport run` use) against eager.
        ran = run("run", os.path.join(ex.folder, "bundle"))
        self.assertExitCode(ran, 0, "onnxport run")
        self.assertNotIn("❌", ran.stdout + ran.stderr)
        names = ["x", "lengths", "h0", "c0"]
        self.assertMatchesEager(ex, module, names, [lstm_args(3, [2, 5, 1]), lstm_args(1, [4]),
                                                    lstm_args(4, [1, 1, 3, 2])])

    def test_gru_sorted_time_major(self):
        torch.manual_seed(1)
        module = PackedGru().eval()
        ex = self.assertExports(module, (torch.randn(STEPS, 2, FEATURES), torch.tensor([5, 2])), "packed-gru",
                                dynamic_shapes={"x": {1: "batch"}, "lengths": {0: "batch"}})
        self.assertMatchesEager(ex, module, ["x", "lengths"], [
            (torch.randn(STEPS, 3, FEATURES), torch.tensor([4, 4, 1])),
            (torch.randn(STEPS, 1, FEATURES), torch.tensor([2]))])


class SumOfPackedData(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(FEATURES, 4)

    def forward(self, x, lengths):
        out, _ = self.rnn(pack_padded_sequence(x, lengths))
        return out.data.sum()


class PadWithoutTotalLength(PackedGru):
    def forward(self, x, lengths):
        out, _ = self.gru(pack_padded_sequence(x, lengths))
        return pad_packed_sequence(out)[0]


class ReturnsPacked(PackedGru):
    def forward(self, x, lengths):
        out, _ = self.gru(pack_padded_sequence(x, lengths))
        return out


class OtherUsesAreRefused(OnnxportTestCase, TorchExportMixin):
    """Each is exit 1 with a diagnostic naming the use and its line, and no model."""

    def refused(self, module, name):
        ex = export(module.eval(), (torch.randn(STEPS, 2, FEATURES), torch.tensor([5, 2])), name)
        self.assertEqual(ex.proc.returncode, 1, ex.text())
        return ex.text()

    def test_reading_the_packed_data(self):
        text = self.refused(SumOfPackedData(), "packed-sum")
        self.assertIn("uses a PackedSequence's data", text)
        self.assertIn("out.data.sum()", text)

    def test_pad_without_total_length(self):
        text = self.refused(PadWithoutTotalLength(), "packed-no-total-length")
        self.assertIn("pad_packed_sequence at line", text)
        self.assertIn("without total_length", text)

    def test_returning_the_packed_sequence(self):
        self.assertIn("forward returns a PackedSequence", self.refused(ReturnsPacked(), "packed-returned"))


if __name__ == "__main__":
    unittest.main()
