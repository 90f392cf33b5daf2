"""What the Fine-tune form's choices mean (colorizer_gui/finetune/choices.py) and what the tab says
about the folder and the estimate (words.py), in plain Python: no Qt, no widgets, no process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from colorizer_gui.finetune.choices import (
    FEW_PHOTOS,
    MIN_PHOTOS,
    estimate_key,
    name_problem,
    parse_learning_rate,
    sentence,
    smaller_settings,
    suggest_name,
)
from colorizer_gui.finetune.words import describe_estimate, describe_scan
from engine.catalog import user_models_dir
from engine.finetune import FinetuneOptions
from engine.photo_folder import FolderScan

ROOT = Path(__file__).resolve().parents[1]


def take_name(name: str) -> None:
    """A user model of that name, as the model folder holds it."""
    user_models_dir().mkdir(parents=True, exist_ok=True)
    (user_models_dir() / f"{name}.safetensors").write_bytes(b"")


def test_the_choices_and_words_import_without_qt():
    code = ("import sys, colorizer_gui.finetune.choices, colorizer_gui.finetune.words; "
            "print('PySide6' in sys.modules)")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert run.returncode == 0 and run.stdout.strip() == "False", run.stderr


def test_the_suggested_name_is_the_folder_s_made_safe_and_free():
    assert suggest_name("family photos") == "family photos"
    assert suggest_name("Oma's/Opa's: 1960") == "Oma-s-Opa-s- 1960"        # no characters a file name refuses
    assert suggest_name("...") == "my-photos"                             # nothing left: a plain default
    assert len(suggest_name("x" * 80)) == 50
    take_name("family photos")
    assert suggest_name("family photos") == "family photos-2"
    take_name("family photos-2")
    assert suggest_name("family photos") == "family photos-3"
    assert suggest_name("colorizer-base") == "colorizer-base-2"           # the bundled model's name is taken too


def test_a_name_s_problem_is_a_sentence_and_a_free_name_has_none():
    assert name_problem("  ") == "Give the new model a name."
    bad = name_problem("bad/name")
    assert bad[0].isupper() and bad.endswith(".") and "letters, digits" in bad
    take_name("Holiday")
    assert "already have a model named “holiday”" in name_problem("holiday")   # case does not make it new
    assert name_problem(" summer 1962 ") == ""
    assert sentence(ValueError("the learning rate must be between 0 and 1")) == \
        "The learning rate must be between 0 and 1."


def test_the_learning_rate_is_read_from_the_box():
    assert parse_learning_rate("") is None and parse_learning_rate("   ") is None   # the preset's
    assert parse_learning_rate("5e-05 (recommended)") == pytest.approx(5e-5)      # an entry of the list
    assert parse_learning_rate("0.003") == pytest.approx(0.003)
    with pytest.raises(ValueError, match="'fast' is not a number"):
        parse_learning_rate("fast")
    for out_of_range in ("0", "1", "-1e-4", "2"):
        with pytest.raises(ValueError, match="between 0 and 1"):
            parse_learning_rate(out_of_range)


def test_an_estimate_is_kept_for_every_choice_but_the_name():
    options = FinetuneOptions(folder="/photos", base_model="/m/base.safetensors", name="one", steps=300)
    renamed = FinetuneOptions(folder="/photos", base_model="/m/base.safetensors", name="two", steps=300)
    longer = FinetuneOptions(folder="/photos", base_model="/m/base.safetensors", name="one", steps=600)
    assert estimate_key(options) == estimate_key(renamed)
    assert estimate_key(options) != estimate_key(longer)
    assert "one" not in estimate_key(options)


def test_after_running_out_of_memory_the_batch_halves_then_the_crops():
    assert smaller_settings({"batch_size": 16, "crop_sizes": [128, 192]}) == {"batch_size": 8}
    assert smaller_settings({"batch_size": 3}) == {"batch_size": 2}
    assert smaller_settings({"batch_size": 2, "crop_sizes": [128, 200]}) == {"crop_sizes": [64, 96]}
    assert smaller_settings({"batch_size": 2, "crop_sizes": [96]}) == {"crop_sizes": [64]}   # never below 64 px
    assert smaller_settings({}) == {"batch_size": 8}                                        # the default batch


def test_the_scan_says_what_is_usable_why_the_rest_is_skipped_and_what_is_held_out():
    usable = [Path(f"/p/{i}.jpg") for i in range(10)]
    skipped = [(Path("/p/g1.jpg"), "greyscale or toned"), (Path("/p/s.jpg"), "too small"),
               (Path("/p/g2.jpg"), "greyscale or toned")]
    text, tip = describe_scan(FolderScan(usable, skipped), 20)
    assert text.startswith("<b>10 usable colour photos</b>, 3 skipped:")
    assert text.index("2 greyscale or toned") < text.index("1 too small")      # the most common reason first
    assert "2 of them will be held out" in text and "Few photos" in text
    assert tip.splitlines() == ["g1.jpg: greyscale or toned", "s.jpg: too small", "g2.jpg: greyscale or toned"]

    many = [Path(f"/p/{i}.jpg") for i in range(FEW_PHOTOS)]
    text, tip = describe_scan(FolderScan(many, []), 10)
    assert "none skipped" in text and "10 of them will be held out" in text and "Few photos" not in text
    assert tip == ""
    text, _ = describe_scan(FolderScan(usable[: MIN_PHOTOS - 1], []), 20)
    assert "<b>1 usable colour photo</b>" in text and "too few to learn from" in text and "held out" not in text


def test_the_estimate_says_how_long_and_what_it_was_measured_from():
    est = {"total_seconds": 1500, "device": "CPU", "probe_steps": 4, "seconds_per_step": 0.25,
           "images_per_second": 64.0, "breakdown": {"training": 1380, "validation": 120}}
    text, tip = describe_estimate(est)
    assert text == ("Estimated time: <b>25 min</b> on CPU, measured from 4 real training steps "
                    "(0.25 s per step, 64 crops/s).")
    assert tip == "training: 23 min\nvalidation: 2 min"
