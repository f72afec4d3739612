"""Ops onnxport captures as formulas of other library ops for breadth
(core/src/trace/composite_ops.cpp, "breadth"), on the cases where the formula
has a subtle part: torch's conversion of beta/alpha to the tensors' type,
bools, negative offsets and dims, a dynamic dim, reductions of losses, and
`with torch.no_grad()` inside forward. Each module goes through
torch2program, `onnxport export -c config/default.json` and ONNX Runtime,
against eager PyTorch on two sizes of the dynamic dim (tests/opinfo runs the
OpInfo samples of the same ops).
"""
import unittest

import torch

from torch_export_check import TorchExportMixin, flatten_args, flatten_outputs, run_ort

BATCH = {"x": {0: "batch"}}


class AddFamily(torch.nn.Module):
    """x: int64 [n, 4]. On integer tensors torch converts beta/alpha to the
    tensors' type first: beta=0.2 is 0 (self left out), alpha=2.7 is 2."""

    def forward(self, x):
        mat = x * 2 - 3
        vec = torch.arange(4) - 1
        ints = torch.addmv(x[:, 0], mat, vec, beta=0.2, alpha=2.7)
        flags = torch.addr(x[0] > 0, vec > 0, vec < 2, beta=3, alpha=2)  # bools: nonzero factors are true
        floats = torch.addmv(x[:, 0].float(), mat.float(), vec.float(), beta=0.5, alpha=-1.5)
        batched = torch.addbmm(x.float()[:1], x.float().unsqueeze(0).transpose(1, 2), x.float().unsqueeze(0), beta=0.0)
        quotient = torch.addcdiv(x.float(), x.float() + 1, x.float().abs() + 2, value=0.25)
        return ints, flags, floats, batched, quotient


class Shapes(torch.nn.Module):
    """x: float32 [n, 6]."""

    def forward(self, x):
        row = x[0]
        stacks = (torch.hstack([row, row * 2]), torch.hstack([x, x]), torch.vstack([row, row]),
                  torch.dstack([x, x]), torch.column_stack([row, row + 1]))
        splits = torch.hsplit(x, 3)[1], torch.hsplit(x, [1, 4])[2], torch.vsplit(x, [1])[1]
        turned = torch.rot90(x, 1), torch.rot90(x, -1), torch.rot90(x, 2, [1, 0]), torch.fliplr(x), torch.flipud(x)
        return stacks + splits + turned + (torch.ravel(x), torch.broadcast_to(row, [2, 6]))


class Diagonals(torch.nn.Module):
    """x: float32 [n, 3]: the vector's length follows the dynamic dim."""

    def forward(self, x):
        v = x[:, 0]
        return (torch.diag(v), torch.diag(v, 2), torch.diag(v, -1), torch.diag(x[:3], -1), torch.diag_embed(x, 1),
                torch.diagflat(x[:2], -2), torch.trace(x[:3]), torch.diag(v > 0))


class Reductions(torch.nn.Module):
    """x: float32 [n, 4] with NaNs in column 1."""

    def forward(self, x):
        return (torch.count_nonzero(x > 0.5), torch.count_nonzero(x > 0.5, 1), torch.count_nonzero(x > 0.5, [0, 1]),
                torch.nansum(x), torch.nansum(x, 0, keepdim=True), torch.nanmean(x, 1),
                torch.isclose(x, x + 1e-9), torch.isclose(x, x, equal_nan=True), torch.isclose(x, x.round(), atol=0.3))


class Formulas(torch.nn.Module):
    """x: float32 [n, 5]."""

    def forward(self, x):
        ints = (x * 3).long()
        return (torch.diff(x), torch.diff(x, 2, 0), torch.diff(x, dim=1, prepend=x[:, :1], append=x[:, -2:]),
                torch.diff(ints > 0), torch.kron(x[:2, :2], torch.ones(2, 3)), torch.trapezoid(x),
                torch.trapezoid(x, torch.arange(5.0) ** 2), torch.trapz(x, dx=0.5, dim=0),
                torch.heaviside(x.round(), torch.tensor([0.5])), torch.float_power(x, 2), torch.ldexp(x, ints),
                torch.inner(x, x[:2]), torch.vdot(x[0], x[1]), torch.argwhere(x > 0.5), torch.msort(x > 0))


