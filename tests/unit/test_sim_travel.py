"""The travel model: distances, speeds by time of day, and how stops are cut and ordered."""

from __future__ import annotations

import math
import random
from datetime import time

import pytest

from doorstep.sim.scenario import SpeedBand, TravelSection
from doorstep.sim.travel import Plane, TravelModel, haversine_km, nearest_neighbour, sweep


def test_haversine_matches_known_distances() -> None:
    assert haversine_km(40.7128, -74.0060, 41.8781, -87.6298) == pytest.approx(1145, rel=0.01)
    assert haversine_km(33.4, -112.0, 33.4, -112.0) == 0


def test_the_flat_map_agrees_with_haversine_over_a_city() -> None:
    plane = Plane(40.68, -74.01)
    lat, lon = plane.to_latlon(3.0, 4.0)
    assert haversine_km(40.68, -74.01, lat, lon) == pytest.approx(5.0, rel=0.01)
    for u in (0.0, 0.3, 0.99):
        lat, lon = plane.point_in_disk(10, u, 0.25)
        assert haversine_km(40.68, -74.01, lat, lon) <= 10.01


def test_speed_depends_on_the_local_time_of_day() -> None:
    model = TravelModel(TravelSection(road_factor=1.5, speeds=[
        SpeedBand(from_=time(0), kmh=60), SpeedBand(from_=time(7), kmh=30)]))
    assert model.speed_kmh(6 * 60 + 59) == 60
    assert model.speed_kmh(7 * 60) == 30
    assert model.speed_kmh(25 * 60) == 60  # past midnight
    km = haversine_km(40.0, -74.0, 40.1, -74.0)
    assert model.drive_seconds(40.0, -74.0, 40.1, -74.0, 8 * 60) == pytest.approx(
        km * 1.5 / 30 * 3600)


def test_sweep_cuts_sectors_of_the_sizes_asked() -> None:
    rng = random.Random(1)
    points = [(rng.uniform(-5, 5), rng.uniform(-5, 5)) for _ in range(100)]
    groups = sweep(points, [30, 30, 40], start_angle=0.0)
    assert [len(g) for g in groups] == [30, 30, 40]
    assert sorted(i for g in groups for i in g) == list(range(100))
    angles = [[math.atan2(points[i][1], points[i][0]) % (2 * math.pi) for i in g] for g in groups]
    assert max(angles[0]) <= min(angles[1]) and max(angles[1]) <= min(angles[2])


def test_nearest_neighbour_visits_each_stop_once_closest_first() -> None:
    points = [(5.0, 0.0), (1.0, 0.0), (3.0, 0.0), (2.0, 0.1)]
    assert nearest_neighbour(points, [0, 1, 2, 3]) == [1, 3, 2, 0]
    assert nearest_neighbour(points, []) == []
