"""Splitting one batch among many machines without any scheduler of our own.

`colorize ... --shard K/N` keeps the inputs whose relative path hashes to K of N, so a Slurm
array, a Kubernetes indexed job or N plain ssh sessions each take a stable, disjoint share
that does not depend on the order files are listed in or on which other files exist.
`--from-list FILE` reads the inputs from a manifest, one path per line.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from engine.batch import InputFile


class ShardError(ValueError):
    """A --shard or --from-list value that cannot be used; the message says why."""


def parse_shard(text: str) -> tuple[int, int]:
    """'K/N' (1 <= K <= N) -> (K, N)."""
    try:
        k_text, n_text = text.split("/")
        k, n = int(k_text), int(n_text)
    except ValueError:
        raise ShardError(f"--shard takes K/N, e.g. 3/8, not {text!r}") from None
    if not 1 <= k <= n:
        raise ShardError(f"--shard {text}: K must be between 1 and N")
    return k, n


def shard_key(item: InputFile) -> bytes:
    """The path relative to the folder it was found in (else as given), as file-system bytes.

    Relative, so that the same collection mounted at different places on different nodes
    splits the same way.
    """
    path = item.path.relative_to(item.root) if item.root is not None else item.path
    return os.fsencode(path.as_posix())


def in_shard(item: InputFile, k: int, n: int) -> bool:
    digest = hashlib.blake2b(shard_key(item), digest_size=8).digest()
    return int.from_bytes(digest, "big") % n == k - 1


def select_shard(inputs: list[InputFile], k: int, n: int) -> list[InputFile]:
    return [i for i in inputs if in_shard(i, k, n)]


def read_list(path: Path) -> list[str]:
    """Input paths from a manifest: one per line; blank lines and lines starting with # are skipped.

    Relative paths are taken from the list file's folder, so a manifest can travel with its
    collection. Lines are file-system bytes, so names that are not UTF-8 survive.
    """
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ShardError(f"cannot read the input list {path}: {exc.strerror or exc}") from exc
    base = Path(path).parent
    out = []
    for line in raw.splitlines():
        line = line.rstrip(b"\r")
        if not line.strip() or line.lstrip().startswith(b"#"):
            continue
        p = Path(os.fsdecode(line))
        out.append(str(p if p.is_absolute() else base / p))
    return out
