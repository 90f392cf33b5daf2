#!/usr/bin/env bash
# Build Colorizer as a self-contained one-folder app with PyInstaller, then prove it works.
#
#   bash packaging/build.sh            # build dist/Colorizer/, then run packaging/smoke_test.sh on it
#   bash packaging/build.sh --no-test  # build only
#
# Uses the active virtual environment, or ./.venv (created if missing). The build needs the CPU
# build of PyTorch (a CUDA build makes a bundle of several GB); see packaging/NOTES.md for
# Windows and macOS. The result: dist/Colorizer/colorizer (the app), dist/Colorizer/colorize
# (the command line); on macOS also dist/Colorizer.app.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
test_after=1
[ "${1:-}" = "--no-test" ] && test_after=0

model=resources/models/colorizer-base.safetensors
if [ ! -f "$model" ]; then
    echo "build.sh: the bundled model $model is missing; export it before building" >&2
    echo "          (colorize-train ... exports one; see resources/models/MODEL_CARD.md)" >&2
    exit 1
fi

if [ -z "${VIRTUAL_ENV:-}" ]; then
    [ -d .venv ] || python3 -m venv .venv
    if [ -f .venv/Scripts/activate ]; then . .venv/Scripts/activate; else . .venv/bin/activate; fi
fi
# The CPU index beside PyPI, as the README's install line: where both offer torch 2.13.0, pip takes
# 2.13.0+cpu, so a fresh Linux build never pulls the multi-GB CUDA build into the bundle.
python -c "import torch" 2>/dev/null || pip install "${TORCH_REQUIREMENT:-torch==2.13.0}" \
    --extra-index-url https://download.pytorch.org/whl/cpu
pip install -q -e ".[package]"
if [ "$(python -c 'import torch; print(torch.version.cuda or "")')" != "" ] && [ "${COLORIZER_ALLOW_CUDA:-0}" != 1 ]; then
    echo "build.sh: this environment has a CUDA build of torch ($(python -c 'import torch; print(torch.__version__)'));" >&2
    echo "          install the CPU build (packaging/NOTES.md) or set COLORIZER_ALLOW_CUDA=1 for a multi-GB bundle" >&2
    exit 1
fi

echo "build.sh: building with $(python -c 'import sys, torch, PySide6, PyInstaller; print(f"Python {sys.version.split()[0]}, torch {torch.__version__}, PySide6 {PySide6.__version__}, PyInstaller {PyInstaller.__version__}")')"
python -m PyInstaller --noconfirm --clean --log-level "${PYINSTALLER_LOG_LEVEL:-WARN}" \
    --distpath dist --workpath build/pyinstaller packaging/colorizer.spec
# Files keep the build tree's permissions; make everything readable for every user of an install.
chmod -R u+rwX,go+rX-w dist/Colorizer
du -sh dist/Colorizer
echo "build.sh: built dist/Colorizer in $((SECONDS - started)) s"

if [ "$test_after" = 1 ]; then
    bash packaging/smoke_test.sh dist/Colorizer
fi
