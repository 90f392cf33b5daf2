"""Where the photo lies in the before/after viewer: its panes, fit, zoom around the cursor, pan and
the split divider, in plain numbers.

No Qt here, so that the arithmetic can be tested without a window and read in one place;
`CompareView` (qt_compare_view.py) turns these tuples into QPointF/QRectF at its edge.

Coordinates: the viewer works in the full photo's pixel coordinates ("image coordinates"),
whatever the size of the previews it draws, so the before and after images always line up.
`center` is the image point shown at the middle of every pane and `scale` is on-screen pixels
per photo pixel; one mapping (`image_to_widget` / `widget_to_image`) serves painting, the mouse
and the hint overlay.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import NamedTuple

MIN_ZOOM = 0.02
MAX_ZOOM = 16.0
DIVIDER_GRAB = 10       # pixels either side of the divider that grab it
PANE_GAP = 6
FIT_MARGIN = 12


class CompareMode(str, Enum):
    SPLIT = "split"
    SIDE_BY_SIDE = "side_by_side"
    AFTER = "after"

    @property
    def label(self) -> str:
        return {"split": "Split", "side_by_side": "Side by side", "after": "After only"}[self.value]


MODE_ORDER = [CompareMode.SPLIT, CompareMode.SIDE_BY_SIDE, CompareMode.AFTER]


class Rect(NamedTuple):
    """A rectangle in widget pixels (a pane, or where the photo lies)."""

    left: float
    top: float
    width: float
    height: float

    def center(self) -> tuple[float, float]:
        return self.left + self.width / 2, self.top + self.height / 2

    def contains(self, x: float, y: float) -> bool:
        """Edges included, and an empty rectangle holds nothing (as QRectF.contains)."""
        if self.width == 0 or self.height == 0:
            return False
        left, right = sorted((self.left, self.left + self.width))
        top, bottom = sorted((self.top, self.top + self.height))
        return left <= x <= right and top <= y <= bottom


class CompareGeometry:
    """The viewer's state in numbers: photo size, mode, divider, zoom and pan.

    `view_size` gives the widget's size when asked (the widget's own size is the truth, also
    between a resize and its resize event). The methods that change the zoom return True when it
    changed, so the widget can say so (`zoom_changed`); none of them repaints.
    """

    def __init__(self, view_size: Callable[[], tuple[float, float]]) -> None:
        self.view_size = view_size
        self.photo: tuple[float, float] = (-1.0, -1.0)   # the full photo's size; not positive: none
        self.mode = CompareMode.SPLIT
        self.divider = 0.5         # the split divider, 0 (left edge) to 1 (right edge)
        self.scale = 1.0
        self.center: tuple[float, float] = (0.0, 0.0)
        self.fit = True            # follow the widget's size, fitting the whole photo

    def has_photo(self) -> bool:
        return self.photo[0] > 0 and self.photo[1] > 0

    # --- panes and the divider ---------------------------------------------------------------------------

    def panes(self) -> list[tuple[Rect, str]]:
        """Each pane with the side it shows: "before" and "after" side by side, else one "split" or "after"."""
        width, height = self.view_size()
        if self.mode is CompareMode.SIDE_BY_SIDE:
            w = (width - PANE_GAP) / 2
            return [(Rect(0.0, 0.0, w, height), "before"), (Rect(w + PANE_GAP, 0.0, w, height), "after")]
        return [(Rect(0.0, 0.0, width, height), "split" if self.mode is CompareMode.SPLIT else "after")]

    def pane_at(self, x: float, y: float) -> Rect:
        """The pane under a widget position (the first one between or outside them)."""
        panes = self.panes()
        for pane, _ in panes:
            if pane.contains(x, y):
                return pane
        return panes[0][0]

    def divider_x(self) -> float:
        pane = self.panes()[0][0]
        return pane.left + self.divider * pane.width

    def divider_at(self, x: float) -> float:
        """The divider position that puts the divider at widget x (not clamped)."""
        pane = self.panes()[0][0]
        return (x - pane.left) / max(1.0, pane.width)

    def on_divider(self, x: float) -> bool:
        """Whether a press at widget x grabs the split divider."""
        return (self.mode is CompareMode.SPLIT and self.has_photo()
                and abs(x - self.divider_x()) <= DIVIDER_GRAB)

    # --- the one mapping between the photo and the widget ----------------------------------------------------

    def image_to_widget(self, x: float, y: float, pane: Rect | None = None) -> tuple[float, float]:
        cx, cy = (pane or self.panes()[0][0]).center()
        return cx + (x - self.center[0]) * self.scale, cy + (y - self.center[1]) * self.scale

    def widget_to_image(self, x: float, y: float, pane: Rect | None = None) -> tuple[float, float]:
        cx, cy = (pane or self.pane_at(x, y)).center()
        return self.center[0] + (x - cx) / self.scale, self.center[1] + (y - cy) / self.scale

    def photo_rect(self, pane: Rect | None = None) -> Rect:
        """Where the whole photo lies in widget coordinates (in the given pane)."""
        left, top = self.image_to_widget(0.0, 0.0, pane)
        return Rect(left, top, self.photo[0] * self.scale, self.photo[1] * self.scale)

    # --- fit, zoom and pan ---------------------------------------------------------------------------------

    def fit_scale(self) -> float:
        if not self.has_photo():
            return 1.0
        pane = self.panes()[0][0]
        w = max(1.0, pane.width - 2 * FIT_MARGIN)
        h = max(1.0, pane.height - 2 * FIT_MARGIN)
        return min(w / self.photo[0], h / self.photo[1])

    def min_zoom(self) -> float:
        # half the fit, so one can zoom out past it a little, but never below MIN_ZOOM nor above 50 %
        return max(MIN_ZOOM, min(0.5, self.fit_scale() * 0.5))

    def apply_fit(self) -> bool:
        """Fit the whole photo, centred. True when the zoom changed."""
        if not self.has_photo():
            return False
        old = self.scale
        self.scale = self.fit_scale()
        self.center = (self.photo[0] / 2, self.photo[1] / 2)
        return abs(old - self.scale) > 1e-9

    def clamp_center(self) -> None:
        """Keep the middle of the view on the photo, so it cannot be panned out of sight."""
        self.center = (min(max(self.center[0], 0.0), self.photo[0]), min(max(self.center[1], 0.0), self.photo[1]))

    def zoom_to(self, scale: float, anchor: tuple[float, float] | None = None) -> bool:
        """Zoom to `scale`, keeping the photo point under `anchor` (widget coordinates; the first
        pane's middle when None) where it is. False when there is no photo."""
        if not self.has_photo():
            return False
        scale = min(MAX_ZOOM, max(self.min_zoom(), float(scale)))
        pane = self.pane_at(*anchor) if anchor is not None else self.panes()[0][0]
        ax, ay = anchor if anchor is not None else pane.center()
        fixed_x, fixed_y = self.widget_to_image(ax, ay, pane)
        self.scale = scale
        self.fit = False
        cx, cy = pane.center()
        self.center = (fixed_x - (ax - cx) / scale, fixed_y - (ay - cy) / scale)
        self.clamp_center()
        return True

    def pan_by(self, dx: float, dy: float) -> bool:
        """Move the photo by (dx, dy) screen pixels. False when there is no photo."""
        if not self.has_photo():
            return False
        self.center = (self.center[0] - dx / self.scale, self.center[1] - dy / self.scale)
        self.fit = False
        self.clamp_center()
        return True

    def set_mode(self, mode: CompareMode) -> bool:
        """The panes change, so fit again (or keep the middle on the photo). True when the zoom changed."""
        self.mode = mode
        if self.fit:
            return self.apply_fit()
        self.clamp_center()
        return False

    def new_photo(self, size: tuple[float, float]) -> bool:
        """Another photo of this size (not positive: none): fit it. True when the zoom changed."""
        self.photo = (float(size[0]), float(size[1]))
        self.fit = True
        return self.apply_fit()

    def adopt_size(self, size: tuple[float, float]) -> bool:
        """An image arrived before the photo's size was known: take its size. True when the zoom changed."""
        if self.has_photo():
            return False
        return self.new_photo(size)

    def change_photo_size(self, size: tuple[float, float]) -> bool:
        """The full-resolution size became known (the previews stay): fit again if fitting, else
        keep the same part of the photo at the same size on screen. True when the zoom changed."""
        old = self.photo
        had_photo = self.has_photo()
        self.photo = (float(size[0]), float(size[1]))
        if self.fit or not had_photo:
            self.fit = True
            return self.apply_fit()
        factor = self.photo[0] / old[0]
        self.scale /= factor
        self.center = (self.center[0] * factor, self.center[1] * factor)
        return True
