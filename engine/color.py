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
