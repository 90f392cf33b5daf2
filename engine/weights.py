"""Model files: safetensors weights with JSON metadata, loaded without running any code.

A model file is untrusted input (users import files they downloaded), so only tensors and
strings are read: safetensors cannot carry pickled objects.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from safetensors import SafetensorError

from engine.errors import ModelError, ModelRejected
from engine.files import atomic_write
from engine.model_config import ENCODERS, UNetConfig

if TYPE_CHECKING:  # torch loads only to build or save a network: listing models stays instant
    import torch

    from engine.model import ColorNet

FORMAT = "colorizer-model"
FORMAT_VERSION = "1"
MODEL_SUFFIX = ".safetensors"
DEFAULT_TEMPERATURE = 0.38


@dataclass
class ModelInfo:
    name: str
    description: str = ""
    config: UNetConfig = field(default_factory=UNetConfig)
    temperature: float = DEFAULT_TEMPERATURE  # annealed-mean decoding, see ab_bins
    training: dict = field(default_factory=dict)  # data, steps, time, base model
    metrics: dict = field(default_factory=dict)
    licence: str = ""
    hints_trained: bool = True

    def to_metadata(self) -> dict[str, str]:
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "name": self.name,
            "description": self.description,
            "config": json.dumps(self.config.to_dict()),
            "temperature": repr(float(self.temperature)),
            "training": json.dumps(self.training),
            "metrics": json.dumps(self.metrics),
            "licence": self.licence,
            "hints_trained": "1" if self.hints_trained else "0",
        }

    @classmethod
    def from_metadata(cls, meta: dict[str, str]) -> ModelInfo:
        if meta.get("format") != FORMAT:
            raise ModelRejected("this file is not a Colorizer model (its metadata does not say so)")
        if meta.get("format_version") != FORMAT_VERSION:
            raise ModelRejected(f"model format version {meta.get('format_version')!r} is not supported by this version")
        try:
            config = UNetConfig(**json.loads(meta["config"]))
            return cls(
                name=meta.get("name", ""),
                description=meta.get("description", ""),
                config=config,
                temperature=float(meta.get("temperature", DEFAULT_TEMPERATURE)),
                training=json.loads(meta.get("training", "{}")),
                metrics=json.loads(meta.get("metrics", "{}")),
                licence=meta.get("licence", ""),
                hints_trained=meta.get("hints_trained", "1") == "1",
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelRejected(f"the model's metadata is damaged ({exc})") from exc
        except RecursionError as exc:  # a hostile file: JSON nested thousands deep
            raise ModelRejected(_TOO_DEEP) from exc


def save_model(model: ColorNet, info: ModelInfo, path: Path, *, half: bool = True) -> None:
    """Write atomically: a crash mid-save never leaves a half-written model behind.

    Weights are stored as float16 by default: half the download, no visible difference
    (loading converts back to float32).
    """
    from safetensors.torch import save

    path = Path(path)
    info.config = model.config
    tensors = {}
    for k, v in model.state_dict().items():
        v = v.detach().to("cpu")
        # Batch-norm statistics can exceed float16's range (65504): keep them in float32.
        small = half and v.is_floating_point() and "running_" not in k
        tensors[k] = (v.half() if small else v).contiguous()
    with atomic_write(path) as f:
        f.write(save(tensors, metadata=info.to_metadata()))


# Pickle-based checkpoints (torch.save) can run arbitrary code when loaded; they are refused.
PICKLE_SUFFIXES = (".pt", ".pth", ".ckpt", ".bin", ".pkl", ".pickle")


def _looks_like_pickle(path: Path) -> bool:
    """torch.save writes a zip archive ("PK") or, in its legacy format, a raw pickle (0x80)."""
    try:
        with open(path, "rb") as f:
            head = f.read(2)
    except OSError:
        return False
    return head == b"PK" or (len(head) == 2 and head[0] == 0x80 and head[1] <= 5)


_PICKLE_REFUSED = ("this is a pickle-based PyTorch checkpoint, which can run code when loaded, so it is "
                   "refused; only .safetensors Colorizer models are accepted")


def read_model_info(path: Path) -> ModelInfo:
    """Metadata only: cheap enough to list many models, and without importing torch."""
    path = Path(path)
    if path.is_file() and (path.suffix.lower() in PICKLE_SUFFIXES or _looks_like_pickle(path)):
        raise ModelRejected(_PICKLE_REFUSED)
    try:
        meta = _header_metadata(path)
    except FileNotFoundError as exc:
        raise ModelError(f"model file not found: {path}") from exc
    except (OSError, ValueError) as exc:
        raise ModelRejected(f"the model file is damaged or not a model ({exc})") from exc
    except RecursionError as exc:
        raise ModelRejected(_TOO_DEEP) from exc
    return ModelInfo.from_metadata(meta)


_MAX_HEADER = 100 << 20  # safetensors' own limit on the JSON header
_TOO_DEEP = "the model file is damaged or not a model (its metadata is nested too deeply to read)"


def _header_metadata(path: Path) -> dict[str, str]:
    """The `__metadata__` strings of a safetensors file, read as the format defines them.

    safetensors' own reader would import torch (or numpy) just to hand back these strings;
    loading the tensors (`load_model`) still goes through safetensors and checks everything.
    """
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        head = f.read(8)
        if len(head) < 8:
            raise ValueError("the file is too short to be a safetensors file")
        n = int.from_bytes(head, "little")
        if n > min(size - 8, _MAX_HEADER):
            raise ValueError("its header runs past the end of the file")
        header = json.loads(f.read(n))
    if not isinstance(header, dict):
        raise ValueError("its header is not a JSON object")
    try:
        end = max((int(v["data_offsets"][1]) for k, v in header.items() if k != "__metadata__"), default=0)
    except (KeyError, IndexError, TypeError) as exc:
        raise ValueError("its header does not describe tensors") from exc
    if 8 + n + end > size:
        raise ValueError("the file is truncated")
    meta = header.get("__metadata__") or {}
    if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
        raise ValueError("its metadata is not text")
    return meta


def _check_architecture(info: ModelInfo, tensors: dict[str, torch.Tensor]) -> None:
    """Compare names and shapes with the network the metadata describes, before building it.

    The network is first laid out on the "meta" device, which allocates nothing, so metadata
    describing an absurdly large network cannot exhaust memory.
    """
    import torch

    from engine.ab_bins import in_gamut_bins
    from engine.networks import build_network

    in_gamut_bins()  # cached on the CPU first: its torch.unique has no meta-device version
    try:
        with torch.device("meta"):
            expected = {k: tuple(v.shape) for k, v in build_network(info.config).state_dict().items()}
    except (RuntimeError, ValueError, TypeError) as exc:
        raise ModelRejected(f"the model's architecture settings are invalid ({exc})") from exc
    missing = sorted(expected.keys() - tensors.keys())
    unexpected = sorted(tensors.keys() - expected.keys())
    if missing or unexpected:
        detail = f"missing {missing[0]}" if missing else f"unexpected {unexpected[0]}"
        raise ModelRejected(f"the weights do not fit the model's architecture ({detail}; "
                         f"{len(missing)} missing, {len(unexpected)} unexpected)")
    for k, shape in expected.items():
        if tuple(tensors[k].shape) != shape:
            raise ModelRejected(f"the weights do not fit the model's architecture: {k} is "
                             f"{tuple(tensors[k].shape)}, expected {shape}")


# Every way a model reaches the network (colorize --model, the app's import and model manager,
# a training's base model) goes through `load_model`, so these limits hold for all of them.
MAX_MODEL_BYTES = 256 * 1024 * 1024  # the default model is a few MB; 256 MB leaves room for big ones
# Generous bounds on the architecture a file may ask for, checked before anything is built:
# a hostile header must not make us allocate gigabytes.
CONFIG_LIMITS = {"base_channels": (1, 256), "depth": (3, 7), "max_channels": (1, 1024), "n_bins": (0, 1024),
                 "output_stride": (4, 4)}
# Decoding divides logits by the temperature: 0 or less is meaningless, huge values give grey.
TEMPERATURE_LIMITS = (0.01, 10.0)
_AB_LIMIT = 128.0  # CIE a and b of any real colour lie well inside this


def check_model_info(info: ModelInfo) -> ModelInfo:
    """Refuse metadata no real model has: an implausible architecture or decoding temperature."""
    for key, (low, high) in CONFIG_LIMITS.items():
        value = getattr(info.config, key)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise ModelRejected(f"the model asks for an implausible architecture ({key}={value!r})")
    if info.config.encoder not in ENCODERS:
        raise ModelRejected(f"the model needs an encoder this version of Colorizer does not have "
                            f"({info.config.encoder!r}); a newer version may read it")
    if not isinstance(info.config.hint_injection, bool):
        raise ModelRejected(f"the model asks for an implausible architecture "
                         f"(hint_injection={info.config.hint_injection!r})")
    t = info.temperature
    low, high = TEMPERATURE_LIMITS
    if not isinstance(t, float) or not math.isfinite(t) or not low <= t <= high:
        raise ModelRejected(f"the model's decoding temperature is implausible ({t!r}; it must be between "
                         f"{low:g} and {high:g})")
    return info


def _check_finite(tensors: dict[str, torch.Tensor], what: str = "the model's weights") -> None:
    import torch

    for k, v in tensors.items():
        if not isinstance(v, torch.Tensor):
            raise ModelRejected(f"{what} hold something other than numbers (in {k})")
        if v.is_floating_point() and not torch.isfinite(v).all():
            raise ModelRejected(f"{what} contain invalid numbers (in {k})")


def _check_values(tensors: dict[str, torch.Tensor], expected: dict[str, torch.Tensor]) -> None:
    """Numbers a trained network can hold: the right kind (float or integer) and all finite."""
    import torch

    for k, ref in expected.items():
        v = tensors[k]
        if v.is_floating_point() != ref.is_floating_point() or v.dtype == torch.bool:
            kind = "decimal" if ref.is_floating_point() else "integer"
            raise ModelRejected(f"the model's weights have the wrong kind of numbers ({k} is {v.dtype}, "
                             f"expected {kind} numbers)")
    _check_finite(tensors)
    bins = tensors.get("bins")
    if bins is not None and bins.numel():
        if bins.abs().max() > _AB_LIMIT or (bins.amax(dim=0) - bins.amin(dim=0) <= 0).any():
            raise ModelRejected("the model's colour classes (bins) are not real colours")


def _check_outputs(model: ColorNet, info: ModelInfo) -> None:
    """One small prediction must give finite colours: weights too large overflow to NaN."""
    import torch

    from engine.model import make_input

    side = max(64, model.config.stride)
    x = make_input(torch.full((1, 1, side, side), 50.0), torch.zeros(1, 2, side, side), torch.zeros(1, 1, side, side))
    with torch.inference_mode():
        ab = model.decode(model(x), info.temperature)
    if not torch.isfinite(ab).all():
        raise ModelRejected("the model's weights overflow: its predictions are not numbers")


def load_model(path: Path) -> tuple[ColorNet, ModelInfo]:
    """Read, check and build a model; every failure is a ModelError that says why.

    Checked before anything large is built: pickles (refused unopened), size, metadata,
    architecture limits and temperature; then the tensors' names, shapes, kinds and values;
    then one small prediction.
    """
    import torch
    from safetensors.torch import load_file

    from engine.networks import build_network

    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError as exc:
        raise ModelError(f"model file not found: {path}") from exc
    except OSError as exc:
        raise ModelError(f"the model file cannot be read ({exc.strerror or exc})") from exc
    if size > MAX_MODEL_BYTES:
        raise ModelRejected(f"the file is too large for a colorization model ({size / 2**20:.0f} MB)")
    info = check_model_info(read_model_info(path))
    try:
        raw = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise ModelRejected(f"the model file is damaged ({exc})") from exc
    _check_architecture(info, raw)
    with torch.device("meta"):
        expected = build_network(info.config).state_dict()
    _check_values(raw, expected)
    tensors = {k: v.float() if v.is_floating_point() else v for k, v in raw.items()}
    try:
        model = build_network(info.config)
        model.load_state_dict(tensors, strict=True)
    except (RuntimeError, ValueError, TypeError) as exc:
        first_line = str(exc).strip().splitlines()[0]
        raise ModelRejected(f"the weights do not fit the model's architecture: {first_line}") from exc
    model.eval()
    _check_outputs(model, info)
    return model, info


def check_model_file(path: Path) -> ModelInfo:
    """Everything `load_model` checks, for a file about to be imported or trained from."""
    return load_model(path)[1]


# What `engine.train` reads back from a checkpoint to resume; each must have this type.
_CHECKPOINT_PARTS = {"model": dict, "ema": dict, "optimizer": dict, "settings": dict, "history": list,
                     "step": int, "elapsed": (int, float)}


def check_checkpoint(ckpt: object) -> dict:
    """Refuse a training checkpoint that cannot be resumed from, with the reason; returns it.

    `torch.load(weights_only=True)` already refuses code; this checks what is left: the parts
    a resume reads, and the same finite-number rule as a model file for every weight.
    """
    import torch

    if not isinstance(ckpt, dict):
        raise ModelRejected("this is not a Colorizer training checkpoint")
    for key, kind in _CHECKPOINT_PARTS.items():
        if not isinstance(ckpt.get(key), kind) or isinstance(ckpt.get(key), bool):
            raise ModelRejected(f"the checkpoint is damaged or not a Colorizer checkpoint (its {key!r} is missing "
                             "or of the wrong kind)")
    for part in ("model", "ema"):
        _check_finite(ckpt[part], f"the checkpoint's {part} weights")
    for key in ("prior", "rng"):
        if not isinstance(ckpt.get(key), torch.Tensor):
            raise ModelRejected(f"the checkpoint is damaged or not a Colorizer checkpoint (its {key!r} is missing)")
    _check_finite({"prior": ckpt["prior"]}, "the checkpoint's colour statistics")
    if ckpt["rng"].dtype != torch.uint8:
        raise ModelRejected("the checkpoint's random-number state is damaged")
    if ckpt["step"] < 0 or not math.isfinite(ckpt["elapsed"]):
        raise ModelRejected("the checkpoint's step count or elapsed time is damaged")
    if ckpt.get("base_info") is not None:
        base = ckpt["base_info"]
        if not isinstance(base, dict) or not all(isinstance(v, str) for v in base.values()):
            raise ModelRejected("the checkpoint's base-model description is damaged")
        check_model_info(ModelInfo.from_metadata(base))
    return ckpt
