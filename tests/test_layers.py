"""The layer contract (pyproject.toml [tool.importlinter]) holds, and the eval extra is optional."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(shutil.which("lint-imports") is None, reason="import-linter (the test extra) is not installed")
def test_import_contracts_are_kept():
    run = subprocess.run(["lint-imports"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "2 kept, 0 broken" in run.stdout


# Runs a program with scikit-image made unimportable, as on an install without the [eval] extra.
_WITHOUT_SKIMAGE = textwrap.dedent("""
    import sys
    class _Absent:
        def find_spec(self, name, path=None, target=None):
            if name == "skimage" or name.startswith("skimage."):
                raise ModuleNotFoundError(f"No module named {name!r}")
    sys.meta_path.insert(0, _Absent())
""")


def _run_without_skimage(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", _WITHOUT_SKIMAGE + textwrap.dedent(code)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_eval_without_scikit_image_says_how_to_install_it(tmp_path, make_photo):
    make_photo("a.png", mode="RGB", folder=tmp_path / "val")
    run = _run_without_skimage(f"""
        from engine.eval_cli import main
        raise SystemExit(main([{str(tmp_path / "val")!r}]))
    """)
    assert run.returncode == 2, run.stderr
    assert 'pip install "colorizer[eval]"' in run.stderr and "Traceback" not in run.stderr


def test_colorizing_and_training_need_no_scikit_image():
    run = _run_without_skimage("""
        import engine.batch, engine.cli, engine.train, engine.finetune, engine.metrics
        import engine.color
        print(engine.color.psnr_from_mse(0.01))
    """)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "20.0"
