"""Generate a synthetic, COCO-val2017-scale instance dataset as one COCO JSON file.

The statistics mimic ``instances_val2017.json`` (+ person keypoints):

* 5,000 images (mostly 640x480, some 480x640, a few other sizes), non-contiguous ids;
* 36,000 objects; per-image counts from a skewed distribution, ~1 % of images empty;
* polygon vertex counts: median ~20, log-normal tail up to several hundred;
* ~4 % multi-part polygons (2-4 non-overlapping parts);
* ~1 % crowd annotations (``iscrowd: 1``) with compressed-string RLE masks;
* ~25 % persons with 17 keypoints ``[x, y, v] * 17`` and ``num_keypoints``;
* the 80 real COCO categories (ids 1..90 with gaps, names, supercategories);
* coordinates rounded to 2 decimals, ``bbox`` = polygon bounds, ``area`` = polygon area.

Every polygon is simple: it is star-shaped around its centre (strictly increasing angles,
positive radii) and lies inside the image. Output is deterministic for a given seed.

Usage: python benchmarks/generate_coco.py [--scale N] [--seed S] [--out PATH]
(``--scale`` may be a fraction, e.g. 0.05 for 250 images)
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import orjson

DEFAULT_OUT = Path(__file__).resolve().parent / "data" / "coco_val_like.json"

IMAGES_PER_SCALE = 5_000
OBJECTS_PER_SCALE = 36_000
CROWD_FRACTION = 0.01
MULTIPART_FRACTION = 0.04
PERSON_FRACTION = 0.25
EMPTY_IMAGE_FRACTION = 0.01
MAX_OBJECTS_PER_IMAGE = 90

VERTEX_MEDIAN = 22.0  # before the size cap, which pulls the realised median to ~20
VERTEX_SIGMA = 0.8  # log-normal spread of the vertex count (long tail)
MAX_VERTICES = 600
MIN_VERTEX_SPACING = 0.7  # px; caps the vertex count of small polygons
SIZE_MEDIAN = 40.0  # px, median sqrt(area) of an object's bounding ellipse
SIZE_SIGMA = 1.0
SIZE_VERTEX_CORRELATION = 0.5  # bigger objects get more vertices
RHO_MIN = 0.43  # lower bound of the normalised radius (see _radial_profile)

# (id, name, supercategory) of the 80 COCO categories.
CATEGORIES: list[tuple[int, str, str]] = [
    (1, "person", "person"), (2, "bicycle", "vehicle"), (3, "car", "vehicle"),
    (4, "motorcycle", "vehicle"), (5, "airplane", "vehicle"), (6, "bus", "vehicle"),
    (7, "train", "vehicle"), (8, "truck", "vehicle"), (9, "boat", "vehicle"),
    (10, "traffic light", "outdoor"), (11, "fire hydrant", "outdoor"),
    (13, "stop sign", "outdoor"), (14, "parking meter", "outdoor"), (15, "bench", "outdoor"),
    (16, "bird", "animal"), (17, "cat", "animal"), (18, "dog", "animal"),
    (19, "horse", "animal"), (20, "sheep", "animal"), (21, "cow", "animal"),
    (22, "elephant", "animal"), (23, "bear", "animal"), (24, "zebra", "animal"),
    (25, "giraffe", "animal"), (27, "backpack", "accessory"), (28, "umbrella", "accessory"),
    (31, "handbag", "accessory"), (32, "tie", "accessory"), (33, "suitcase", "accessory"),
    (34, "frisbee", "sports"), (35, "skis", "sports"), (36, "snowboard", "sports"),
    (37, "sports ball", "sports"), (38, "kite", "sports"), (39, "baseball bat", "sports"),
    (40, "baseball glove", "sports"), (41, "skateboard", "sports"),
    (42, "surfboard", "sports"), (43, "tennis racket", "sports"), (44, "bottle", "kitchen"),
    (46, "wine glass", "kitchen"), (47, "cup", "kitchen"), (48, "fork", "kitchen"),
    (49, "knife", "kitchen"), (50, "spoon", "kitchen"), (51, "bowl", "kitchen"),
    (52, "banana", "food"), (53, "apple", "food"), (54, "sandwich", "food"),
    (55, "orange", "food"), (56, "broccoli", "food"), (57, "carrot", "food"),
    (58, "hot dog", "food"), (59, "pizza", "food"), (60, "donut", "food"),
    (61, "cake", "food"), (62, "chair", "furniture"), (63, "couch", "furniture"),
    (64, "potted plant", "furniture"), (65, "bed", "furniture"),
    (67, "dining table", "furniture"), (70, "toilet", "furniture"), (72, "tv", "electronic"),
    (73, "laptop", "electronic"), (74, "mouse", "electronic"), (75, "remote", "electronic"),
    (76, "keyboard", "electronic"), (77, "cell phone", "electronic"),
    (78, "microwave", "appliance"), (79, "oven", "appliance"), (80, "toaster", "appliance"),
    (81, "sink", "appliance"), (82, "refrigerator", "appliance"), (84, "book", "indoor"),
    (85, "clock", "indoor"), (86, "vase", "indoor"), (87, "scissors", "indoor"),
    (88, "teddy bear", "indoor"), (89, "hair drier", "indoor"), (90, "toothbrush", "indoor"),
]
PERSON_ID = 1

KEYPOINT_NAMES: list[str] = [
    "nose", "left_eye", "right_eye", "left_ear", "right_ear",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
    "left_wrist", "right_wrist", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle",
]
SKELETON: list[list[int]] = [
    [16, 14], [14, 12], [17, 15], [15, 13], [12, 13], [6, 12], [7, 13], [6, 7], [6, 8],
    [7, 9], [8, 10], [9, 11], [2, 3], [1, 2], [1, 3], [2, 4], [3, 5], [4, 6], [5, 7],
]
# Standing-person layout of the 17 keypoints, as fractions of the person's bbox.
KEYPOINT_TEMPLATE = np.array([
    (0.50, 0.08), (0.53, 0.06), (0.47, 0.06), (0.57, 0.08), (0.43, 0.08),
    (0.65, 0.22), (0.35, 0.22), (0.72, 0.38), (0.28, 0.38), (0.75, 0.52), (0.25, 0.52),
    (0.60, 0.55), (0.40, 0.55), (0.60, 0.75), (0.40, 0.75), (0.60, 0.95), (0.40, 0.95),
])

LICENSES: list[dict[str, Any]] = [
    {"url": "http://creativecommons.org/licenses/by-nc-sa/2.0/", "id": 1,
     "name": "Attribution-NonCommercial-ShareAlike License"},
    {"url": "http://creativecommons.org/licenses/by-nc/2.0/", "id": 2,
     "name": "Attribution-NonCommercial License"},
    {"url": "http://creativecommons.org/licenses/by-nc-nd/2.0/", "id": 3,
     "name": "Attribution-NonCommercial-NoDerivs License"},
    {"url": "http://creativecommons.org/licenses/by/2.0/", "id": 4, "name": "Attribution License"},
    {"url": "http://creativecommons.org/licenses/by-sa/2.0/", "id": 5,
     "name": "Attribution-ShareAlike License"},
    {"url": "http://creativecommons.org/licenses/by-nd/2.0/", "id": 6,
     "name": "Attribution-NoDerivs License"},
    {"url": "http://flickr.com/commons/usage/", "id": 7, "name": "No known copyright restrictions"},
    {"url": "http://www.usa.gov/copyright.shtml", "id": 8, "name": "United States Government Work"},
]

# (width, height) of the "few other sizes" and their relative weights.
OTHER_SIZES: list[tuple[int, int]] = [
    (640, 427), (427, 640), (640, 426), (640, 360), (500, 375), (612, 612), (640, 640), (375, 500),
]
SIZE_WEIGHTS = (0.70, 0.20, 0.10)  # 640x480, 480x640, other


# --------------------------------------------------------------------------- RLE codec


def rle_counts(mask: np.ndarray) -> np.ndarray:
    """Uncompressed COCO RLE of a 2-D 0/1 mask: run lengths in column-major order, zeros first."""
    flat = np.ascontiguousarray(mask.T).ravel().astype(np.int8)
    change = np.flatnonzero(np.diff(flat)) + 1
    bounds = np.concatenate(([0], change, [flat.size]))
    counts = np.diff(bounds)
    if flat.size and flat[0] == 1:
        counts = np.concatenate(([0], counts))
    return counts


def rle_to_string(counts: np.ndarray) -> str:
    """COCO's compressed RLE string (``rleToString`` in maskApi.c): LEB128-like, 5 bits a
    character, each count after the second stored as a delta to the count two before."""
    out: list[str] = []
    cnts = counts.tolist()
    for i, x in enumerate(cnts):
        if i > 2:
            x -= cnts[i - 2]
        more = True
        while more:
            c = x & 0x1F
            x >>= 5  # arithmetic shift, like C's on a signed long
            more = x != -1 if c & 0x10 else x != 0
            if more:
                c |= 0x20
            out.append(chr(c + 48))
    return "".join(out)


def fill_polygon(xs: np.ndarray, ys: np.ndarray, height: int, width: int) -> np.ndarray:
    """Rasterise a polygon (even-odd rule, pixel centres) into a ``height x width`` uint8 mask."""
    x0, x1 = xs, np.roll(xs, -1)
    y0, y1 = ys, np.roll(ys, -1)
    rows = np.arange(height)[:, None] + 0.5
    spans = ((y0 <= rows) & (rows < y1)) | ((y1 <= rows) & (rows < y0))  # rows x edges
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (rows - y0) / (y1 - y0)
    xcross = x0 + t * (x1 - x0)
    r, e = np.nonzero(spans)
    # A crossing at x toggles every pixel whose centre (c + 0.5) lies right of it.
    cols = np.clip(np.ceil(xcross[r, e] - 0.5), 0, width).astype(np.int64)
    toggles = np.zeros((height, width + 1), dtype=np.int32)
    np.add.at(toggles, (r, cols), 1)
    return (np.cumsum(toggles, axis=1)[:, :width] & 1).astype(np.uint8)


# --------------------------------------------------------------------------- polygons


def _radial_profile(rng: np.random.Generator, theta: np.ndarray, part_of_vertex: np.ndarray,
                    n_parts: int, starts: np.ndarray) -> np.ndarray:
    """Smooth random radius factor per vertex in [RHO_MIN, 1]: four low harmonics + noise,
    normalised so every part's largest radius is 1."""
    amps = rng.uniform(0.0, 0.09, size=(n_parts, 4))
    phases = rng.uniform(0.0, 2 * np.pi, size=(n_parts, 4))
    k = np.arange(1, 5)
    rho = 1.0 + np.sum(amps[part_of_vertex] * np.cos(k * theta[:, None] + phases[part_of_vertex]),
                       axis=1)
    rho += rng.uniform(-0.03, 0.03, size=theta.size)  # sum of |terms| <= 0.39 -> rho in [0.61, 1.39]
    return rho / np.maximum.reduceat(rho, starts)[part_of_vertex]