class Losses(torch.nn.Module):
    """x: float32 [n, 4]; every reduction."""

    def forward(self, x):
        y = x.flip(0)
        sign = torch.where(x[:, 0] > 0, 1.0, -1.0)
        sign2 = torch.where(x > 0, 1.0, -1.0)
        out = []
        for reduction in ["none", "mean", "sum"]:
            out.append(torch.nn.functional.margin_ranking_loss(x[:, 0], y[:, 0], sign, 0.3, reduction=reduction))
            out.append(torch.nn.functional.soft_margin_loss(x, sign2, reduction=reduction))
            out.append(torch.nn.functional.hinge_embedding_loss(x, sign2, 0.5, reduction=reduction))
            out.append(torch.nn.functional.poisson_nll_loss(x, y.abs() * 3, True, True, reduction=reduction))
            out.append(torch.nn.functional.poisson_nll_loss(x.abs(), y.abs(), False, False, reduction=reduction))
            out.append(torch.nn.functional.cosine_embedding_loss(x, y, sign, 0.1, reduction=reduction))
        return out


class Unique(torch.nn.Module):
    """x: int64 [n, 3]: the number of distinct values is data (an unbacked size)."""

    def forward(self, x):
        values, inverse, counts = torch.unique(x, return_inverse=True, return_counts=True)
        rows, row_inverse = torch.unique(x % 2, dim=0, return_inverse=True)
        return values, inverse, counts, rows, row_inverse, torch.unique(x > 1)


class Placement(torch.nn.Module):
    """x: float32 [n, 4]: slice_scatter's positions follow the dynamic dim."""

    def forward(self, x):
        src = torch.zeros_like(x[::2])
        return (torch.slice_scatter(x, src, 0, 0, None, 2), torch.select_scatter(x, x[:, 0] * 10, 1, -1),
                torch.tile(x, (2,)), torch.tile(x[0], (2, 3)), x.sum_to_size(1, 4), x[:2].sum_to_size(2, 1),
                torch.take_along_dim(x, x.argsort(1), 1), torch.take_along_dim(x[:2, :1], torch.tensor([[0, 0, 0]]), 0),
                torch.fft.fftshift(x[:3]), torch.fft.ifftshift(x[:3], 1), torch.cartesian_prod(x[0], x[1, :2]),
                torch.special.xlog1py(x.round(), x.abs()), torch.special.ndtr(x))


class Scans(torch.nn.Module):
    """x: float32 [n, 4] with a NaN at [1, 3]: scans along the dynamic dim, ties (rounded values) for
    cummax/cummin's indices, NaN where torch's scans and medians put it."""

    def forward(self, x):
        r = x.round()
        ints = (x.nan_to_num() * 4).long()
        edges = torch.tensor([-1.0, 0.0, 0.0, 1.0])
        pos = (x.abs() * 2).long().clamp(0, 2)
        return (torch.cumprod(x, 0), torch.cummax(r, 0), torch.cummin(r, 1), torch.logcumsumexp(x * 30, 0),
                torch.isin(r, torch.tensor([0.0, 1.0])), torch.searchsorted(edges, r), torch.searchsorted(edges, r, right=True),
                torch.zeros(3, 4).scatter_reduce(0, pos, x, "sum", include_self=False),
                torch.ones(3, 4).scatter_reduce(0, pos, x, "mean"), torch.renorm(x, 2, 0, 1.0),
                torch.gcd(ints, torch.tensor([6, -4, 0, 9])), torch.lcm(ints, torch.tensor([6, -4, 0, 9])),
                torch.cumulative_trapezoid(x, dim=0), torch.linalg.vecdot(x, x.flip(0)), torch.median(x[0]),
                torch.nanmedian(x[1]), torch.cov(x[:, :3]), torch.corrcoef(x[0].reshape(2, 2)))


