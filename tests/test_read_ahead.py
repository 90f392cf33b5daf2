"""A batch reads the next photo while this one is colorized: same outputs, same results in the
same order, errors where they belong, at most one photo ahead, none that will be skipped."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PIL import Image

import engine.read_ahead as read_ahead
from engine.batch import BatchSettings, InputFile, colorize_job, plan_jobs, run_jobs
from engine.infer import Colorizer


@pytest.fixture
def colorizer(tiny_model_path) -> Colorizer:
    return Colorizer(tiny_model_path, device="cpu")


def _batch(tmp_path, make_photo, if_exists="skip"):
    folder = tmp_path / "in"
    paths = [make_photo(f"p{i}.png", size=(120 + 8 * i, 90), folder=folder) for i in range(5)]
    paths[1].write_text("not a photo")  # fails when its turn comes
    settings = BatchSettings(output_dir=tmp_path / "out", if_exists=if_exists)
    jobs = plan_jobs([InputFile(p, folder) for p in paths], settings)
    jobs[3].dest.parent.mkdir(parents=True, exist_ok=True)
    jobs[3].dest.write_bytes(b"an earlier result")  # skipped with if_exists="skip"
    return jobs, settings


def test_results_and_outputs_are_those_of_reading_each_in_turn(tmp_path, make_photo, colorizer):
    jobs, settings = _batch(tmp_path, make_photo)
    results = list(run_jobs(jobs, colorizer, settings))
    assert [r.status for r in results] == ["done", "failed", "done", "skipped", "done"]
    assert [r.index for r in results] == [1, 2, 3, 4, 5]
    one_by_one = colorize_job(jobs[1], colorizer, settings)
    assert results[1].message == one_by_one.message and results[1].error_type is one_by_one.error_type
    for i in (0, 2, 4):
        again = jobs[i].dest.with_name(f"again{i}{jobs[i].dest.suffix}")
        job = type(jobs[i])(jobs[i].source, again, jobs[i].fmt)
        assert colorize_job(job, colorizer, settings).status == "done"
        assert np.array_equal(np.asarray(Image.open(results[i].output)), np.asarray(Image.open(again)))


def test_reads_at_most_one_photo_ahead_and_never_one_to_be_skipped(tmp_path, make_photo, colorizer, monkeypatch):
    jobs, settings = _batch(tmp_path, make_photo)
    read: list[str] = []
    readers: dict[str, str] = {}
    lock = threading.Lock()
    real = read_ahead.read_photo

    def recording(path, **kw):
        with lock:
            read.append(path.name)
            readers[path.name] = threading.current_thread().name
        return real(path, **kw)

    monkeypatch.setattr(read_ahead, "read_photo", recording)
    colorize = colorizer.colorize
    ahead: list[int] = []

    def watching(photo, *args, **kw):
        with lock:
            ahead.append(len(read) - (read.index(photo.path.name) + 1))
        return colorize(photo, *args, **kw)

    monkeypatch.setattr(colorizer, "colorize", watching)
    list(run_jobs(jobs, colorizer, settings))
    assert "p3.png" not in read  # its output exists and is skipped: never decoded
    assert sorted(read) == ["p0.png", "p1.png", "p2.png", "p4.png"]  # each photo read once
    assert max(ahead) <= 1
    # the first photo is read when its turn comes; every later one ahead of it, on the helper
    assert readers["p0.png"] == threading.current_thread().name
    assert all(readers[n].startswith("read-ahead") for n in ("p1.png", "p2.png", "p4.png"))


def test_stopping_a_batch_half_way_leaves_no_read_running(tmp_path, make_photo, colorizer):
    jobs, settings = _batch(tmp_path, make_photo, if_exists="rename")
    before = {t.name for t in threading.enumerate()}
    work = run_jobs(jobs, colorizer, settings)
    next(work)
    work.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("read-ahead") and t.name not in before]
