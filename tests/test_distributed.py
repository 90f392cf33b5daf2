"""Training on two processes with torchrun (gloo on this CPU), as a studio would on two GPUs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from PIL import Image
from test_train import landscape

from engine.model import ColorUNet, UNetConfig
from engine.train import TrainSettings, checkpoint_path, read_checkpoint
from engine.weights import load_model

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def photos(tmp_path) -> Path:
    folder = tmp_path / "photos"
    folder.mkdir()
    for i in range(12):
        Image.fromarray(landscape(i)).save(folder / f"p{i}.jpg", quality=92)
    return folder


def run_training(photos: Path, out: Path, *, processes: int, batch: int, steps: int, resume: bool = False) -> str:
    args = [str(photos), "--out", str(out), "--val-share", "0.2", "--steps", str(steps), "--crop-sizes", "64",
            "--width", "8", "--depth", "3", "--device", "cpu", "--threads", "1", "--lr", "1e-3",
            "--warmup-steps", "1", "--val-every", "1000", "--batch-size", str(batch)] + (["--resume"] if resume else [])
    if processes > 1:
        cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", str(processes),
               "--master-port", str(29500 + os.getpid() % 1000), "-m", "engine.train_cli", *args]
    else:
        cmd = [sys.executable, "-m", "engine.train_cli", *args]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done.stdout


def weights(out: Path) -> dict[str, torch.Tensor]:
    state = read_checkpoint(checkpoint_path(TrainSettings([], str(out))))["model"]
    return {k: v.float() for k, v in state.items() if v.is_floating_point() and "running" not in k}


def distance(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> float:
    return sum(float((a[k] - b[k]).square().sum()) for k in a) ** 0.5


def test_two_processes_train_like_one_with_the_same_global_batch_and_resume_on_one(photos, tmp_path):
    out = run_training(photos, tmp_path / "ddp", processes=2, batch=16, steps=6)
    assert out.count("step 6/6") == 1  # only rank 0 reports
    assert load_model(tmp_path / "ddp" / "model.safetensors")[1].training["steps"] == 6
    run_training(photos, tmp_path / "single", processes=1, batch=32, steps=6)
    run_training(photos, tmp_path / "half", processes=1, batch=16, steps=6)
    ddp, single, half = (weights(tmp_path / n) for n in ("ddp", "single", "half"))
    torch.manual_seed(0)  # what train() starts from: seed 0, then the network is built
    start = {k: v for k, v in ColorUNet(UNetConfig(base_channels=8, depth=3, hint_injection=True)).state_dict().items()
             if k in ddp}
    moved = distance(single, start)
    assert moved > 0.1
    # Gradients averaged over both processes' samples: the run lands near the single process
    # that saw the same 32 samples a step, nearer than a process that saw one half of them.
    # (Not equal: gloo has no SyncBatchNorm, so each process normalises its own 16.)
    assert distance(ddp, single) < 0.8 * distance(half, single)
    assert distance(ddp, single) < 0.75 * moved
    # The checkpoint is a plain single-network one: one process carries on from it.
    out = run_training(photos, tmp_path / "ddp", processes=1, batch=32, steps=9, resume=True)
    assert "step 9/9" in out
    assert read_checkpoint(checkpoint_path(TrainSettings([], str(tmp_path / "ddp"))))["step"] == 9
