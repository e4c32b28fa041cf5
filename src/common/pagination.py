"""`page`/`size` pagination with the response shape the official SDK iterates over."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from pydantic import BaseModel

from src.common.validation import PageQuery, SizeQuery

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    size: int
    pages: int


@dataclass(frozen=True)
class PageParams:
    page: int = 1
    size: int = 50

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size


async def page_params(page: PageQuery = 1, size: SizeQuery = 50) -> PageParams:
    return PageParams(page=page, size=size)


def make_page(items: Sequence[T], total: int, params: PageParams) -> Page[T]:
    return Page[T](
        items=list(items),
        total=total,
        page=params.page,
        size=params.size,
        pages=math.ceil(total / params.size) if total else 0,
    )
