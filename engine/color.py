"""sRGB <-> CIE Lab (D65) in float32, for numpy arrays and torch tensors alike.

One torch implementation serves the CPU, CUDA and MPS; numpy callers go through
`torch.from_numpy`, which shares memory instead of copying. Constants match
scikit-image so results agree with its `rgb2lab`/`lab2rgb` (tests check it).
Tensors are channel-first: (..., 3, H, W) for RGB and Lab, (..., 2, H, W) for ab.
The full-resolution paths (lightness of a photo, `DisplayConverter`) are numpy over row
tiles on a thread pool instead (`run_tiles`): see why there.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from functools import lru_cache
from itertools import islice

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
# Photos arrive as 8- or 16-bit integers, so a grey photo's lightness is one table lookup per
# pixel (256 or 65,536 entries) instead of a power and a cube root; RGB photos look up each
# channel's linear light. Both run in row tiles over `run_tiles`, so every core takes part.

_TILE_PIXELS = 1 << 15  # pixels per lightness tile: its temporaries (~1 MB) stay in a core's L2 cache


@lru_cache(maxsize=2)
def _linear_lut(levels: int) -> np.ndarray:
    v = torch.arange(levels, dtype=torch.float64) / (levels - 1)
    return srgb_to_linear(v).to(torch.float32).numpy()


def _lightness_from_luminance(y: np.ndarray) -> np.ndarray:
    t = torch.from_numpy(y)
    return (116 * _f(t) - 16).numpy()


@lru_cache(maxsize=2)
def _lightness_lut(levels: int) -> np.ndarray:
    return _lightness_from_luminance(_linear_lut(levels).copy())


def _tile_rows(width: int) -> int:
    return max(1, _TILE_PIXELS // max(1, width))


def lightness_from_grey(grey: np.ndarray, levels: int = 256) -> np.ndarray:
    """L channel (float32, 0..100) of a grey image stored with `levels` steps."""
    lut = _lightness_lut(levels)
    grey = np.asarray(grey)
    if grey.ndim != 2:
        return lut[grey]
    out = np.empty(grey.shape, dtype=np.float32)
    # mode="clip" skips the bounds check (integers of this depth cannot leave the table) and
    # lets numpy write straight into `out` instead of through a buffer.
    run_tiles(lambda r0, r1: np.take(lut, grey[r0:r1], out=out[r0:r1], mode="clip"),
              grey.shape[0], _tile_rows(grey.shape[1]) * 8)
    return out


_Y_STEPS = 1 << 18  # luminance steps of the L* table: within 0.002 L* of exact (903 L* per unit Y near black)


@lru_cache(maxsize=1)
def _lightness_of_luminance_table() -> np.ndarray:
    """L* of luminance i / _Y_STEPS, i = 0.._Y_STEPS: a cube root looked up, not computed per pixel."""
    y = torch.arange(_Y_STEPS + 1, dtype=torch.float64) / _Y_STEPS
    return (116 * _f(y) - 16).to(torch.float32).numpy()


@lru_cache(maxsize=2)
def _luminance_tables(levels: int) -> tuple[np.ndarray, ...]:
    """Per channel, each stored level's share of luminance, in steps of the L* table."""
    lin = srgb_to_linear(torch.arange(levels, dtype=torch.float64) / (levels - 1))
    return tuple((lin * float(w) * _Y_STEPS).to(torch.float32).numpy() for w in XYZ_FROM_RGB[1])


def lightness_from_rgb(rgb: np.ndarray, levels: int = 256) -> np.ndarray:
    """L channel of an (H, W, 3) integer sRGB image, in row tiles on every core: three table
    lookups give the luminance, a fourth its L*."""
    tables, lightness = _luminance_tables(levels), _lightness_of_luminance_table()
    out = np.empty(rgb.shape[:2], dtype=np.float32)

    def tile(r0: int, r1: int) -> None:
        block = rgb[r0:r1]
        y = np.take(tables[0], block[..., 0])
        y += np.take(tables[1], block[..., 1])
        y += np.take(tables[2], block[..., 2])
        y += 0.5  # to the nearest step
        np.take(lightness, y.astype(np.intp), out=out[r0:r1], mode="clip")

    run_tiles(tile, rgb.shape[0], _tile_rows(rgb.shape[1]))
    return out


# --- Tiles on every core ------------------------------------------------------------------
# numpy's loops release the GIL, so a pool of Python threads puts every core on one photo's
# tiles. torch's own intra-op threads do not serve here: with OMP_WAIT_POLICY=PASSIVE (as
# `colorize` runs) each of the ~50 small operations per tile wakes sleeping threads, which
# cost more than the maths, and without it idle threads spin against the codecs.

_pool_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_pool_size = 0


