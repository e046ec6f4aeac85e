"""The catalogue's map: Potten draws the municipalities of one region as SVG paths from the shipped GeoJSON.

No tiles, no remote service. The region is a county (län) code (settings.CATALOGUE_MAP_REGION, "08" Kalmar
län by default) or "SE" for the whole country. Coordinates are projected equirectangularly with the
longitude scaled by cos(mean latitude), which keeps the shapes right at Sweden's latitudes.
"""

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

GEOJSON = Path(__file__).resolve().parent / "data" / "sweden-municipalities.geojson"
WIDTH = 400.0
WHOLE_COUNTRY = "SE"


@dataclass(frozen=True)
class Shape:
    code: str
    name: str
    path: str
    label_x: float
    label_y: float


@dataclass(frozen=True)
class RegionMap:
    region: str
    width: float
    height: float
    shapes: tuple[Shape, ...]

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(shape.code for shape in self.shapes)

    @property
    def names(self) -> list[tuple[str, str]]:
        return [(shape.code, shape.name) for shape in self.shapes]


@lru_cache(maxsize=1)
def _features() -> tuple[dict, ...]:
    with GEOJSON.open(encoding="utf-8") as handle:
        return tuple(json.load(handle)["features"])


def _polygons(geometry: dict) -> list:
    return [geometry["coordinates"]] if geometry["type"] == "Polygon" else list(geometry["coordinates"])


@lru_cache(maxsize=8)
def region_map(region: str) -> RegionMap:
    """The municipalities of `region` as SVG paths in a viewBox WIDTH wide. Unknown region: ValueError."""
    features = [f for f in _features() if region == WHOLE_COUNTRY or f["properties"]["lan_code"] == region]
    if not features:
        raise ValueError(f"No municipalities in region {region!r}; use a county code such as '08', or 'SE'.")
    points = [point for f in features for polygon in _polygons(f["geometry"]) for ring in polygon for point in ring]
    min_lon, max_lon = min(p[0] for p in points), max(p[0] for p in points)
    min_lat, max_lat = min(p[1] for p in points), max(p[1] for p in points)
    x_factor = math.cos(math.radians((min_lat + max_lat) / 2))
    scale = (WIDTH - 8) / ((max_lon - min_lon) * x_factor)
    height = (max_lat - min_lat) * scale + 8

    def project(point):
        return round(4 + (point[0] - min_lon) * x_factor * scale, 1), round(4 + (max_lat - point[1]) * scale, 1)

    shapes = []
    for feature in sorted(features, key=lambda f: f["properties"]["kom_namn"]):
        parts, xs, ys = [], [], []
        for polygon in _polygons(feature["geometry"]):
            for ring in polygon:
                projected = [project(point) for point in ring]
                xs += [x for x, _y in projected]
                ys += [y for _x, y in projected]
                parts.append("M" + "L".join(f"{x:g},{y:g}" for x, y in projected) + "Z")
        props = feature["properties"]
        shapes.append(Shape(code=props["id"], name=props["kom_namn"], path="".join(parts),
                            label_x=round((min(xs) + max(xs)) / 2, 1), label_y=round((min(ys) + max(ys)) / 2, 1)))
    return RegionMap(region=region, width=WIDTH, height=round(height, 1), shapes=tuple(shapes))


def municipality_names() -> dict[str, str]:
    """Every municipality of the GeoJSON: code → name."""
    return {f["properties"]["id"]: f["properties"]["kom_namn"] for f in _features()}
