"""The one background-work mechanism (colorizer_gui/workers): real Qt threads, no mocks."""

from __future__ import annotations

import threading
import time

from PySide6.QtCore import QObject

from colorizer_gui.workers import Debounced, GeneratorWorker, LatestOnly, create_worker


def count_to(n: int, pause: float = 0.01):
    for i in range(n):
        time.sleep(pause)
        yield i
    return "counted"


def test_yields_become_signals_on_the_ui_thread(qtbot):
    ui = threading.get_ident()
    seen, threads = [], set()
    worker = create_worker(count_to, 4, _start=False,
                           _connect={"yielded": lambda v: (seen.append(v), threads.add(threading.get_ident()))})
    with qtbot.waitSignals([worker.started, worker.returned, worker.finished], order="strict",
                           check_params_cbs=[None, lambda v: v == "counted", None], timeout=10_000):
        worker.start()
    qtbot.waitUntil(lambda: len(seen) == 4)
    assert seen == [0, 1, 2, 3] and threads == {ui}


def test_quit_stops_at_the_next_yield_with_aborted_not_returned(qtbot):
    returned = []
    worker = create_worker(count_to, 10_000, _start=False, _connect={"returned": returned.append})
    worker.yielded.connect(lambda v: worker.quit() if v == 2 else None)
    with qtbot.waitSignal(worker.aborted, timeout=10_000):
        worker.start()
    qtbot.waitUntil(lambda: worker.is_done, timeout=10_000)
    qtbot.wait(50)                                  # anything still queued is delivered
    assert returned == []


def test_work_runs_without_a_thread_and_errors_arrive_as_errored(qtbot):
    def fails():
        yield 1
        raise ValueError("no such photo")

    worker = GeneratorWorker(fails)
    errors = []
    worker.errored.connect(errors.append)
    worker.work()  # on this thread: the loop itself, as superqt's tests do
    assert worker.is_done and len(errors) == 1 and str(errors[0]) == "no such photo"


def test_an_unhandled_error_is_logged(qtbot, caplog):
    def fails():
        raise OSError("disk gone")

    worker = create_worker(fails)
    assert worker.wait(10)
    qtbot.wait(50)
    assert "disk gone" in caplog.text and "fails" in caplog.text


def test_a_plain_function_returns_its_value(qtbot):
    worker = create_worker(lambda a, b: a + b, 2, 3, _start=False)
    with qtbot.waitSignal(worker.returned, check_params_cb=lambda v: v == 5, timeout=10_000):
        worker.start()


def test_latest_only_runs_the_one_in_progress_and_the_newest(qtbot):
    latest = LatestOnly()
    done, ran = [], []

    def slow(x):
        ran.append(x)
        time.sleep(0.15)
        return x

    latest.returned.connect(lambda ticket, value, current: done.append((value, current)))
    tickets = [latest.submit(slow, x) for x in range(5)]
    assert latest.busy and latest.waiting == tickets[-1]
    qtbot.waitUntil(lambda: not latest.busy and len(done) == 2, timeout=10_000)
    assert ran == [0, 4]                            # 1, 2 and 3 were replaced before they began
    assert done == [(0, False), (4, True)]          # the first is delivered, marked stale
    latest.close()


def test_latest_only_quits_a_generator_that_was_replaced(qtbot):
    latest = LatestOnly()
    steps = []

    def long_job(name):
        for i in range(1000):
            steps.append((name, i))
            time.sleep(0.005)
            yield i
        return name

    returned = []
    latest.returned.connect(lambda ticket, value, current: returned.append((value, current)))
    latest.submit(long_job, "old")
    qtbot.waitUntil(lambda: len(steps) > 2, timeout=10_000)
    latest.submit(lambda: "new")
    qtbot.waitUntil(lambda: returned == [("new", True)], timeout=10_000)
    assert len([s for s in steps if s[0] == "old"]) < 1000   # stopped at a yield, never returned


def test_discard_makes_the_running_result_stale(qtbot):
    latest = LatestOnly()
    results = []
    latest.returned.connect(lambda ticket, value, current: results.append((value, current)))
    latest.submit(lambda: (time.sleep(0.1), "a")[1])
    latest.discard()
    qtbot.waitUntil(lambda: results == [("a", False)], timeout=10_000)
    assert latest.wait_idle(5)


def test_latest_only_errors_arrive_with_their_ticket(qtbot):
    latest = LatestOnly()
    errors = []
    latest.errored.connect(lambda ticket, exc, current: errors.append((ticket, str(exc), current)))

    def fails():
        raise RuntimeError("out of memory")

    ticket = latest.submit(fails)
    qtbot.waitUntil(lambda: errors == [(ticket, "out of memory", True)], timeout=10_000)


def test_debounced_calls_once_after_the_burst_and_not_after_its_owner_is_gone(qtbot):
    calls = []
    owner = QObject()
    debounced = Debounced(lambda: calls.append(time.monotonic()), 60, owner)
    for _ in range(5):                              # a burst: each trigger restarts the wait
        last = time.monotonic()
        debounced.trigger("a signal's argument")
        qtbot.wait(20)
    assert calls == [] and debounced.pending
    qtbot.waitUntil(lambda: len(calls) == 1, timeout=5_000)
    qtbot.wait(150)
    assert len(calls) == 1 and calls[0] - last >= 0.06 * 0.9 and not debounced.pending

    debounced.trigger()
    debounced.flush()                               # before closing: now, once
    assert len(calls) == 2 and not debounced.pending
    debounced.flush()
    assert len(calls) == 2

    debounced.trigger(delay_ms=10_000)
    debounced.cancel()
    debounced.trigger()
    owner.deleteLater()                             # the view closes with a call pending
    qtbot.wait(200)
    assert len(calls) == 2


def test_clicking_through_photos_shows_only_the_last_ones_before_image(qtbot, tmp_path):
    """The viewer's "before" decode: the newest selection wins, a superseded photo never appears."""
    from PIL import Image

    from colorizer_gui.workspace.previews import ImageLoader

    paths = []
    for i in range(6):
        paths.append(tmp_path / f"p{i}.png")
        Image.new("L", (400 + 40 * i, 300), 30 * i).save(paths[-1])
    loader = ImageLoader()
    shown: list = []
    loader.before_loaded.connect(shown.append)
    for i, path in enumerate(paths):          # faster than the decodes: most are superseded
        loader.load_before(i, path)
    qtbot.waitUntil(lambda: bool(shown) and shown[-1].item_id == 5, timeout=10_000)
    qtbot.wait(200)                            # anything still on its way would arrive now
    loader.close()
    assert [r.item_id for r in shown] == [5]
    assert (shown[0].image.width(), shown[0].image.height()) == (600, 300) and not shown[0].error
    assert shown[0].image.pixelColor(10, 10).red() == 150
