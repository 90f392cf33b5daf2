"""Model files: safetensors weights with JSON metadata, loaded without running any code.

A model file is untrusted input (users import files they downloaded), so only tensors and
strings are read: safetensors cannot carry pickled objects.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from engine.model import ColorUNet, UNetConfig

FORMAT = "colorizer-model"
FORMAT_VERSION = "1"
MODEL_SUFFIX = ".safetensors"
DEFAULT_TEMPERATURE = 0.38


class ModelError(Exception):
    """A model file that cannot be used; the message says why in plain words."""


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
            raise ModelError("this file is not a Colorizer model (its metadata does not say so)")
        if meta.get("format_version") != FORMAT_VERSION:
            raise ModelError(f"model format version {meta.get('format_version')!r} is not supported by this version")
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
            raise ModelError(f"the model's metadata is damaged ({exc})") from exc


def save_model(model: ColorUNet, info: ModelInfo, path: Path, *, half: bool = True) -> None:
    """Write atomically: a crash mid-save never leaves a half-written model behind.

    Weights are stored as float16 by default: half the download, no visible difference
    (loading converts back to float32).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    info.config = model.config
    tensors = {}
    for k, v in model.state_dict().items():
        v = v.detach().to("cpu")
        tensors[k] = (v.half() if half and v.is_floating_point() else v).contiguous()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        save_file(tensors, tmp, metadata=info.to_metadata())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_model_info(path: Path) -> ModelInfo:
    """Metadata only: cheap enough to list many models."""
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
    except FileNotFoundError as exc:
        raise ModelError(f"model file not found: {path}") from exc
    except (SafetensorError, OSError, ValueError) as exc:
        raise ModelError(f"the model file is damaged or not a model ({exc})") from exc
    return ModelInfo.from_metadata(meta)


def load_model(path: Path) -> tuple[ColorUNet, ModelInfo]:
    path = Path(path)
    info = read_model_info(path)
    try:
        tensors = {k: v.float() if v.is_floating_point() else v for k, v in load_file(str(path)).items()}
    except (SafetensorError, OSError, ValueError) as exc:
        raise ModelError(f"the model file is damaged ({exc})") from exc
    try:
        model = ColorUNet(info.config)
        model.load_state_dict(tensors, strict=True)
    except (RuntimeError, ValueError, TypeError) as exc:
        first_line = str(exc).strip().splitlines()[0]
        raise ModelError(f"the weights do not fit the model's architecture: {first_line}") from exc
    bad = [k for k, v in tensors.items() if v.is_floating_point() and not torch.isfinite(v).all()]
    if bad:
        raise ModelError(f"the model's weights contain invalid numbers (in {bad[0]})")
    return model.eval(), info
