"""What a training run is told: `TrainSettings`, shared by `colorize-train` and fine-tuning.

Plain data with no torch, so the Fine-tune tab can read and change a session's settings
before anything trains; `engine.train` (the loop itself) re-exports it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass
class TrainSettings:
    train_dirs: list[str]
    out_dir: str
    val_dir: str | None = None
    val_share: float = 0.0           # held out of train_dirs when no val_dir is given
    base_model: str | None = None    # fine-tune from this model file; None = from scratch
    steps: int = 20000
    batch_size: int = 24
    crop_sizes: tuple[int, ...] = (128, 160, 192)
    lr: float = 1e-3
    weight_decay: float = 1e-4
    warmup_steps: int = 300
    decay_steps: int = 0             # cosine decay over the last N steps (0: 20 % of steps)
    rebalance_mix: float = 0.5       # 1 = plain cross-entropy; lower boosts rare colours more
    hint_share: float = 0.5          # share of samples given simulated hints
    ageing: float = 0.0              # share of samples whose input is aged like an old print
    group_balance: float = 0.0       # 0: photos drawn equally; 1: groups (MANIFEST.tsv) equally
    ema_decay: float = 0.999
    width: int = 32
    depth: int = 4
    hint_injection: bool = True
    # A pretrained encoder for a new network ("efficientnet-lite0"; "" = the 1.x U-Net); how much
    # of it learns (engine.encoder_net.ENCODER_TRAINING) and at what share of the learning rate.
    encoder: str = ""
    encoder_training: str = "all"
    encoder_lr_scale: float = 1.0
    seed: int = 0
    device: str = "auto"
    threads: int = 0                 # CPU threads; 0 = torch's default
    report_every: int = 10
    val_every: int = 500
    val_images: int = 48
    checkpoint_minutes: float = 5.0
    time_limit_s: float = 0.0        # stop (checkpoint, then export) after this many seconds; 0: none
    preload: bool = False            # keep the photos in GPU memory and make batches there
    short_side: int = 224            # photos are decoded once at this size
    name: str = "colorizer-custom"
    description: str = ""
    # Optional extras for interactive front ends (the Fine-tune tab); the defaults change nothing.
    preview_minutes: float = 0.0     # render held-out previews this often (0: never)
    preview_count: int = 4           # how many held-out photos the previews show
    validate_on_stop: bool = False   # validate once more when the generator is closed early

    @classmethod
    def from_dict(cls, data: dict) -> TrainSettings:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if "crop_sizes" in values:
            values["crop_sizes"] = tuple(values["crop_sizes"])
        return cls(**values)
