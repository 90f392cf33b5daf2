"""Size of a built bundle and what dominates it.

    python bench/bundle_size.py [dist/Colorizer] [--top N]

Prints the total, the biggest parts (folders two levels under _internal/, executables) and the
biggest single files, in MB (10^6 bytes).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path


def part_of(rel: Path) -> str:
    parts = rel.parts
    if parts[0] != "_internal":
        return parts[0]
    inner = parts[1:]
    if len(inner) == 1:
        return "_internal/" + ("(shared libraries)" if ".so" in inner[0] or inner[0].endswith(".dll") else inner[0])
    depth = 3 if inner[0] in ("PySide6", "torch") and len(inner) > 3 else 2
    return "_internal/" + "/".join(inner[:depth]) + ("/" if len(inner) > depth else "")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("bundle", nargs="?", type=Path, default=Path("dist/Colorizer"))
    p.add_argument("--top", type=int, default=12)
    args = p.parse_args(argv)
    if not args.bundle.is_dir():
        print(f"bundle_size: no bundle at {args.bundle} (build it with packaging/build.sh)", file=sys.stderr)
        return 1
    files = [f for f in args.bundle.rglob("*") if f.is_file() and not f.is_symlink()]
    sizes = {f.relative_to(args.bundle): f.stat().st_size for f in files}
    total = sum(sizes.values())
    parts: Counter[str] = Counter()
    for rel, size in sizes.items():
        parts[part_of(rel)] += size
    mb = 1e6
    print(f"{args.bundle}: {total / mb:.0f} MB in {len(files)} files")
    print("\nbiggest parts:")
    for name, size in parts.most_common(args.top):
        print(f"  {size / mb:7.1f} MB  {100 * size / total:4.1f} %  {name}")
    print("\nbiggest files:")
    for rel, size in sorted(sizes.items(), key=lambda kv: -kv[1])[: args.top]:
        print(f"  {size / mb:7.1f} MB  {rel}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