class Shifts(torch.nn.Module):
    """x: int64 [n, 4] with negative values: shift counts past the width and negative ones, as eager shifts them."""

    def forward(self, x):
        counts = torch.tensor([0, 3, 63, 70])
        narrow = x.to(torch.int32)
        return (x << counts, x >> counts, x << 2, x >> 1, torch.bitwise_left_shift(x, -1), torch.bitwise_right_shift(x, 64),
                narrow << counts.to(torch.int32), narrow >> counts.to(torch.int32), torch.bitwise_left_shift(5, x.abs()),
                torch.special.i0(x.float() * 7), torch.special.i1e(x.float() * 9), torch.special.i1(x.float() * 30),
                torch.special.erfcx(x.float() / 4))


class Puts(torch.nn.Module):
    """x: float32 [4, 5]: index_put with integer indices (repeated and negative, accumulated), a broadcast value, a mask; put."""

    def forward(self, x):
        rows = torch.tensor([3, -1, 0, 3])
        mask = x[:, 0] > 0
        return (x.index_put((rows,), x * 2, accumulate=True), x.index_put((torch.tensor([1, 2]), torch.tensor([-1, 0])), torch.tensor(7.0)),
                x.index_put((mask,), x[0]), x.index_put((mask,), x[0], accumulate=True), (x > 0).index_put((mask,), torch.tensor(True), True),
                torch.put(x, torch.tensor([0, -1, 7]), torch.tensor([1.0, 2.0, 3.0])),
                torch.put(x, torch.tensor([0, 0, 7]), torch.tensor([1.0, 2.0, 3.0]), accumulate=True))


class AdaptiveMax(torch.nn.Module):
    """x: float32 [2, 3, 7, 5] with a NaN: uneven windows, ties (rounded values), an unbatched input."""

    def forward(self, x):
        r = x.round()
        return (torch.nn.functional.adaptive_max_pool2d(r, (3, 2), return_indices=True),
                torch.nn.functional.adaptive_max_pool1d(r[0].flatten(1), 4, return_indices=True),
                torch.nn.functional.adaptive_max_pool2d(x[0], (7, 5), return_indices=True))


class NoGrad(torch.nn.Module):
    def forward(self, x):
        y = x * 2
        with torch.no_grad():
            y.clamp_(min=0.0)
        return y + 1


class ProjectedLstm(torch.nn.Module):
    """x: float32 [n, 5, 4]: nn.LSTM(proj_size=...) is unrolled over its 5 steps (zoo issue 10)."""

    def __init__(self):
        super().__init__()
        self.lstm = torch.nn.LSTM(4, 6, 2, proj_size=3, batch_first=True, bidirectional=True)

    def forward(self, x):
        out, (h, c) = self.lstm(x)
        return out, h, c


class BagBookkeeping(torch.nn.Module):
    """Reads embedding_bag's offset2bag, which onnxport does not compute."""

    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.randn(10, 3))

    def forward(self, x):
        offsets = torch.arange(0, x.numel(), x.size(1))
        return torch.embedding_bag(self.weight, x.reshape(-1), offsets)[1]


