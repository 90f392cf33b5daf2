"""The Fine-tune tab, driven as a user would: real widgets, a real training process, a real model."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from test_finetune import Script, make_collection, tiny_options

from colorizer_gui.finetune import qt_finetune_tab as ft
from colorizer_gui.finetune.qt_model_manager import QModelManager
from colorizer_gui.finetune.run import RunState
from colorizer_gui.widgets.qt_plot import QLinePlot, nice_ticks
from engine import finetune
from engine.catalog import list_models, user_models_dir
from engine.finetune import create_session, run_session
from engine.train import read_checkpoint

LONG = 240_000  # ms: the worker process imports torch; the machine may be busy


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture
def collection(tmp_path):
    return make_collection(tmp_path / "family photos")


def set_small_run(tab: ft.FineTuneTab, steps: int) -> None:
    tab.advanced_toggle.setChecked(True)
    tab.steps_spin.setValue(steps)
    tab.crop_combo.setCurrentIndex(tab.crop_combo.findData(64))
    tab.batch_spin.setValue(4)
    tab.val_spin.setValue(20)


def test_folder_scan_shows_counts_and_skip_reasons(qtbot, collection, tiny_model_path):
    tab = ft.FineTuneTab()
    qtbot.addWidget(tab)
    tab.add_base_model(tiny_model_path)
    assert not tab.start_button.isEnabled()                      # no folder yet
    tab.set_folder(collection)
    qtbot.waitUntil(lambda: tab.scan is not None, timeout=30_000)
    text = tab.scan_label.text()
    assert "10 usable colour photos" in text and "4 skipped" in text
    for reason in ("2 greyscale or toned", "1 too small", "1 not a readable image"):
        assert reason in text
    assert "Few photos" in text                                   # 10 is a small collection
    assert tab.name_edit.text() == "family photos"                # suggested from the folder
    assert tab.start_button.isEnabled()
    tab.name_edit.setText("bad/name")
    assert not tab.start_button.isEnabled() and not tab.name_problem.isHidden()


def test_train_pause_stop_resume_then_use_the_model(qtbot, collection, tiny_model_path, make_photo, capsys):
    from colorizer_gui.qt_main_window import MainWindow

    window = MainWindow(load_model=False)
    qtbot.addWidget(window)
    tab = window.finetune_tab
    assert isinstance(tab, ft.FineTuneTab)                        # the window found and added the tab
    window.tabs.setCurrentWidget(tab)
    tab.add_base_model(tiny_model_path)
    tab.set_folder(collection)
    qtbot.waitUntil(lambda: tab.scan is not None, timeout=30_000)
    set_small_run(tab, steps=300)
    tab.name_edit.setText("family")
    # The duration estimate comes from real steps in the worker.
    qtbot.waitUntil(lambda: "Estimated time" in tab.estimate_label.text(), timeout=LONG)
    assert "real training steps" in tab.estimate_label.text()

    events, saved = [], []
    tab.controller._trainer.event.connect(events.append)
    tab.model_saved.connect(saved.append)
    qtbot.mouseClick(tab.start_button, Qt.MouseButton.LeftButton)
    assert tab.state == RunState.STARTING and not tab.folder_button.isEnabled()
    qtbot.waitUntil(lambda: len(tab.plot.points("train")) >= 3 and bool(tab.plot.points("val")), timeout=LONG)
    assert tab.state == RunState.RUNNING and tab.progress.value() > 0 and tab.progress.maximum() == 300
    assert "left" in tab.eta_label.text()
    assert tab.preview.has_image() and tab.preview_combo.itemText(0) == "before training"
    assert "Held-out photos" in tab.metrics_label.text()
    hint_worker = window.colorize_tab.hints.worker
    assert tab.training and hint_worker.threads_for_preview() == 1   # hint previews leave training the cores

    qtbot.mouseClick(tab.pause_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.state == RunState.PAUSED, timeout=LONG)
    assert not tab.training and hint_worker.threads_for_preview() is None
    assert not tab.resume_button.isHidden() and tab.resume_button.isEnabled()
    qtbot.mouseClick(tab.stop_button, Qt.MouseButton.LeftButton)
    assert tab.banner.button("Save the model so far") is not None  # Stop offers to keep the model
    qtbot.mouseClick(tab.banner.button("Stop without saving"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.state == RunState.STOPPED, timeout=LONG)
    stopped = next(e for e in events if e["event"] == "stopped")["step"]
    assert 0 < stopped < 300 and not saved
    assert read_checkpoint(tab.session.checkpoint)["step"] == stopped

    events.clear()
    points_before = len(tab.plot.points("train"))
    qtbot.mouseClick(tab.resume_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: any(e["event"] == "progress" for e in events), timeout=LONG)
    first = next(e for e in events if e["event"] == "progress")
    assert first["step"] == stopped + 1                            # continued from the checkpoint
    qtbot.waitUntil(lambda: tab.state == RunState.FINISHED, timeout=LONG)
    assert len(tab.plot.points("train")) > points_before
    assert tab.plot.points("val")[-1][0] == 300

    # The saved model is everywhere the default model is.
    assert len(saved) == 1
    path = saved[0]
    assert path == str(user_models_dir() / "family.safetensors")
    assert "saved as “family”" in tab.banner.label.text()
    combo = window.colorize_tab.settings_panel.model_combo
    assert path in [combo.itemData(i) for i in range(combo.count())]
    from engine.cli import main as colorize_main

    assert colorize_main(["--list-models"]) == 0
    assert "family" in capsys.readouterr().out
    from engine.infer import Colorizer

    result = Colorizer(path).colorize(make_photo("grandma.jpg", size=(96, 80)))
    assert result.rgb.shape == (80, 96, 3)
    assert not tab.start_button.isEnabled()                       # that name is now taken
    qtbot.waitUntil(lambda: not window.colorize_tab.controller.model_loading, timeout=60_000)


def test_after_a_restart_the_tab_offers_to_resume(qtbot, collection, tiny_model_path):
    session = create_session(tiny_options(collection, tiny_model_path, steps=400))
    events = []
    script = Script({3: finetune.STOP})
    for e in run_session(session, resume=False, next_command=script):
        events.append(script.observe(e))
    stopped = events[-1]["step"]

    tab = ft.FineTuneTab()                                        # as after restarting the app
    qtbot.addWidget(tab)
    assert tab.state == RunState.STOPPED and tab.session.dir == session.dir
    assert "unfinished fine-tuning of “family”" in tab.banner.label.text()
    assert tab.plot.points("train") and tab.plot.points("val")    # the curves so far are redrawn
    assert tab.name_edit.text() == "family" and tab.folder_edit.text() == str(collection)
    progress = []
    tab.controller._trainer.event.connect(lambda e: progress.append(e) if e["event"] == "progress" else None)
    qtbot.mouseClick(tab.banner.button("Resume"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(progress), timeout=LONG)
    assert progress[0]["step"] == stopped + 1

    # The worker dies (as if killed for lack of memory): the tab says so and offers to resume.
    tab.controller._trainer.kill()
    qtbot.waitUntil(lambda: tab.state == RunState.FAILED, timeout=30_000)
    assert "ended unexpectedly" in tab.banner.label.text()
    assert tab.banner.button("Resume") is not None and tab.banner.button("Resume with a smaller batch")
    qtbot.mouseClick(tab.discard_button, Qt.MouseButton.LeftButton)
    assert tab.state == RunState.IDLE and not session.dir.exists()


def test_out_of_memory_is_explained_with_advice(qtbot, collection, tiny_model_path, monkeypatch):
    tab = ft.FineTuneTab()
    qtbot.addWidget(tab)
    session = create_session(tiny_options(collection, tiny_model_path, batch_size=8))
    session.checkpoint.write_bytes(b"a checkpoint")
    tab.controller._show_session(session)
    tab.run.force(RunState.RUNNING)
    failure = finetune.describe_failure(RuntimeError("CUDA out of memory"), session.train_settings())
    tab.controller._on_trainer_event({"event": "error", **failure, "step": 7, "resumable": True})
    assert tab.state == RunState.FAILED and tab.banner.kind == "error"
    assert "ran out of memory" in tab.banner.label.text()
    assert "smaller batch size or crop size" in tab.banner.label.text()
    launched = []
    monkeypatch.setattr(tab.controller, "_launch", lambda resume: launched.append(resume))
    qtbot.mouseClick(tab.banner.button("Resume with a smaller batch"), Qt.MouseButton.LeftButton)
    assert launched == [True]
    assert finetune.Session.load(session.dir).settings["batch_size"] == 4


def test_model_manager_refuses_corrupt_and_hostile_files(qtbot, tiny_model_path, tmp_path, monkeypatch):
    manager = QModelManager()
    qtbot.addWidget(manager)
    hostile = tmp_path / "present.pt"
    hostile.write_bytes(b"\x80\x04\x95 pickled code would run here")
    corrupt = tmp_path / "broken.safetensors"
    corrupt.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all")
    for bad, reason in ((hostile, "can run code"), (corrupt, "damaged")):
        monkeypatch.setattr(manager, "ask_import_path", lambda bad=bad: str(bad))
        with qtbot.assertNotEmitted(manager.models_changed):
            qtbot.mouseClick(manager.import_button, Qt.MouseButton.LeftButton)
        assert not manager.message.isHidden() and manager.message.property("error")
        assert "was not imported" in manager.message.text() and reason in manager.message.text()
    assert not [e for e in list_models() if e.source == "user"]

    monkeypatch.setattr(manager, "ask_import_path", lambda: str(tiny_model_path))
    with qtbot.waitSignal(manager.models_changed):
        qtbot.mouseClick(manager.import_button, Qt.MouseButton.LeftButton)
    assert manager.selected_name() == "tiny" and manager.rename_button.isEnabled()
    monkeypatch.setattr(manager, "ask_new_name", lambda name: "holiday")
    with qtbot.waitSignal(manager.models_changed):
        qtbot.mouseClick(manager.rename_button, Qt.MouseButton.LeftButton)
    monkeypatch.setattr(manager, "ask_export_path", lambda name: str(tmp_path / "shared-copy"))
    qtbot.mouseClick(manager.export_button, Qt.MouseButton.LeftButton)
    assert (tmp_path / "shared-copy.safetensors").is_file()
    monkeypatch.setattr(manager, "confirm_delete", lambda name: True)
    with qtbot.waitSignal(manager.models_changed):
        qtbot.mouseClick(manager.delete_button, Qt.MouseButton.LeftButton)
    assert not [e for e in list_models() if e.source == "user"]


def test_plot_keeps_curves_monotonic_and_paints(qtbot):
    plot = QLinePlot(x_label="step", y_label="loss")
    qtbot.addWidget(plot)
    plot.add_series("a", "training", "#1565c0")
    plot.grab()                                                   # empty: draws the placeholder
    for step, y in ((1, 3.0), (2, 2.5), (3, float("nan")), (4, 2.0)):
        plot.append("a", step, y)
    plot.append("a", 3, 2.2)                                      # a resumed run repeats step 3
    assert plot.points("a") == [(1, 3.0), (2, 2.5), (3, 2.2)]
    plot.set_x_max(100)
    plot.resize(400, 200)
    assert not plot.grab().isNull()
    assert nice_ticks(0, 300, 6) == [0, 50, 100, 150, 200, 250, 300]


def test_an_estimate_far_off_its_preset_is_measured_again_by_itself(qtbot, collection, tiny_model_path,
                                                                     monkeypatch):
    """Issue 23: measured while the computer was busy, Quick said 1 h 03 min ("minutes on a laptop
    CPU"); only the small refresh button gave 10 min. Here every real measurement is far off, as
    if the laptop the presets promise were a thousand times faster than this one."""
    from colorizer_gui.finetune import choices

    monkeypatch.setattr(choices, "LAPTOP_CROPS_PER_SECOND", 1e6)
    monkeypatch.setattr(ft, "REMEASURE_DELAY_MS", 200)
    tab = ft.FineTuneTab()
    qtbot.addWidget(tab)
    tab.add_base_model(tiny_model_path)
    tab.set_folder(collection)
    qtbot.waitUntil(lambda: tab.scan is not None, timeout=30_000)
    set_small_run(tab, steps=50)
    starts = []
    tab._estimator.event.connect(lambda ev: starts.append(ev.get("event")))
    qtbot.waitUntil(lambda: "Measuring again in a moment" in tab.estimate_label.text(), timeout=LONG)
    assert "the computer was probably busy" in tab.estimate_label.text()
    qtbot.waitUntil(lambda: "Estimated time" in tab.estimate_label.text(), timeout=LONG)
    assert "measured twice" in tab.estimate_label.text()
    assert starts.count("estimate") == 2     # once more by itself, then shown: no endless re-measuring
