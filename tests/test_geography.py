"""Offline geography (broker/geography.py) and the shipped demo directory."""

import json
from collections import Counter
from pathlib import Path

import pytest
from geopy.geocoders.base import Geocoder
from geopy.location import Location

from broker.geography import (
    OfflineFirstGeocoder,
    OfflineGeocoder,
    Place,
    UnknownPlace,
    distance_km,
    make_geocoder,
    nearest_district,
    normalise_postcode,
    postcode_district,
    resolve_place,
)

DEMO = Path(__file__).resolve().parent.parent / "directory_data" / "demo_directory.json"

# Generous box around West Yorkshire (Todmorden to Knottingley, Holme Moss to Ilkley Moor).
WEST_YORKSHIRE_BOX = {"lat": (53.50, 53.98), "lon": (-2.20, -1.18)}

CATEGORIES = {
    "training", "education", "employment", "housing", "benefits", "health",
    "mental-health", "drugs-alcohol", "anger-management", "youth-offending",
}


def near(place, lat, lon, km=1.0):
    return distance_km(place.lat, place.lon, lat, lon) <= km


# --- postcodes ---


@pytest.mark.parametrize(
    "text, expected",
    [
        ("ls98ab", "LS9 8AB"),
        ("LS9 8AB", "LS9 8AB"),
        ("  ls9   8ab ", "LS9 8AB"),
        ("sw1a1aa", "SW1A 1AA"),
        ("hd66aa", "HD6 6AA"),
        ("ls9", "LS9"),
        ("ec1a", "EC1A"),
    ],
)
def test_normalise_postcode(text, expected):
    assert normalise_postcode(text) == expected


@pytest.mark.parametrize("text", ["leeds", "L S", "12345", "LS9 8A", ""])
def test_normalise_postcode_rejects_non_postcodes(text):
    with pytest.raises(ValueError, match="postcode"):
        normalise_postcode(text)


@pytest.mark.parametrize(
    "text, district",
    [("LS9 8AB", "LS9"), ("ls98ab", "LS9"), ("WF10 4AA", "WF10"), ("SW1A 1AA", "SW1A"), ("BD1", "BD1")],
)
def test_postcode_district(text, district):
    assert postcode_district(text) == district


# --- resolving places ---


@pytest.mark.parametrize(
    "district, lat, lon",
    [("LS1", 53.797, -1.548), ("BD1", 53.794, -1.752), ("SW1A", 51.50, -0.14), ("HX1", 53.72, -1.87)],
)
def test_known_district_centroids(district, lat, lon):
    place = resolve_place(district)
    assert place == Place(district, place.lat, place.lon, "district")
    assert near(place, lat, lon, km=1.0)


def test_unit_postcode_in_sample_uses_its_own_point():
    sample = (DEMO.parent / "geography" / "west_yorkshire_postcodes.csv").read_text().splitlines()[1]
    postcode, lat, lon = sample.split(",")
    place = resolve_place(postcode.lower().replace(" ", ""))
    assert (place.label, place.lat, place.lon, place.kind) == (postcode, float(lat), float(lon), "postcode")


def test_unit_postcode_outside_sample_uses_district_centre():
    place = resolve_place("sw1a 1aa")
    district = resolve_place("SW1A")
    assert place.kind == "postcode" and place.label == "SW1A 1AA"
    assert (place.lat, place.lon) == (district.lat, district.lon)


@pytest.mark.parametrize(
    "text, label, lat, lon",
    [
        ("leeds", "Leeds", 53.797, -1.548),
        ("BRADFORD", "Bradford", 53.794, -1.752),
        ("Hebden bridge", "Hebden Bridge", 53.742, -2.014),
        ("huddersfield", "Huddersfield", 53.649, -1.784),
        ("Leeds, West Yorkshire", "Leeds", 53.797, -1.548),
        ("stoke on trent", "Stoke-on-Trent", 53.004, -2.185),
    ],
)
def test_towns(text, label, lat, lon):
    place = resolve_place(text)
    assert place.kind == "town" and place.label == label
    assert near(place, lat, lon, km=2.0)


@pytest.mark.parametrize(
    "name",
    ["Leeds", "Bradford", "Wakefield", "Huddersfield", "Halifax", "Dewsbury", "Keighley", "Batley",
     "Castleford", "Pontefract", "Morley", "Pudsey", "Shipley", "Brighouse", "Todmorden", "Hebden Bridge",
     "Otley", "Ilkley", "Wetherby", "Normanton", "Ossett", "Holmfirth", "Featherstone", "Hemsworth"],
)
def test_west_yorkshire_towns_are_in_west_yorkshire(name):
    place = resolve_place(name)
    assert WEST_YORKSHIRE_BOX["lat"][0] <= place.lat <= WEST_YORKSHIRE_BOX["lat"][1]
    assert WEST_YORKSHIRE_BOX["lon"][0] <= place.lon <= WEST_YORKSHIRE_BOX["lon"][1]


def test_ambiguous_town_prefers_west_yorkshire_but_can_be_qualified():
    assert resolve_place("Birstall").lat > 53.5  # Kirklees
    assert resolve_place("Birstall, England").lat < 53.0  # Leicestershire


@pytest.mark.parametrize("text, lat, lon", [("53.8,-1.5", 53.8, -1.5), (" 53.79 , -1.55 ", 53.79, -1.55), ("51.5 -0.12", 51.5, -0.12)])
def test_lat_lon(text, lat, lon):
    assert resolve_place(text) == Place(f"{lat:.5f},{lon:.5f}", lat, lon, "latlon")


