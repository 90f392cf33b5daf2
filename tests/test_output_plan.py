"""Result names for the queue (issue 14): planned once and kept, yet always the names that
planning the whole queue again for each photo gave (as the app did before), whatever happens
to the queue: photos added, removed, reordered, found unreadable, retried; settings changed.

No window, no model and no engine work: the controller's queue and its `plan`.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from colorizer_gui.settings import GuiSettings
from colorizer_gui.workspace.batch_controller import BatchController
from colorizer_gui.workspace.photo_queue import PhotoItem, PhotoStatus
from engine.batch import BatchSettings, InputFile, OutputPlanner, UsageError, plan_jobs
from engine.errors import OutputWouldReplaceInput


@pytest.fixture
def controller(qapp, tmp_path):
    c = BatchController(GuiSettings(output_mode="folder", output_dir=str(tmp_path / "out")))
    yield c
    c.shutdown()


def photos(tmp_path: Path, *names: str) -> list[Path]:
    paths = []
    for name in names:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
        paths.append(path)
    return paths


def add(c: BatchController, paths: list[Path], root: Path | None = None) -> list[PhotoItem]:
    items = [PhotoItem(p, root=root) for p in paths]
    c.queue.add(items)
    return items


def planned(c: BatchController, base: Path) -> list[str]:
    """Each photo's result, relative to `base`, planned in queue order as a batch dispatches them."""
    names = []
    for item in c.queue.items:
        if item.readable:
            names.append(str(c.plan(item, c.batch_settings(item.strength)).dest.relative_to(base)))
    return names


def replanned(c: BatchController) -> dict[int, str]:
    """What the app planned before issue 14, the whole queue planned again for a photo, for each."""
    s = c.batch_settings()
    inputs = {i.id: InputFile(i.path, i.root if s.output_dir is not None else None)
              for i in c.queue.items if i.readable}
    try:
        jobs: dict[Path, str] = {}
        for job in plan_jobs(list(inputs.values()), s):
            jobs.setdefault(job.source, str(job.dest))
    except OutputWouldReplaceInput:   # then each photo on its own
        jobs = {}
    names = {}
    for item_id, one in inputs.items():
        try:
            names[item_id] = jobs.get(one.path) or str(plan_jobs([one], s)[0].dest)
        except OutputWouldReplaceInput:
            names[item_id] = "replaces its original"
    return names


def planned_now(c: BatchController, item: PhotoItem) -> str:
    try:
        return str(c.plan(item, c.batch_settings(item.strength)).dest)
    except OutputWouldReplaceInput:
        return "replaces its original"


@pytest.mark.parametrize("if_exists", ["rename", "overwrite", "skip"])   # Keep both, Replace it, Skip it
def test_photos_sharing_a_name_from_different_folders_are_numbered_in_queue_order(controller, tmp_path, if_exists):
    controller.settings.if_exists = if_exists   # decided when the file is written: the names are the same
    controller.settings.suffix = ""
    add(controller, photos(tmp_path, "x/IMG_1.jpg", "y/IMG_1.jpg", "z/IMG_1-2.jpg", "w/IMG_1.jpg", "v/IMG_1.png"))
    out = tmp_path / "out"
    assert planned(controller, out) == ["IMG_1.jpg", "IMG_1-2.jpg", "IMG_1-2-2.jpg", "IMG_1-3.jpg", "IMG_1.png"]
    controller.settings.format, controller.settings.suffix = "jpg", "_color"
    assert planned(controller, out) == ["IMG_1_color.jpg", "IMG_1_color-2.jpg", "IMG_1-2_color.jpg",
                                        "IMG_1_color-3.jpg", "IMG_1_color-4.jpg"]
    controller.settings.output_mode = "beside"
    assert planned(controller, tmp_path) == ["x/IMG_1_color.jpg", "y/IMG_1_color.jpg", "z/IMG_1-2_color.jpg",
                                             "w/IMG_1_color.jpg", "v/IMG_1_color.jpg"]


