"""The compare view's arithmetic without a window: fit, zoom around the cursor, pan, panes, the divider."""

from __future__ import annotations

import pytest

from colorizer_gui.workspace.compare_geometry import (
    DIVIDER_GRAB,
    FIT_MARGIN,
    MAX_ZOOM,
    MIN_ZOOM,
    PANE_GAP,
    CompareGeometry,
    CompareMode,
    Rect,
)


def geometry(width: float = 600, height: float = 400, photo: tuple[float, float] = (4000, 3000)) -> CompareGeometry:
    g = CompareGeometry(lambda: (float(width), float(height)))
    g.new_photo(photo)
    return g


def test_a_new_photo_fits_whole_and_centred():
    g = geometry()
    assert g.fit and g.scale == pytest.approx(min((600 - 2 * FIT_MARGIN) / 4000, (400 - 2 * FIT_MARGIN) / 3000))
    assert g.center == (2000, 1500)
    left, top, w, h = g.photo_rect()
    assert left + w / 2 == pytest.approx(300) and top + h / 2 == pytest.approx(200)
    assert w <= 600 - 2 * FIT_MARGIN + 1e-9 and h <= 400 - 2 * FIT_MARGIN + 1e-9


def test_no_photo_means_nothing_to_zoom_or_pan():
    g = geometry(photo=(-1, -1))
    assert not g.has_photo() and g.fit_scale() == 1.0
    assert not g.zoom_to(2.0) and not g.pan_by(5, 5) and not g.on_divider(g.divider_x())
    assert g.adopt_size((300, 200)) and g.photo == (300, 200) and g.fit
    assert not g.adopt_size((10, 10)) and g.photo == (300, 200)   # the known size stays


def test_image_and_widget_coordinates_round_trip_in_each_pane():
    g = geometry()
    g.zoom_to(0.8, (123, 77))
    for mode in CompareMode:
        g.set_mode(mode)
        for pane, _ in g.panes():
            wx, wy = g.image_to_widget(1234.5, 678.25, pane)
            assert g.widget_to_image(wx, wy, pane) == pytest.approx((1234.5, 678.25))


def test_side_by_side_panes_show_the_same_point_in_the_same_place():
    g = geometry()
    g.set_mode(CompareMode.SIDE_BY_SIDE)
    (left, before), (right, after) = g.panes()
    assert (before, after) == ("before", "after")
    assert left == Rect(0, 0, (600 - PANE_GAP) / 2, 400) and right.left == left.width + PANE_GAP
    lx, ly = g.image_to_widget(100, 100, left)
    rx, ry = g.image_to_widget(100, 100, right)
    assert rx - lx == pytest.approx(right.left) and ry == ly
    assert g.pane_at(450, 10) == right and g.pane_at(298, 10) == left
    assert g.pane_at(600 / 2, 10) == left   # in the gap: the first pane


def test_zoom_keeps_the_point_under_the_cursor():
    g = geometry()
    anchor = (450.0, 120.0)
    fixed = g.widget_to_image(*anchor)
    assert g.zoom_to(0.5, anchor) and not g.fit and g.scale == 0.5
    assert g.widget_to_image(*anchor) == pytest.approx(fixed)
    assert g.image_to_widget(*fixed) == pytest.approx(anchor)


def test_zoom_is_kept_within_its_limits():
    g = geometry()
    g.zoom_to(1000)
    assert g.scale == MAX_ZOOM
    g.zoom_to(0)
    assert g.scale == max(MIN_ZOOM, min(0.5, g.fit_scale() * 0.5))


def test_pan_moves_the_photo_with_the_mouse_and_never_out_of_sight():
    g = geometry()
    g.zoom_to(1.0)
    before = g.widget_to_image(300, 200)
    assert g.pan_by(-40, -30)
    assert g.widget_to_image(300, 200) == pytest.approx((before[0] + 40, before[1] + 30))
    g.pan_by(1e6, -1e6)
    assert g.center == (0.0, 3000.0)   # the middle of the view stays on the photo


def test_resize_and_mode_change_fit_again_only_when_fitting():
    size = (600.0, 400.0)
    g = CompareGeometry(lambda: size)     # the widget's size, asked each time
    g.new_photo((4000, 3000))
    size = (300.0, 400.0)                 # a resize: now the width limits it
    assert g.apply_fit() and g.scale == pytest.approx((300 - 2 * FIT_MARGIN) / 4000)
    assert not g.set_mode(CompareMode.AFTER)              # one pane either way: same fit
    assert g.set_mode(CompareMode.SIDE_BY_SIDE)           # half as wide: smaller
    g.zoom_to(2.0)
    assert not g.set_mode(CompareMode.SPLIT) and g.scale == 2.0


def test_the_full_size_arriving_keeps_what_is_on_screen():
    g = geometry(photo=(400, 300))            # a preview's size first
    g.zoom_to(1.0, (100, 100))
    shown = g.photo_rect()
    assert g.change_photo_size((4000, 3000))   # zoom changed, to one tenth
    assert g.scale == pytest.approx(0.1)
    assert g.photo_rect() == pytest.approx(shown)
    g.apply_fit()
    g.fit = True
    g.change_photo_size((8000, 6000))
    assert g.fit and g.scale == pytest.approx(g.fit_scale())


def test_the_divider_is_grabbed_near_it_and_follows_the_mouse():
    g = geometry()
    assert g.divider_x() == 300 and g.divider_at(150) == 0.25
    assert g.on_divider(300 + DIVIDER_GRAB) and not g.on_divider(300 + DIVIDER_GRAB + 1)
    g.set_mode(CompareMode.AFTER)
    assert not g.on_divider(300)


def test_rect_contains_its_edges_and_an_empty_one_nothing():
    assert Rect(0, 0, 10, 5).contains(10, 5) and Rect(0, 0, 10, 5).contains(0, 0)
    assert not Rect(0, 0, 10, 5).contains(10.01, 2)
    assert not Rect(0, 0, 0, 5).contains(0, 2)
    assert Rect(2, 4, 10, 6).center() == (7, 7)
