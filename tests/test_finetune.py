"""Fine-tuning engine: presets, estimates, sessions that pause, stop, resume and save a model."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from engine import finetune
from engine.catalog import list_models, user_models_dir
from engine.finetune import (
    PRESETS,
    FinetuneOptions,
    Session,
    create_session,
    describe_failure,
    estimate_duration,
    find_resumable,
    make_settings,
    run_session,
)
from engine.photo_folder import scan_folder
from engine.train import TrainSettings, read_checkpoint, render_previews, train
from engine.weights import read_model_info


def make_collection(folder: Path, n_colour: int = 10, *, n_grey: int = 2, n_small: int = 1,
                    n_broken: int = 1, size: tuple[int, int] = (176, 144)) -> Path:
    """A folder like a user's: colourful photos plus greyscale, too-small and unreadable files."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    w, h = size
    y, x = np.mgrid[0:h, 0:w].astype(float)
    zero = np.zeros_like(x)
    for i in range(n_colour):
        # Sky-like top, grass-like bottom, a warm blob: colour that follows the lightness.
        sky = np.stack([0.35 + 0.2 * x / w, zero + 0.55 + 0.1 * np.sin(i), 0.9 - 0.1 * y / h], -1)
        grass = np.stack([zero + 0.2 + 0.1 * np.cos(i), 0.5 + 0.2 * x / w, 0.15 + 0.05 * y / h], -1)
        img = np.where((y < h * (0.4 + 0.05 * (i % 3)))[..., None], sky, grass)
        blob = ((x - w * (0.3 + 0.04 * i)) ** 2 + (y - h * 0.6) ** 2) < (h * 0.15) ** 2
        img[blob] = (0.85, 0.35, 0.2)
        img = np.clip(img + rng.normal(0, 0.02, img.shape), 0, 1)
        Image.fromarray((img * 255).astype(np.uint8)).save(folder / f"colour_{i:02d}.jpg", quality=92)
    for i in range(n_grey):
        grey = (np.clip(0.2 + 0.6 * y / h + rng.normal(0, 0.02, y.shape), 0, 1) * 255).astype(np.uint8)
        Image.fromarray(grey).convert("RGB").save(folder / f"grey_{i}.jpg")
    for i in range(n_small):
        Image.fromarray(np.full((40, 50, 3), (200, 50, 30), np.uint8)).save(folder / f"small_{i}.png")
    for i in range(n_broken):
        (folder / f"broken_{i}.jpg").write_bytes(b"not really a jpeg")
    return folder