class Spectral(torch.nn.Module):
    """x: float32 [n, 64]: stft / istft as DFT matrices (center with each
    pad_mode, onesided or not, a window shorter than n_fft, normalized,
    return_complex=True read through view_as_real and istft)."""

    def __init__(self):
        super().__init__()
        self.register_buffer("window", torch.hann_window(12))

    def forward(self, x):
        a = torch.stft(x, 16, hop_length=5, return_complex=False)
        b = torch.stft(x[0], 12, window=self.window, center=False, onesided=False, normalized=True,
                       return_complex=False)
        c = torch.stft(x, 16, hop_length=4, win_length=12, window=self.window, pad_mode="constant",
                       return_complex=True)
        d = torch.stft(x, 10, hop_length=3, pad_mode="replicate", return_complex=False)
        back = torch.istft(c, 16, hop_length=4, win_length=12, window=self.window)
        cut = torch.istft(a, 16, hop_length=5, length=50)
        raw = torch.istft(b.unsqueeze(0), 12, center=False, onesided=False, normalized=True,
                          length=60)
        return a, b, torch.view_as_real(c), d, back, cut, raw


class Counts(torch.nn.Module):
    """x: int64 [n]: bincount's length is the data's largest value + 1 (at
    least minlength), read when the model runs."""

    def forward(self, x):
        w = x.float() * 0.5 - 1
        return (torch.bincount(x), torch.bincount(x, minlength=12), torch.bincount(x, w),
                torch.bincount(x.int(), x.double(), 3), torch.bincount(x[:0], minlength=2))


class GammaFamily(torch.nn.Module):
    """x: float32 [n]: the gamma family and the inverse error functions,
    whose formulas switch branches (reflection below 1/2, series tails, a
    poles' rule, erfinv's two polynomials, log_ndtr below -1)."""

    def forward(self, x):
        # erfinv and ndtri are steep near 1: their inputs are x / 13 (division rounds the same in ONNX
        # Runtime as in eager; tanh or sigmoid there would differ by an ulp, amplified thousands of times).
        y = x / 13
        return (torch.lgamma(x), torch.digamma(x), torch.polygamma(1, x), torch.polygamma(2, x),
                torch.polygamma(3, x), torch.special.gammaln(x), torch.mvlgamma(x.abs() + 2, 3),
                torch.erfinv(y), torch.special.ndtri(y.abs()), torch.special.log_ndtr(x * 4),
                torch.digamma(x.round().long()), torch.lgamma(x.round().long()), torch.angle(x),
                torch.angle(x.round().long()))


class Quantiles(torch.nn.Module):
    """x: float32 [n, 5] with NaNs in row 1 and column 3: every
    interpolation mode, q a float and a tensor, dims, keepdim."""

    def forward(self, x):
        q = torch.tensor([0.0, 0.3, 0.5, 0.75, 1.0])
        out = []
        for mode in ["linear", "lower", "higher", "nearest", "midpoint"]:
            out.append(torch.quantile(x, 0.4, dim=1, interpolation=mode))
            out.append(torch.nanquantile(x, q, dim=0, keepdim=True, interpolation=mode))
        return (out[0], out[1], out[2], out[3], out[4], out[5], out[6], out[7], out[8], out[9],
                torch.quantile(x[2:], q), torch.nanquantile(x, 0.5), torch.nanquantile(x, 0.25, dim=-1, keepdim=True))


class Histograms(torch.nn.Module):
    """x: float32 [n, 3]: histc over a given range (edges and outside values
    included) and over the data's own range; pdist of the rows."""

    def forward(self, x):
        return (torch.histc(x, 8, -1.0, 1.0), torch.histc(x[2:], 5), torch.histc(x[:, :1] * 0 + 2, 3),
                torch.nn.functional.pdist(x[:4]), torch.nn.functional.pdist(x[:4], 1.5),
                torch.nn.functional.pdist(x[:4], 0))


class InverseRealFfts(torch.nn.Module):
    """x: float32 [n, 6]: irfft / hfft of a real spectrum (zero imaginary
    parts), default and given n (odd, truncating, padding), every norm."""

    def forward(self, x):
        return (torch.fft.irfft(x), torch.fft.irfft(x, 7), torch.fft.irfft(x.t(), 4, dim=0), torch.fft.irfft(x, 16),
                torch.fft.irfft(x, norm="ortho"), torch.fft.irfft(x, 9, norm="forward"), torch.fft.hfft(x),
                torch.fft.hfft(x, 5, norm="ortho"), torch.fft.hfft(x, 12, 1, "forward"), torch.fft.irfft(x.long()))


