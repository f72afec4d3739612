"""Quantized modules: torch2program unpacks the packed weights of quantized Conv2d /
Linear into a dict attribute (docs/program-format.md, "Quantized modules"), and writes
quantized dtypes as their ScalarType codes."""
import unittest

import torch
import torch.ao.quantization as tq

from frontend_helpers import BundleTestCase, load_bundle, node_kinds
from torch2program import write_bundle


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.quant = tq.QuantStub()
        self.conv = torch.nn.Conv2d(3, 4, 3)
        self.fc = torch.nn.Linear(4 * 2 * 2, 3)
        self.dequant = tq.DeQuantStub()

    def forward(self, x):
        x = self.conv(self.quant(x))
        return self.dequant(self.fc(torch.flatten(x, 1)))


def converted(engine):
    torch.backends.quantized.engine = engine
    model = Net().eval()
    model.qconfig = tq.get_default_qconfig(engine)
    tq.prepare(model, inplace=True)
    with torch.no_grad():
        model(torch.randn(2, 3, 4, 4))
    tq.convert(model, inplace=True)
    return model


def packed(module_json):
    return dict(module_json["attributes"]["_packed_params"]["dict"])


class PackedParamsTest(BundleTestCase):
    def check(self, engine, per_channel):
        if engine not in torch.backends.quantized.supported_engines:
            self.skipTest(f"no {engine} engine in this PyTorch")
        model = converted(engine)
        write_bundle(model, (torch.randn(2, 3, 4, 4),), self.bundle_dir())
        program, weights, _, _ = load_bundle(self.bundle_dir())
        self.assertIn("quantized::conv2d", node_kinds(program))
        self.assertIn("quantized::linear", node_kinds(program))
        children = program["module"]["children"]
        self.assertEqual(children["quant"]["attributes"]["dtype"], 13)  # torch.quint8

        conv = packed(children["conv"])
        weight, bias = torch.ops.quantized.conv2d_unpack(model.conv._packed_params)
        self.assertEqual(conv["packed"], "conv")
        self.assertEqual(conv["weight"], {"tensor_ref": "conv._packed_params.weight"})
        self.assertEqual(conv["weight_dtype"], 12)  # torch.qint8
        self.assertTrue(torch.equal(weights["conv._packed_params.weight"], weight.int_repr()))
        self.assertTrue(torch.equal(weights["conv._packed_params.bias"], bias.detach()))
        self.assertEqual((conv["stride"], conv["padding"], conv["dilation"], conv["groups"], conv["transpose"]),
                         ([1, 1], [0, 0], [1, 1], 1, False))
        if per_channel:
            self.assertEqual(conv["weight_axis"], 0)
            self.assertTrue(torch.equal(weights["conv._packed_params.weight_scale"], weight.q_per_channel_scales()))
            self.assertTrue(torch.equal(weights["conv._packed_params.weight_zero_point"],
                                        weight.q_per_channel_zero_points()))
        else:
            self.assertIsNone(conv["weight_axis"])
            self.assertEqual(conv["weight_scale"], weight.q_scale())
            self.assertEqual(conv["weight_zero_point"], weight.q_zero_point())

        linear = packed(children["fc"]["children"]["_packed_params"])
        lweight, _ = torch.ops.quantized.linear_unpack(model.fc._packed_params._packed_params)
        self.assertEqual(linear["packed"], "linear")
        self.assertNotIn("stride", linear)
        self.assertTrue(torch.equal(weights[linear["weight"]["tensor_ref"]], lweight.int_repr()))
        self.assertEqual(weights[linear["bias"]["tensor_ref"]].dtype, torch.float32)

    def test_per_tensor_weights(self):
        self.check("qnnpack", per_channel=False)

    def test_per_channel_weights(self):
        self.check("onednn", per_channel=True)

    def test_quantized_dtype_constants_are_scalar_type_codes(self):
        class Quantize(torch.nn.Module):
            def forward(self, x):
                return torch.quantize_per_tensor(x, 0.1, 2, torch.qint8).dequantize()

        write_bundle(Quantize(), (torch.randn(2, 3),), self.bundle_dir())
        program, _, _, _ = load_bundle(self.bundle_dir())
        (node,) = [n for n in program["graph"]["nodes"] if n["kind"] == "aten::quantize_per_tensor"]
        constants = {n["outputs"][0]: n.get("attrs", {}).get("value") for n in program["graph"]["nodes"]
                     if n["kind"] == "prim::Constant"}
        self.assertEqual(constants[node["inputs"][3]], 12)


if __name__ == "__main__":
    unittest.main()
