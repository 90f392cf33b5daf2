"""How to decode a trained checkpoint: prior correction x temperature x render size, per group.

    python bench/decode_study.py /work/runs/v1/checkpoint.pt ../shared/data/val \
        --corrections 0,0.5,1 --temperatures 0.6,1 --render-sizes 256 --limit 300

For each prior correction (see `engine.train.export_model`) the checkpoint is exported to a
temporary model and scored by `engine.evaluate` at every temperature and render size on a
spread subset of the folder (every other photo by default, so the settings are not chosen on
the very photos the model card reports). Prints, per setting, the mean over groups beside grey
and how many groups meet each of the default model's targets:
PSNR >= grey + 1 dB, CIEDE2000 <= 0.9 x grey, colourfulness ratio 0.8-1.1, |cast| < 2 in a* and b*.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.evaluate import GREY, evaluate  # noqa: E402
from engine.infer import Colorizer  # noqa: E402
from engine.photo_folder import group_of, list_images, read_groups  # noqa: E402
from engine.train import export_model  # noqa: E402


def targets_met(model: dict, grey: dict) -> dict[str, bool]:
    return {
        "psnr": model["psnr"] >= grey["psnr"] + 1.0,
        "ciede": model["ciede2000"] <= 0.9 * grey["ciede2000"],
        "colour": 0.8 <= model["colourfulness_ratio"] <= 1.1,
        "cast": abs(model["cast_a"]) < 2 and abs(model["cast_b"]) < 2,
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint", type=Path)
    p.add_argument("folder", type=Path)
    p.add_argument("--corrections", default="0,0.5,1")
    p.add_argument("--temperatures", default="0.6,1")
    p.add_argument("--render-sizes", default="256")
    p.add_argument("--limit", type=int, default=0, help="at most this many photos (spread), after --half")
    p.add_argument("--half", choices=("even", "odd", "all"), default="even",
                   help="which half of the folder to tune on (the other is left for reporting)")
    p.add_argument("--json", type=Path, help="also write every number here")
    args = p.parse_args()

    paths = list_images(args.folder)
    if args.half != "all":
        paths = paths[0 if args.half == "even" else 1 :: 2]
    if args.limit and args.limit < len(paths):
        step = len(paths) / args.limit
        paths = [paths[int(i * step)] for i in range(args.limit)]
    manifest = read_groups(args.folder)
    groups = {q: group_of(q, args.folder, manifest) for q in paths}
    temperatures = [float(t) for t in args.temperatures.split(",")]
    sizes = [int(s) for s in args.render_sizes.split(",")]
    print(f"{len(paths)} photos in {len(set(groups.values()))} groups", flush=True)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for lam in (float(x) for x in args.corrections.split(",")):
            model_path = Path(tmp) / f"pc{lam:g}.safetensors"
            export_model(args.checkpoint, model_path, temperature=temperatures[0], prior_correction=lam)
            report = evaluate(Colorizer(model_path, device="cpu"), paths, temperatures=temperatures,
                              render_sizes=sizes, groups=groups).to_json()
            results[lam] = report
            labels = [r["label"] for r in report["mean_over_groups"]]
            for i, label in enumerate(labels[1:], 1):
                mean, grey = report["mean_over_groups"][i], report["mean_over_groups"][0]
                met = {k: 0 for k in ("psnr", "ciede", "colour", "cast")}
                for rows in report["groups"].values():
                    for k, ok in targets_met(rows[i], rows[0]).items():
                        met[k] += ok
                n = len(report["groups"])
                print(f"correction {lam:4.2f} {label:16s} PSNR {mean['psnr'] - grey['psnr']:+5.2f} dB  "
                      f"CIEDE x{mean['ciede2000'] / grey['ciede2000']:.3f}  colour {mean['colourfulness_ratio']:.2f}  "
                      f"cast {mean['cast_a']:+5.1f}/{mean['cast_b']:+5.1f}  groups meeting: "
                      + " ".join(f"{k} {v}/{n}" for k, v in met.items()), flush=True)
    assert all(r["mean_over_groups"][0]["label"] == GREY for r in results.values())
    if args.json:
        args.json.write_text(json.dumps({str(k): v for k, v in results.items()}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