class InverseRealFftsN(torch.nn.Module):
    """x: float32 [n, 4, 6]: irfft2 / irfftn / hfft2 / hfftn of real
    spectra over static dims, s cutting and padding, every norm."""

    def forward(self, x):
        y = x.transpose(0, 2)  # [6, 4, n]: the dynamic dim left alone
        return (torch.fft.irfft2(x), torch.fft.irfft2(x, s=(3, 7)), torch.fft.irfftn(y, s=(5, 4), dim=(0, 1)),
                torch.fft.irfftn(y, dim=(1, 0), norm="ortho"), torch.fft.hfft2(x), torch.fft.hfft2(x, (6, 5), norm="forward"),
                torch.fft.hfftn(y, dim=(0, 1), norm="ortho"), torch.fft.irfftn(x[0]))


class Frexp(torch.nn.Module):
    """x: float32 [n]."""

    def forward(self, x):
        m, e = torch.frexp(x)
        return m, e, torch.frexp(x.double())[0]


class Equal(torch.nn.Module):
    """x: float32 [n, 3]: equal and allclose."""

    def forward(self, x):
        return (torch.equal(x, x * 1), torch.equal(x, x.flip(0)), torch.equal(x.round().long(), x.round()),
                torch.equal(x[:, :2], x), torch.equal(x, x.abs()), torch.allclose(x, x.flip(0)),
                torch.allclose(x, x + 1e-3, atol=1e-2), torch.allclose(x, x[0], rtol=0.5, equal_nan=True))


