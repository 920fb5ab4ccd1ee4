"""Search relevance and filters, run against a real Whoosh index kept in step with the database."""
import datetime as dt

from broker.directory.params import parse_search
from broker.directory.services import find_provisions, rebuild_index, search_provisions
from broker.extensions import db
from tests.directory import factories as f


def run(**args):
    sq, _ = parse_search({k: str(v) for k, v in args.items()}, today=f.TODAY)
    total, results = search_provisions(sq)
    return total, results


def names(**args):
    return [r.provision.name for r in run(**args)[1]]


def search_page(**args):
    sq, _ = parse_search({k: str(v) for k, v in args.items()}, today=f.TODAY)
    return find_provisions(sq)


def test_name_match_ranks_above_description_match(app):
    f.provision("Money advice drop-in", category="benefits", description="Help with housing costs in your claim.")
    f.provision("Supported housing for 16-17 year olds", category="housing", description="Rooms with a key worker.")
    assert names(q="housing") == ["Supported housing for 16-17 year olds", "Money advice drop-in"]


def test_stemmed_text_finds_word_forms(app):
    f.provision("Joinery course", description="Learn carpentry and joinery skills on site.")
    assert names(q="learning skill", exact=1) == ["Joinery course"]
    assert names(q="courses", exact=1) == ["Joinery course"]


def test_every_word_must_match_before_any_word_will_do(app):
    f.provision("Joinery course", description="Learn carpentry and joinery skills on site.")
    f.provision("Painting workshop", category="education", description="Watercolours for beginners.")
    strict = search_page(q="joinery carpentry", exact=1)
    assert [r.provision.name for r in strict.results] == ["Joinery course"] and strict.page.relaxed == []
    relaxed = search_page(q="joinery watercolours", exact=1)
    assert sorted(r.provision.name for r in relaxed.results) == ["Joinery course", "Painting workshop"]
    assert relaxed.page.relaxed == ["any_word"]
    assert "matches every word" in relaxed.page.notices[-1]["message"]


def test_provider_name_and_category_label_are_searchable(app):
    f.provision("Drop-in", org=f.organisation("Calder Valley Youth Trust"), category="mental-health")
    assert names(q="calder") == ["Drop-in"]
    assert names(q="mental health") == ["Drop-in"]


def test_category_filter(app):
    f.provision("A", category="training")
    f.provision("B", category="housing")
    assert names(category="housing") == ["B"]


def test_radius_filter_reports_distances_and_sorts_nearest_first(app):
    f.provision("Far hostel", category="housing", at=f.BD1)
    f.provision("Near hostel", category="housing", at=f.LS1)
    f.provision("Hostel on our doorstep", category="housing", at=f.LS9)
    f.provision("Near course", category="training", at=f.LS1)
    total, results = run(q="hostel", near="LS9", radius_km=10, sort="distance")
    assert total == 2
    assert [r.provision.name for r in results] == ["Hostel on our doorstep", "Near hostel"]
    assert results[0].distance_km < 0.01
    assert 2.5 < results[1].distance_km < 3.0


def test_radius_uses_nearest_location_of_multi_site_provision(app):
    f.provision("Two sites", at=[f.BD1, f.LS1])
    total, results = run(near="LS9", radius_km=5)
    assert total == 1 and 2.5 < results[0].distance_km < 3.0


def test_near_accepts_postcode_town_and_latlon(app):
    f.provision("Near", at=f.LS9)
    f.provision("Halifax", at=f.HX1)
    assert names(near="LS9 7AB", radius_km=3) == ["Near"]
    assert names(near="halifax", radius_km=3) == ["Halifax"]
    assert names(near=f"{f.HX1[0]},{f.HX1[1]}", radius_km=1) == ["Halifax"]


