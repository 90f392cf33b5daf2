"""Fine-tuning that made the model worse is said so, in plain words, and the better model is kept.

A real tiny training run in the real worker process, on a folder whose held-out photos are
orange while the ones trained on are blue: learning "everything is blue" makes the held-out
photos' colours worse than the starting model's, by several dB.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from PySide6.QtCore import Qt

from colorizer_gui.finetune import qt_finetune_tab as ft
from colorizer_gui.finetune.run import RunState
from colorizer_gui.finetune.words import describe_comparison, plain_message
from engine.catalog import list_models, user_models_dir
from engine.finetune import compare_held_out
from engine.model import ColorUNet, UNetConfig
from engine.weights import ModelInfo, save_model

LONG = 240_000  # ms: the worker process imports torch; the machine may be busy


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture
def base_model_path(tmp_path):
    """A small real network, freshly initialised: its muted colours suit the orange photos best."""
    torch.manual_seed(0)
    path = tmp_path / "starter.safetensors"
    save_model(ColorUNet(UNetConfig(base_channels=8, depth=3, max_channels=32)).eval(),
               ModelInfo(name="starter", description="untrained"), path)
    return path


def make_split_collection(folder, n: int = 10, val_share: float = 0.2):
    """Blue photos to train on and orange held-out ones (train() holds out a seeded permutation)."""
    folder.mkdir(parents=True)
    held = set(np.random.default_rng(0).permutation(n)[: round(n * val_share)].tolist())
    w, h = 176, 144
    y, x = np.mgrid[0:h, 0:w].astype(float)
    lightness = (0.25 + 0.7 * (0.6 * x / w + 0.4 * y / h))[..., None]
    rng = np.random.default_rng(1)
    for i in range(n):
        colour = np.array((0.95, 0.55, 0.15)) if i in held else np.array((0.15, 0.35, 0.95))
        img = np.clip(lightness * colour + rng.normal(0, 0.02, (h, w, 3)), 0, 1)
        Image.fromarray((img * 255).astype(np.uint8)).save(folder / f"photo_{i:02d}.jpg", quality=92)
    return folder


def test_worse_model_is_reported_in_plain_words_and_not_used(qtbot, tmp_path, base_model_path):
    collection = make_split_collection(tmp_path / "family photos")
    tab = ft.FineTuneTab()
    qtbot.addWidget(tab)
    tab.resize(1280, 820)
    tab.add_base_model(base_model_path)
    tab.set_folder(collection)
    qtbot.waitUntil(lambda: tab.scan is not None, timeout=30_000)
    tab.advanced_toggle.setChecked(True)
    tab.steps_spin.setValue(12)
    tab.crop_combo.setCurrentIndex(tab.crop_combo.findData(64))
    tab.batch_spin.setValue(4)
    tab.val_spin.setValue(20)
    tab.lr_combo.setCurrentText("0.03")                          # learns the blue quickly
    tab.name_edit.setText("family")
    saved = []
    tab.model_saved.connect(saved.append)
    qtbot.mouseClick(tab.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.state == RunState.FINISHED, timeout=LONG)

    comparison = tab.session.comparison
    assert comparison["verdict"] == "worse" and comparison["after"] < comparison["before"] - 1.0
    text = tab.banner.label.text()
    assert tab.banner.kind == "warning" and "Colours got worse on your own photos" in text
    assert "keeps using “starter”" in text and "dB" not in text                 # plain words, not PSNR
    larger = round((10 ** ((comparison["before"] - comparison["after"]) / 20) - 1) * 100)
    assert f"colour errors about {larger} % larger" in text
    assert not saved and not [e for e in list_models() if e.source == "user"]   # the better one stays in use
    assert "worse" in tab.status_label.text() and "psnr" not in tab.status_label.text().lower()
    assert "further from the real ones" in tab.metrics_label.text() and "psnr" not in tab.metrics_label.text()
    # The previews side by side: each held-out photo as greyscale | before | after | original,
    # large enough to judge (issue 23: they were about 60 px in a large empty area).
    assert tab.preview.is_comparison() and tab.preview_combo.currentText() == "before and after"
    assert tab.preview.photos() == 2                                 # the 2 held-out photos
    per_row, side = tab.preview.layout_for(tab.preview.size())
    assert side >= 100, (per_row, side, tab.preview.size())
    assert not tab.preview.grab().isNull()
    # The banner's button really switches the view, and its label says what it will show.
    qtbot.mouseClick(tab.banner.button("Show the last preview only"), Qt.MouseButton.LeftButton)
    assert not tab.preview.is_comparison() and tab.preview_combo.currentText() == "step 12"
    assert tab.preview._headers == ("Greyscale input", "At step 12", "Original")
    qtbot.mouseClick(tab.banner.button("Compare before and after"), Qt.MouseButton.LeftButton)
    assert tab.preview.is_comparison() and tab.preview_combo.currentText() == "before and after"
    # The first preview is labelled as what it is: the starting model, not "Model now".
    tab.preview_combo.setCurrentIndex(0)
    tab.preview_combo.activated.emit(0)
    assert tab.preview._headers == ("Greyscale input", "Before training", "Original")
    assert tab.name_problem.isHidden()                           # the name is free: nothing was added

    qtbot.mouseClick(tab.banner.button("Keep it anyway"), Qt.MouseButton.LeftButton)
    assert saved == [str(user_models_dir() / "family.safetensors")]
    assert [e.name for e in list_models() if e.source == "user"] == ["family"]
    # Right after keeping it, the name box says so calmly, not with a red "already have" error.
    assert not tab.name_problem.isHidden() and "Saved as “family”" in tab.name_problem.text()
    assert "already" not in tab.name_problem.text() and "#c62828" not in tab.name_problem.styleSheet()


def test_held_out_comparison_in_words():
    history = [{"step": 0, "psnr": 26.23, "psnr_grey": 24.0}, {"step": 200, "psnr": 25.0},
               {"step": 400, "psnr": 24.63}]
    worse = compare_held_out(history)
    assert worse["verdict"] == "worse" and worse["change"] == pytest.approx(-1.6)
    words, kind = describe_comparison({**worse, "photos": 3}, "“colorizer-base”")
    assert kind == "warning" and "the 3 held-out photos" in words and "colour errors about 20 % larger" in words
    assert "dB" not in words
    better = compare_held_out([history[0], {"step": 400, "psnr": 27.5}])
    assert better["verdict"] == "better"
    assert "Colours got better" in describe_comparison(better)[0]
    assert compare_held_out([history[0], {"step": 9, "psnr": 26.26}])["verdict"] == "same"
    assert compare_held_out(history[:1]) is None
    assert plain_message("validation before training: loss 2.1831  psnr 26.2270  psnr_grey 24.1", "baseline") \
        .startswith("Measured how well the starting model colours")
    assert plain_message("checkpoint written", "checkpoint") == "Progress saved."
    assert plain_message("a note\ntraining on 9 photos", "notes") == "training on 9 photos"
