"""One page of a long list (caseload, inbox): counted and cut in the database."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, select

from broker.extensions import db

PER_PAGE = 20


@dataclass
class Page:
    """`items` on page `number` of `pages`; `number` is always a page that exists (1 when empty)."""

    items: list[Any]
    total: int
    number: int
    per_page: int
    extra: dict = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def first_item(self) -> int:
        return 0 if not self.total else (self.number - 1) * self.per_page + 1

    @property
    def last_item(self) -> int:
        return min(self.total, self.number * self.per_page)


def clamp(number: int | None, total: int, per_page: int) -> int:
    """A page number that exists: below 1 is 1, past the last is the last."""
    pages = max(1, math.ceil(total / per_page))
    return min(max(number or 1, 1), pages)


def paginate(stmt: Select, number: int | None, per_page: int = PER_PAGE) -> Page:
    """Run `stmt` for one page. Asking past the last page gives the last page."""
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    number = clamp(number, total, per_page)
    items = list(db.session.scalars(stmt.limit(per_page).offset((number - 1) * per_page)))
    return Page(items, total, number, per_page)


def page_of(rows: list, number: int | None, per_page: int = PER_PAGE) -> Page:
    """The same for a list already in memory (filtered in Python, e.g. by consent)."""
    number = clamp(number, len(rows), per_page)
    return Page(rows[(number - 1) * per_page: number * per_page], len(rows), number, per_page)