def test_start_date_window_and_rolling_intakes(app):
    f.provision("January course", intakes=[dict(start_in=40, places=5)])
    f.provision("Next week course", intakes=[dict(start_in=7, places=5)])
    f.provision("Rolling", intakes=[dict(start_in=-60, places=5, rolling=True)])
    f.provision("Later rolling", intakes=[dict(start_in=90, places=5, rolling=True)])
    window = dict(
        starts_after=(f.TODAY + dt.timedelta(days=30)).isoformat(),
        starts_before=(f.TODAY + dt.timedelta(days=60)).isoformat(),
    )
    assert sorted(names(**window)) == ["January course", "Rolling"]


def test_has_places_ignores_full_and_started_intakes(app):
    f.provision("Full", intakes=[dict(start_in=10, places=4, taken=4)])
    f.provision("Started", intakes=[dict(start_in=-3, places=4)])
    f.provision("Open", intakes=[dict(start_in=10, places=4, taken=3)])
    f.provision("Zero places", intakes=[dict(start_in=10, places=0)])
    assert names(has_places="true") == ["Open"]


def test_free_place_and_date_window_apply_to_the_same_intake(app):
    # Free places only in March, a full intake in the window: must not match.
    f.provision("Mismatch", intakes=[dict(start_in=10, places=4, taken=4), dict(start_in=100, places=4)])
    f.provision("Match", intakes=[dict(start_in=12, places=4, taken=1)])
    before = (f.TODAY + dt.timedelta(days=30)).isoformat()
    assert names(has_places="true", starts_before=before) == ["Match"]


def test_age_filter_respects_open_ended_ranges(app):
    f.provision("16 to 18", min_age=16, max_age=18)
    f.provision("Under 25s", max_age=25)
    f.provision("Any age")
    assert sorted(names(age=15)) == ["Any age", "Under 25s"]
    assert sorted(names(age=19)) == ["Any age", "Under 25s"]
    assert sorted(names(age=17)) == ["16 to 18", "Any age", "Under 25s"]


def test_sort_by_soonest_start(app):
    f.provision("Later", intakes=[dict(start_in=50)])
    f.provision("Sooner", intakes=[dict(start_in=5)])
    f.provision("Rolling now", intakes=[dict(start_in=-5, rolling=True)])
    total, results = run(sort="start")
    assert [r.provision.name for r in results] == ["Rolling now", "Sooner", "Later"]
    assert results[0].next_start == f.TODAY


def test_results_flag_stale_listings(app):
    f.provision("Fresh", confirmed_days_ago=3)
    f.provision("Stale", confirmed_days_ago=45)
    stale = {r.provision.name: r.stale for r in run()[1]}
    assert stale == {"Fresh": False, "Stale": True}


def test_index_follows_every_change(app):
    p = f.provision("Plumbing course", intakes=[dict(start_in=10, places=2, taken=1)])
    assert names(q="plumbing", has_places="true", exact=1) == ["Plumbing course"]

    p.intakes[0].places_taken = 2  # the last place goes
    db.session.commit()
    assert names(q="plumbing", has_places="true", exact=1) == []

    p.name = "Electrical installation course"
    db.session.commit()
    assert names(q="plumbing", exact=1) == [] and names(q="electrical", exact=1) == ["Electrical installation course"]

    p.status = "withdrawn"
    db.session.commit()
    assert names(q="electrical", exact=1) == []

    p.status = "active"
    db.session.commit()
    db.session.delete(p)
    db.session.commit()
    assert names(q="electrical", exact=1) == []


def test_rolled_back_changes_do_not_reach_the_index(app):
    p = f.provision("Barbering course")
    p.name = "Hairdressing course"
    db.session.flush()
    db.session.rollback()
    assert names(q="hairdressing", exact=1) == [] and names(q="barbering", exact=1) == ["Barbering course"]


def test_paging_and_rebuild(app):
    for i in range(25):
        f.provision(f"Course {i:02d}", category="education")
    total, first = run(category="education", per_page=10, page=1)
    _, third = run(category="education", per_page=10, page=3)
    assert total == 25 and len(first) == 10 and len(third) == 5
    assert rebuild_index() == 25
    assert run(category="education")[0] == 25


