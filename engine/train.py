"""The training loop, shared by `colorize-train` and the Fine-tune tab.

`train()` is a generator: it yields a `StepReport` every few steps, so a command line can
print it and a GUI worker can plot it, pause (by not asking for the next report) or stop
(by closing the generator). Whatever ends the loop (finishing, Ctrl-C, close(), an error)
a checkpoint is written first, so no training time is ever lost.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from engine import distributed
from engine.ab_bins import nearest_bin, soft_encode
from engine.color import psnr_from_mse
from engine.files import atomic_write
from engine.model import ColorNet, UNetConfig, make_input
from engine.networks import build_network, encoder_config
from engine.photo_folder import group_of, read_groups, scan_folder
from engine.train_settings import TrainSettings
from engine.training_data import Batch, colour_prior, group_sampling_weights, make_batch, rebalancing_weights
from engine.weights import DEFAULT_TEMPERATURE, ModelInfo, load_model, save_model

CHECKPOINT_NAME = "checkpoint.pt"


@dataclass
class StepReport:
    step: int
    total_steps: int
    loss: float
    lr: float
    images_per_second: float
    eta_seconds: float
    elapsed_seconds: float
    val: dict | None = None          # validation metrics when this step ran them
    checkpoint: str | None = None    # path when a checkpoint was written at this step
    message: str = ""
    # What the message is about, for front ends that word it their own way (the message text is for
    # logs and may change): "reading", "notes", "extended" (a checkpoint gained the hint layers),
    # "baseline" (validation before training), "preview", "checkpoint" (written on request); "" for
    # a plain step.
    kind: str = ""
    # With settings.preview_minutes: one (size, 3*size, 3) uint8 strip per held-out photo:
    # greyscale input | current output | original.
    preview: list[np.ndarray] | None = None


@dataclass
class _State:
    step: int = 0
    elapsed: float = 0.0
    history: list[dict] = field(default_factory=list)


def learning_rate(step: int, s: TrainSettings) -> float:
    """Warm up, hold, then cosine-decay to a tenth over the last `decay_steps`."""
    if step < s.warmup_steps:
        return s.lr * (step + 1) / s.warmup_steps
    decay = s.decay_steps or max(1, s.steps // 5)
    start = s.steps - decay
    if step < start:
        return s.lr
    t = min(1.0, (step - start) / decay)
    return s.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * t)))


def colour_loss(logits: torch.Tensor, ab: torch.Tensor, bins: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Class-rebalanced cross-entropy against soft-encoded true colours at the output scale."""
    target_ab = F.avg_pool2d(ab, kernel_size=ab.shape[-1] // logits.shape[-1])
    target = soft_encode(target_ab, bins)
    pixel_weight = weights.to(logits.device)[nearest_bin(target_ab, bins)]
    ce = -(target * F.log_softmax(logits, dim=1)).sum(dim=1)
    return (ce * pixel_weight).mean()


def _val_batches(photos: list[np.ndarray], size: int = 176, batch: int = 16, stride: int = 16) -> list[Batch]:
    """Fixed centre crops with fixed hints-free inputs, so validation is comparable over time."""
    size = size // stride * stride
    gen = torch.Generator().manual_seed(1234)
    out = []
    for i in range(0, len(photos), batch):
        idx = list(range(i, min(i + batch, len(photos))))
        b = make_batch(photos, idx, size, gen, hint_share=0.0)
        out.append(b)
    return out


@torch.no_grad()
def validate(model: ColorNet, batches: list[Batch], bins: torch.Tensor, weights: torch.Tensor,
             device: torch.device, temperature: float = DEFAULT_TEMPERATURE) -> dict:
    """Loss plus PSNR (Lab-space ab error mapped to RGB) against the grey baseline."""
    from engine.color import lab_to_rgb

    was_training = model.training
    model.eval()
    losses, mse_model, mse_grey, colourful = [], [], [], []
    for b in batches:
        L, ab = b.L.to(device), b.ab.to(device)
        logits = model(make_input(L))
        losses.append(float(colour_loss(logits, ab, bins, weights)))
        pred = F.interpolate(model.decode(logits, temperature), size=L.shape[-2:], mode="bilinear", align_corners=False)
        truth = lab_to_rgb(torch.cat((L, ab), 1))
        out = lab_to_rgb(torch.cat((L, pred), 1))
        grey = lab_to_rgb(torch.cat((L, torch.zeros_like(ab)), 1))
        mse_model.append(float((out - truth).square().mean()))
        mse_grey.append(float((grey - truth).square().mean()))
        colourful.append(float(pred.norm(dim=1).mean() / ab.norm(dim=1).mean().clamp(min=1e-6)))
    model.train(was_training)

    return {
        "loss": float(np.mean(losses)),
        "psnr": psnr_from_mse(float(np.mean(mse_model))),
        "psnr_grey": psnr_from_mse(float(np.mean(mse_grey))),
        "chroma_ratio": float(np.mean(colourful)),
    }


@torch.no_grad()
def render_previews(model: ColorNet, photos: list[np.ndarray], device: torch.device, size: int = 192,
                    temperature: float = DEFAULT_TEMPERATURE) -> list[np.ndarray]:
    """Centre squares of `photos` as strips of greyscale input | model output | original (uint8)."""
    from engine.color import lab_to_rgb, rgb_to_lab

    size = max(model.config.stride, size // model.config.stride * model.config.stride)
    was_training = model.training
    model.eval()
    strips = []
    for img in photos:
        h, w = img.shape[:2]
        side = min(h, w)
        y, x = (h - side) // 2, (w - side) // 2
        square = np.ascontiguousarray(img[y : y + side, x : x + side])
        rgb = torch.from_numpy(square).permute(2, 0, 1)[None].float() / 255
        rgb = F.interpolate(rgb, size=(size, size), mode="bilinear", align_corners=False, antialias=True).clamp(0, 1)
        lab = rgb_to_lab(rgb)
        L = lab[:, :1]
        logits = model(make_input(L).to(device))
        ab = F.interpolate(model.decode(logits, temperature).float().cpu(), size=(size, size), mode="bilinear",
                           align_corners=False)
        out = lab_to_rgb(torch.cat((L, ab), 1))
        grey = lab_to_rgb(torch.cat((L, torch.zeros_like(ab)), 1))
        strip = torch.cat((grey, out, rgb), dim=3)[0].permute(1, 2, 0)
        strips.append((strip.clamp(0, 1) * 255 + 0.5).to(torch.uint8).numpy())
    model.train(was_training)
    return strips


def _load_photos(dirs: list[str], short_side: int) -> tuple[list[np.ndarray], list[str], list[str]]:
    """Decoded photos, their groups (from MANIFEST.tsv, else the sub-folder) and notes."""
    photos, groups, notes = [], [], []
    for d in dirs:
        scan, pixels = scan_folder(Path(d), short_side=short_side, keep_pixels=True)
        manifest = read_groups(Path(d))
        groups.extend(group_of(path, Path(d), manifest) for path in scan.usable)
        photos.extend(pixels)
        notes.append(f"{d}: {len(scan.usable)} photos used, {len(scan.skipped)} skipped")
        for reason, n in scan.skip_reasons().items():
            notes.append(f"  skipped {n}: {reason}")
    return photos, groups, notes


def checkpoint_path(settings: TrainSettings) -> Path:
    return Path(settings.out_dir) / CHECKPOINT_NAME


def read_checkpoint(path: Path) -> dict:
    # weights_only: a checkpoint is data; never let it run code.
    return torch.load(path, map_location="cpu", weights_only=True)


def train(settings: TrainSettings, resume: bool = False) -> Iterator[StepReport]:
    s = settings
    out_dir = Path(s.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if s.threads:
        torch.set_num_threads(s.threads)
    rank, world, device = distributed.setup(s.device)
    gen = torch.Generator().manual_seed(s.seed)
    torch.manual_seed(s.seed)

    ckpt = read_checkpoint(checkpoint_path(s)) if resume and checkpoint_path(s).exists() else None
    if ckpt is not None:
        saved = TrainSettings.from_dict(ckpt["settings"])
        # The architecture and data come from the checkpoint; schedule length may grow.
        s.width, s.depth, s.base_model = saved.width, saved.depth, saved.base_model
        s.hint_injection = saved.hint_injection
        s.encoder, s.encoder_training = saved.encoder, saved.encoder_training

    yield StepReport(0, s.steps, math.nan, 0.0, 0.0, math.nan, 0.0, message="reading photos", kind="reading")
    photos, groups, notes = _load_photos(s.train_dirs, s.short_side)
    if s.val_dir:
        val_photos, _, _ = _load_photos([s.val_dir], s.short_side)
        # Spread over the folder's sources rather than the first (alphabetical) one.
        val_photos = val_photos[:: max(1, len(val_photos) // max(s.val_images, 1))]
    else:
        order = np.random.default_rng(s.seed).permutation(len(photos))
        n_val = int(round(len(photos) * s.val_share))
        val_photos = [photos[i] for i in order[:n_val]]
        photos = [photos[i] for i in order[n_val:]]
        groups = [groups[i] for i in order[n_val:]]
    if len(photos) < 1:
        raise ValueError("no usable colour photos found in " + ", ".join(s.train_dirs))
    val_photos = val_photos[: s.val_images]
    sampling = group_sampling_weights(groups, s.group_balance) if s.group_balance > 0 else None
    if sampling is not None:
        counts = {g: groups.count(g) for g in sorted(set(groups))}
        notes.append("groups: " + ", ".join(f"{g} {n}" for g, n in counts.items())
                     + f" (sampling balance {s.group_balance:g})")
    yield StepReport(0, s.steps, math.nan, 0.0, 0.0, math.nan, 0.0,
                     message="\n".join(notes + [f"training on {len(photos)} photos, validating on {len(val_photos)}"]),
                     kind="notes")

    base_info = None
    if s.base_model:
        model, base_info = load_model(Path(s.base_model))
    else:
        model = new_network(s, pretrained=ckpt is None)
    if hasattr(model, "set_encoder_training"):
        model.set_encoder_training(s.encoder_training)
    model = model.to(device).to(memory_format=torch.channels_last).train()
    net = distributed.wrap(model, device)  # what the steps call; `model` is what is saved
    if net is not model and isinstance(net.module, ColorNet):
        model = net.module  # SyncBatchNorm conversion made a new module
    ema = build_network(model.config).to(device)
    ema.load_state_dict(model.state_dict())
    ema.eval().requires_grad_(False)
    bins = model.bins.to(device)

    optimizer = torch.optim.AdamW(_param_groups(model, s), lr=s.lr)

    state = _State()
    if ckpt is not None:
        added = _load_extended(model, ckpt["model"])
        _load_extended(ema, ckpt["ema"])
        if added:
            # The network gained layers since this checkpoint (e.g. hint injection): the old
            # optimizer state no longer lines up, so Adam restarts its statistics.
            yield StepReport(0, s.steps, math.nan, 0.0, 0.0, math.nan, 0.0,
                             message=f"checkpoint extended with new layers: {', '.join(sorted(added))}",
                             kind="extended")
        else:
            optimizer.load_state_dict(ckpt["optimizer"])
        prior = ckpt["prior"]
        gen.set_state(ckpt["rng"])
        state = _State(ckpt["step"], ckpt["elapsed"], list(ckpt["history"]))
    else:
        prior = colour_prior(photos, model.bins)
    weights = rebalancing_weights(prior, model.bins, mix=s.rebalance_mix).to(device)
    if s.preload and device.type != "cpu":
        # A GPU outruns the CPU's crop-making by far; with the (small) photos in its memory,
        # crops, hints and ageing happen there too and the CPU only draws random numbers.
        photos = [torch.from_numpy(p).to(device) for p in photos]
        torch.backends.cudnn.benchmark = True
    val_batches = _val_batches(val_photos, stride=model.config.stride) if val_photos else []
    first = None
    if ckpt is None and val_batches:
        first = validate(ema, val_batches, bins, weights, device)
        state.history.append({"step": 0, "elapsed": 0.0, "train_loss": None, **first})
    preview_photos = val_photos[: s.preview_count] if s.preview_minutes > 0 else []
    next_preview = time.monotonic()
    if preview_photos and ckpt is None:
        # The "before" picture: what the starting model makes of the held-out photos.
        yield StepReport(0, s.steps, math.nan, 0.0, 0.0, math.nan, 0.0, val=first,
                         preview=render_previews(ema, preview_photos, device),
                         message="validation before training: " + _format_metrics(first) if first else "preview",
                         kind="baseline" if first else "preview")
        next_preview = time.monotonic() + s.preview_minutes * 60
    data_counts = {"train_photos": len(photos), "val_photos": len(val_photos)}

    def save_checkpoint() -> Path:
        path = checkpoint_path(s)
        if rank != 0:
            return path
        with atomic_write(path) as f:
            torch.save({
                "model": model.state_dict(), "ema": ema.state_dict(), "optimizer": optimizer.state_dict(),
                "step": state.step, "elapsed": state.elapsed, "history": state.history,
                "settings": _plain(asdict(s)), "prior": prior, "rng": gen.get_state(),
                "base_info": base_info.to_metadata() if base_info else None,
                "data": data_counts,
            }, f)
        return path

    autocast = torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else nullcontext()
    last_ckpt = time.monotonic()
    window_start, window_images, running = time.monotonic(), 0, []
    stopped_early = False
    # A fixed wall-clock budget (a session, a 10-minute GPU lease) ends like a finished run.
    deadline = time.monotonic() + s.time_limit_s if s.time_limit_s > 0 else math.inf
    try:
        while state.step < s.steps and not distributed.any_rank(time.monotonic() >= deadline, device):
            t0 = time.monotonic()
            # Every random choice of a step comes from its step number (and each sample's from
            # its place in the global batch): a resumed run, and every process of a
            # distributed one, draws exactly what a single uninterrupted process would.
            step_gen = torch.Generator().manual_seed(_seed(s.seed, state.step))
            size = s.crop_sizes[int(torch.randint(len(s.crop_sizes), (1,), generator=step_gen))]
            # Keep the pixel count per step about constant across crop sizes.
            bsz = max(2, round(s.batch_size * (s.crop_sizes[0] / size) ** 2))
            if sampling is None:
                idx = torch.randint(len(photos), (bsz * world,), generator=step_gen).tolist()
            else:
                idx = torch.multinomial(sampling, bsz * world, replacement=True, generator=step_gen).tolist()
            mine = range(rank * bsz, (rank + 1) * bsz)
            gens = [torch.Generator().manual_seed(_seed(s.seed, state.step, slot)) for slot in mine]
            batch = make_batch(photos, [idx[i] for i in mine], size, gens, s.hint_share, s.ageing)
            x = make_input(batch.L_in, batch.hint_ab, batch.hint_mask).to(device)
            x = x.contiguous(memory_format=torch.channels_last)
            lr = learning_rate(state.step, s)
            for group in optimizer.param_groups:
                group["lr"] = lr * group.get("lr_scale", 1.0)
            with autocast:
                logits = net(x)
            loss = colour_loss(logits.float(), batch.ab.to(device), bins, weights)
            if not torch.isfinite(loss):
                raise FloatingPointError(f"the training loss became {float(loss)} at step {state.step}; "
                                         "try a lower learning rate")
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()
            with torch.no_grad():
                for pe, pm in zip(ema.parameters(), model.parameters()):
                    pe.lerp_(pm, 1 - s.ema_decay)
                for be, bm in zip(ema.buffers(), model.buffers()):
                    be.copy_(bm)
            state.step += 1
            state.elapsed += time.monotonic() - t0
            window_images += bsz * world
            running.append(loss.item())

            val = None
            if rank == 0 and val_batches and (state.step % s.val_every == 0 or state.step == s.steps):
                val = validate(ema, val_batches, bins, weights, device)
            saved_to = None
            if time.monotonic() - last_ckpt > s.checkpoint_minutes * 60:
                saved_to = str(save_checkpoint())
                last_ckpt = time.monotonic()
            if val is not None or state.step % s.report_every == 0 or state.step == s.steps or saved_to:
                now = time.monotonic()
                rate = window_images / max(now - window_start, 1e-6)
                mean_loss = float(np.mean(running)) if running else math.nan
                if val is not None:
                    state.history.append({"step": state.step, "elapsed": state.elapsed, "train_loss": mean_loss, **val})
                steps_per_s = rate / max(bsz, 1)
                preview = None
                if preview_photos and (now >= next_preview or state.step == s.steps):
                    preview = render_previews(ema, preview_photos, device)
                    next_preview = now + s.preview_minutes * 60
                # A front end may send "checkpoint" (e.g. when pausing): it is written at once and
                # answered with a report for the same step; plain iteration sends None.
                command = yield StepReport(state.step, s.steps, mean_loss, lr, rate,
                                           (s.steps - state.step) / max(steps_per_s, 1e-9), state.elapsed, val,
                                           saved_to, preview=preview)
                while command == "checkpoint":
                    path = save_checkpoint()
                    last_ckpt = time.monotonic()
                    command = yield StepReport(state.step, s.steps, math.nan, lr, 0.0, math.nan, state.elapsed,
                                               checkpoint=str(path), message="checkpoint written",
                                               kind="checkpoint")
                # Time spent outside the generator (a paused GUI) does not count against the speed.
                window_start, window_images, running = time.monotonic(), 0, []
    except GeneratorExit:
        stopped_early = True
        raise
    finally:
        if state.step > 0:
            last_val = state.history[-1]["step"] if state.history else None
            if stopped_early and s.validate_on_stop and val_batches and last_val != state.step:
                val = validate(ema, val_batches, bins, weights, device)
                mean_loss = float(np.mean(running)) if running else None
                state.history.append({"step": state.step, "elapsed": state.elapsed, "train_loss": mean_loss, **val})
            save_checkpoint()


def new_network(s: TrainSettings, pretrained: bool = True) -> ColorNet:
    """A network to train from scratch: the 1.x U-Net, or 2.x with its encoder's ImageNet weights."""
    if not s.encoder:
        return build_network(UNetConfig(base_channels=s.width, depth=s.depth, hint_injection=s.hint_injection))
    from engine.encoder import load_imagenet_weights

    model = build_network(encoder_config(s.width))
    if pretrained:  # a resumed run reads every weight from its checkpoint instead
        load_imagenet_weights(model.encoder)
    return model


def _param_groups(model: ColorNet, s: TrainSettings) -> list[dict]:
    """Weight decay on weights only (not biases or norms); the encoder at its own share of the rate."""
    groups: dict[tuple[bool, bool], list] = {}
    for name, p in model.named_parameters():
        if p.requires_grad:
            groups.setdefault((name.startswith("encoder."), p.ndim > 1), []).append(p)
    return [{"params": params, "weight_decay": s.weight_decay if decays else 0.0,
             "lr_scale": s.encoder_lr_scale if in_encoder else 1.0}
            for (in_encoder, decays), params in sorted(groups.items())]


def _seed(*parts: int) -> int:
    """A 63-bit seed from integers (settings seed, step, sample slot)."""
    h = 0x9E3779B97F4A7C15
    for p in parts:
        h = (h ^ (int(p) + 0x632BE59BD9B4E019 + (h << 6) + (h >> 2))) & 0x7FFFFFFFFFFFFFFF
    return h


def _load_extended(model: ColorNet, state: dict) -> set[str]:
    """Load a checkpoint into a network that may have gained zero-initialised hint layers."""
    result = model.load_state_dict(state, strict=False)
    added = {k.split(".")[0] for k in result.missing_keys}
    if result.unexpected_keys or added - {"hint_proj"}:
        raise ValueError(f"checkpoint does not fit the network: missing {result.missing_keys[:3]}, "
                         f"unexpected {result.unexpected_keys[:3]}")
    return added


def _format_metrics(metrics: dict) -> str:
    return "  ".join(f"{k} {v:.4f}" for k, v in metrics.items())


def _plain(d: dict) -> dict:
    """Settings as JSON-like values (tuples become lists) for a weights_only checkpoint."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}


def export_model(checkpoint: Path, dest: Path, *, name: str | None = None, description: str | None = None,
                 metrics: dict | None = None, licence: str = "", temperature: float = DEFAULT_TEMPERATURE,
                 training_extra: dict | None = None, prior_correction: float = 0.0) -> ModelInfo:
    """Turn a training checkpoint's averaged (EMA) weights into a shareable model file.

    `prior_correction` (0..1) takes back that share of the class rebalancing at decoding time.
    The rebalanced loss trains the network to over-predict rare colours in proportion to
    their loss weight w (that is what keeps it from sepia); subtracting lambda * log w from the
    head's bias divides that boost back out (logit adjustment, Menon et al. 2021), so unsure
    pixels drift towards the colours photos really have instead of purple. It lives in the
    weights, so every decoder, hint path and older app reads the corrected model unchanged.
    """
    ckpt = read_checkpoint(Path(checkpoint))
    s = TrainSettings.from_dict(ckpt["settings"])
    base = ModelInfo.from_metadata(ckpt["base_info"]) if ckpt.get("base_info") else None
    model = build_network(base.config) if base else new_network(s, pretrained=False)
    _load_extended(model, ckpt["ema"])
    if prior_correction:
        log_w = rebalancing_weights(ckpt["prior"], model.bins, mix=s.rebalance_mix).log()
        with torch.no_grad():
            model.head[-1].bias -= prior_correction * log_w.to(model.head[-1].bias)
        training_extra = {**(training_extra or {}), "prior_correction": prior_correction,
                          "rebalance_mix": s.rebalance_mix}
    history = ckpt["history"]
    info = ModelInfo(
        name=name or s.name,
        description=description if description is not None else s.description,
        config=model.config,
        temperature=temperature,
        training={
            "base_model": base.name if base else None,
            "data": [Path(d).name for d in s.train_dirs],
            "steps": ckpt["step"],
            "seconds": round(ckpt["elapsed"]),
            "batch_size": s.batch_size,
            "crop_sizes": list(s.crop_sizes),
            "validation_first": history[0] if history else None,
            "validation_last": history[-1] if history else None,
            **(ckpt.get("data") or {}),   # photo counts (checkpoints from before they were recorded lack them)
            **(training_extra or {}),
        },
        metrics=metrics or {},
        licence=licence or (base.licence if base else ""),
    )
    save_model(model, info, Path(dest))
    return info