class BreadthOps(TorchExportMixin, unittest.TestCase):
    def assertSameAsEager(self, ex, module, names, args, rtol=1e-4, atol=1e-5):
        with torch.no_grad():
            expected = flatten_outputs(module(*args))
        got = run_ort(ex.model, flatten_args(names, args), ex.folder)
        self.assertEqual(len(got), len(expected))
        for i, (g, e) in enumerate(zip(got, expected)):
            self.assertEqual(list(g.shape), list(e.shape), "output %d shape" % i)
            self.assertEqual(g.dtype, e.dtype, "output %d dtype" % i)
            self.assertTrue(torch.allclose(g.double(), e.double(), rtol=rtol, atol=atol, equal_nan=True),
                            "output %d:\n%s\nvs eager\n%s" % (i, g, e))

    def check(self, module, name, make_input, sizes=(4, 6), dynamic=True):
        torch.manual_seed(0)
        module = module.eval()
        ex = self.assertExports(module, (make_input(sizes[0]),), name, dynamic_shapes=BATCH if dynamic else None)
        for size in sizes:
            self.assertSameAsEager(ex, module, ["x"], (make_input(size),))
        return ex

    def test_add_family_converts_beta_and_alpha_to_the_tensors_type(self):
        self.check(AddFamily(), "add_family", lambda n: torch.randint(-3, 4, (n, 4)))

    def test_stacks_splits_and_rotations(self):
        self.check(Shapes(), "shapes", lambda n: torch.randn(n, 6), dynamic=False, sizes=(4,))

    def test_diagonals_with_offsets_on_a_dynamic_length(self):
        self.check(Diagonals(), "diagonals", lambda n: torch.randn(n, 3))

    def test_nan_aware_and_counting_reductions(self):
        def make(n):
            x = torch.rand(n, 4)
            x[::2, 1] = float("nan")
            return x
        self.check(Reductions(), "reductions", make)

    def test_formulas(self):
        self.check(Formulas(), "formulas", lambda n: torch.randn(n, 5), dynamic=False, sizes=(4,))

    def test_losses_with_every_reduction(self):
        self.check(Losses(), "losses", lambda n: torch.randn(n, 4))

    def test_unique_with_inverse_and_counts_on_a_dynamic_dim(self):
        self.check(Unique(), "unique", lambda n: torch.randint(0, 4, (n, 3)))

    def test_scatters_tiles_and_gathers(self):
        self.check(Placement(), "placement", lambda n: torch.randn(n, 4))

    def test_scans_searches_and_scatter_reductions(self):
        def make(n):
            x = torch.randn(n, 4)
            x[1, 3] = float("nan")
            return x
        self.check(Scans(), "scans", make, sizes=(3, 5))

    def test_shifts_of_signed_integers_and_bessel_functions(self):
        self.check(Shifts(), "shifts", lambda n: torch.randint(-40, 40, (n, 4)), sizes=(3, 5))

    def test_index_put_and_put(self):
        self.check(Puts(), "puts", lambda n: torch.randn(4, 5), dynamic=False, sizes=(4,))

    def test_adaptive_max_pool_over_uneven_windows(self):
        def make(n):
            x = torch.randn(2, 3, 7, 5)
            x[1, 2, 3, 1] = float("nan")
            return x
        self.check(AdaptiveMax(), "adaptive_max", make, dynamic=False, sizes=(2,))

    def test_stft_and_istft_at_opsets_13_17_18(self):
        torch.manual_seed(0)
        module = Spectral().eval()
        for opset in ("13", "17", "18"):
            ex = self.assertExports(module, (torch.randn(2, 64),), "spectral_%s" % opset, dynamic_shapes=BATCH,
                                    extra=("--opset", opset))
            for size in (2, 3):
                self.assertSameAsEager(ex, module, ["x"], (torch.randn(size, 64),))

    def test_complex_stft_read_as_complex_is_refused(self):
        class Magnitude(torch.nn.Module):
            def forward(self, x):
                return torch.stft(x, 8, return_complex=True).abs()
        from torch_export_check import export
        ex = export(Magnitude(), (torch.randn(2, 32),), "complex_stft")
        self.assertFalse(ex.ok)
        self.assertIn("onnxport has no complex tensors", ex.text())

    def test_bincount_length_follows_the_data(self):
        module = Counts().eval()
        ex = self.assertExports(module, (torch.tensor([0, 3, 3, 1]),), "bincount", dynamic_shapes=BATCH)
        for x in (torch.tensor([0, 3, 3, 1]), torch.tensor([9, 0, 2, 2, 7, 15]), torch.tensor([4, 4]),
                  torch.tensor([1, 1, 0, 2, 2, 2, 3])):
            self.assertSameAsEager(ex, module, ["x"], (x,))

    def test_gamma_family_and_inverse_error_functions(self):
        specials = torch.tensor([0.0, -0.0, -3.0, -1.0, 1.0, 2.0, 0.5, 1e-6, -2.5, 40.0, 13.0, -13.0, 12.9999, 1e-5,
                                 float("inf"), float("-inf"), float("nan")])

        def make(n):
            return torch.cat([torch.linspace(-9.7, 12.3, 400 * n), specials])
        torch.manual_seed(0)
        module = GammaFamily().eval()
        ex = self.assertExports(module, (make(2),), "gamma_family", dynamic_shapes=BATCH)
        for size in (2, 3):
            # rtol 1e-3 as the OpInfo suite: eager's float32 trigamma loses 1e-4 next to its poles
            # (these formulas are within 1e-11 of eager's float64 there).
            self.assertSameAsEager(ex, module, ["x"], (make(size),), rtol=1e-3)

    def test_erfinv_of_float64_is_refused(self):
        class Float64(torch.nn.Module):
            def forward(self, x):
                return torch.erfinv(x.double())
        from torch_export_check import export
        ex = export(Float64(), (torch.rand(3),), "erfinv_float64")
        self.assertFalse(ex.ok)
        self.assertIn("accurate to float32 only", ex.text())

    def test_quantiles_with_nans_and_every_interpolation(self):
        def make(n):
            x = torch.randn(n, 5)
            x[1] = float("nan")
            x[:, 3] = float("nan")
            x[0, 0] = x[0, 1]  # a tie
            return x
        self.check(Quantiles(), "quantiles", make, sizes=(4, 7))

    def test_histc_and_pdist(self):
        def make(n):
            x = torch.randn(n, 3)
            x[0, 0], x[0, 1], x[1, 0], x[1, 1] = 1.0, -1.0, 0.25, float("nan")
            return x
        self.check(Histograms(), "histograms", make, sizes=(5, 8))

    def test_irfft_and_hfft_of_real_spectra(self):
        self.check(InverseRealFfts(), "inverse_real_ffts", lambda n: torch.randn(n, 6) * 3, sizes=(4, 5))

    def test_irfftn_and_hfftn_of_real_spectra(self):
        self.check(InverseRealFftsN(), "inverse_real_fftns", lambda n: torch.randn(n, 4, 6), sizes=(2, 3))

    def test_frexp_at_powers_of_two_and_specials(self):
        powers = torch.tensor([2.0 ** k for k in range(-140, 128, 7)])
        below = torch.nextafter(powers, torch.zeros_like(powers))
        specials = torch.tensor([0.0, -0.0, 1.0, -1.0, 0.5, 3.0, float("inf"), float("-inf"), float("nan"), 1e-45])

        def make(n):
            return torch.cat([powers, below, -below, specials, torch.randn(50 * n) * 1000])
        self.check(Frexp(), "frexp", make, sizes=(1, 2))

    def test_equal_and_allclose(self):
        def make(n):
            x = torch.randn(n, 3).abs()
            if n == 3:
                x[1] = x[0] = x[2]  # flip-symmetric
            return x
        self.check(Equal(), "equal", make, sizes=(3, 4))

    def test_median_with_a_dim_is_refused(self):
        class MedianDim(torch.nn.Module):
            def forward(self, x):
                return torch.median(x, 1)
        from torch_export_check import export
        ex = export(MedianDim(), (torch.randn(2, 3),), "median_dim")
        self.assertFalse(ex.ok)
        self.assertIn("selection algorithm", ex.text())

    def test_no_grad_block_in_forward(self):
        self.check(NoGrad(), "no_grad", lambda n: torch.randn(n, 3))

    def test_lstm_with_proj_size_over_static_steps(self):
        self.check(ProjectedLstm(), "projected_lstm", lambda n: torch.randn(n, 5, 4), sizes=(2, 3))

    def test_lstm_with_proj_size_over_a_dynamic_number_of_steps_is_refused(self):
        from torch_export_check import export
        ex = export(ProjectedLstm().eval(), (torch.randn(2, 5, 4),), "projected_lstm_dynamic_steps",
                    dynamic_shapes={"x": {0: "batch", 1: "steps"}})
        self.assertFalse(ex.ok)
        self.assertIn("proj_size is unrolled step by step", ex.text())

    def test_embedding_bag_bookkeeping_results_are_refused(self):
        from torch_export_check import export
        ex = export(BagBookkeeping(), (torch.randint(0, 10, (2, 4)),), "bag_bookkeeping", dynamic_shapes=BATCH)
        self.assertFalse(ex.ok)
        self.assertIn("offset2bag, bag_size or max_indices", ex.text())

    def test_diag_embed_on_other_dims_is_refused(self):
        class OtherDims(torch.nn.Module):
            def forward(self, x):
                return torch.diag_embed(x, 0, 0, 1)
        from torch_export_check import export
        ex = export(OtherDims(), (torch.randn(2, 3),), "diag_embed_dims")
        self.assertFalse(ex.ok)
        self.assertIn("dim1=-2, dim2=-1", ex.text())


if __name__ == "__main__":
    unittest.main()
