"""Choosing the compute device: CUDA, then Apple MPS, then the CPU; CPU threads per computation."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager

import torch

from engine.options import DEVICE_CHOICES


class DeviceError(Exception):
    pass


def available_devices() -> list[str]:
    found = []
    if torch.cuda.is_available():
        found.append("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        found.append("mps")
    found.append("cpu")
    return found


def resolve_device(name: str = "auto") -> torch.device:
    name = (name or "auto").lower()
    if name == "auto":
        return torch.device(available_devices()[0])
    base = name.split(":")[0]
    if base not in DEVICE_CHOICES:
        raise DeviceError(f"unknown device {name!r}; choose one of: {', '.join(DEVICE_CHOICES)}")
    if base not in available_devices():
        found = ", ".join(available_devices())
        raise DeviceError(f"device {name!r} is not available on this computer (found: {found})")
    return torch.device(name)


def describe_device(device: torch.device) -> str:
    if device.type == "cuda":
        return f"CUDA GPU ({torch.cuda.get_device_name(device)})"
    if device.type == "mps":
        return "Apple GPU (MPS)"
    n = torch.get_num_threads()
    return f"CPU ({n} thread{'s' if n != 1 else ''})"


def is_out_of_memory(exc: BaseException) -> bool:
    if isinstance(exc, torch.cuda.OutOfMemoryError):
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()


@functools.cache
def threads_are_per_thread() -> bool:
    """Whether `torch.set_num_threads` limits only the calling thread's own computations.

    With torch's OpenMP backend (the Linux and Windows wheels) it sets the calling thread's
    OpenMP team size: a helper thread can compute with one thread while another thread's
    work keeps all of its own. It also becomes the count for threads that start computing
    later, which is why `thread_limit` puts it back. With the native thread pool the count
    resizes one pool that every thread shares, so limiting it would slow the others too.
    """
    return "parallel backend: OpenMP" in torch.__config__.parallel_info()


@contextmanager
def thread_limit(n: int | None) -> Iterator[int]:
    """Torch work in this block, on this thread, uses at most n CPU threads (None: no limit).

    Yields the count in effect. Where the count cannot be limited per thread (see
    `threads_are_per_thread`) nothing changes.
    """
    before = torch.get_num_threads()
    if n is None or n >= before or not threads_are_per_thread():
        yield before
        return
    torch.set_num_threads(max(1, n))
    try:
        yield torch.get_num_threads()
    finally:
        torch.set_num_threads(before)
