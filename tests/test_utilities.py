"""Small utilities that exist once: durations, image-suffix sets, PSNR."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine.batch import collect_inputs
from engine.color import psnr_from_mse
from engine.durations import format_duration
from engine.metrics import psnr
from engine.options import READABLE_SUFFIXES, TRAINING_SUFFIXES
from engine.photo_folder import list_images


@pytest.mark.parametrize(("seconds", "estimate", "countdown", "log"), [
    (5, "5 s", "5 s", "0m05s"),
    (90, "2 min", "1 min 30 s", "1m30s"),
    (599, "10 min", "9 min 59 s", "9m59s"),
    (754, "13 min", "12 min", "12m34s"),
    (3725, "1 h 02 min", "1 h 02 min", "1h02m"),
    (None, "unknown", "unknown", "?"),
    (math.inf, "unknown", "unknown", "?"),
])
def test_format_duration(seconds, estimate, countdown, log):
    assert format_duration(seconds) == estimate
    assert format_duration(seconds, with_seconds=True) == countdown
    assert format_duration(seconds, compact=True) == log


def test_app_batch_times_keep_their_seconds():
    from colorizer_gui.workspace.batch_controller import format_duration as batch_duration
    from engine.finetune import format_duration as finetune_duration

    assert batch_duration(None) == "" and batch_duration(185) == "3 min 05 s"
    assert finetune_duration is format_duration


def test_gif_is_colorized_but_never_trained_on(make_photo, tmp_path):
    for name in ("a.png", "b.gif", "c.JPG"):
        make_photo(name)
    assert TRAINING_SUFFIXES == READABLE_SUFFIXES - {".gif"}
    assert [p.name for p in list_images(tmp_path)] == ["a.png", "c.JPG"]
    inputs, problems = collect_inputs([tmp_path])
    assert sorted(i.path.name for i in inputs) == ["a.png", "b.gif", "c.JPG"] and problems == []


def test_one_psnr_for_training_and_evaluation():
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
    out = np.clip(truth.astype(int) + rng.integers(-20, 21, truth.shape), 0, 255).astype(np.uint8)
    mse01 = float(np.mean(((out.astype(np.float64) - truth) / 255.0) ** 2))
    assert psnr(out, truth) == pytest.approx(psnr_from_mse(mse01))
    assert psnr(truth, truth) == pytest.approx(psnr_from_mse(0.0, 255.0)) == pytest.approx(100 + 20 * np.log10(255))
