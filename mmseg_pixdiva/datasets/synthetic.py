"""Synthetic DIVA-HisDB-like manuscript pages with exact ground truth.

Pure numpy + OpenCV; no torch, no mmseg. A page is drawn as a set of *ink
layers* (anti-aliased coverage maps, one per ink colour) on a parchment
background; the GT is derived from the very same layers, so image and labels
agree pixel for pixel.

The GT follows DIVA-HisDB exactly, as found by inspecting the real pages
(csg863, cb55):

* **blue** = bit flags, 0x01 background, 0x02 comment, 0x04 decoration,
  0x08 main text. A labelled element covers its ink *and* a thin halo around
  it (the real GT's polygons hug the strokes and fill the gaps inside a
  word). Where the regions of two classes overlap, their bits are OR-ed:
  a gloss touching a main-text line gives 0x0A, a red stroke over a letter or
  a rubricated heading gives 0x0C, a comment over a decoration 0x06, a note
  across a red-touched letter 0x0E. Every page (of at least about 192x192
  pixels) holds all eight values 1, 2, 4, 6, 8, 10, 12, 14, so the splits
  of a dataset share one class list. Background pixels are exactly 0x01;
  foreground values never carry 0x01.
* **red** = 0x80 on the *boundary* pixels: the labelled pixels that are not
  ink, i.e. the halo on the outer side of the stroke outline (and the small
  gaps between strokes). In the real GT red=128 occurs only together with a
  foreground blue value, never on background, and the ink never touches the
  background directly; both hold here. With DeepDIVA's
  ``boundary_to_background`` the training label is therefore exactly the ink.
* **green** = 0.

Everything random comes from one ``numpy.random.Generator`` seeded with the
page seed, so a page is a pure function of ``(seed, height, width)``.
"""
import json
import operator
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np

from ..utils.atomic import (atomic_write_bytes, atomic_write_text,
                             encode_image)
from ..utils.file_signature import content_signature, has_content
from ..core.encoding import BOUNDARY_RED_BIT, HISDB_BACKGROUND

#: DIVA-HisDB blue-channel bits.
BACKGROUND = HISDB_BACKGROUND
COMMENT = 0x02
DECORATION = 0x04
MAIN_TEXT = 0x08

#: Red value of boundary pixels.
BOUNDARY_RED = BOUNDARY_RED_BIT

#: Blue values the generator can produce (the ones seen in real DIVA-HisDB).
SYNTHETIC_LABEL_VALUES = (1, 2, 4, 6, 8, 10, 12, 14)

#: Anti-aliased coverage (0..255) from which a pixel counts as ink: a
#: 1-pixel stroke between two pixel centres covers each about half.
INK_COVERAGE = 96

#: Split names and their index in the per-page seed.
SPLITS = ('train', 'val', 'test')

#: File written in the dataset root that records how it was generated.
MANIFEST_NAME = 'synthetic_manifest.json'

#: Smallest page side (pixels) the layout generator can fill.
MIN_PAGE_SIZE = 32

#: Peak memory of drawing one page, per pixel (numpy's peak under
#: tracemalloc was 92 bytes for a 1024x768 page: float32 colour planes plus
#: one coverage canvas per ink layer), rounded up: pages that cannot fit in
#: the available memory are refused before drawing.
DRAWING_BYTES_PER_PIXEL = 100

# Hershey fonts: x-height in pixels of a glyph drawn at scale 1.0 (measured).
_X_HEIGHT_AT_SCALE_1 = 15.0
_BOOK_FONTS = (cv2.FONT_HERSHEY_COMPLEX, cv2.FONT_HERSHEY_TRIPLEX)
_CURSIVE_FONTS = (cv2.FONT_HERSHEY_SCRIPT_SIMPLEX,
                  cv2.FONT_HERSHEY_SCRIPT_COMPLEX,
                  cv2.FONT_HERSHEY_SIMPLEX | cv2.FONT_ITALIC)
# Letter frequencies loosely like Latin text (minims and round letters).
_LETTERS = 'aaabcdeeeefghiiiilmmnnnooopqrrssstttuuuv'
_CAPITALS = 'ABCDEFGHILMNOPQRSTV'

# Ink colours (RGB).
_MAIN_INKS = ((52, 36, 28), (38, 30, 26), (70, 46, 32))
_COMMENT_INKS = ((112, 78, 52), (96, 70, 55), (128, 92, 60))
_RED_INKS = ((196, 58, 36), (176, 40, 32), (210, 84, 40))
_BLUE_INKS = ((46, 70, 150), (36, 58, 128))


@dataclass
class _InkLayer:
    """Anti-aliased coverage (0..255) of one ink, with its class bits."""
    bits: int
    colour: Tuple[int, int, int]
    canvas: np.ndarray
    strength: float = 1.0  # opacity of the ink at full coverage


@dataclass
class _TextStyle:
    font: int
    x_height: float
    thickness: int
    italic_shear: float = 0.0

    @property
    def scale(self) -> float:
        return self.x_height / _X_HEIGHT_AT_SCALE_1


def _random_word(rng: np.random.Generator, min_len: int, max_len: int,
                 capital: bool = False) -> str:
    n = int(rng.integers(min_len, max_len + 1))
    letters = rng.choice(list(_LETTERS), size=n)
    word = ''.join(letters)
    if capital:
        word = str(rng.choice(list(_CAPITALS))) + word[1:]
    return word