def _forget_pool() -> None:
    global _pool, _pool_size
    _pool, _pool_size = None, 0


if hasattr(os, "register_at_fork"):  # a forked child has none of the pool's threads: it starts its own
    os.register_at_fork(after_in_child=_forget_pool)


def conversion_threads() -> int:
    """Threads for full-size conversion: torch's count, so `--threads` limits this too."""
    return max(1, torch.get_num_threads())


def _executor(threads: int) -> ThreadPoolExecutor:
    """The shared pool, grown to at least `threads` (callers on threads with different counts,
    the app's preview and its batch, share it instead of replacing it back and forth)."""
    global _pool, _pool_size
    with _pool_lock:
        if _pool is None or _pool_size < threads:
            if _pool is not None:
                _pool.shutdown(wait=False)  # tiles already queued there still finish
            _pool, _pool_size = ThreadPoolExecutor(threads, thread_name_prefix="colour-tiles"), threads
        return _pool


def run_tiles(job: Callable[[int, int], object], total: int, tile: int,
              after: Callable[[int], None] | None = None) -> None:
    """job(start, stop) over [0, total) in spans of `tile`, at most `conversion_threads()` at once.

    `after(stop)` runs on the calling thread once every span up to `stop` is done, in order
    (progress, cancel checks); if it or a job raises, spans not yet started are dropped and
    the call returns only once none is running, so no job writes into memory the caller
    goes on to reuse. Jobs must not call run_tiles themselves (the pool could starve).
    """
    spans = iter([(s, min(total, s + tile)) for s in range(0, total, max(1, tile))])
    threads = conversion_threads()
    if threads == 1 or total <= tile:
        for s, e in spans:
            job(s, e)
            if after is not None:
                after(e)
        return
    pool = _executor(threads)
    # A window of `threads` spans in flight, refilled in order as the oldest finishes.
    running: deque[tuple[int, Future]] = deque((e, pool.submit(job, s, e)) for s, e in islice(spans, threads))
    try:
        while running:
            stop, future = running.popleft()
            future.result()
            for s, e in islice(spans, 1):
                running.append((e, pool.submit(job, s, e)))
            if after is not None:
                after(stop)
    finally:
        for _, future in running:
            future.cancel()
        wait([future for _, future in running])


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
# for 8-bit output the linear -> sRGB curve is a 65536-entry table instead of a power. It is
# numpy, one tile per call, so that `run_tiles` can give each core its own tiles.

_T0 = 6 / 29                # f() switches from linear to cube root here (CIE; = _EPS ** (1/3))
_SLOPE = 3 * _T0 * _T0      # slope of the linear segment of f^-1, tangent to the cube at _T0
_LUT_STEPS = 65535          # linear light is quantised to 1/65535: < 0.03 of an 8-bit level


@lru_cache(maxsize=1)
def _srgb8_table() -> np.ndarray:
    """uint8 sRGB code for linear light in [i, i + 1) / _LUT_STEPS (its midpoint), i = 0.._LUT_STEPS."""
    mid = ((torch.arange(_LUT_STEPS + 1, dtype=torch.float64) + 0.5) / _LUT_STEPS).clamp(max=1.0)
    return (linear_to_srgb(mid) * 255 + 0.5).floor().clamp(0, 255).to(torch.uint8).numpy()


@lru_cache(maxsize=2)
def _xyz_to_linear_matrix(scale: float) -> np.ndarray:
    """RGB_FROM_XYZ with the D65 white point and an output scale folded in (float32, read-only)."""
    white = torch.tensor(WHITE_D65, dtype=torch.float64)
    matrix = (RGB_FROM_XYZ * white * scale).to(torch.float32).numpy()
    matrix.flags.writeable = False  # shared by every converter through the cache
    return matrix


