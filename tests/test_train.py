"""Training library and colorize-train: a tiny model trained for real on generated photos."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from engine.ab_bins import annealed_mean, in_gamut_bins, soft_encode
from engine.photo_folder import scan_folder
from engine.train import TrainSettings, checkpoint_path, export_model, learning_rate, read_checkpoint, train
from engine.train_cli import main as train_main
from engine.training_data import colour_prior, rebalancing_weights, simulate_hints
from engine.weights import load_model


def landscape(seed: int, size=(192, 144)) -> np.ndarray:
    """A synthetic colour 'landscape': blue sky over green grass, with texture."""
    rng = np.random.default_rng(seed)
    w, h = size
    img = np.zeros((h, w, 3), np.float32)
    horizon = int(h * rng.uniform(0.35, 0.65))
    img[:horizon] = [70, 130, 220]
    img[horizon:] = [60, 150, 50]
    img *= rng.uniform(0.7, 1.1, (h, 1, 1))
    img += rng.normal(0, 8, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


@pytest.fixture
def photo_folder(tmp_path) -> Path:
    folder = tmp_path / "photos"
    (folder / "sub").mkdir(parents=True)
    for i in range(10):
        Image.fromarray(landscape(i)).save(folder / ("sub" if i % 2 else ".") / f"p{i}.jpg", quality=92)
    Image.fromarray(np.full((144, 192), 128, np.uint8)).save(folder / "grey.png")
    Image.fromarray(landscape(99, (60, 40))).save(folder / "small.png")
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff garbage")
    return folder


def tiny_settings(folder: Path, out: Path, **kw) -> TrainSettings:
    base = dict(train_dirs=[str(folder)], out_dir=str(out), val_share=0.2, steps=30, batch_size=6,
                crop_sizes=(64, 96), lr=3e-3, warmup_steps=5, width=8, depth=3, val_every=10,
                report_every=5, val_images=4, checkpoint_minutes=60, short_side=128, device="cpu")
    base.update(kw)
    return TrainSettings(**base)


def test_scan_folder_sorts_usable_and_skipped_with_reasons(photo_folder):
    scan = scan_folder(photo_folder, min_side=64)
    assert len(scan.usable) == 10
    reasons = {p.name: r for p, r in scan.skipped}
    assert reasons["grey.png"] == "greyscale or toned"
    assert reasons["broken.jpg"] == "not a readable image"
    assert reasons["small.png"].startswith("too small")


def test_training_lowers_the_loss_and_validates(photo_folder, tmp_path):
    everything = list(train(tiny_settings(photo_folder, tmp_path / "run", steps=60)))
    # A report with a message says what it is about, so the Fine-tune tab need not read the words.
    kinds = [r.kind for r in everything if r.message]
    assert kinds[:2] == ["reading", "notes"] and set(kinds) <= {"reading", "notes", "extended", "baseline", "preview"}
    reports = [r for r in everything if not r.message]
    assert all(r.kind == "" for r in reports)
    losses = [r.loss for r in reports]
    assert reports[-1].step == 60
    assert np.mean(losses[-3:]) < 0.8 * losses[0]
    vals = [r.val for r in reports if r.val]
    assert len(vals) == 6 and all(math.isfinite(v["psnr"]) for v in vals)
    assert all(r.images_per_second > 0 for r in reports)
    assert checkpoint_path(tiny_settings(photo_folder, tmp_path / "run")).exists()


def test_stop_and_resume_continue_from_the_checkpoint(photo_folder, tmp_path):
    settings = tiny_settings(photo_folder, tmp_path / "run", steps=40)
    gen = train(settings)
    for r in gen:
        if r.step >= 15:
            break
    gen.close()  # what Stop in the GUI and Ctrl-C in the CLI do
    ckpt = read_checkpoint(checkpoint_path(settings))
    assert ckpt["step"] == 15
    resumed = [r for r in train(tiny_settings(photo_folder, tmp_path / "run", steps=40), resume=True)
               if not r.message]
    assert resumed[0].step > 15 and resumed[-1].step == 40
    assert read_checkpoint(checkpoint_path(settings))["step"] == 40


def test_export_writes_a_loadable_model_with_training_metadata(photo_folder, tmp_path):
    settings = tiny_settings(photo_folder, tmp_path / "run", steps=12)
    list(train(settings))
    info = export_model(checkpoint_path(settings), tmp_path / "m.safetensors", name="mine", description="test")
    model, loaded = load_model(tmp_path / "m.safetensors")
    assert loaded.name == "mine" and loaded.training["steps"] == 12
    assert loaded.training["validation_last"]["psnr"] == info.training["validation_last"]["psnr"]
    assert model.config.base_channels == 8


def test_fine_tuning_starts_from_the_base_model(photo_folder, tmp_path, tiny_model_path):
    settings = tiny_settings(photo_folder, tmp_path / "ft", steps=6, base_model=str(tiny_model_path), width=32)
    list(train(settings))
    info = export_model(checkpoint_path(settings), tmp_path / "ft.safetensors")
    assert info.training["base_model"] == "tiny"
    assert info.config.base_channels == 8  # the base model's architecture, not the width setting


def test_cli_trains_and_exports(photo_folder, tmp_path, capsys):
    out = tmp_path / "cli"
    code = train_main([str(photo_folder), "--out", str(out), "--val-share", "0.2", "--steps", "8",
                       "--batch-size", "4", "--crop-sizes", "64", "--width", "8", "--depth", "3",
                       "--device", "cpu", "--name", "cli-model"])
    assert code == 0
    text = capsys.readouterr().out
    assert "step 8/8" in text and "skipped 1: greyscale or toned" in text
    assert load_model(out / "model.safetensors")[1].name == "cli-model"
    assert (out / "log.jsonl").read_text().count("\n") >= 1


def test_learning_rate_warms_up_holds_and_decays():
    s = TrainSettings(train_dirs=[], out_dir="", steps=1000, lr=1e-3, warmup_steps=100, decay_steps=200)
    assert learning_rate(0, s) == pytest.approx(1e-5)
    assert learning_rate(500, s) == pytest.approx(1e-3)
    assert learning_rate(999, s) == pytest.approx(1e-4, rel=0.01)
    assert learning_rate(900, s) < learning_rate(850, s) < 1e-3


def test_rebalancing_boosts_rare_colours():
    bins = in_gamut_bins()
    prior = torch.full((len(bins),), 1e-6)
    prior[bins.norm(dim=1).argmin()] = 1.0  # nearly everything grey
    prior /= prior.sum()
    w = rebalancing_weights(prior, bins, mix=0.5)
    grey = bins.norm(dim=1).argmin()
    assert w[grey] < 0.5 * w.max()
    assert torch.allclose(rebalancing_weights(prior, bins, mix=1.0), torch.ones(len(bins)), atol=1e-4)


def test_colour_prior_counts_the_photos_colours():
    bins = in_gamut_bins()
    prior = colour_prior([landscape(0)], bins, sample_every=2)
    assert prior.sum() == pytest.approx(1.0)
    sky, grass = torch.tensor([[10.0, -45.0]]), torch.tensor([[-45.0, 45.0]])
    assert prior[torch.cdist(sky, bins).argmin()] + prior[torch.cdist(grass, bins).argmin()] > 0.02


def test_simulated_hints_reveal_true_colours_in_about_half_the_samples():
    gen = torch.Generator().manual_seed(0)
    ab = torch.randn(200, 2, 32, 32) * 20
    hint_ab, mask = simulate_hints(ab, gen)
    with_hints = mask.flatten(1).sum(1) > 0
    assert 0.35 < with_hints.float().mean() < 0.65
    i = int(with_hints.nonzero()[0])
    revealed = mask[i, 0] > 0
    # A single-pixel hint equals the true colour there; larger patches hold their mean.
    assert hint_ab[i, :, revealed].abs().sum() > 0
    assert (hint_ab[~with_hints] == 0).all()


def test_soft_encoding_and_annealed_mean_recover_a_colour():
    bins = in_gamut_bins()
    ab = torch.tensor([30.0, -20.0]).view(1, 2, 1, 1).expand(1, 2, 4, 4).contiguous()
    target = soft_encode(ab, bins)
    assert torch.allclose(target.sum(1), torch.ones(1, 4, 4))
    decoded = annealed_mean(torch.log(target + 1e-12), bins, temperature=1.0)
    assert torch.allclose(decoded, ab, atol=2.0)


def test_hint_injection_layers_extend_a_trained_network_without_changing_it():
    from engine.model import ColorUNet, UNetConfig, make_input
    from engine.train import _load_extended

    torch.manual_seed(0)
    old = ColorUNet(UNetConfig(base_channels=8, depth=3, max_channels=32)).eval()
    new = ColorUNet(UNetConfig(base_channels=8, depth=3, max_channels=32, hint_injection=True)).eval()
    assert _load_extended(new, old.state_dict()) == {"hint_proj"}
    L = torch.rand(1, 1, 64, 64) * 100
    hint_ab = torch.zeros(1, 2, 64, 64)
    mask = torch.zeros(1, 1, 64, 64)
    hint_ab[:, :, 30:33, 30:33] = 50.0
    mask[:, :, 30:33, 30:33] = 1.0
    x = make_input(L, hint_ab, mask)
    with torch.no_grad():
        assert torch.equal(new(x), old(x))  # zero-initialised: nothing changes until trained
        new.hint_proj[-1].weight.normal_()
        changed = (new(x) - old(x)).abs().sum(dim=1)[0]
    assert changed[7, 7] > 0 and changed[0, 0] == 0  # only the cell holding the hint moves
    with pytest.raises(ValueError):
        _load_extended(old, new.state_dict())  # the other way round is not an extension


def test_time_limit_ends_the_run_like_a_finished_one(photo_folder, tmp_path, capsys):
    out = tmp_path / "run"
    code = train_main([str(photo_folder), "--out", str(out), "--steps", "100000", "--batch-size", "4",
                       "--crop-sizes", "64", "--width", "8", "--depth", "3", "--val-share", "0.2",
                       "--time-limit", "2", "--device", "cpu", "--ageing", "0.5", "--group-balance", "1"])
    assert code == 0
    steps = read_checkpoint(checkpoint_path(TrainSettings([], str(out))))["step"]
    assert 0 < steps < 100000
    model, info = load_model(out / "model.safetensors")
    assert info.training["steps"] == steps


def test_prior_correction_divides_the_rebalancing_boost_out_of_the_exported_model(photo_folder, tmp_path):
    out = tmp_path / "run"
    for _ in train(tiny_settings(photo_folder, out, steps=4, rebalance_mix=0.5)):
        pass
    export_model(checkpoint_path(tiny_settings(photo_folder, out)), tmp_path / "a.safetensors")
    plain, _ = load_model(tmp_path / "a.safetensors")
    info = export_model(checkpoint_path(tiny_settings(photo_folder, out)), tmp_path / "b.safetensors",
                        prior_correction=1.0)
    corrected, _ = load_model(tmp_path / "b.safetensors")
    assert info.training["prior_correction"] == 1.0
    ckpt = read_checkpoint(checkpoint_path(tiny_settings(photo_folder, out)))
    log_w = rebalancing_weights(ckpt["prior"], plain.bins, mix=0.5).log()
    x = torch.randn(2, 4, 64, 64)
    with torch.no_grad():
        shift = corrected.eval()(x) - plain.eval()(x)
    # float16 storage rounds the bias a little; the shift is -log w for every pixel
    assert torch.allclose(shift, -log_w.view(1, -1, 1, 1).expand_as(shift), atol=2e-2)
    # Rare (boosted) colours lose probability, common ones gain it.
    assert log_w.argmax() != log_w.argmin()