def test_filters_agree_with_a_brute_force_reading_of_the_database(app):
    """Random listings and random searches: the index must return exactly the provisions
    that a plain reading of the rows says match (same rules, written independently)."""
    import random

    from geopy.distance import great_circle

    rng = random.Random(20261125)
    cats = ["training", "housing", "education"]
    points = [f.LS9, f.LS1, f.BD1, f.HX1]
    provisions = []
    for n in range(60):
        intakes = [
            dict(
                start_in=rng.randint(-40, 120),
                places=(places := rng.randint(0, 3)),
                taken=rng.randint(0, places),
                rolling=rng.random() < 0.3,
            )
            for _ in range(rng.randint(0, 3))
        ]
        provisions.append(
            f.provision(
                f"Listing {n}",
                category=rng.choice(cats),
                at=rng.sample(points, rng.randint(1, 2)),
                min_age=rng.choice([None, 14, 16]),
                max_age=rng.choice([None, 18, 25]),
                intakes=intakes,
                commit=False,
            )
        )
    db.session.commit()

    def expected(sq_args):
        sq, _ = parse_search({k: str(v) for k, v in sq_args.items()}, today=f.TODAY)
        out = set()
        for p in provisions:
            if sq.category and p.category != sq.category:
                continue
            if sq.age is not None and not (
                (p.min_age is None or p.min_age <= sq.age) and (p.max_age is None or p.max_age >= sq.age)
            ):
                continue
            if sq.radius_km is not None and min(
                great_circle(sq.near, (l.lat, l.lon)).km for l in p.locations
            ) > sq.radius_km:
                continue
            checks = sq.has_places or sq.starts_after or sq.starts_before
            options = []
            for i in p.intakes:
                if not i.rolling and i.start < f.TODAY:
                    continue
                day = max(i.start, f.TODAY, sq.starts_after or f.TODAY) if i.rolling else i.start
                if sq.has_places and i.places_left <= 0:
                    continue
                if (sq.starts_after and day < sq.starts_after) or (sq.starts_before and day > sq.starts_before):
                    continue
                options.append(day)
            if checks and not options:
                continue
            out.add(p.name)
        return out

    non_empty = 0
    for _ in range(40):
        args = {}
        if rng.random() < 0.5:
            args["category"] = rng.choice(cats)
        if rng.random() < 0.5:
            args["age"] = rng.choice([13, 15, 16, 17, 19, 22])
        if rng.random() < 0.5:
            args.update(near="LS9", radius_km=rng.choice([1, 5, 20, 30]))
        if rng.random() < 0.5:
            args["has_places"] = "true"
        if rng.random() < 0.4:
            args["starts_after"] = (f.TODAY + dt.timedelta(days=rng.randint(-10, 60))).isoformat()
        if rng.random() < 0.4:
            args["starts_before"] = (f.TODAY + dt.timedelta(days=rng.randint(61, 150))).isoformat()
        args["per_page"] = 100
        found = set(names(**args))
        assert found == expected(args), args
        non_empty += bool(found)
    assert non_empty >= 20  # the comparison was about something


def test_best_match_near_a_place_prefers_the_nearer_of_equal_matches(app):
    f.provision("Youth hostel", category="housing", at=f.BD1)
    f.provision("Youth hostel", category="housing", at=f.LS1, org=f.organisation("Nearer Trust"))
    total, results = run(q="hostel", near="LS9")
    assert total == 2 and results[0].provision.organisation.name == "Nearer Trust"
    assert results[0].distance_km < results[1].distance_km


def test_a_much_better_match_still_beats_a_slightly_nearer_one(app):
    f.provision("Drop-in advice", category="benefits", description="Some help with a hostel deposit.", at=f.LS9)
    f.provision("Hostel for young people: hostel beds, hostel support", category="housing", at=f.LS1)
    names_found = [r.provision.name for r in run(q="hostel", near="LS9")[1]]
    assert names_found[0].startswith("Hostel for young people")