@pytest.fixture(autouse=True)
def one_thread(monkeypatch):
    """Training tests share a small machine (often with a real training run): one thread each
    avoids oversubscribing the cores, which slows every process down several times."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")       # for worker processes
    monkeypatch.setenv("COLORIZER_TRAIN_NICE", "0")
    yield
    torch.set_num_threads(before)


@pytest.fixture
def collection(tmp_path) -> Path:
    return make_collection(tmp_path / "family photos")


def tiny_options(collection: Path, base: Path, **kw) -> FinetuneOptions:
    values = {"folder": str(collection), "base_model": str(base), "name": "family", "steps": 12,
              "crop_size": 64, "batch_size": 4, "val_share": 0.2}
    values.update(kw)
    return FinetuneOptions(**values)


class Script:
    """`next_command` for run_session: answers from a list, keyed on the step reached."""

    def __init__(self, plan: dict[int, str], then: str | None = None):
        self.plan, self.then, self.step = dict(plan), then, 0

    def observe(self, event: dict) -> dict:
        if event["event"] in ("progress", "loss", "paused"):
            self.step = event["step"]
        return event

    def __call__(self, block: bool) -> str | None:
        for step in sorted(self.plan):
            if self.step >= step:
                return self.plan.pop(step)
        if block:
            return self.then or finetune.RESUME
        return None


def run(session: Session, script: Script, resume: bool = False) -> list[dict]:
    return [script.observe(e) for e in run_session(session, resume=resume, next_command=script)]


def test_presets_are_realistic_and_advanced_fields_override(collection, tiny_model_path):
    quick = make_settings(FinetuneOptions(str(collection), str(tiny_model_path), "m"), "/tmp/out")
    assert quick.steps == PRESETS["quick"].steps and quick.crop_sizes == (128,)
    assert quick.lr < TrainSettings([], "").lr                    # gentler than training from scratch
    assert quick.ema_decay <= 1 - 10 / quick.steps + 1e-9         # the average follows a short run
    assert quick.warmup_steps < quick.steps // 10
    assert quick.val_share == pytest.approx(0.1) and quick.validate_on_stop and quick.preview_minutes > 0
    thorough = make_settings(FinetuneOptions(str(collection), str(tiny_model_path), "m", preset="thorough"), "/o")
    assert thorough.steps > PRESETS["standard"].steps > quick.steps
    custom = make_settings(tiny_options(collection, tiny_model_path, lr=5e-5), "/o")
    assert (custom.steps, custom.crop_sizes, custom.batch_size, custom.lr) == (12, (64,), 4, 5e-5)
    with pytest.raises(ValueError):
        make_settings(tiny_options(collection, tiny_model_path, preset="ludicrous"), "/o")


def test_estimate_is_measured_from_real_steps(collection, tiny_model_path):
    settings = make_settings(tiny_options(collection, tiny_model_path, steps=300), "/unused")
    scan = scan_folder(collection)
    est = estimate_duration(settings, scan.usable[:4], n_files=14, n_usable=len(scan.usable), probe_steps=3)
    assert est.probe_steps == 3
    assert est.seconds_per_step > 0 and est.images_per_second > 0
    assert est.total_seconds > 300 * est.seconds_per_step        # plus reading, validating, saving
    assert "CPU" in est.device and "real steps" in est.summary()


def test_train_answers_checkpoint_requests_and_validates_on_stop(collection, tiny_model_path, tmp_path):
    settings = make_settings(tiny_options(collection, tiny_model_path, steps=50), tmp_path / "run")
    gen = train(settings)
    report = next(gen)
    while report.step < 3:
        report = next(gen)
    saved = gen.send("checkpoint")
    assert saved.checkpoint and saved.step == 3 and read_checkpoint(Path(saved.checkpoint))["step"] == 3
    report = next(gen)
    assert report.step == 4                                       # training simply carries on
    gen.close()
    ckpt = read_checkpoint(tmp_path / "run" / "checkpoint.pt")
    assert ckpt["step"] == 4
    assert [h["step"] for h in ckpt["history"]][-1] == 4          # validated when stopped
    assert ckpt["data"] == {"train_photos": 8, "val_photos": 2}


def test_previews_show_grey_input_output_and_truth(tiny_model_path):
    from engine.weights import load_model

    model, _ = load_model(tiny_model_path)
    photo = np.zeros((120, 150, 3), np.uint8)
    photo[..., 2] = 200                                           # a blue photo
    strips = render_previews(model, [photo], torch.device("cpu"), size=96)
    strip = strips[0]
    assert strip.shape == (96, 288, 3) and strip.dtype == np.uint8
    grey, out, truth = strip[:, :96].astype(int), strip[:, 96:192].astype(int), strip[:, 192:].astype(int)
    assert np.abs(grey[..., 0] - grey[..., 2]).max() <= 2           # no colour in the input
    assert truth[..., 2].mean() > truth[..., 0].mean() + 100        # the original is blue
    assert out[..., 0].mean() > out[..., 2].mean()                   # the tiny model paints orange


def test_session_pause_stop_resume_and_finish(collection, tiny_model_path, tmp_path, make_photo):
    session = create_session(tiny_options(collection, tiny_model_path))
    events = run(session, Script({3: finetune.PAUSE, 5: finetune.STOP}))
    kinds = [e["event"] for e in events]
    assert kinds.index("paused") < kinds.index("resumed") < kinds.index("stopped")
    assert "val" in kinds and "preview" in kinds and "loss" in kinds
    stopped_at = events[-1]["step"]
    assert 5 <= stopped_at < 12 and events[-1]["resumable"]

    # After a restart: the session is found, and training continues from its checkpoint.
    (found,) = find_resumable()
    assert found.dir == session.dir and found.step == stopped_at and found.status == "stopped"
    resumed = run(found, Script({}), resume=True)
    first = next(e for e in resumed if e["event"] == "progress")
    assert first["step"] == stopped_at + 1
    assert resumed[-1]["event"] == "finished"
    saved = Path(resumed[-1]["path"])
    assert saved.parent == user_models_dir() and saved.stem == "family"
    assert not Session.load(session.dir).resumable and not find_resumable()

    info = read_model_info(saved)
    assert info.name == "family" and "tiny" in info.description
    assert info.training["base_model"] == "tiny" and info.training["folder"] == "family photos"
    assert info.training["train_photos"] == 8 and info.training["val_photos"] == 2 and info.training["steps"] == 12
    assert info.metrics["held_out_before"]["step"] == 0 and info.metrics["held_out_after"]["step"] == 12
    logged = [e["event"] for e in Session.load(session.dir).events()]
    assert {"loss", "val", "preview", "saved"} <= set(logged)

    # It is a model like any other: listed for the CLI and the app, and it colorizes.
    assert "family" in [e.name for e in list_models() if e.source == "user"]
    from engine.infer import Colorizer

    result = Colorizer("family").colorize(make_photo("old.jpg", size=(80, 64)))
    assert result.rgb.shape == (64, 80, 3)


def test_save_while_stopping_keeps_the_model_so_far(collection, tiny_model_path):
    session = create_session(tiny_options(collection, tiny_model_path, name="partial"))
    events = run(session, Script({4: finetune.SAVE}))
    saved = next(e for e in events if e["event"] == "saved")
    assert not saved["final"] and Path(saved["path"]).is_file()
    info = read_model_info(Path(saved["path"]))
    assert info.metrics["held_out_after"]["step"] == saved["step"]  # validated at the stop
    assert Session.load(session.dir).resumable                      # and can still be continued


def test_discard_removes_the_session(collection, tiny_model_path):
    session = create_session(tiny_options(collection, tiny_model_path, name="gone"))
    events = run(session, Script({2: finetune.DISCARD}))
    assert events[-1]["event"] == "discarded" and not session.dir.exists()
    assert not any(e.source == "user" for e in list_models())


def test_existing_model_name_gets_a_new_name(collection, tiny_model_path):
    user_models_dir().mkdir(parents=True)
    (user_models_dir() / "family.safetensors").write_bytes(tiny_model_path.read_bytes())
    session = create_session(tiny_options(collection, tiny_model_path, steps=3))
    events = run(session, Script({}))
    assert Path(events[-1]["path"]).name == "family-2.safetensors"


def test_failures_become_messages_with_advice(collection, tiny_model_path):
    settings = make_settings(tiny_options(collection, tiny_model_path), "/o")
    oom = describe_failure(RuntimeError("CUDA out of memory. Tried to allocate 2 GiB"), settings)
    assert oom["kind"] == "memory" and "smaller batch size or crop size" in oom["advice"]
    assert "64 px" in oom["message"]
    cpu = describe_failure(RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried..."), settings)
    assert cpu["kind"] == "memory"
    assert describe_failure(FloatingPointError("loss became nan"))["kind"] == "diverged"

    empty = make_collection(collection.parent / "greys", n_colour=0)
    session = create_session(tiny_options(empty, tiny_model_path, name="empty"))
    events = run(session, Script({}))
    assert events[-1]["event"] == "error" and events[-1]["kind"] == "data"
    assert "no usable colour photos" in events[-1]["message"]


def test_create_session_refuses_bad_choices(collection, tiny_model_path, tmp_path):
    from engine.devices import DeviceError
    from engine.weights import ModelError

    with pytest.raises(ModelError):
        create_session(tiny_options(collection, tiny_model_path, name="../evil"))
    with pytest.raises(ModelError):
        create_session(tiny_options(collection, tmp_path / "missing.safetensors"))
    with pytest.raises(ValueError):
        create_session(tiny_options(tmp_path / "nowhere", tiny_model_path))
    if not torch.cuda.is_available():
        with pytest.raises(DeviceError):
            create_session(tiny_options(collection, tiny_model_path, device="cuda"))


def test_worker_process_speaks_json_lines(collection, tiny_model_path):
    """The child process the tab starts: events out, commands in, a clean exit."""
    import os
    import subprocess

    session = create_session(tiny_options(collection, tiny_model_path, steps=4))
    cmd, env = finetune.worker_command("train", str(session.dir))
    assert cmd[0] == sys.executable
    proc = subprocess.run(cmd, input="", capture_output=True, text=True, env={**os.environ, **env}, timeout=240)
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    # stdin closed at once (as when the app quits): it stops cleanly at the first chance.
    assert proc.returncode == 0, proc.stderr
    assert events[-1]["event"] == "stopped"


def test_fine_tuning_a_2x_model_keeps_its_architecture_and_early_imagenet_layers(collection, tmp_path):
    from engine.model import make_input
    from engine.networks import build_network, encoder_config
    from engine.weights import ModelInfo, load_model, save_model

    torch.manual_seed(0)
    base = tmp_path / "v2.safetensors"
    save_model(build_network(encoder_config(8)).eval(), ModelInfo(name="v2"), base)
    session = create_session(tiny_options(collection, base, steps=3, name="v2-family"))
    events = run(session, Script({}))
    assert events[-1]["event"] == "finished"
    tuned, info = load_model(Path(events[-1]["path"]))
    assert info.config.encoder == "efficientnet-lite0" and info.training["base_model"] == "v2"
    original, _ = load_model(base)
    # "late": the stem and the high-resolution stages are not worn away by a few hundred photos.
    assert torch.equal(tuned.encoder.stem[0].weight, original.encoder.stem[0].weight)
    last = (tuned.encoder.stages[6][0].project[0].weight, original.encoder.stages[6][0].project[0].weight)
    assert not torch.equal(*last)
    with torch.no_grad():
        assert torch.isfinite(tuned(make_input(torch.rand(1, 1, 64, 64) * 100))).all()
