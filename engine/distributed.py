"""Training on several processes (GPUs, or machines) under `torchrun`, with PyTorch's own DDP.

torchrun sets RANK, LOCAL_RANK and WORLD_SIZE for each process it starts; without them this
is a single process and nothing here does anything. Gradients are averaged by
DistributedDataParallel (NCCL between GPUs, gloo on CPUs); rank 0 alone validates, writes
checkpoints and exports, so a resumed run may use any number of processes.
"""

from __future__ import annotations

import os

import torch
import torch.distributed as dist

from engine.devices import resolve_device


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def setup(device: str) -> tuple[int, int, torch.device]:
    """(rank, world size, this process's device), joining the process group under torchrun."""
    world = world_size()
    if world <= 1:
        return 0, 1, resolve_device(device)
    rank, local = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    use_cuda = device in ("auto", "cuda") and torch.cuda.is_available()
    if use_cuda:
        torch.cuda.set_device(local)
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if use_cuda else "gloo")
    return rank, world, torch.device("cuda", local) if use_cuda else torch.device("cpu")


def wrap(model: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """The module to call for training steps: DDP around `model` when distributed, else `model`.

    On GPUs batch-norm statistics are synchronised over all processes, so a step equals one
    on the whole global batch; gloo has no SyncBatchNorm, so on CPUs each process normalises
    its own share (close to, not bit for bit, a single process).
    """
    if world_size() <= 1:
        return model
    from torch.nn.parallel import DistributedDataParallel

    if device.type == "cuda":
        model = torch.nn.SyncBatchNorm.convert_sync_batchnorm(model)
        return DistributedDataParallel(model, device_ids=[device.index])
    return DistributedDataParallel(model)


def any_rank(flag: bool, device: torch.device) -> bool:
    """True on every process when it is true on one (e.g. a time limit), so all stop together."""
    if world_size() <= 1:
        return flag
    t = torch.tensor([1.0 if flag else 0.0], device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item() > 0)


def teardown() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
