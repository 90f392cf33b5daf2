"""sRGB <-> CIE Lab (D65) in float32, for numpy arrays and torch tensors alike.

One torch implementation serves the CPU, CUDA and MPS; numpy callers go through
`torch.from_numpy`, which shares memory instead of copying. Constants match
scikit-image so results agree with its `rgb2lab`/`lab2rgb` (tests check it).
Tensors are channel-first: (..., 3, H, W) for RGB and Lab, (..., 2, H, W) for ab.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F

# scikit-image's sRGB (D65) matrix and 2-degree D65 white point.
XYZ_FROM_RGB = torch.tensor(
    [[0.412453, 0.357580, 0.180423],
     [0.212671, 0.715160, 0.072169],
     [0.019334, 0.119193, 0.950227]],
    dtype=torch.float64,
)
RGB_FROM_XYZ = torch.linalg.inv(XYZ_FROM_RGB)
WHITE_D65 = (0.95047, 1.0, 1.08883)

_EPS = 0.008856  # (6/29)^3, CIE's switch between cube root and linear segment
_KAPPA = 7.787   # slope of the linear segment, as scikit-image uses

AB_RANGE = 110.0  # |a|, |b| of sRGB colours stay within this; used to normalise


def srgb_to_linear(c: torch.Tensor) -> torch.Tensor:
    return torch.where(c <= 0.04045, c / 12.92, ((c.clamp(min=0.0) + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(c: torch.Tensor) -> torch.Tensor:
    c = c.clamp(min=0.0)
    return torch.where(c <= 0.0031308, 12.92 * c, 1.055 * c ** (1 / 2.4) - 0.055)


def _f(t: torch.Tensor) -> torch.Tensor:
    return torch.where(t > _EPS, t.clamp(min=_EPS) ** (1 / 3), _KAPPA * t + 16 / 116)


def _f_inv(t: torch.Tensor) -> torch.Tensor:
    cube = t**3
    return torch.where(cube > _EPS, cube, (t - 16 / 116) / _KAPPA)


def _apply_matrix(m: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    m = m.to(dtype=x.dtype, device=x.device)
    return torch.einsum("ij,...jhw->...ihw", m, x)


def rgb_to_lab(rgb: torch.Tensor) -> torch.Tensor:
    """(..., 3, H, W) sRGB in [0, 1] -> Lab with L in [0, 100]."""
    xyz = _apply_matrix(XYZ_FROM_RGB, srgb_to_linear(rgb))
    white = torch.tensor(WHITE_D65, dtype=rgb.dtype, device=rgb.device).view(3, 1, 1)
    fx, fy, fz = _f(xyz / white).unbind(-3)
    return torch.stack((116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)), dim=-3)


def lab_to_linear_rgb(lab: torch.Tensor) -> torch.Tensor:
    """Lab -> linear RGB, unclipped: values outside [0, 1] tell how far out of gamut a colour is."""
    L, a, b = lab.unbind(-3)
    fy = (L + 16) / 116
    f = torch.stack((fy + a / 500, fy, fy - b / 200), dim=-3)
    white = torch.tensor(WHITE_D65, dtype=lab.dtype, device=lab.device).view(3, 1, 1)
    return _apply_matrix(RGB_FROM_XYZ, _f_inv(f) * white)


def lab_to_rgb(lab: torch.Tensor) -> torch.Tensor:
    """Lab -> sRGB in [0, 1]; colours outside the sRGB gamut are clipped per channel."""
    return linear_to_srgb(lab_to_linear_rgb(lab)).clamp(0.0, 1.0)


def rgb_to_lab_np(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) sRGB float in [0, 1] -> (H, W, 3) Lab float32."""
    t = torch.from_numpy(np.ascontiguousarray(rgb, dtype=np.float32)).permute(2, 0, 1)
    return rgb_to_lab(t).permute(1, 2, 0).numpy()


def lab_to_rgb_np(lab: np.ndarray) -> np.ndarray:
    t = torch.from_numpy(np.ascontiguousarray(lab, dtype=np.float32)).permute(2, 0, 1)
    return lab_to_rgb(t).permute(1, 2, 0).numpy()


# --- Lightness from stored pixel values -------------------------------------------------
# Photos arrive as 8- or 16-bit integers, so linearisation is a table lookup: far cheaper
# than a power function over 12+ million pixels.

@lru_cache(maxsize=2)
def _linear_lut(levels: int) -> np.ndarray:
    v = torch.arange(levels, dtype=torch.float64) / (levels - 1)
    return srgb_to_linear(v).to(torch.float32).numpy()


def _lightness_from_luminance(y: np.ndarray) -> np.ndarray:
    t = torch.from_numpy(y)
    return (116 * _f(t) - 16).numpy()


def lightness_from_grey(grey: np.ndarray, levels: int = 256) -> np.ndarray:
    """L channel (float32, 0..100) of a grey image stored with `levels` steps."""
    lut = _lightness_from_luminance(_linear_lut(levels).copy())
    return lut[grey]


