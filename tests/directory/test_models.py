import datetime as dt

import pytest
from sqlalchemy.exc import IntegrityError

from broker.directory.models import Intake
from broker.extensions import db
from tests.directory import factories as f


def test_places_left_counts_only_intakes_still_joinable(app):
    p = f.provision(
        intakes=[
            dict(start_in=-10, places=5, taken=1),  # started, not rolling: gone
            dict(start_in=-30, places=4, taken=1, rolling=True),  # rolling: still joinable
            dict(start_in=20, places=12, taken=12),  # full
            dict(start_in=40, places=8, taken=2),
        ]
    )
    assert p.places_left(f.TODAY) == 3 + 0 + 6
    assert p.next_intake(f.TODAY).rolling
    assert p.next_intake(f.TODAY).joinable_from(f.TODAY) == f.TODAY
    assert p.next_intake(f.TODAY, with_places=True).rolling


def test_next_intake_skips_full_when_places_needed(app):
    p = f.provision(intakes=[dict(start_in=5, places=3, taken=3), dict(start_in=50, places=3, taken=0)])
    assert p.next_intake(f.TODAY).start == f.TODAY + dt.timedelta(days=5)
    assert p.next_intake(f.TODAY, with_places=True).start == f.TODAY + dt.timedelta(days=50)


def test_stale_after_configured_days(app):
    assert not f.provision(confirmed_days_ago=30).is_stale(f.TODAY, 30)
    assert f.provision(confirmed_days_ago=31).is_stale(f.TODAY, 30)


@pytest.mark.parametrize("places,taken", [(3, 4), (3, -1), (-1, 0)])
def test_database_refuses_overbooked_or_negative_intakes(app, places, taken):
    p = f.provision()
    db.session.add(Intake(provision=p, start=f.TODAY, places=places, places_taken=taken))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_database_refuses_inverted_age_range(app):
    with pytest.raises(IntegrityError):
        f.provision(min_age=19, max_age=16)
    db.session.rollback()
