"""engine.files.atomic_write: the one way anything is written (photos, models, hints, settings...)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import make_tiny_model

from engine.files import atomic_write, is_partial_name


def _dead_partial(folder: Path, stem: str) -> Path:
    """A partial left by a writer that died (kill -9): same host, a process that has exited."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    host = "".join(c for c in socket.gethostname() if c.isalnum())[:24] or "host"
    path = folder / f".{stem}.colorizer-{host}-{child.pid}-a1b2c3d4.partial"
    folder.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"half")
    return path


def test_writes_whole_file_with_ordinary_permissions(tmp_path):
    dest = tmp_path / "new" / "deeper" / "notes.txt"
    with atomic_write(dest, "w") as f:
        f.write("héllo\n")
        assert not dest.exists()  # nothing under the real name until it is complete
        (partial,) = dest.parent.iterdir()
        assert is_partial_name(partial.name) and partial.name.startswith(".notes.colorizer-")
    assert dest.read_bytes() == "héllo\n".encode()  # UTF-8 whatever the locale
    assert list(dest.parent.iterdir()) == [dest]
    mask = os.umask(0)
    os.umask(mask)
    assert dest.stat().st_mode & 0o777 == 0o666 & ~mask


def test_a_failure_keeps_the_old_file_and_leaves_nothing(tmp_path):
    dest = tmp_path / "settings.json"
    dest.write_text("old")
    with pytest.raises(RuntimeError), atomic_write(dest, "w") as f:
        f.write("new, but never finished")
        raise RuntimeError("encoder gave up")
    assert dest.read_text() == "old"
    assert list(tmp_path.iterdir()) == [dest]
    # Folders made only for a failed write are removed again.
    with pytest.raises(KeyboardInterrupt), atomic_write(tmp_path / "a" / "b" / "x.bin") as f:
        f.write(b"x")
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == [dest]


def test_kill_9_leaves_a_partial_that_the_next_write_removes(tmp_path):
    dest = tmp_path / "model.safetensors"
    code = textwrap.dedent(f"""
        import sys, time
        from engine.files import atomic_write
        with atomic_write({str(dest)!r}) as f:
            f.write(b"x" * 1000)
            f.flush()
            print("writing", flush=True)
            time.sleep(60)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parents[1])
    assert proc.stdout.readline().strip() == "writing"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    (left,) = tmp_path.iterdir()
    assert is_partial_name(left.name) and not dest.exists()
    with atomic_write(dest) as f:
        f.write(b"complete")
    assert list(tmp_path.iterdir()) == [dest] and dest.read_bytes() == b"complete"


def test_every_writer_goes_through_it(tmp_path, tiny_model_path):
    """Each writer sweeps a dead writer's partial from its folder: proof it uses atomic_write."""
    from colorizer_gui.hints.project_files import save_project
    from colorizer_gui.settings import GuiSettings, load_settings, save_settings
    from engine.hints import Hint, load_hints, save_hints
    from engine.model_manager import import_model
    from engine.weights import ModelInfo, check_model_file, save_model

    hints = [Hint(1.0, 2.0, "#112233")]
    writers = {
        "hints.json": lambda p: save_hints(hints, p),
        "gui-settings.json": lambda p: save_settings(GuiSettings(), p),
        "project.json": lambda p: save_project([], p),
        "m.safetensors": lambda p: save_model(make_tiny_model(), ModelInfo(name="m"), p),
    }
    for name, write in writers.items():
        folder = tmp_path / name.replace(".", "_")
        stale = _dead_partial(folder, Path(name).stem)
        write(folder / name)
        assert not stale.exists(), name
        assert [p.name for p in folder.iterdir()] == [name]
    assert load_hints(tmp_path / "hints_json" / "hints.json") == hints
    assert load_settings(tmp_path / "gui-settings_json" / "gui-settings.json")[1] is None
    assert check_model_file(tmp_path / "m_safetensors" / "m.safetensors").name == "m"
    imported = import_model(tiny_model_path, "copy")
    assert check_model_file(imported).name == "tiny"
    assert not any(is_partial_name(p.name) for p in imported.parent.iterdir())
