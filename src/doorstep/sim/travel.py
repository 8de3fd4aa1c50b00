"""Where stops are and how long it takes to get between them.

Straight-line (haversine) distance × a road factor, at a speed that depends on the local time of
day, plus a service time at each stop. Stops are cut into routes by an angular sweep around the
depot and each route is ordered nearest-neighbour first: the simple plan a routing engine would
better, but close enough to give realistic arrival times.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence

from doorstep.sim.scenario import TravelSection

EARTH_RADIUS_KM = 6371.0088
KM_PER_DEG_LAT = 110.574


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


class Plane:
    """A flat map around one point, in km: good to a few metres over a city, and cheap."""

    def __init__(self, lat0: float, lon0: float) -> None:
        self.lat0, self.lon0 = lat0, lon0
        self.km_per_deg_lon = 111.320 * math.cos(math.radians(lat0))

    def to_xy(self, lat: float, lon: float) -> tuple[float, float]:
        return (lon - self.lon0) * self.km_per_deg_lon, (lat - self.lat0) * KM_PER_DEG_LAT

    def to_latlon(self, x: float, y: float) -> tuple[float, float]:
        return self.lat0 + y / KM_PER_DEG_LAT, self.lon0 + x / self.km_per_deg_lon

    def point_in_disk(self, radius_km: float, u_radius: float, u_angle: float) -> tuple[float, float]:
        """A point uniformly spread over the disk (sqrt: equal area, not equal radius)."""
        r = radius_km * math.sqrt(u_radius)
        theta = 2 * math.pi * u_angle
        lat, lon = self.to_latlon(r * math.cos(theta), r * math.sin(theta))
        return round(lat, 6), round(lon, 6)


class TravelModel:
    def __init__(self, travel: TravelSection) -> None:
        self.road_factor = travel.road_factor
        self._starts = [b.from_.hour * 60 + b.from_.minute for b in travel.speeds]
        self._kmh = [b.kmh for b in travel.speeds]

    def speed_kmh(self, minute_of_day: float) -> float:
        i = bisect.bisect_right(self._starts, minute_of_day % 1440) - 1
        return self._kmh[max(i, 0)]

    def drive_seconds(self, lat1: float, lon1: float, lat2: float, lon2: float,
                      minute_of_day: float) -> float:
        km = haversine_km(lat1, lon1, lat2, lon2) * self.road_factor
        return km / self.speed_kmh(minute_of_day) * 3600.0


def sweep(points: Sequence[tuple[float, float]], sizes: Sequence[int],
          start_angle: float) -> list[list[int]]:
    """Cut points (x, y around the depot) into consecutive angular sectors of the given sizes."""
    def angle(i: int) -> float:
        x, y = points[i]
        return (math.atan2(y, x) - start_angle) % (2 * math.pi)

    order = sorted(range(len(points)), key=angle)
    out, at = [], 0
    for size in sizes:
        out.append(order[at:at + size])
        at += size
    return out


def nearest_neighbour(points: Sequence[tuple[float, float]], idxs: list[int]) -> list[int]:
    """Order one route's stops: from the depot (0, 0), always to the closest stop not yet served."""
    left = list(idxs)
    x, y = 0.0, 0.0
    out = []
    while left:
        best_j, best_d = 0, math.inf
        for j, i in enumerate(left):
            px, py = points[i]
            d = (px - x) * (px - x) + (py - y) * (py - y)
            if d < best_d:
                best_j, best_d = j, d
        i = left[best_j]
        left[best_j] = left[-1]
        left.pop()
        out.append(i)
        x, y = points[i]
    return out