def star_polygons(rng: np.random.Generator, cx: np.ndarray, cy: np.ndarray, rx: np.ndarray,
                  ry: np.ndarray, n_vertices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vertices of one star-shaped polygon per row (centre, half-axes, vertex count), all parts
    concatenated. Angles are jittered evenly spaced, hence strictly increasing."""
    n_parts = cx.size
    part_of_vertex = np.repeat(np.arange(n_parts), n_vertices)
    starts = np.concatenate(([0], np.cumsum(n_vertices)[:-1]))
    j = np.arange(part_of_vertex.size) - starts[part_of_vertex]
    n = n_vertices[part_of_vertex]
    phase = rng.uniform(0.0, 2 * np.pi, size=n_parts)[part_of_vertex]
    theta = phase + 2 * np.pi * (j + rng.uniform(-0.3, 0.3, size=j.size)) / n
    rho = _radial_profile(rng, theta, part_of_vertex, n_parts, starts)
    xs = cx[part_of_vertex] + rx[part_of_vertex] * rho * np.cos(theta)
    ys = cy[part_of_vertex] + ry[part_of_vertex] * rho * np.sin(theta)
    return xs, ys


def max_vertices_for(rx: np.ndarray, ry: np.ndarray) -> np.ndarray:
    """Vertex cap so that adjacent vertices stay >= MIN_VERTEX_SPACING apart."""
    inner = 2 * np.pi * RHO_MIN * np.minimum(rx, ry)
    return np.clip(np.floor(inner / MIN_VERTEX_SPACING), 3, MAX_VERTICES).astype(np.int64)


# --------------------------------------------------------------------------- dataset


def image_sizes(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    kind = rng.choice(3, size=n, p=SIZE_WEIGHTS)
    other = np.array(OTHER_SIZES)[rng.integers(0, len(OTHER_SIZES), size=n)]
    widths = np.where(kind == 0, 640, np.where(kind == 1, 480, other[:, 0]))
    heights = np.where(kind == 0, 480, np.where(kind == 1, 640, other[:, 1]))
    return widths, heights


def objects_per_image(rng: np.random.Generator, n_images: int, total: int) -> np.ndarray:
    """Skewed per-image counts (1 + negative binomial, ~1 % empty), adjusted to sum to ``total``."""
    mean = total / n_images / (1 - EMPTY_IMAGE_FRACTION) - 1
    shape = 1.5
    counts = 1 + rng.negative_binomial(shape, shape / (shape + mean), size=n_images)
    counts = np.minimum(counts, MAX_OBJECTS_PER_IMAGE)
    counts[rng.random(n_images) < EMPTY_IMAGE_FRACTION] = 0
    while (diff := total - int(counts.sum())) != 0:
        eligible = np.flatnonzero((counts > 0) & (counts < MAX_OBJECTS_PER_IMAGE)) if diff > 0 \
            else np.flatnonzero(counts > 1)
        picked = rng.choice(eligible, size=min(abs(diff), eligible.size), replace=False)
        counts[picked] += 1 if diff > 0 else -1
    return counts


def category_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """PERSON_FRACTION persons; the other 79 categories Zipf-weighted in a seeded order."""
    others = np.array([c[0] for c in CATEGORIES if c[0] != PERSON_ID])
    weights = 1.0 / np.arange(1, others.size + 1) ** 0.8
    others = rng.permutation(others)
    cats = rng.choice(others, size=n, p=weights / weights.sum())
    cats[rng.random(n) < PERSON_FRACTION] = PERSON_ID
    return cats


def object_extents(rng: np.random.Generator, z_vertex: np.ndarray, img_w: np.ndarray,
                   img_h: np.ndarray, size_median: float) -> tuple[np.ndarray, ...]:
    """Centre and half-axes of each object's bounding ellipse, fitted inside its image."""
    n = z_vertex.size
    rho = SIZE_VERTEX_CORRELATION
    z = rho * z_vertex + np.sqrt(1 - rho**2) * rng.standard_normal(n)
    size = size_median * np.exp(SIZE_SIGMA * z)  # ~ sqrt(area)
    aspect = np.exp(rng.normal(0.0, 0.45, size=n))  # rx / ry
    r = size / np.sqrt(np.pi * 0.75)
    rx = np.clip(r * np.sqrt(aspect), 1.5, img_w / 2 - 0.5)
    ry = np.clip(r / np.sqrt(aspect), 1.5, img_h / 2 - 0.5)
    cx = rng.uniform(rx, img_w - rx)
    cy = rng.uniform(ry, img_h - ry)
    return cx, cy, rx, ry


def split_into_parts(rng: np.random.Generator, n_parts: np.ndarray, cx: np.ndarray,
                     cy: np.ndarray, rx: np.ndarray, ry: np.ndarray, n_vertices: np.ndarray
                     ) -> tuple[np.ndarray, ...]:
    """One row per polygon part. A k-part object is cut into k strips along its longer axis,
    one part per strip, so the parts never overlap."""
    owner = np.repeat(np.arange(n_parts.size), n_parts)
    first = np.concatenate(([0], np.cumsum(n_parts)[:-1]))
    idx = np.arange(owner.size) - first[owner]
    k = n_parts[owner]
    ocx, ocy, orx, ory = cx[owner], cy[owner], rx[owner], ry[owner]
    along_x = orx >= ory
    long_r = np.where(along_x, orx, ory)
    short_r = np.where(along_x, ory, orx)
    strip = long_r / k  # half-width of a strip
    centre_long = -long_r + (2 * idx + 1) * strip
    whole = k == 1  # single-part objects keep their full extent
    p_long = np.where(whole, long_r, strip * rng.uniform(0.7, 0.95, size=owner.size))
    p_short = np.where(whole, short_r, short_r * rng.uniform(0.5, 1.0, size=owner.size))
    off_short = (short_r - p_short) * rng.uniform(-1.0, 1.0, size=owner.size)
    pcx = ocx + np.where(along_x, centre_long, off_short)
    pcy = ocy + np.where(along_x, off_short, centre_long)
    prx = np.where(along_x, p_long, p_short)
    pry = np.where(along_x, p_short, p_long)
    share = np.where(whole, n_vertices[owner],
                     n_vertices[owner] / k * rng.uniform(0.6, 1.4, size=owner.size))
    pn = np.minimum(np.maximum(np.rint(share).astype(np.int64), 3), max_vertices_for(prx, pry))
    return owner, pcx, pcy, prx, pry, pn


def shoelace(xs: np.ndarray, ys: np.ndarray, starts: np.ndarray, n_vertices: np.ndarray
             ) -> np.ndarray:
    """Area of each concatenated polygon."""
    nxt = np.arange(xs.size) + 1
    ends = starts + n_vertices
    nxt[ends - 1] = starts  # close each ring
    cross = xs * ys[nxt] - xs[nxt] * ys
    return np.abs(np.add.reduceat(cross, starts)) / 2


def person_keypoints(rng: np.random.Generator, bbox: np.ndarray, img_w: np.ndarray,
                     img_h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Integer [x, y, v] * 17 per person laid out on a jittered standing template; small people
    are usually unlabelled. Returns (n x 51 int array, num_keypoints)."""
    n = bbox.shape[0]
    rel = KEYPOINT_TEMPLATE[None] + rng.normal(0.0, 0.04, size=(n, 17, 2))
    rel = np.clip(rel, 0.0, 1.0)
    x = np.floor(bbox[:, None, 0] + rel[..., 0] * bbox[:, None, 2])
    y = np.floor(bbox[:, None, 1] + rel[..., 1] * bbox[:, None, 3])
    x = np.clip(x, 0, img_w[:, None] - 1)
    y = np.clip(y, 0, img_h[:, None] - 1)
    v = rng.choice(3, size=(n, 17), p=(0.25, 0.15, 0.60))
    small = bbox[:, 2] * bbox[:, 3] < 32 * 32
    v[small & (rng.random(n) < 0.7)] = 0
    x[v == 0] = 0
    y[v == 0] = 0
    kps = np.stack([x, y, v], axis=2).reshape(n, 51).astype(np.int64)
    return kps, (v > 0).sum(axis=1)


def crowd_annotation(rng: np.random.Generator, w: int, h: int, n_vertices: int
                     ) -> tuple[dict[str, Any], float, list[float]]:
    """A large random star polygon rasterised into a full-image mask, as compressed RLE."""
    z = rng.standard_normal(1)
    cx, cy, rx, ry = object_extents(rng, z, np.array([w]), np.array([h]), size_median=160.0)
    n = np.minimum(np.array([n_vertices]), max_vertices_for(rx, ry))
    xs, ys = star_polygons(rng, cx, cy, rx, ry, n)
    mask = fill_polygon(xs, ys, h, w)
    if not mask.any():  # degenerate: fall back to a single pixel at the centre
        mask[min(int(cy[0]), h - 1), min(int(cx[0]), w - 1)] = 1
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    bbox = [float(cols[0]), float(rows[0]),
            float(cols[-1] - cols[0] + 1), float(rows[-1] - rows[0] + 1)]
    seg = {"counts": rle_to_string(rle_counts(mask)), "size": [h, w]}
    return seg, float(mask.sum()), bbox


def unique_ids(rng: np.random.Generator, n: int, low: int, high: int) -> np.ndarray:
    """``n`` distinct random integers in [low, high), in random order."""
    ids = np.unique(rng.integers(low, high, size=int(n * 1.2) + 16))
    while ids.size < n:
        ids = np.unique(np.concatenate([ids, rng.integers(low, high, size=n)]))
    return rng.permutation(ids)[:n]


def build_images(rng: np.random.Generator, n: int, scale: float
                 ) -> tuple[list[dict[str, Any]], np.ndarray, np.ndarray, np.ndarray]:
    ids = unique_ids(rng, n, 1, int(600_000 * scale))
    widths, heights = image_sizes(rng, n)
    licenses = rng.integers(1, len(LICENSES) + 1, size=n)
    epoch = dt.datetime(2013, 11, 14)
    seconds = rng.integers(0, 40 * 86_400, size=n)
    farms = rng.integers(1, 10, size=n)
    servers = rng.integers(1000, 9000, size=n)
    photos = rng.integers(1_000_000_000, 9_999_999_999, size=n)
    secrets = rng.integers(0, 16**10, size=n)
    images = []
    for i in range(n):
        name = f"{ids[i]:012d}.jpg"
        images.append({
            "license": int(licenses[i]),
            "file_name": name,
            "coco_url": f"http://images.cocodataset.org/val2017/{name}",
            "height": int(heights[i]),
            "width": int(widths[i]),
            "date_captured": (epoch + dt.timedelta(seconds=int(seconds[i])))
            .strftime("%Y-%m-%d %H:%M:%S"),
            "flickr_url": f"http://farm{farms[i]}.staticflickr.com/{servers[i]}/"
                          f"{photos[i]}_{secrets[i]:010x}_z.jpg",
            "id": int(ids[i]),
        })
    return images, ids, widths, heights


def build_categories() -> list[dict[str, Any]]:
    cats: list[dict[str, Any]] = []
    for cid, name, sup in CATEGORIES:
        cat: dict[str, Any] = {"supercategory": sup, "id": cid, "name": name}
        if cid == PERSON_ID:
            cat["keypoints"] = KEYPOINT_NAMES
            cat["skeleton"] = SKELETON
        cats.append(cat)
    return cats


def generate(scale: float = 1, seed: int = 0) -> dict[str, Any]:
    """The dataset at ``scale`` (a fraction gives a smaller one, for smoke runs)."""
    scale = int(scale) if float(scale).is_integer() else scale  # integer scales: the same bytes as ever
    rng = np.random.default_rng(seed)
    n_images = max(1, round(IMAGES_PER_SCALE * scale))
    n_objects = max(1, round(OBJECTS_PER_SCALE * scale))
    images, image_ids, widths, heights = build_images(rng, n_images, scale)

    # Per-object image, category, kind and size.
    per_image = objects_per_image(rng, n_images, n_objects)
    img_idx = np.repeat(np.arange(n_images), per_image)
    cats = category_ids(rng, n_objects)
    crowd = rng.random(n_objects) < CROWD_FRACTION
    z_vertex = rng.standard_normal(n_objects)
    n_vertices = np.clip(np.rint(VERTEX_MEDIAN * np.exp(VERTEX_SIGMA * z_vertex)), 3,
                         MAX_VERTICES).astype(np.int64)
    w_obj, h_obj = widths[img_idx], heights[img_idx]
    cx, cy, rx, ry = object_extents(rng, z_vertex, w_obj, h_obj, SIZE_MEDIAN)

    # Polygons of the non-crowd objects, split into parts.
    poly = np.flatnonzero(~crowd)
    n_parts = np.where(rng.random(poly.size) < MULTIPART_FRACTION,
                       rng.integers(2, 5, size=poly.size), 1)
    owner, pcx, pcy, prx, pry, pn = split_into_parts(
        rng, n_parts, cx[poly], cy[poly], rx[poly], ry[poly], n_vertices[poly])
    xs, ys = star_polygons(rng, pcx, pcy, prx, pry, pn)

    # Round to 2 decimals (inside the image), then derive area and bbox from what is stored.
    vert_owner = np.repeat(owner, pn)
    xs = np.clip(np.round(xs, 2), 0, w_obj[poly][vert_owner])
    ys = np.clip(np.round(ys, 2), 0, h_obj[poly][vert_owner])
    starts = np.concatenate(([0], np.cumsum(pn)[:-1]))
    part_area = shoelace(xs, ys, starts, pn)
    first_part = np.concatenate(([0], np.cumsum(n_parts)[:-1]))
    area = np.add.reduceat(part_area, first_part)
    x0 = np.minimum.reduceat(np.minimum.reduceat(xs, starts), first_part)
    y0 = np.minimum.reduceat(np.minimum.reduceat(ys, starts), first_part)
    x1 = np.maximum.reduceat(np.maximum.reduceat(xs, starts), first_part)
    y1 = np.maximum.reduceat(np.maximum.reduceat(ys, starts), first_part)
    bbox = np.round(np.stack([x0, y0, x1 - x0, y1 - y0], axis=1), 2)

    flat = np.stack([xs, ys], axis=1).ravel().tolist()
    bounds = (2 * np.concatenate(([0], np.cumsum(pn)))).tolist()
    part_bounds = np.concatenate(([0], np.cumsum(n_parts))).tolist()

    # Ids: non-contiguous, crowd ids in a separate high range as in real COCO.
    ann_ids = np.sort(unique_ids(rng, n_objects, 1, int(2_300_000 * scale)))
    crowd_ids = np.sort(unique_ids(rng, int(crowd.sum()), 900_100_000_000, 900_200_000_000))
    ann_ids[crowd] = crowd_ids

    # Keypoints for every person (all zero on crowd persons, as in person_keypoints_*.json).
    full_bbox = np.zeros((n_objects, 4))
    full_bbox[poly] = bbox
    persons = np.flatnonzero(cats == PERSON_ID)
    kps, num_kps = person_keypoints(rng, full_bbox[persons], w_obj[persons], h_obj[persons])
    kps[crowd[persons]] = 0
    num_kps[crowd[persons]] = 0
    person_row = np.full(n_objects, -1)
    person_row[persons] = np.arange(persons.size)

    annotations: list[dict[str, Any]] = []
    poly_row = np.full(n_objects, -1)
    poly_row[poly] = np.arange(poly.size)
    area_l, bbox_l = area.tolist(), bbox.tolist()
    kps_l, num_l = kps.tolist(), num_kps.tolist()
    img_ids_l, cats_l, ids_l = image_ids[img_idx].tolist(), cats.tolist(), ann_ids.tolist()
    for i in range(n_objects):
        if crowd[i]:
            seg: Any
            seg, a, b = crowd_annotation(rng, int(w_obj[i]), int(h_obj[i]), int(n_vertices[i]))
            is_crowd = 1
        else:
            r = poly_row[i]
            seg = [flat[bounds[p]:bounds[p + 1]] for p in range(part_bounds[r], part_bounds[r + 1])]
            a, b, is_crowd = area_l[r], bbox_l[r], 0
        ann: dict[str, Any] = {"segmentation": seg}
        k = person_row[i]
        if k >= 0:
            ann["num_keypoints"] = num_l[k]
        ann["area"] = a
        ann["iscrowd"] = is_crowd
        if k >= 0:
            ann["keypoints"] = kps_l[k]
        ann.update(image_id=img_ids_l[i], bbox=b, category_id=cats_l[i], id=ids_l[i])
        annotations.append(ann)
    order = rng.permutation(n_objects)  # real files are not grouped by image
    annotations = [annotations[i] for i in order]

    return {
        "info": {
            "description": f"Synthetic COCO-val2017-like dataset (scale {scale}, seed {seed})",
            "url": "https://cocodataset.org",
            "version": "1.0",
            "year": 2017,
            "contributor": "annoconv benchmarks/generate_coco.py",
            "date_created": "2017/09/01",
        },
        "licenses": LICENSES,
        "images": images,
        "annotations": annotations,
        "categories": build_categories(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1,
                        help="N x more images and objects (a fraction such as 0.05 for smoke runs)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    if args.scale <= 0:
        parser.error("--scale must be > 0")

    t0 = time.perf_counter()
    data = generate(args.scale, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(args.out.name + ".tmp")
    tmp.write_bytes(orjson.dumps(data))
    tmp.replace(args.out)  # never leave a half-written file behind
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB): "
          f"{len(data['images'])} images, {len(data['annotations'])} annotations "
          f"in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
