"""Pack a group-balanced training subset small enough to travel with the repository to a GPU.

A lent GPU machine sees only the working tree (64 MiB with carried paths), not ../shared: this
writes a folder of small JPEGs with the same MANIFEST.tsv columns (group, source, licence), so
`colorize-train` reads it like the full set. Groups are drawn as training draws them
(n ** (1 - balance)), each photo at most once.

    python bench/pack_training_subset.py ../shared/data/train runs/pack --max-mib 45
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.photo_folder import list_images, load_small_rgb  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("source", type=Path)
    p.add_argument("dest", type=Path)
    p.add_argument("--max-mib", type=float, default=45.0, help="stop before the folder passes this size")
    p.add_argument("--short-side", type=int, default=160)
    p.add_argument("--quality", type=int, default=85)
    p.add_argument("--balance", type=float, default=0.7)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    lines = (args.source / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()
    head = lines[0].split("\t")
    rows = {r.split("\t")[head.index("file")]: r.split("\t") for r in lines[1:]}
    photos = [q for q in list_images(args.source) if q.relative_to(args.source).as_posix() in rows]
    groups = [rows[q.relative_to(args.source).as_posix()][head.index("group")] for q in photos]
    counts = {g: groups.count(g) for g in set(groups)}
    weights = np.array([counts[g] ** -args.balance for g in groups])
    order = np.random.default_rng(args.seed).choice(len(photos), len(photos), replace=False, p=weights / weights.sum())
    args.dest.mkdir(parents=True, exist_ok=True)
    out_rows, total = ["\t".join(head)], 0
    for i in order:
        rgb = load_small_rgb(photos[i], args.short_side)
        buf = io.BytesIO()
        Image.fromarray(rgb).save(buf, "JPEG", quality=args.quality)
        if total + buf.tell() > args.max_mib * 2**20:
            break
        rel = photos[i].relative_to(args.source).with_suffix(".jpg")
        (args.dest / rel.parent).mkdir(parents=True, exist_ok=True)
        (args.dest / rel).write_bytes(buf.getvalue())
        total += buf.tell()
        row = list(rows[photos[i].relative_to(args.source).as_posix()])
        row[head.index("file")] = rel.as_posix()
        row[head.index("width")], row[head.index("height")] = str(rgb.shape[1]), str(rgb.shape[0])
        out_rows.append("\t".join(row))
    (args.dest / "MANIFEST.tsv").write_text("\n".join(out_rows) + "\n", encoding="utf-8")
    packed = [r.split("\t")[head.index("group")] for r in out_rows[1:]]
    print(f"{len(packed)} photos, {total / 2**20:.1f} MiB in {args.dest}: "
          + ", ".join(f"{g} {packed.count(g)}" for g in sorted(set(packed))))


if __name__ == "__main__":
    main()
