"""Image quality metrics for colorization, on 8-bit sRGB arrays of the photo's own size.

PSNR is computed by `engine.color.psnr_from_mse`, which training uses too; SSIM and CIEDE2000 come from
scikit-image, which only `colorize-eval` needs: it is the optional `[eval]` extra, imported
when first used, so this module imports without it.
"""

from __future__ import annotations

import numpy as np

from engine.color import psnr_from_mse, rgb_to_lab_np

EVAL_EXTRA_MISSING = ('measuring SSIM and CIEDE2000 needs scikit-image, which is not installed; '
                      'install it with: pip install "colorizer[eval]" (or pip install scikit-image)')


class EvalDependencyMissing(ImportError):
    """scikit-image (the `[eval]` extra) is not installed."""


def require_eval_dependencies() -> None:
    """Raise EvalDependencyMissing, with how to install it, unless scikit-image can be imported."""
    _skimage()


def _skimage():
    try:
        import skimage.color
        import skimage.metrics
    except ImportError as exc:
        raise EvalDependencyMissing(EVAL_EXTRA_MISSING) from exc
    return skimage


def psnr(output: np.ndarray, truth: np.ndarray) -> float:
    return psnr_from_mse(float(np.mean((output.astype(np.float64) - truth.astype(np.float64)) ** 2)), 255.0)


def ssim(output: np.ndarray, truth: np.ndarray) -> float:
    return float(_skimage().metrics.structural_similarity(output, truth, channel_axis=2, data_range=255))


def ciede2000(output: np.ndarray, truth: np.ndarray) -> float:
    """Mean CIEDE2000 colour difference over all pixels."""
    lab_o = rgb_to_lab_np(output.astype(np.float32) / 255.0)
    lab_t = rgb_to_lab_np(truth.astype(np.float32) / 255.0)
    return float(_skimage().color.deltaE_ciede2000(lab_t, lab_o).mean())


def colourfulness(rgb: np.ndarray) -> float:
    """Hasler and Süsstrunk (2003) colourfulness M3, on 0..255 sRGB values.

    M3 = sqrt(std_rg^2 + std_yb^2) + 0.3 * sqrt(mean_rg^2 + mean_yb^2), rg = R - G,
    yb = (R + G) / 2 - B. About 0 for grey, ~33 "moderately", ~59 "quite" colourful.
    """
    r, g, b = (rgb[..., i].astype(np.float64) for i in range(3))
    rg = r - g
    yb = 0.5 * (r + g) - b
    return float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))


def all_metrics(output: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """PSNR, SSIM, CIEDE2000, colourfulness, and the colour cast: the output's mean a* and b*
    minus the truth's (positive cast_a is magenta/red, positive cast_b yellow/sepia)."""
    lab_o = rgb_to_lab_np(output.astype(np.float32) / 255.0)
    lab_t = rgb_to_lab_np(truth.astype(np.float32) / 255.0)
    return {
        "psnr": psnr(output, truth),
        "ssim": ssim(output, truth),
        "ciede2000": float(_skimage().color.deltaE_ciede2000(lab_t, lab_o).mean()),
        "colourfulness": colourfulness(output),
        "cast_a": float(lab_o[..., 1].mean() - lab_t[..., 1].mean()),
        "cast_b": float(lab_o[..., 2].mean() - lab_t[..., 2].mean()),
    }