@pytest.mark.parametrize(
    "text, says",
    [
        ("", "No place given"),
        ("   ", "No place given"),
        ("Atlantis", "'Atlantis' was not recognised"),
        ("ZZ9 9ZZ", "'ZZ9' is not known"),
        ("95,0", "latitude must be -90 to 90"),
        ("Leds", "Did you mean Leeds"),
    ],
)
def test_unknown_places_say_what_is_accepted(text, says):
    with pytest.raises(UnknownPlace) as caught:
        resolve_place(text)
    message = str(caught.value)
    assert says in message
    if "latitude must" not in message:
        assert "postcode (e.g. LS9 8AB)" in message and "town" in message and "latitude,longitude" in message
    assert isinstance(caught.value, ValueError)


def test_lookups_are_fast_after_load():
    import time

    resolve_place("leeds")
    start = time.perf_counter()
    for _ in range(1000):
        resolve_place("LS9 8AB")
        resolve_place("wakefield")
    assert (time.perf_counter() - start) / 2000 < 0.001


def test_distance_km():
    assert distance_km(53.797, -1.548, 53.794, -1.752) == pytest.approx(13.4, abs=0.2)
    assert distance_km(53.8, -1.5, 53.8, -1.5) == 0


def test_nearest_district():
    district, km = nearest_district(53.7976, -1.5514)
    assert district == "LS1" and km < 0.5


# --- geopy API ---


def test_offline_geocoder_geocode():
    geocoder = make_geocoder(None)
    assert isinstance(geocoder, OfflineGeocoder) and isinstance(geocoder, Geocoder)
    location = geocoder.geocode("ls1")
    assert isinstance(location, Location)
    assert location.address == "LS1"
    assert location.latitude == pytest.approx(53.797, abs=0.01)
    assert location.raw["kind"] == "district"
    assert geocoder.geocode("Wakefield", exactly_one=False)[0].address == "Wakefield"
    assert geocoder.geocode("Atlantis") is None


def test_offline_geocoder_reverse():
    geocoder = OfflineGeocoder()
    location = geocoder.reverse("53.7976, -1.5514")
    assert location.address == "LS1" and location.raw["distance_km"] < 0.5
    assert geocoder.reverse((53.794, -1.752)).address == "BD1"
    assert geocoder.reverse((48.8566, 2.3522)) is None  # Paris: no district within reach


class FakeOnline(Geocoder):
    def __init__(self):
        super().__init__()
        self.asked = []

    def geocode(self, query, **kwargs):
        self.asked.append(query)
        return Location("Somewhere online", (10.0, 20.0), {})

    def reverse(self, query, **kwargs):
        self.asked.append(query)
        return Location("Online reverse", (0.0, 0.0), {})


def test_online_geocoder_is_tried_only_after_offline_data():
    online = FakeOnline()
    geocoder = OfflineFirstGeocoder(online, min_delay_seconds=0)
    assert geocoder.geocode("LS9 8AB").raw["kind"] == "postcode"
    assert online.asked == []
    assert geocoder.geocode("1600 Pennsylvania Avenue").address == "Somewhere online"
    assert online.asked == ["1600 Pennsylvania Avenue"]
    assert geocoder.reverse((48.8566, 2.3522)).address == "Online reverse"


def test_make_geocoder_with_a_service_name_wraps_it():
    from geopy.geocoders import Nominatim

    geocoder = make_geocoder("nominatim")
    assert isinstance(geocoder, OfflineFirstGeocoder)
    assert isinstance(geocoder.online, Nominatim)
    assert geocoder.geocode("Leeds").address == "Leeds"  # answered offline, no network
    assert isinstance(make_geocoder("offline"), OfflineGeocoder)
    with pytest.raises(ValueError, match="BROKER_GEOCODER"):
        make_geocoder("no-such-service")


# --- the demo directory ---


@pytest.fixture(scope="module")
def demo():
    return json.loads(DEMO.read_text(encoding="utf-8"))


def provisions(demo):
    return [p for org in demo["organisations"] for p in org["provisions"]]


def test_demo_counts(demo):
    assert demo["area"] == "West Yorkshire"
    assert len(demo["organisations"]) >= 85
    assert len(provisions(demo)) >= 320
    keys = [p["key"] for p in provisions(demo)]
    assert len(keys) == len(set(keys))


def test_demo_covers_every_category_many_times(demo):
    counts = Counter(p["category"] for p in provisions(demo))
    assert set(counts) == CATEGORIES
    assert min(counts.values()) >= 12
    assert counts["training"] + counts["education"] > counts["housing"] + counts["benefits"]


def test_demo_fields_are_valid(demo):
    routes = {"form", "email", "phone", "self-referral", "professional-only"}
    for p in provisions(demo):
        assert p["referral_route"] in routes, p["key"]
        assert p["referral_route"] != "form" or p["referral_form_url"], p["key"]
        assert p["status"] in {"active", "withdrawn"}
        assert 1 <= len(p["locations"]) <= 3 and p["intakes"], p["key"]
        for intake in p["intakes"]:
            assert 0 <= intake["taken"] <= intake["places"] or intake["places"] == 0


def test_demo_locations_are_in_west_yorkshire(demo):
    for p in provisions(demo):
        for loc in p["locations"]:
            assert WEST_YORKSHIRE_BOX["lat"][0] <= loc["lat"] <= WEST_YORKSHIRE_BOX["lat"][1], loc
            assert WEST_YORKSHIRE_BOX["lon"][0] <= loc["lon"] <= WEST_YORKSHIRE_BOX["lon"][1], loc
            assert resolve_place(loc["postcode"]).kind == "postcode"