def _draw_text_line(canvas: np.ndarray, rng: np.random.Generator,
                    style: _TextStyle, x0: int, x1: int, baseline: int,
                    min_word: int = 2, max_word: int = 8,
                    capital_first: bool = False,
                    fill: float = 1.0) -> List[Tuple[int, int]]:
    """Draw words from ``x0`` up to at most ``x1``; return word x-extents."""
    gap = max(2, int(round(style.x_height * rng.uniform(0.7, 1.1))))
    x = x0
    limit = x0 + (x1 - x0) * fill
    extents = []
    first = True
    while True:
        word = _random_word(rng, min_word, max_word, capital_first and first)
        (w, _), _ = cv2.getTextSize(word, style.font, style.scale,
                                    style.thickness)
        if x + w > limit:
            if first and x + w > x1:  # the column is narrower than a word
                word = word[:max(1, len(word) * (x1 - x0) // max(w, 1))]
                (w, _), _ = cv2.getTextSize(word, style.font, style.scale,
                                            style.thickness)
                if x + w > x1:
                    break
            else:
                break
        jitter = int(round(rng.normal(0, style.x_height * 0.05)))
        cv2.putText(canvas, word, (int(x), int(baseline + jitter)),
                    style.font, style.scale, 255, style.thickness,
                    cv2.LINE_AA)
        extents.append((int(x), int(x + w)))
        x += w + gap
        first = False
    return extents


def _smooth_noise(rng: np.random.Generator, height: int, width: int,
                  cells: int) -> np.ndarray:
    """Smooth random field in about [-1, 1] with ``cells`` blobs across."""
    gh = max(2, int(round(cells * height / max(height, width))) + 1)
    gw = max(2, int(round(cells * width / max(height, width))) + 1)
    grid = rng.standard_normal((gh, gw)).astype(np.float32)
    return cv2.resize(grid, (width, height), interpolation=cv2.INTER_CUBIC)


def _parchment(rng: np.random.Generator, height: int,
               width: int) -> np.ndarray:
    """Parchment colour with uneven light, mottling, grain and stains."""
    red = rng.uniform(212, 234)
    base = np.array([red, red - rng.uniform(6, 16), red - rng.uniform(26, 50)],
                    dtype=np.float32)
    page = np.empty((height, width, 3), dtype=np.float32)
    page[:] = base
    # Uneven illumination: a broad gradient and a darker rim (page curvature).
    light = 1.0 + 0.05 * _smooth_noise(rng, height, width, 2)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    cx, cy = rng.uniform(0.3, 0.7) * width, rng.uniform(0.3, 0.7) * height
    radius = ((xx - cx) / width)**2 + ((yy - cy) / height)**2
    light -= rng.uniform(0.08, 0.2) * radius
    page *= light[..., None]
    # Mottling of the skin, slightly tinted.
    mottle = _smooth_noise(rng, height, width, 14)
    page += mottle[..., None] * np.array([4.0, 4.5, 6.0], np.float32)
    # Stains: soft irregular blobs that tint towards brown.
    for _ in range(int(rng.integers(1, 6))):
        stain = np.zeros((height, width), np.float32)
        centre = (int(rng.uniform(0, width)), int(rng.uniform(0, height)))
        axes = (max(2, int(rng.uniform(0.04, 0.18) * width)),
                max(2, int(rng.uniform(0.03, 0.14) * height)))
        cv2.ellipse(stain, centre, axes, float(rng.uniform(0, 180)), 0, 360,
                    1.0, -1)
        edge = _smooth_noise(rng, height, width, 24)
        stain = np.clip(stain * (1.0 + 0.6 * edge), 0, 1)
        sigma = max(1.0, 0.25 * min(axes))
        stain = cv2.GaussianBlur(stain, (0, 0), sigma)
        depth = rng.uniform(0.15, 0.4)
        tint = np.array([0.85, 0.72, 0.5], np.float32)
        page *= 1.0 - (depth * stain)[..., None] * (1.0 - tint)
    # Fine grain of the scan.
    page += rng.normal(0, 3.0, (height, width, 1)).astype(np.float32)
    return page


def _page_outline(rng: np.random.Generator, height: int,
                  width: int) -> Tuple[np.ndarray, Tuple[int, int, int, int]]:
    """Mask of the parchment inside the (dark) scanner surround."""
    if rng.random() < 0.2:
        return np.ones((height, width), bool), (0, 0, width, height)
    left = int(rng.uniform(0.01, 0.05) * width)
    right = width - int(rng.uniform(0.0, 0.04) * width)
    top = int(rng.uniform(0.01, 0.05) * height)
    bottom = height - int(rng.uniform(0.0, 0.04) * height)
    mask = np.zeros((height, width), np.uint8)
    # Slightly irregular edges: a polygon with jittered vertices.
    n = 6
    jitter = 0.0015 * max(height, width)
    pts = []
    for t in np.linspace(0, 1, n, endpoint=False):
        pts.append((left + t * (right - left), top))
    for t in np.linspace(0, 1, n, endpoint=False):
        pts.append((right, top + t * (bottom - top)))
    for t in np.linspace(0, 1, n, endpoint=False):
        pts.append((right - t * (right - left), bottom))
    for t in np.linspace(0, 1, n, endpoint=False):
        pts.append((left, bottom - t * (bottom - top)))
    pts = np.array(pts) + rng.normal(0, jitter, (len(pts), 2))
    cv2.fillPoly(mask, [np.round(pts).astype(np.int32)], 1)
    return mask.astype(bool), (left, top, right, bottom)


class _PageBuilder:
    """Lays out one page into ink layers (all geometry lives here)."""

    def __init__(self, rng: np.random.Generator, height: int, width: int):
        self.rng = rng
        self.height = height
        self.width = width
        self.layers: List[_InkLayer] = []
        self.unlabelled: List[_InkLayer] = []  # bleed-through: background

    def layer(self, bits: int, colour: Sequence[int],
              strength: float = 1.0, labelled: bool = True) -> np.ndarray:
        canvas = np.zeros((self.height, self.width), np.uint8)
        entry = _InkLayer(bits, tuple(int(c) for c in colour), canvas,
                          strength)
        (self.layers if labelled else self.unlabelled).append(entry)
        return canvas

    def pick(self, options):
        return options[int(self.rng.integers(len(options)))]

    def build(self, box: Tuple[int, int, int, int]) -> None:
        rng = self.rng
        left, top, right, bottom = box
        pw, ph = right - left, bottom - top
        # Text block: comments go in the wider side margin.
        gloss_side = self.pick(('left', 'right', 'both'))
        wide, narrow = rng.uniform(0.2, 0.3), rng.uniform(0.1, 0.16)
        ml = wide if gloss_side in ('left', 'both') else narrow
        mr = wide if gloss_side in ('right', 'both') else narrow
        if gloss_side == 'both':
            ml, mr = ml * 0.8, mr * 0.8
        bx0, bx1 = left + int(ml * pw), right - int(mr * pw)
        by0 = top + int(rng.uniform(0.09, 0.14) * ph)
        by1 = bottom - int(rng.uniform(0.12, 0.2) * ph)
        pitch_min = 18.0  # below this, comments become blobs
        n_lines = int(np.clip(rng.integers(14, 26), 2,
                              max(2, (by1 - by0) / pitch_min)))
        pitch = (by1 - by0) / n_lines
        main = _TextStyle(self.pick(_BOOK_FONTS),
                          x_height=pitch * rng.uniform(0.3, 0.38),
                          thickness=1)
        main.thickness = max(1, int(round(main.x_height * 0.16)))
        main_ink = self.layer(MAIN_TEXT, self.pick(_MAIN_INKS),
                              rng.uniform(0.85, 0.97))
        red = self.pick(_RED_INKS)
        blue = self.pick(_BLUE_INKS)
        deco_red = self.layer(DECORATION, red, rng.uniform(0.8, 0.95))
        deco_blue = self.layer(DECORATION, blue, rng.uniform(0.8, 0.95))
        rubric = self.layer(DECORATION | MAIN_TEXT, red,
                            rng.uniform(0.8, 0.95))
        comment_ink = self.layer(COMMENT, self.pick(_COMMENT_INKS),
                                 rng.uniform(0.75, 0.95))
        self.main_style = main
        self.comment_style = _TextStyle(
            self.pick(_CURSIVE_FONTS), x_height=max(
                4.5, main.x_height * rng.uniform(0.5, 0.65)), thickness=1)

        # Large decorated initial spanning a few lines at a paragraph start.
        big_lines = 0
        big_at = -1
        if n_lines >= 6 and rng.random() < 0.7:
            big_lines = int(rng.integers(3, min(6, n_lines - 2) + 1))
            big_at = int(rng.integers(0, n_lines - big_lines))
        # Rubricated heading lines (red capitals: decoration + main text).
        rubric_lines = set()
        if n_lines >= 8 and rng.random() < 0.5:
            start = int(rng.integers(0, 2))
            rubric_lines = {start} if rng.random() < 0.5 else {start,
                                                               start + 1}
            rubric_lines -= set(range(big_at, big_at + big_lines))
        initial_w = int(main.x_height * 2.2)
        text_lines: List[Tuple[int, List[Tuple[int, int]]]] = []
        touches: List[Tuple[int, int]] = []
        for i in range(n_lines):
            baseline = int(by0 + (i + 0.72) * pitch)
            x0 = bx0
            if big_at <= i < big_at + big_lines:
                x0 = bx0 + int(pitch * big_lines * 0.95)
            last_of_par = rng.random() < 0.12
            fill = rng.uniform(0.35, 0.8) if last_of_par else 1.0
            if i in rubric_lines:
                style = _TextStyle(main.font, main.x_height * 1.3,
                                   main.thickness)
                words = ''.join(
                    str(c) for c in rng.choice(list(_CAPITALS), 14))
                (w, _), _ = cv2.getTextSize(words, style.font, style.scale,
                                            style.thickness)
                while w > bx1 - x0 and len(words) > 2:
                    words = words[:-2]
                    (w, _), _ = cv2.getTextSize(words, style.font,
                                                style.scale, style.thickness)
                cv2.putText(rubric, words, (x0, baseline), style.font,
                            style.scale, 255, style.thickness, cv2.LINE_AA)
                continue
            extents = _draw_text_line(main_ink, rng, main, x0, bx1, baseline,
                                      capital_first=rng.random() < 0.3,
                                      fill=fill)
            if extents:
                text_lines.append((baseline, extents))
            # Coloured initial in the initial column left of the block.
            if x0 == bx0 and rng.random() < 0.22 and bx0 - initial_w > left:
                self._initial(deco_red if i % 2 else deco_blue,
                              bx0 - initial_w, baseline, main)
            # Red touch through the first letter (decoration over text).
            if extents and rng.random() < 0.18:
                xa = extents[0][0]
                h = main.x_height
                touches.append((int(xa + 0.3 * h), int(baseline - 0.45 * h)))
                top_end = (int(xa + 0.2 * h), int(baseline - 1.1 * h))
                bottom_end = (int(xa + 0.4 * h), int(baseline + 0.2 * h))
                cv2.line(deco_red, top_end, bottom_end, 255,
                         max(1, int(main.thickness * 1.2)), cv2.LINE_AA)
            # Interlinear gloss above the line, sometimes touching it.
            if extents and i > 0 and rng.random() < 0.3:
                gx0 = int(rng.uniform(x0, max(x0 + 1, bx1 - 0.4 * (bx1 - x0))))
                gx1 = int(min(bx1, gx0 + rng.uniform(0.2, 0.5) * (bx1 - bx0)))
                lift = rng.uniform(0.5, 0.85) * pitch
                if rng.random() < 0.4:
                    lift = rng.uniform(0.3, 0.45) * pitch  # into the line
                _draw_text_line(comment_ink, rng, self.comment_style, gx0,
                                gx1, int(baseline - lift), 1, 6)
        if big_lines:
            self._big_initial(deco_red, deco_blue, bx0,
                              int(by0 + big_at * pitch), pitch, big_lines,
                              left)
        self._margin_comments(comment_ink, gloss_side, box,
                              (bx0, by0, bx1, by1), pitch)
        self._forced_overlaps(text_lines, touches, deco_red, comment_ink,
                              bx0, left)
        self._bleed_through(box, main)

    def _forced_overlaps(self, text_lines: list, touches: list,
                         deco: np.ndarray, comment: np.ndarray, bx0: int,
                         page_left: int) -> None:
        """Make sure every multi-label value occurs on the page.

        So every split of a dataset has the same class list (a value seen
        only in a test page would be unknown to the trained model): a gloss
        over a main-text word (0x0A), a note over a red touch of a letter
        (0x0E) and a note beside a red paragraph mark in the margin (0x06).
        """
        rng = self.rng
        main, note = self.main_style, self.comment_style
        h = main.x_height
        if not text_lines:
            return
        if not touches:
            baseline, extents = text_lines[int(rng.integers(len(text_lines)))]
            xa = extents[0][0]
            cv2.line(deco, (int(xa + 0.2 * h), int(baseline - 1.1 * h)),
                     (int(xa + 0.4 * h), int(baseline + 0.2 * h)), 255,
                     max(1, int(main.thickness * 1.2)), cv2.LINE_AA)
            touches.append((int(xa + 0.3 * h), int(baseline - 0.45 * h)))

        def note_word(x: int, baseline: int, right_aligned: bool) -> None:
            word = _random_word(rng, 2, 4)
            (w, _), _ = cv2.getTextSize(word, note.font, note.scale,
                                        note.thickness)
            x = max(page_left + 1, x - w if right_aligned else x)
            cv2.putText(comment, word, (int(x), int(baseline)), note.font,
                        note.scale, 255, note.thickness, cv2.LINE_AA)

        # Gloss written into a main-text word (not the touched first one).
        baseline, extents = text_lines[int(rng.integers(len(text_lines)))]
        # The last word: red touches only mark the first one.
        note_word((extents[-1][0] + extents[-1][1]) // 2,
                  int(baseline - 0.2 * h), right_aligned=False)
        # Note across a red touch: comment + decoration + main text.
        tx, ty = touches[int(rng.integers(len(touches)))]
        note_word(int(tx - note.x_height), int(ty + 0.5 * note.x_height),
                  right_aligned=False)
        # Red paragraph mark in the margin with a note beside it.
        baseline, _ = text_lines[int(rng.integers(len(text_lines)))]
        mx, my = int(bx0 - 1.3 * h), int(baseline - 0.4 * h)
        if mx - 0.5 * h > page_left:
            cv2.circle(deco, (mx, my), max(1, int(0.35 * h)), 255, -1,
                       cv2.LINE_AA)
            note_word(int(mx + 0.2 * h), int(my + 0.5 * note.x_height),
                      right_aligned=True)

    def _initial(self, canvas: np.ndarray, x: int, baseline: int,
                 main: _TextStyle) -> None:
        style = _TextStyle(cv2.FONT_HERSHEY_TRIPLEX, main.x_height * 1.6,
                           max(1, int(main.thickness * 1.5)))
        letter = self.pick(_CAPITALS)
        cv2.putText(canvas, letter, (x, baseline), style.font, style.scale,
                    255, style.thickness, cv2.LINE_AA)

    def _big_initial(self, red: np.ndarray, blue: np.ndarray, x0: int,
                     y0: int, pitch: float, n_lines: int, page_left: int
                     ) -> None:
        """Framed, filled initial with flourishes into margin and text."""
        rng = self.rng
        size = int(pitch * n_lines * 0.9)
        x1, y1 = x0 + size, y0 + size
        frame, letter_ink = (blue, red) if rng.random() < 0.5 else (red,
                                                                     blue)
        t = max(1, size // 30)
        if rng.random() < 0.7:
            cv2.rectangle(frame, (x0, y0), (x1, y1), 255, t, cv2.LINE_AA)
            # Fill pattern: dots or hatching inside the frame.
            if rng.random() < 0.5:
                step = max(3, size // 8)
                for yy in range(y0 + step, y1 - step // 2, step):
                    for xx in range(x0 + step, x1 - step // 2, step):
                        cv2.circle(frame, (xx, yy), max(1, t), 255, -1,
                                   cv2.LINE_AA)
            else:
                # Hatching, clipped to the frame.
                step = max(3, size // 10)
                inside = frame[y0:y1 + 1, x0:x1 + 1]
                hatch = np.zeros_like(inside)
                for d in range(0, 2 * size, step):
                    cv2.line(hatch, (d, 0), (0, d), 255, max(1, t // 2),
                             cv2.LINE_AA)
                np.maximum(inside, hatch, out=inside)
        style = _TextStyle(cv2.FONT_HERSHEY_TRIPLEX, size * 0.62,
                           max(2, size // 9))
        letter = self.pick(_CAPITALS)
        (w, h), _ = cv2.getTextSize(letter, style.font, style.scale,
                                    style.thickness)
        cv2.putText(letter_ink, letter,
                    (x0 + (size - w) // 2, y0 + (size + h) // 2),
                    style.font, style.scale, 255, style.thickness,
                    cv2.LINE_AA)
        # A flourish down the margin (where comments live) ...
        tail = int(pitch * rng.uniform(1.5, 4.0))
        cv2.ellipse(frame, (x0 - size // 6, y1 + tail // 2),
                    (max(2, size // 5), max(2, tail // 2)), 0, 90, 270, 255,
                    t, cv2.LINE_AA)
        if x0 - size // 2 > page_left:
            cv2.ellipse(frame, (x0 - size // 4, y0 + size // 2),
                        (max(2, size // 4), max(2, size // 3)), 0, 100, 260,
                        255, t, cv2.LINE_AA)
        # ... and one into the first text line below (decoration + text).
        cv2.line(letter_ink, (x1 - size // 5, y1),
                 (x1 + int(pitch * rng.uniform(0.8, 2.0)),
                  y1 + int(pitch * 0.55)), 255, t, cv2.LINE_AA)

    def _margin_comments(self, canvas: np.ndarray, side: str,
                         page: Tuple[int, int, int, int],
                         block: Tuple[int, int, int, int],
                         pitch: float) -> None:
        rng = self.rng
        left, top, right, bottom = page
        bx0, by0, bx1, by1 = block
        style = self.comment_style
        cpitch = max(style.x_height * 2.3, 4.0)
        pad = max(2, int(0.015 * (right - left)))
        columns = []
        if side in ('left', 'both'):
            columns.append((left + pad, bx0 - pad))
        if side in ('right', 'both'):
            columns.append((bx1 + pad, right - pad))
        for cx0, cx1 in columns:
            if cx1 - cx0 < 3 * style.x_height:
                continue
            for _ in range(int(rng.integers(1, 4))):
                y = rng.uniform(by0, by0 + 0.8 * (by1 - by0))
                n = int(rng.integers(2, 12))
                for k in range(n):
                    baseline = int(y + k * cpitch)
                    if baseline > by1:
                        break
                    # Some notes reach into the text block (overlap 0x0A).
                    reach = cx1
                    if rng.random() < 0.1:
                        reach = cx1 + int(pitch)
                    _draw_text_line(canvas, rng, style, cx0, reach, baseline,
                                    1, 6, fill=rng.uniform(0.6, 1.0))
        # A title / shelf mark in the top margin.
        if rng.random() < 0.6 and by0 - top > 2 * style.x_height:
            title = _TextStyle(style.font, style.x_height * 1.6,
                               max(1, int(style.x_height * 0.15)))
            x = int(rng.uniform(bx0, bx0 + 0.5 * (bx1 - bx0)))
            _draw_text_line(canvas, rng, title, x, bx1,
                            int(top + 0.6 * (by0 - top)), 3, 7,
                            fill=rng.uniform(0.3, 0.6))

    def _bleed_through(self, page: Tuple[int, int, int, int],
                       main: _TextStyle) -> None:
        """Faint mirrored text from the other side: background, not ink."""
        rng = self.rng
        if rng.random() < 0.35:
            return
        left, top, right, bottom = page
        canvas = self.layer(0, (90, 70, 50), rng.uniform(0.05, 0.1),
                            labelled=False)
        pitch = main.x_height / 0.34
        y = top + rng.uniform(0.1, 0.2) * (bottom - top)
        x0 = int(left + rng.uniform(0.1, 0.3) * (right - left))
        x1 = int(right - rng.uniform(0.1, 0.25) * (right - left))
        while y < bottom - 0.15 * (bottom - top):
            _draw_text_line(canvas, rng, main, x0, x1, int(y))
            y += pitch
        # Seen through the skin: mirrored and blurred.
        canvas[:] = cv2.GaussianBlur(np.ascontiguousarray(canvas[:, ::-1]),
                                     (0, 0), max(0.8, main.x_height * 0.12))


def _elastic_warp(rng: np.random.Generator, canvases: List[np.ndarray],
                  amplitude: float) -> None:
    """Bend all ink layers with one smooth field (hand-written wobble)."""
    if not canvases or amplitude <= 0:
        return
    h, w = canvases[0].shape
    dx = _smooth_noise(rng, h, w, 10) * amplitude
    dy = _smooth_noise(rng, h, w, 10) * amplitude * 0.6
    xx, yy = np.meshgrid(np.arange(w, dtype=np.float32),
                         np.arange(h, dtype=np.float32))
    map_x, map_y = xx + dx, yy + dy
    for canvas in canvases:
        canvas[:] = cv2.remap(canvas, map_x, map_y, cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=0)


def ground_truth_from_ink(ink: Dict[int, np.ndarray],
                          region_size: Dict[int, float]) -> np.ndarray:
    """DIVA-HisDB GT from per-class ink masks.

    Each class's region is its ink, closed (to fill the gaps inside a word)
    and dilated by a halo, like the polygons of the real GT. Blue OR-s the
    bits of every region covering a pixel (0x01 where none does); red marks
    the region pixels that are not ink (boundary); green is 0.

    Args:
        ink (dict): ``{class bit: HxW bool ink mask}``.
        region_size (dict): ``{class bit: stroke scale in pixels}``; the
            halo is about a tenth of it, the gap filling about half.

    Returns:
        np.ndarray: ``HxWx3`` uint8 RGB GT.
    """
    shape = next(iter(ink.values())).shape
    bits = np.zeros(shape, np.uint8)
    any_ink = np.zeros(shape, bool)
    for bit, mask in ink.items():
        if not mask.any():
            continue
        scale = region_size[bit]
        gap = max(1, int(round(scale * 0.5)))
        halo = max(1, int(round(scale * 0.1)))
        close_kernel = cv2.getStructuringElement(
            cv2.MORPH_ELLIPSE, (2 * gap + 1, max(3, gap | 1)))
        halo_kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE,
                                                (2 * halo + 1, 2 * halo + 1))
        m = mask.astype(np.uint8)
        # Pad so the closing does not glue strokes to the page edge.
        pad = gap + halo + 1
        m = cv2.copyMakeBorder(m, pad, pad, pad, pad, cv2.BORDER_CONSTANT, 0)
        region = cv2.morphologyEx(m, cv2.MORPH_CLOSE, close_kernel)
        region = cv2.dilate(region, halo_kernel)[pad:-pad, pad:-pad]
        bits |= (region.astype(bool) * bit).astype(np.uint8)
        any_ink |= mask
    gt = np.zeros(shape + (3, ), np.uint8)
    foreground = bits != 0
    gt[..., 2] = np.where(foreground, bits, BACKGROUND)
    gt[..., 0] = np.where(foreground & ~any_ink, BOUNDARY_RED, 0)
    return gt


def make_synthetic_page(seed: int, height: int = 768,
                        width: int = 512) -> Tuple[np.ndarray, np.ndarray]:
    """Draw one synthetic manuscript page and its DIVA-HisDB GT.

    Args:
        seed (int): Page seed; the same seed and size give the same page.
        height (int): Page height in pixels (>= 32).
        width (int): Page width in pixels (>= 32).

    Returns:
        tuple[np.ndarray, np.ndarray]: ``(image, gt)``, both ``HxWx3``
        uint8 RGB. ``gt`` uses the exact DIVA-HisDB encoding (see the
        module docstring); its blue values are a subset of
        :data:`SYNTHETIC_LABEL_VALUES`.
    """
    height, width = int(height), int(width)
    if height < MIN_PAGE_SIZE or width < MIN_PAGE_SIZE:
        raise ValueError(f'page size must be at least '
                         f'{MIN_PAGE_SIZE}x{MIN_PAGE_SIZE}, got '
                         f'{height}x{width}')
    rng = np.random.default_rng(int(seed))
    page_mask, box = _page_outline(rng, height, width)
    builder = _PageBuilder(rng, height, width)
    builder.build(box)
    canvases = [layer.canvas for layer in builder.layers + builder.unlabelled]
    _elastic_warp(rng, canvases, builder.main_style.x_height * 0.12)
    # Nothing is written outside the parchment.
    for canvas in canvases:
        canvas[~page_mask] = 0

    # Ground truth from the ink masks.
    ink: Dict[int, np.ndarray] = {}
    for layer in builder.layers:
        for bit in (COMMENT, DECORATION, MAIN_TEXT):
            if layer.bits & bit:
                mask = layer.canvas >= INK_COVERAGE
                ink[bit] = ink[bit] | mask if bit in ink else mask
    main_size = builder.main_style.x_height
    gt = ground_truth_from_ink(
        ink, {MAIN_TEXT: main_size, DECORATION: main_size,
              COMMENT: builder.comment_style.x_height})

    # Image: parchment, inks with varying density, dark surround, scan blur.
    image = _parchment(rng, height, width)
    for layer in builder.unlabelled + builder.layers:
        density = np.clip(
            layer.strength * (0.9 + 0.1 * _smooth_noise(rng, height, width,
                                                         30)), 0, 1)
        alpha = (layer.canvas.astype(np.float32) / 255.0) * density
        colour = np.array(layer.colour, np.float32)
        # Ink partly absorbs (multiplies) and partly covers (replaces).
        inked = 0.5 * colour + 0.5 * image * (colour / 255.0)
        image += alpha[..., None] * (inked - image)
    if not page_mask.all():
        surround = rng.uniform(12, 35) + rng.normal(0, 2.0, (height, width))
        image[~page_mask] = surround[~page_mask, None]
        # Shade the page edge a little (the real scans' curl).
        edge = cv2.GaussianBlur((~page_mask).astype(np.float32), (0, 0),
                                max(1.0, 0.004 * max(height, width)))
        image *= (1.0 - 0.35 * edge)[..., None]
    image = cv2.GaussianBlur(image, (0, 0), rng.uniform(0.4, 0.7))
    image += rng.normal(0, 1.5, image.shape).astype(np.float32)
    image = np.clip(np.rint(image), 0, 255).astype(np.uint8)
    return image, gt


def page_seed(seed: int, split: str, index: int) -> int:
    """Seed of page ``index`` of ``split`` in a dataset made with ``seed``."""
    sequence = np.random.SeedSequence([int(seed), SPLITS.index(split),
                                       int(index)])
    return int(sequence.generate_state(1, dtype=np.uint32)[0])


def _dataset_files(root: Path, split: str, count: int,
                   image_suffix: str) -> List[Tuple[str, Path, Path]]:
    return [(f'{split}_{i:03d}',
             root / split / 'data' / f'{split}_{i:03d}{image_suffix}',
             root / split / 'gt' / f'{split}_{i:03d}.png')
            for i in range(count)]


def _integer(name: str, value: Any) -> int:
    """``value`` as an int; a float or string is refused, not truncated."""
    try:
        return operator.index(value)
    except TypeError:
        raise ValueError(f'{name} must be an integer, got {value!r}') from None


def _check_parameters(
        n_train: Any, n_val: Any, n_test: Any, height: Any, width: Any,
        seed: Any, test_height: Any, test_width: Any
) -> Tuple[Dict[str, int], Dict[str, Tuple[int, int]], int]:
    """Validate every dataset parameter before anything is written.

    A bad value found only while generating would leave a manifest behind
    that then blocks the corrected command as "other parameters".

    Args:
        n_train, n_val, n_test: Pages per split (>= 0).
        height, width: Train/val page size (>= :data:`MIN_PAGE_SIZE`).
        seed: Dataset seed (>= 0, numpy seed sequences refuse negatives).
        test_height, test_width: Test page size, ``None`` for the train
            size.

    Returns:
        tuple: ``(counts, sizes, seed)``, per split where keyed by split.

    Raises:
        ValueError: Naming the first wrong parameter and its value.
    """
    counts = dict(train=_integer('n_train (--train)', n_train),
                  val=_integer('n_val (--val)', n_val),
                  test=_integer('n_test (--test)', n_test))
    for split, count in counts.items():
        if count < 0:
            raise ValueError(f'the number of {split} pages must be >= 0, '
                             f'got {count}')
    height = _integer('height (--height)', height)
    width = _integer('width (--width)', width)
    # ``None`` only means "same as train": 0 is an error, not the default.
    test_height = height if test_height is None else _integer(
        'test_height (--test-height)', test_height)
    test_width = width if test_width is None else _integer(
        'test_width (--test-width)', test_width)
    sizes = dict(train=(height, width), val=(height, width),
                 test=(test_height, test_width))
    for name, value in (('height (--height)', height),
                        ('width (--width)', width),
                        ('test_height (--test-height)', test_height),
                        ('test_width (--test-width)', test_width)):
        if value < MIN_PAGE_SIZE:
            raise ValueError(f'page {name} must be at least {MIN_PAGE_SIZE} '
                             f'pixels, got {value}')
    seed = _integer('seed (--seed)', seed)
    if seed < 0:
        raise ValueError(f'seed (--seed) must be >= 0, got {seed}')
    available = _available_memory()
    for split, (h, w) in sizes.items():
        needed = h * w * DRAWING_BYTES_PER_PIXEL
        if counts[split] and available is not None and needed > available:
            raise ValueError(
                f'a {split} page of {w}x{h} (WxH) needs about '
                f'{needed / 2**30:.1f} GiB of memory to draw, but '
                f'{available / 2**30:.1f} GiB are available; choose a '
                'smaller page size')
    return counts, sizes, seed


def _available_memory() -> Optional[int]:
    """Bytes of memory available now (Linux ``MemAvailable``), or None
    where the system does not say."""
    try:
        with open('/proc/meminfo', encoding='ascii') as f:
            for line in f:
                if line.startswith('MemAvailable:'):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _listing(folder: Path) -> List[Path]:
    """Files of ``folder`` that a dataset would read (hidden ones, such as
    the temporaries of an interrupted atomic write, are not)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if not p.name.startswith('.'))


def _read_manifest(root: Path) -> Optional[dict]:
    """The manifest in ``root``; None where there is none, or none that
    can be read as one."""
    path = root / MANIFEST_NAME
    if not path.is_file():
        return None
    try:
        with open(path, encoding='utf-8') as f:
            manifest = json.load(f)
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def _manifest_key(root: Path, path: Path) -> str:
    """How the manifest names a file: its path below ``root``, with
    ``/``."""
    return path.relative_to(root).as_posix()


def _listed_files(manifest: Optional[dict]) -> Optional[Dict[str, dict]]:
    """The files a manifest lists (key -> :func:`content_signature`):
    none without a manifest, None for a manifest of an older version,
    which recorded only its parameters."""
    if manifest is None:
        return {}
    listed = manifest.get('files')
    return listed if isinstance(listed, dict) else None


def _refuse_unlisted(root: Path, listed: Optional[Dict[str, dict]],
                     paths: Sequence[Path], doing: str) -> None:
    """Refuse to delete or replace any of ``paths`` unless the manifest
    lists it with its present content.

    Args:
        root: Dataset root.
        listed: :func:`_listed_files` of its manifest.
        paths: The existing files the run would delete or replace.
        doing: What the run would do to them, for the message.

    Raises:
        FileExistsError: Naming the manifest of an older version (it lists
            no files, so none can be told from the user's), or the files
            that are not the generator's (a file of the user's, even under
            a page's name, or a page changed since): the first three and a
            count.
    """
    if listed is None:
        raise FileExistsError(
            f'{root / MANIFEST_NAME}: written by an older version of the '
            'generator, which did not record the files it wrote, so its '
            'pages cannot be told from files of yours; move your files '
            f'away, delete {root} and run again')
    unlisted = [path for path in paths if not has_content(
        str(path), listed.get(_manifest_key(root, path)))]
    if unlisted:
        shown = ', '.join(str(p) for p in unlisted[:3])
        more = f' and {len(unlisted) - 3} more' if len(unlisted) > 3 else ''
        raise FileExistsError(
            f'{root}: the run {doing} only the pages its manifest lists with '
            f'their content, but its split folders also hold '
            f'{len(unlisted)} other file(s) ({shown}{more}); nothing was '
            'changed: move them away')


def _write_manifest(root: Path, params: dict, files: Dict[str, dict],
                    complete: bool) -> None:
    """Record the parameters and every file written (``files``: manifest
    key -> :func:`content_signature`)."""
    atomic_write_text(root / MANIFEST_NAME, json.dumps(
        dict(params=params, complete=complete, files=files), indent=1))


def _write_page(root: Path, params: dict, files: Dict[str, dict],
                page: Dict[Path, np.ndarray]) -> None:
    """Encode one page's files, list them in the manifest, then write
    them: a run stopped between the two leaves no file the manifest does
    not list (a listed file that is missing is only written again)."""
    encoded = {path: encode_image(path, rgb) for path, rgb in page.items()}
    for path, data in encoded.items():
        files[_manifest_key(root, path)] = content_signature(data)
    _write_manifest(root, params, files, complete=False)
    for path, data in encoded.items():
        atomic_write_bytes(path, data)


def write_synthetic_dataset(root: Union[str, os.PathLike],
                            n_train: int = 6,
                            n_val: int = 2,
                            n_test: int = 2,
                            height: int = 512,
                            width: int = 384,
                            seed: int = 0,
                            test_height: Optional[int] = None,
                            test_width: Optional[int] = None,
                            image_suffix: str = '.jpg',
                            overwrite: bool = False,
                            progress: bool = True) -> Dict[str, List[str]]:
    """Write a synthetic DIVA-HisDB-like dataset in DeepDIVA's layout.

    ``<root>/{train,val,test}/{data,gt}/<stem>.jpg|.png``: the image (JPEG
    like the real scans, or PNG) and its GT (PNG, lossless). Every file is
    written atomically. A manifest (``synthetic_manifest.json``) records the
    parameters and every file written, with its size and SHA-256 (listed
    before the file is written): calling again with the same parameters
    finishes an interrupted run and otherwise leaves the files alone; a
    folder holding anything else (another dataset, other parameters) is
    refused unless ``overwrite=True``, which first deletes the images/GTs
    of the earlier synthetic dataset, so no stale page survives.

    Only a file the manifest lists with its present content is deleted or
    replaced: any other file in a split folder (where it would become a
    page), also one under a page's name, stops the run before anything is
    changed, as does a manifest of an older version, which lists no files.

    Args:
        root: Dataset root.
        n_train, n_val, n_test (int): Pages per split.
        height, width (int): Size of train/val pages.
        seed (int): Dataset seed (each page gets its own derived seed).
        test_height, test_width (int, optional): Size of test pages
            (default: same as train), e.g. larger for full-page inference.
        image_suffix (str): ``'.jpg'`` or ``'.png'``.
        overwrite (bool): Replace an existing different dataset.
        progress (bool): Show a progress bar.

    Returns:
        dict: ``{split: [stems]}``.

    Raises:
        FileExistsError: ``root`` holds other files and ``overwrite`` is
            False; a file the run would delete or replace is not listed
            in the manifest with its content; ``root`` is a file.
        ValueError: A parameter is invalid (checked before anything is
            written).
    """
    root = Path(root)
    image_suffix = image_suffix.lower()
    if image_suffix not in ('.jpg', '.png'):
        raise ValueError(f'image_suffix must be ".jpg" or ".png", got '
                         f'{image_suffix!r}')
    counts, sizes, seed = _check_parameters(
        n_train, n_val, n_test, height, width, seed, test_height, test_width)
    if root.exists() and not root.is_dir():
        raise FileExistsError(f'{root} is a file, not a folder; choose a '
                              'folder for the dataset root')
    for parent in root.parents:
        if parent.exists():
            if not parent.is_dir():
                raise FileExistsError(f'{parent} is a file, so the dataset '
                                      f'root {root} cannot be created')
            break
    params = dict(generator='mmseg_pixdiva.datasets.synthetic', version=1,
                  seed=seed, counts=counts,
                  sizes={k: list(v) for k, v in sizes.items()},
                  image_suffix=image_suffix)
    files = {split: _dataset_files(root, split, counts[split], image_suffix)
             for split in SPLITS}

    existing = _read_manifest(root)
    same = existing is not None and existing.get('params') == params
    non_empty = root.is_dir() and any(root.iterdir())
    if non_empty and not same and not overwrite:
        what = ('a synthetic dataset with other parameters '
                f'({existing.get("params")})' if existing else
                'files that are not this synthetic dataset')
        raise FileExistsError(
            f'{root} already holds {what}; choose an empty folder or '
            'pass overwrite=True (--overwrite) to replace it')
    stems = {split: [stem for stem, _, _ in files[split]]
             for split in SPLITS}
    todo = [(split, stem, img, gt) for split in SPLITS
            for stem, img, gt in files[split]
            if not (same and img.is_file() and gt.is_file())]
    listed = _listed_files(existing)
    if non_empty and not same:
        # Only files whose content is what the earlier run wrote are
        # deleted (a name proves nothing: a file of the user's may bear a
        # page's); any other file in a split folder would become a page of
        # the new dataset, so it stops the run instead.
        earlier = [path for split in SPLITS for sub in ('data', 'gt')
                   for path in _listing(root / split / sub)]
        _refuse_unlisted(root, listed, earlier, 'deletes')
        for path in earlier:
            path.unlink()
        (root / MANIFEST_NAME).unlink(missing_ok=True)
        listed = {}
    elif todo:
        # Completing a dataset: a page's file that is there already is
        # replaced only if it is the generator's.
        _refuse_unlisted(root, listed, [
            path for _, _, img, gt in todo for path in (img, gt)
            if path.exists()], 'replaces')
    else:
        return stems
    _write_manifest(root, params, listed, complete=False)
    bar = None
    if progress:
        from mmengine.utils import ProgressBar
        bar = ProgressBar(len(todo))
    for split, stem, img_path, gt_path in todo:
        index = int(stem.rsplit('_', 1)[1])
        image, gt = make_synthetic_page(
            page_seed(seed, split, index), *sizes[split])
        _write_page(root, params, listed, {gt_path: gt, img_path: image})
        if bar is not None:
            bar.update()
    _write_manifest(root, params, listed, complete=True)
    return stems
