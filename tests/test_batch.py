"""Batches: finding inputs, planning outputs that never touch an input, running on past failures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.batch import BatchSettings, UsageError, collect_inputs, plan_jobs, run_jobs
from engine.infer import Colorizer


@pytest.fixture(scope="module")
def colorizer(tiny_model_path) -> Colorizer:
    return Colorizer(tiny_model_path, device="cpu")


def names(items) -> list[str]:
    return [Path(getattr(i, "path", i)).name for i in items]


def test_collect_files_folders_globs(make_photo, tmp_path):
    a = make_photo("a.jpg")
    make_photo("b.png")
    make_photo("c.tif", folder=tmp_path / "sub")
    (tmp_path / "notes.txt").write_text("x")
    make_photo("._a.jpg")                      # a macOS resource fork: hidden, skipped in folder scans
    make_photo("d.jpg", folder=tmp_path / ".cache")

    found, problems = collect_inputs([tmp_path])
    assert names(found) == ["a.jpg", "b.png"] and problems == []
    found, _ = collect_inputs([tmp_path], recursive=True)
    assert names(found) == ["a.jpg", "b.png", "c.tif"]
    assert all(f.root == tmp_path for f in found)
    found, _ = collect_inputs([str(tmp_path / "*.jpg"), a, str(tmp_path / "**" / "*.tif")])
    assert names(found) == ["a.jpg", "c.tif"]  # duplicates once; patterns skip dot files, as a shell does
    found, problems = collect_inputs([tmp_path / "missing.jpg", str(tmp_path / "*.gif"), tmp_path / "sub"])
    assert [p[1] for p in problems] == ["no such file or folder", "no photos match this pattern"]
    assert names(found) == ["c.tif"]
    (tmp_path / "empty").mkdir()
    found, problems = collect_inputs([tmp_path / "empty"])
    assert problems == [(str(tmp_path / "empty"), "no photos in this folder (use -r for subfolders)")]


def test_output_folder_inside_the_input_tree_is_not_rescanned(make_photo, tmp_path):
    make_photo("a.jpg")
    make_photo("a_color.jpg", folder=tmp_path / "out")  # an earlier run's result
    found, _ = collect_inputs([tmp_path], recursive=True, exclude=tmp_path / "out")
    assert names(found) == ["a.jpg"]


def test_plan_mirrors_tree_and_avoids_collisions(make_photo, tmp_path):
    make_photo("a.jpg")
    make_photo("a.png")
    make_photo("c.tif", folder=tmp_path / "sub" / "deeper")
    found, _ = collect_inputs([tmp_path], recursive=True)
    jobs = plan_jobs(found, BatchSettings(output_dir=tmp_path / "out", format="png"))
    rel = [str(j.dest.relative_to(tmp_path / "out")) for j in jobs]
    assert rel == ["a_color.png", "a_color-2.png", "sub/deeper/c_color.png"]
    jobs = plan_jobs(found, BatchSettings())  # beside each input, in its own format
    assert [str(j.dest.relative_to(tmp_path)) for j in jobs] == ["a_color.jpg", "a_color.png",
                                                                  "sub/deeper/c_color.tif"]


def test_plan_refuses_output_onto_an_input(make_photo, tmp_path):
    a = make_photo("a.jpg")
    with pytest.raises(UsageError, match="one of the inputs"):
        plan_jobs(collect_inputs([a])[0], BatchSettings(suffix=""))
    assert plan_jobs(collect_inputs([a])[0], BatchSettings(suffix="", format="png"))[0].dest.name == "a.png"
    b = make_photo("b.jpg")
    b_color = make_photo("b_color.jpg")
    with pytest.raises(UsageError, match="one of the inputs"):  # b -> b_color.jpg, which is itself an input
        plan_jobs(collect_inputs([b, b_color])[0], BatchSettings())
    (tmp_path / "file").write_text("x")
    with pytest.raises(UsageError, match="is a file"):
        plan_jobs(collect_inputs([a])[0], BatchSettings(output_dir=tmp_path / "file"))
    with pytest.raises(UsageError, match="unknown format"):
        plan_jobs([], BatchSettings(format="gif"))


def test_run_goes_on_after_failures(colorizer, make_photo, tmp_path):
    good = make_photo("good.jpg")
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8 not really a jpeg")
    also_good = make_photo("z.png")
    settings = BatchSettings(output_dir=tmp_path / "out")
    results = list(run_jobs(plan_jobs(collect_inputs([good, bad, also_good])[0], settings), colorizer, settings))
    assert [r.status for r in results] == ["done", "failed", "done"]
    assert [(r.index, r.total) for r in results] == [(1, 3), (2, 3), (3, 3)]
    assert "not an image" in results[1].message or "damaged" in results[1].message
    assert sorted(names((tmp_path / "out").iterdir())) == ["good_color.jpg", "z_color.png"]
    assert json.dumps([r.to_json() for r in results])


def test_existing_outputs_rename_skip_overwrite(colorizer, make_photo, tmp_path):
    src = make_photo("a.jpg")
    existing = tmp_path / "a_color.jpg"
    existing.write_bytes(b"earlier result")
    cases = [("skip", "skipped", "a_color.jpg"), ("rename", "done", "a_color-1.jpg"),
             ("overwrite", "done", "a_color.jpg")]
    for mode, expected_status, expected_name in cases:
        settings = BatchSettings(if_exists=mode)
        (result,) = run_jobs(plan_jobs(collect_inputs([src])[0], settings), colorizer, settings)
        assert (result.status, result.output.name) == (expected_status, expected_name), mode
        if mode != "overwrite":
            assert existing.read_bytes() == b"earlier result"
    assert existing.read_bytes() != b"earlier result"


def test_cancel_stops_the_batch_and_leaves_no_partial_file(colorizer, make_photo, tmp_path):
    photos = [make_photo(f"p{i}.png", size=(300, 200)) for i in range(4)]
    settings = BatchSettings(output_dir=tmp_path / "out")
    jobs = plan_jobs(collect_inputs(photos)[0], settings)
    state = {"done": 0}
    results = []
    for r in run_jobs(jobs, colorizer, settings, cancel=lambda: state["done"] >= 2):
        results.append(r)
        state["done"] += r.status == "done"
    assert [r.status for r in results] == ["done", "done", "cancelled", "cancelled"]
    assert sorted(names((tmp_path / "out").iterdir())) == ["p0_color.png", "p1_color.png"]


def test_cancel_during_a_photo(colorizer, make_photo, tmp_path):
    calls = []
    settings = BatchSettings(output_dir=tmp_path / "out")
    jobs = plan_jobs(collect_inputs([make_photo("p.png", size=(300, 200))])[0], settings)
    (result,) = run_jobs(jobs, colorizer, settings, cancel=lambda: calls.append(1) or len(calls) > 3)
    assert result.status == "cancelled"
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


def test_hints_dir(colorizer, make_photo, tmp_path):
    src = make_photo("scan.png")
    hints = tmp_path / "hints"
    hints.mkdir()
    (hints / "scan.json").write_text(json.dumps({"points": [{"x": 10, "y": 20, "color": "#2a4f9e"}]}))
    settings = BatchSettings(output_dir=tmp_path / "out", hints_dir=hints)
    (result,) = run_jobs(plan_jobs(collect_inputs([src])[0], settings), colorizer, settings)
    assert result.status == "done" and "1 colour hint(s) used" in result.notes
    (hints / "scan.json").write_text('{"points": [{"x": 10, "color": "#2a4f9e"}]}')
    settings.if_exists = "overwrite"
    (result,) = run_jobs(plan_jobs(collect_inputs([src])[0], settings), colorizer, settings)
    assert result.status == "failed" and "needs numeric x, y" in result.message


def test_hint_files_round_trip_and_refuse_nonsense(tmp_path):
    from engine.hints import Hint, HintError, load_hints, save_hints

    hints = [Hint(10.5, 20, "#2a4f9e"), Hint(0, 0, "#FFFFFF")]
    save_hints(hints, tmp_path / "a.json")
    assert load_hints(tmp_path / "a.json") == [Hint(10.5, 20, "#2a4f9e"), Hint(0, 0, "#ffffff")]
    for text, message in [('{"points": [{"x": 1, "y": 2, "color": "blue"}]}', "not a #rrggbb colour"),
                          ('{"dots": []}', "hint file must look like"),
                          ("{not json", "cannot read hints"),
                          ('{"points": [{"x": "left", "y": 2, "color": "#000000"}]}', "needs numeric x, y")]:
        (tmp_path / "bad.json").write_text(text)
        with pytest.raises(HintError, match=message):
            load_hints(tmp_path / "bad.json")


def test_a_photos_progress_counts_reading_and_saving(colorizer, make_photo, tmp_path):
    """Issue 23: the row and the time left must not say 100 % (0 s left) while a big scan is written."""
    from engine.batch import colorize_job

    job = plan_jobs(collect_inputs([make_photo("scan.jpg", size=(300, 200))])[0], BatchSettings())[0]
    seen: list[tuple[float, str]] = []
    seen_when_written: list[bool] = []
    result = colorize_job(job, colorizer, BatchSettings(),
                          progress=lambda f, s: (seen.append((f, s)), seen_when_written.append(job.dest.exists())))
    assert result.status == "done"
    assert seen[0] == (0.0, "reading") and seen[-1] == (0.75, "saving")
    assert not any(seen_when_written)   # every report came before the file was there
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and max(fractions) < 1.0
    assert {s for _, s in seen} == {"reading", "predicting colours", "rendering", "saving"}