def test_removing_reordering_and_unreadable_photos_give_names_back(controller, tmp_path):
    out = tmp_path / "out"
    x, y, z = add(controller, photos(tmp_path, "x/a.jpg", "y/a.jpg", "z/a.jpg"))
    assert planned(controller, out) == ["a_color.jpg", "a_color-2.jpg", "a_color-3.jpg"]
    controller.queue.move_by([z.id], -2)
    assert planned(controller, out) == ["a_color.jpg", "a_color-2.jpg", "a_color-3.jpg"]
    assert planned_now(controller, z) == str(out / "a_color.jpg")
    controller.remove([z.id])
    assert planned_now(controller, y) == str(out / "a_color-2.jpg")
    x.status, x.readable = PhotoStatus.FAILED, False   # as when the engine cannot read it
    controller.outputs.withdraw(x)
    assert planned_now(controller, y) == str(out / "a_color.jpg")
    assert controller.retry([x.id]) == 1 and x.readable   # Retry: it counts again, first in the queue
    assert planned(controller, out) == ["a_color.jpg", "a_color-2.jpg"]
    w, = add(controller, photos(tmp_path, "w/a.jpg"))      # appended: the others keep theirs
    assert planned(controller, out) == ["a_color.jpg", "a_color-2.jpg", "a_color-3.jpg"]
    controller.remove([x.id, y.id])
    assert planned_now(controller, w) == str(out / "a_color.jpg")


def test_a_result_that_would_replace_an_original_plans_every_photo_alone(controller, tmp_path):
    controller.settings.output_mode, controller.settings.suffix = "beside", ""
    a, b = add(controller, photos(tmp_path, "a.png", "b.png"))
    controller.settings.format = "png"
    with pytest.raises(OutputWouldReplaceInput, match="would replace the original"):
        controller.plan(a, controller.batch_settings())
    controller.settings.format = "jpg"
    assert planned(controller, tmp_path) == ["a.jpg", "b.jpg"]
    c_jpg, = add(controller, photos(tmp_path, "a.jpg"))     # a.png's result would replace it
    assert planned_now(controller, b) == str(tmp_path / "b.jpg") == replanned(controller)[b.id]
    with pytest.raises(OutputWouldReplaceInput):
        controller.plan(c_jpg, controller.batch_settings())


def test_no_output_folder_chosen_is_said(controller, tmp_path):
    item, = add(controller, photos(tmp_path, "a.jpg"))
    controller.settings.output_dir = ""
    with pytest.raises(UsageError, match="no output folder"):
        controller.plan(item, controller.batch_settings())


def test_names_match_planning_the_whole_queue_through_random_edits(controller, tmp_path):
    """Would fail if any name differed from re-planning the whole queue, the old way."""
    rng = random.Random(14)
    pool = photos(tmp_path, *(f"{folder}/{stem}{ext}" for folder in ("x", "y", "x/sub", "out")
                              for stem in ("a", "a_color", "a_color-2", "b", "a-2") for ext in (".jpg", ".png")))
    c = controller
    for step in range(400):
        items = c.queue.items
        op = rng.random()
        if op < 0.3 or not items:
            fresh = [p for p in rng.sample(pool, rng.randint(1, 3)) if not c.queue.contains_path(p)]
            add(c, fresh, root=tmp_path if rng.random() < 0.5 else None)
        elif op < 0.4:
            c.remove([rng.choice(items).id])
        elif op < 0.5:
            c.queue.move_by([rng.choice(items).id], rng.randint(-3, 3))
        elif op < 0.6:
            item = rng.choice(items)
            if item.readable:
                item.status, item.readable = PhotoStatus.FAILED, False
                c.outputs.withdraw(item)
            else:
                c.retry([item.id])
        elif op < 0.7:
            s = c.settings
            s.suffix = rng.choice(["_color", "", "_color-2"])
            s.format = rng.choice(["", "jpg", "png"])
            s.output_mode = rng.choice(["beside", "folder"])
        before = replanned(c)
        now = {i.id: planned_now(c, i) for i in c.queue.items if i.readable}
        assert now == before, f"step {step}"


def test_planner_plans_a_growing_list_as_plan_jobs_plans_it_whole(tmp_path):
    inputs = [InputFile(p) for p in photos(tmp_path, "x/a.jpg", "y/a.jpg", "z/a.png", "a_color-2.jpg", "w/a.jpg")]
    settings = BatchSettings(output_dir=tmp_path / "out", format="jpg")
    planner = OutputPlanner(settings)
    planner.add_inputs(i.path for i in inputs[:2])
    first = [planner.plan(i) for i in inputs[:2]]
    planner.add_inputs(i.path for i in inputs[2:])
    jobs = first + [planner.plan(i) for i in inputs[2:]]
    assert [j.dest for j in jobs] == [j.dest for j in plan_jobs(inputs, settings)]
    assert [j.dest.name for j in jobs] == ["a_color.jpg", "a_color-2.jpg", "a_color-3.jpg", "a_color-2_color.jpg",
                                           "a_color-4.jpg"]
    assert not planner.withdraw(jobs[0])        # y/a.jpg was numbered past a_color.jpg: plan again
    assert planner.withdraw(jobs[4])            # nobody came after w/a.jpg: its name is free again
    assert planner.plan(InputFile(tmp_path / "v/a.jpg")).dest.name == "a_color-4.jpg"