def fit_linear_to_gamut(lin: np.ndarray, luminance: np.ndarray, top: float = 1.0,
                        scratch: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Bring linear RGB (3, N) float32 into [0, top] by moving each colour straight towards the
    grey of its own luminance (N,) just as far as needed.

    Luminance, and so CIE L, stays exactly as it was, and the hue barely moves; clipping each
    channel separately instead brightens shadows into saturated red or blue and turns
    highlights pink. Works in place: `lin` becomes the result and `luminance` is clamped to
    [0, top]. `scratch`: two buffers shaped like `luminance`, to allocate nothing.
    """
    y = np.clip(luminance, 0.0, top, out=luminance)
    q, r = scratch if scratch is not None else (np.empty_like(y), np.empty_like(y))
    d = np.subtract(lin, y, out=lin)
    dmax = np.maximum(d[0], d[1], out=q)
    np.maximum(dmax, d[2], out=q)
    np.maximum(q, 1e-12, out=q)
    s = np.subtract(y, top, out=r)
    s /= q  # -(room up)
    dmin = np.minimum(d[0], d[1], out=q)
    np.minimum(dmin, d[2], out=q)
    np.minimum(q, -1e-12, out=q)
    np.divide(y, q, out=q)  # -(room down)
    np.maximum(s, q, out=s)
    np.negative(s, out=s)
    np.minimum(s, 1.0, out=s)  # min(up, down, 1)
    d *= s
    d += y
    return d


class DisplayConverter:
    """Flat L, a, b float32 (N,) -> (N, 3) sRGB codes, out-of-gamut colours fitted at constant lightness.

    Holds its scratch buffers, so converting a 24-megapixel photo tile by tile allocates
    nothing per tile (with fresh arrays, page faults cost more than the maths). One converter
    per thread. 8-bit output uses the lookup table; 16-bit output computes the power curve.
    """

    def __init__(self, max_pixels: int, bit_depth: int = 8) -> None:
        self.bit_depth = bit_depth
        self.max_pixels = max_pixels
        self.top = float(_LUT_STEPS) if bit_depth == 8 else 1.0
        self.matrix = _xyz_to_linear_matrix(self.top)
        self._f, self._g, self._h = (np.empty((3, max_pixels), np.float32) for _ in range(3))
        self._p, self._q, self._r = (np.empty(max_pixels, np.float32) for _ in range(3))
        if bit_depth == 8:
            self._idx = np.empty((3, max_pixels), np.intp)
            self._codes = np.empty((3, max_pixels), np.uint8)
            self._table = _srgb8_table()

    def __call__(self, L: np.ndarray, a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """(N, 3) uint8 codes, or uint16 for 16-bit output, written into `out` when given."""
        n = L.shape[0]
        if n > self.max_pixels:
            raise ValueError(f"{n} pixels at once; this converter was made for {self.max_pixels}")
        top = self.top
        f, cube, lin = self._f[:, :n], self._g[:, :n], self._h[:, :n]
        p, q, r = self._p[:n], self._q[:n], self._r[:n]
        fy = np.add(L, 16.0, out=f[1])
        fy *= 1 / 116
        np.multiply(a, 1 / 500, out=f[0])
        f[0] += fy
        np.multiply(b, -1 / 200, out=f[2])
        f[2] += fy
        # f^-1 without `where`: max(t, T0)^3 + slope * min(t - T0, 0), T0 = 6/29 (CIE).
        np.maximum(f, _T0, out=cube)
        xyz = np.multiply(cube, cube, out=lin)
        xyz *= cube
        f -= _T0
        np.minimum(f, 0.0, out=f)
        f *= _SLOPE
        xyz += f
        # xyz is relative to the white point, which the matrix carries along with the scale.
        # BLAS does a (3, 3) x (3, N) product on the calling thread, 3x faster than 15 passes.
        rgb = np.matmul(self.matrix, xyz, out=cube)
        # Most tiles are wholly displayable (the chroma was fitted to the gamut at low
        # resolution): two reductions then save the ~20 passes of the fit, which would leave
        # them as they are.
        if rgb.min() < 0.0 or rgb.max() > top:
            y = np.multiply(xyz[1], top, out=p)
            rgb = fit_linear_to_gamut(rgb, y, top, scratch=(q, r))
        if out is None:
            out = np.empty((n, 3), dtype=np.uint8 if self.bit_depth == 8 else np.uint16)
        if self.bit_depth == 8:
            idx, codes = self._idx[:, :n], self._codes[:, :n]
            np.clip(rgb, 0.0, top, out=rgb)
            idx[...] = rgb  # truncates: the table holds each step's midpoint
            np.take(self._table, idx, out=codes, mode="clip")
            for c in range(3):  # interleave r, g, b: faster than taking into strided columns
                out[:, c] = codes[c]
            return out
        np.maximum(rgb, 0.0, out=rgb)
        curve = np.power(rgb, 1 / 2.4, out=lin)
        curve *= 1.055
        curve -= 0.055
        low = rgb <= 0.0031308
        rgb *= 12.92
        np.copyto(curve, rgb, where=low)
        curve *= 65535.0
        curve += 0.5
        np.clip(curve, 0, 65535, out=curve)
        out[...] = curve.T  # truncates, as the floor of code + 0.5
        return out


def psnr_from_mse(mse: float, peak: float = 1.0) -> float:
    """PSNR in dB of a mean squared error on values 0..peak (floored, so identical images stay finite).

    The one PSNR: evaluation (engine.metrics, 0..255 photos) and training validation (0..1
    tensors) both use it. It lives here, not in engine.metrics, because training is part of the
    app bundle and engine.metrics needs scikit-image, which the bundle leaves out.
    """
    return float(10 * np.log10(peak**2 / max(mse, 1e-10)))
