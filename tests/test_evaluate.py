"""colorize-eval and the metrics: real photos, a real tiny model, the grey baseline beside it."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image
from test_train import landscape

from engine.eval_cli import main as eval_main
from engine.evaluate import evaluate, random_true_hints
from engine.infer import Colorizer
from engine.metrics import ciede2000, colourfulness, psnr, ssim


@pytest.fixture
def val_folder(tmp_path):
    folder = tmp_path / "val"
    folder.mkdir()
    for i in range(3):
        Image.fromarray(landscape(i, (96, 64))).save(folder / f"v{i}.png")
    return folder


def test_metrics_on_known_images():
    a = landscape(0, (64, 48))
    assert psnr(a, a) > 90 and ssim(a, a) == pytest.approx(1.0) and ciede2000(a, a) == pytest.approx(0.0, abs=1e-3)
    grey = np.repeat(a.mean(axis=2, keepdims=True), 3, axis=2).astype(np.uint8)
    assert colourfulness(grey) < 0.5 < colourfulness(a)
    assert ciede2000(grey, a) > 5
    noisy = np.clip(a.astype(int) + 10, 0, 255).astype(np.uint8)
    assert 20 < psnr(noisy, a) < 30


def test_evaluate_reports_grey_baseline_model_and_hint_sweep(val_folder, tiny_model_path):
    colorizer = Colorizer(tiny_model_path, device="cpu")
    report = evaluate(colorizer, sorted(val_folder.glob("*.png")), hint_counts=(0, 1, 5), render_size=128)
    labels = [r.label for r in report.rows]
    assert labels == ["grey (a=b=0)", "model", "model + 1 hint", "model + 5 hints"]
    grey, model = report.row("grey (a=b=0)"), report.row("model")
    assert grey.colourfulness_ratio < 0.05
    assert model.metrics["colourfulness"] > grey.metrics["colourfulness"] + 1  # the tiny model paints orange
    assert report.truth_colourfulness > 10
    assert "grey (a=b=0)" in report.table()


def test_evaluating_other_temperatures_leaves_the_model_as_it_was(val_folder, tiny_model_path):
    """A temperature sweep decodes again; the Colorizer the app may share keeps its own temperature."""
    colorizer = Colorizer(tiny_model_path, device="cpu")
    own = colorizer.info.temperature
    photos = sorted(val_folder.glob("*.png"))[:1]
    report = evaluate(colorizer, photos, temperatures=(0.1, 2.0), render_size=64)
    assert colorizer.info.temperature == own
    assert report.row("model T=0.1").metrics != report.row("model T=2").metrics


def test_eval_cli_prints_json_and_a_grid(val_folder, tiny_model_path, tmp_path, capsys):
    grid = tmp_path / "grid.png"
    code = eval_main([str(val_folder), "--model", str(tiny_model_path), "--hints", "1", "--json",
                      "--render-size", "128", "--grid", str(grid), "--grid-photos", "2",
                      "--temperatures", "0.38,1.0"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["photos"] == 3
    assert {r["label"] for r in data["rows"]} == {"grey (a=b=0)", "model T=0.38", "model T=1", "model + 1 hint"}
    assert Image.open(grid).size == (3 * 256, 2 * 256)


def test_random_true_hints_carry_the_photos_colours():
    truth = landscape(3, (80, 60))
    hints = random_true_hints(truth, 5, np.random.default_rng(0))
    assert len(hints) == 5
    for h in hints:
        r, g, b = (int(h.color[i : i + 2], 16) for i in (1, 3, 5))
        px = truth[int(h.y), int(h.x)].astype(int)
        assert abs(r - px[0]) + abs(g - px[1]) + abs(b - px[2]) < 90


def test_evaluate_reports_each_group_and_their_mean_beside_grey(tmp_path, tiny_model_path, capsys):
    folder = tmp_path / "val"
    (folder / "street").mkdir(parents=True)
    for i in range(3):  # three of one group, one of the other: the mean over groups weighs them equally
        Image.fromarray(landscape(i, (96, 64))).save(folder / f"v{i}.png")
    Image.fromarray(landscape(7, (96, 64))[:, :, ::-1].copy()).save(folder / "street" / "s.png")
    (folder / "MANIFEST.tsv").write_text("file\tgroup\nv0.png\tlandscape\nv1.png\tlandscape\nv2.png\tlandscape\n")
    assert eval_main([str(folder), "--model", str(tiny_model_path), "--hints", "", "--json",
                      "--render-sizes", "64,128"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data["groups"]) == {"landscape", "street"}
    assert [r["photos"] for r in data["groups"]["landscape"]] == [3, 3, 3]
    labels = [r["label"] for r in data["mean_over_groups"]]
    assert labels == ["grey (a=b=0)", "model @64", "model @128"]
    for i in range(3):
        per_group = [data["groups"][g][i]["psnr"] for g in ("landscape", "street")]
        assert data["mean_over_groups"][i]["psnr"] == pytest.approx(np.mean(per_group))
    grey = data["mean_over_groups"][0]
    assert abs(grey["cast_a"]) < 60 and "cast_b" in grey  # grey's cast is minus the truth's mean colour
    street_grey = data["groups"]["street"][0]
    from engine.color import rgb_to_lab_np
    truth = np.asarray(Image.open(folder / "street" / "s.png").convert("RGB"), np.float32) / 255
    assert street_grey["cast_b"] == pytest.approx(-float(rgb_to_lab_np(truth)[..., 2].mean()), abs=0.5)
    assert eval_main([str(folder), "--model", str(tiny_model_path), "--hints", ""]) == 0
    table = capsys.readouterr().out
    assert "mean over groups" in table and "street" in table and "cast b" in table
