#!/bin/sh
# Adds Colorizer to your desktop's application menu (for this user): run it from the unpacked
# Colorizer folder, wherever you keep it. Run it again after moving the folder.
# --uninstall removes the menu entry and icon again.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
id=colorizer
apps="${XDG_DATA_HOME:-$HOME/.local/share}/applications"
icons="${XDG_DATA_HOME:-$HOME/.local/share}/icons/hicolor/512x512/apps"
if [ "${1:-}" = "--uninstall" ]; then
    rm -f "$apps/$id.desktop" "$icons/$id.png"
    echo "removed $apps/$id.desktop"
    exit 0
fi
mkdir -p "$apps" "$icons"
cp "$here/_internal/resources/icons/app.png" "$icons/$id.png"
sed "s|^Exec=colorizer |Exec=\"$here/colorizer\" |" "$here/share/applications/$id.desktop" > "$apps/$id.desktop"
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database "$apps" || true
echo "added $apps/$id.desktop (runs $here/colorizer)"