def lightness_from_rgb(rgb: np.ndarray, levels: int = 256) -> np.ndarray:
    """L channel of an (H, W, 3) integer sRGB image, computed in row blocks to bound memory."""
    lut = _linear_lut(levels)
    weights = XYZ_FROM_RGB[1].to(torch.float32).numpy()
    out = np.empty(rgb.shape[:2], dtype=np.float32)
    step = max(1, (1 << 22) // max(1, rgb.shape[1]))
    for r0 in range(0, rgb.shape[0], step):
        block = rgb[r0 : r0 + step]
        y = lut[block[..., 0]] * weights[0]
        y += lut[block[..., 1]] * weights[1]
        y += lut[block[..., 2]] * weights[2]
        out[r0 : r0 + step] = _lightness_from_luminance(y)
    return out


# --- Gamut --------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _max_chroma_table(n_l: int = 101, n_h: int = 181) -> torch.Tensor:
    """Largest in-gamut chroma for each (L, hue), found by bisection. Shape (n_l, n_h)."""
    L = torch.linspace(0, 100, n_l, dtype=torch.float64).view(-1, 1).expand(n_l, n_h)
    h = torch.linspace(-torch.pi, torch.pi, n_h, dtype=torch.float64).view(1, -1).expand(n_l, n_h)
    lo = torch.zeros_like(L)
    hi = torch.full_like(L, 200.0)
    for _ in range(30):
        mid = (lo + hi) / 2
        lab = torch.stack((L, mid * torch.cos(h), mid * torch.sin(h)), dim=0)
        lin = lab_to_linear_rgb(lab)
        inside = ((lin >= -1e-6) & (lin <= 1 + 1e-6)).all(dim=0)
        lo = torch.where(inside, mid, lo)
        hi = torch.where(inside, hi, mid)
    return lo.to(torch.float32)


def clamp_to_gamut(L: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:
    """Shrink chroma towards grey, keeping hue and lightness, until the colour is displayable.

    Per-channel RGB clipping instead turns saturated reds and blues pink or magenta;
    scaling chroma keeps the hue. L: (..., 1, H, W), ab: (..., 2, H, W).
    """
    table = _max_chroma_table().to(ab.device)
    a, b = ab.unbind(-3)
    chroma = torch.sqrt(a * a + b * b)
    hue = torch.atan2(b, a)
    # grid_sample coordinates in [-1, 1]: x runs over hue, y over lightness.
    grid = torch.stack((hue / torch.pi, L.squeeze(-3) / 50.0 - 1.0), dim=-1)
    flat_grid = grid.reshape(1, -1, 1, 2).to(table.dtype)
    limit = F.grid_sample(table[None, None], flat_grid, mode="bilinear", align_corners=True)
    limit = limit.reshape(chroma.shape).to(ab.dtype)
    scale = torch.where(chroma > limit, limit / chroma.clamp(min=1e-6), torch.ones_like(chroma))
    return ab * scale.unsqueeze(-3)


# --- Rendering: Lab -> displayable sRGB, fast ------------------------------------------------
# Rendering converts every pixel of the full-resolution photo (12-24 million), so it uses a
# cheaper formulation than `lab_to_rgb`, tested against it: the white point is folded into
# one 3x3 matrix product, the piecewise cube is written with clamps instead of `where`, and
# for 8-bit output the linear -> sRGB curve is a 65536-entry table instead of a power.

_T0 = 6 / 29                # f() switches from linear to cube root here (CIE; = _EPS ** (1/3))
_SLOPE = 3 * _T0 * _T0      # slope of the linear segment of f^-1, tangent to the cube at _T0
_LUT_STEPS = 65535          # linear light is quantised to 1/65535: < 0.03 of an 8-bit level


@lru_cache(maxsize=4)
def _srgb8_table(device: torch.device) -> torch.Tensor:
    """uint8 sRGB code for linear light in [i, i + 1) / _LUT_STEPS (its midpoint), i = 0.._LUT_STEPS."""
    mid = ((torch.arange(_LUT_STEPS + 1, dtype=torch.float64) + 0.5) / _LUT_STEPS).clamp(max=1.0)
    return (linear_to_srgb(mid) * 255 + 0.5).floor().clamp(0, 255).to(torch.uint8).to(device)


@lru_cache(maxsize=4)
def _xyz_to_linear_matrix(scale: float, device: torch.device) -> torch.Tensor:
    """RGB_FROM_XYZ with the D65 white point and an output scale folded in (float32)."""
    white = torch.tensor(WHITE_D65, dtype=torch.float64)
    return (RGB_FROM_XYZ * white * scale).to(torch.float32).to(device)


def fit_linear_to_gamut(lin: torch.Tensor, luminance: torch.Tensor, top: float = 1.0,
                        scratch: tuple[torch.Tensor, torch.Tensor] | None = None) -> torch.Tensor:
    """Bring linear RGB (3, ...) into [0, top] by moving each colour straight towards the grey of
    its own luminance (...) just as far as needed.

    Luminance, and so CIE L, stays exactly as it was, and the hue barely moves; clipping each
    channel separately instead brightens shadows into saturated red or blue and turns
    highlights pink. Works in place: `lin` becomes the result and `luminance` is clamped to
    [0, top]. `scratch`: two buffers shaped like `luminance`, to allocate nothing.
    """
    y = luminance.clamp_(0.0, top)
    q, r = scratch if scratch is not None else (torch.empty_like(y), torch.empty_like(y))
    d = lin.sub_(y)
    dmax = torch.maximum(d[0], d[1], out=q)
    dmax = torch.maximum(dmax, d[2], out=q).clamp_(min=1e-12)
    s = torch.sub(y, top, out=r).div_(dmax)  # -(room up)
    dmin = torch.minimum(d[0], d[1], out=q)
    dmin = torch.minimum(dmin, d[2], out=q).clamp_(max=-1e-12)
    s = torch.maximum(s, torch.div(y, dmin, out=q), out=r).neg_().clamp_(max=1.0)  # min(up, down, 1)
    return d.mul_(s).add_(y)


class DisplayConverter:
    """Flat L, a, b (N,) -> (N, 3) sRGB codes, out-of-gamut colours fitted at constant lightness.

    Holds its scratch buffers, so converting a 24-megapixel photo chunk by chunk allocates
    nothing per chunk (with fresh tensors, the allocator's page faults cost more than the maths).
    8-bit output uses the lookup table; 16-bit output computes the power curve exactly.
    """

    def __init__(self, max_pixels: int, bit_depth: int = 8, device: torch.device | str = "cpu") -> None:
        self.bit_depth = bit_depth
        self.device = torch.device(device)
        self.max_pixels = max_pixels
        self.top = float(_LUT_STEPS) if bit_depth == 8 else 1.0
        self.matrix = _xyz_to_linear_matrix(self.top, self.device)
        n = 3 * max_pixels
        new = dict(dtype=torch.float32, device=self.device)
        self._f, self._g, self._h = torch.empty(n, **new), torch.empty(n, **new), torch.empty(n, **new)
        self._p, self._q, self._r = (torch.empty(max_pixels, **new) for _ in range(3))
        if bit_depth == 8:
            self._idx = torch.empty(n, dtype=torch.int32, device=self.device)
            self._codes = torch.empty(n, dtype=torch.uint8, device=self.device)
            self._table = _srgb8_table(self.device)

    def __call__(self, L: torch.Tensor, a: torch.Tensor, b: torch.Tensor, out: torch.Tensor | None = None
                 ) -> torch.Tensor:
        """Returns (N, 3): uint8 codes, or int32 holding 16-bit codes, written into `out` (a
        contiguous (N, 3) tensor) when given."""
        n = L.shape[0]
        if n > self.max_pixels:
            raise ValueError(f"{n} pixels at once; this converter was made for {self.max_pixels}")
        top = self.top
        f, cube, lin = (buf[: 3 * n].view(3, n) for buf in (self._f, self._g, self._h))
        p, q, r = self._p[:n], self._q[:n], self._r[:n]
        fy = torch.add(L, 16.0, out=f[1]).mul_(1 / 116)
        torch.add(fy, a, alpha=1 / 500, out=f[0])
        torch.add(fy, b, alpha=-1 / 200, out=f[2])
        # f^-1 without `where`: max(t, T0)^3 + slope * min(t - T0, 0), T0 = 6/29 (CIE).
        torch.clamp(f, min=_T0, out=cube)
        xyz = torch.mul(cube, cube, out=lin).mul_(cube)
        xyz.add_(f.sub_(_T0).clamp_(max=0.0), alpha=_SLOPE)
        # xyz is relative to the white point, which the matrix carries along with the scale.
        y = torch.mul(xyz[1], top, out=p)
        rgb = fit_linear_to_gamut(torch.mm(self.matrix, xyz, out=cube), y, top, scratch=(q, r))
        if self.bit_depth == 8:
            idx = self._idx[: 3 * n]
            idx.copy_(rgb.clamp_(0.0, top).view(-1))  # truncates: the table holds each step's midpoint
            codes = torch.index_select(self._table, 0, idx, out=self._codes[: 3 * n]).view(3, n)
            if out is None:
                out = torch.empty((n, 3), dtype=torch.uint8, device=self.device)
            if out.device.type == "cpu":  # interleave r, g, b: numpy's strided copy is ~7x faster here
                planes, pixels = codes.numpy(), out.numpy()
                for c in range(3):
                    pixels[:, c] = planes[c]
            else:
                out.copy_(codes.T)
            return out
        codes = linear_to_srgb(rgb).mul_(65535.0).add_(0.5).clamp_(0, 65535).to(torch.int32).T
        if out is not None:
            out.copy_(codes)
            return out
        return codes


def psnr_from_mse(mse: float, peak: float = 1.0) -> float:
    """PSNR in dB of a mean squared error on values 0..peak (floored, so identical images stay finite).

    The one PSNR: evaluation (engine.metrics, 0..255 photos) and training validation (0..1
    tensors) both use it. It lives here, not in engine.metrics, because training is part of the
    app bundle and engine.metrics needs scikit-image, which the bundle leaves out.
    """
    return float(10 * np.log10(peak**2 / max(mse, 1e-10)))
