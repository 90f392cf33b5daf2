#!/usr/bin/env bash
# Prove that a built bundle works on its own: copy it to a temporary folder and run, with an
# environment that sees no Python, no virtual environment and no user settings (on Linux as root,
# also with the folders of every Python installation and of this checkout hidden behind empty
# mounts in a private mount namespace, so nothing can be loaded from them even by absolute path),
#   1. `colorizer --self-test` (Qt offscreen, bundled model, bundled sample -> colour, full size);
#   2. `colorize` on a bundled sample photo, checking its exit status and the written file;
#   3. the app itself, offscreen, for a while: it must start its window and not fail;
#   4. that no shared library in the bundle resolves to the build machine's Python environment.
#
#   bash packaging/smoke_test.sh [dist/Colorizer]
set -euo pipefail
bundle=$(cd "${1:-dist/Colorizer}" && pwd)
repo=$(cd "$(dirname "$0")/.." && pwd)
exe=""
case "$(uname -s)" in MINGW*|MSYS*|CYGWIN*) exe=.exe ;; esac
for name in colorizer colorize; do
    [ -x "$bundle/$name$exe" ] || { echo "smoke_test: $bundle/$name$exe is missing" >&2; exit 1; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/colorizer-smoke.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cp -a "$bundle" "$tmp/Colorizer"
app="$tmp/Colorizer"
mkdir -p "$tmp/home" "$tmp/out"
cd "$tmp"
clean_env=(env -i "PATH=/usr/bin:/bin" "HOME=$tmp/home" "TMPDIR=$tmp" "LANG=C.UTF-8")
[ -n "$exe" ] && clean_env=(env)  # Windows needs its system environment; there is no venv on PATH in CI

fail() { echo "smoke_test: FAILED: $*" >&2; exit 1; }

# Folders to hide: this checkout, and the standard library and site-packages of the Python that
# built the bundle (and of any python3 on PATH), except where the bundle copy itself lies.
hide=()
if [ -z "$exe" ] && [ "$(id -u)" = 0 ] && command -v unshare >/dev/null && unshare -m true 2>/dev/null; then
    for py in python python3; do
        command -v "$py" >/dev/null || continue
        while IFS= read -r dir; do
            [ -d "$dir" ] && [[ "$tmp/" != "$dir/"* ]] && hide+=("$dir")
        done < <("$py" -c 'import sys, sysconfig; p = sysconfig.get_paths()
print("\n".join({p[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")} | {sys.prefix}))' 2>/dev/null)
    done
    [[ "$tmp/" != "$repo/"* ]] && hide+=("$repo")
    # sorted, without empty names and without folders inside another hidden one
    mapfile -t hide < <(printf '%s\n' "${hide[@]}" | sort -u | awk 'NF { for (i = 1; i <= n; i++) if (index($0, kept[i] "/") == 1) next; kept[++n] = $0; print }')
    echo "smoke_test: hiding ${hide[*]}"
fi

# Run a command in the clean environment, with the folders above hidden.
run() {
    if [ ${#hide[@]} -gt 0 ]; then
        unshare -m sh -c 'n=$1; shift; while [ "$n" -gt 0 ]; do mount -t tmpfs none "$1" || exit 97; shift; n=$((n-1)); done
exec "$@"' sh "${#hide[@]}" "${hide[@]}" "${clean_env[@]}" "$@"
    else
        "${clean_env[@]}" "$@"
    fi
}

echo "smoke_test: bundle copied to $app ($(du -sh "$app" | cut -f1))"
start=$SECONDS
set +e
line=$(run "$app/colorizer$exe" --self-test --report "$tmp/self-test.txt" 2>"$tmp/self-test.err")
rc=$?
set -e
[ -z "$line" ] && [ -f "$tmp/self-test.txt" ] && line=$(cat "$tmp/self-test.txt")  # windowed Windows build
echo "$line"
if [ $rc -ne 0 ] || [[ "$line" != "self-test OK: "*"(bundle"* ]]; then
    cat "$tmp/self-test.err" >&2
    fail "colorizer --self-test exited $rc"
fi
echo "smoke_test: self-test passed in $((SECONDS - start)) s"

start=$SECONDS
sample="$app/_internal/resources/samples/cork-1905.jpg"
[ -f "$sample" ] || sample=$(ls "$app"/_internal/resources/samples/*.jpg | head -n 1)
run "$app/colorize$exe" --version
set +e
run "$app/colorize$exe" "$sample" -o "$tmp/out" --quiet --json > "$tmp/cli.json"
rc=$?
set -e
out="$tmp/out/$(basename "${sample%.*}")_color.jpg"
[ $rc -eq 0 ] || { cat "$tmp/cli.json"; fail "colorize exited $rc"; }
[ -s "$out" ] || { cat "$tmp/cli.json"; fail "colorize wrote no $out"; }
echo "smoke_test: colorize $(basename "$sample") -> $(basename "$out") ($(wc -c < "$out") bytes) in $((SECONDS - start)) s"

if [ -z "$exe" ] && command -v timeout >/dev/null; then
    # The real app: it must still be running (or have quit cleanly) after a while, with no traceback.
    start=$SECONDS
    set +e
    run QT_QPA_PLATFORM=offscreen timeout "${SMOKE_GUI_SECONDS:-30}" "$app/colorizer" \
        "$sample" >"$tmp/gui.out" 2>"$tmp/gui.err"
    rc=$?
    set -e
    if { [ $rc -ne 0 ] && [ $rc -ne 124 ]; } || grep -q "Traceback" "$tmp/gui.err"; then
        cat "$tmp/gui.out" "$tmp/gui.err" >&2
        fail "the app exited $rc or printed a traceback"
    fi
    echo "smoke_test: the app ran offscreen for $((SECONDS - start)) s without an error"
fi

if command -v ldd >/dev/null && [ -z "$exe" ] && [ "$(uname -s)" = Linux ]; then
    # Every shared library must come from the bundle or the operating system, never a Python install.
    leaks=$(find "$app" -type f \( -name '*.so' -o -name '*.so.*' -o -name colorizer -o -name colorize \) -print0 \
        | xargs -0 ldd 2>/dev/null | grep -E 'site-packages|/\.venv/' | sort -u || true)
    [ -z "$leaks" ] || fail "libraries resolved outside the bundle:
$leaks"
    echo "smoke_test: no library resolves outside the bundle and the system"
fi
echo "smoke_test: OK"
