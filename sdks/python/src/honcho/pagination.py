"""Pages of list results. A page holds one server page; iterating it walks every item of every
page, requesting the next page only when the previous one is used up. Items are built from the
list response itself: there is never a request per item."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, Generic, TypeVar

from ._http import AsyncHTTP, Call, SyncHTTP
from ._ops import PageCall

__all__ = ["AsyncPage", "SyncPage"]

T = TypeVar("T")
W = TypeVar("W")


class _PageBase(Generic[T]):
    def __init__(self, call: PageCall[Any], transform: Callable[[Any], T], data: Any) -> None:
        body: dict[str, Any] = data if isinstance(data, dict) else {}
        self._call = call
        self._transform = transform
        self._items = [transform(call.parse_item(raw)) for raw in body.get("items") or []]
        self.total: int | None = body.get("total")
        self.page: int = int(body.get("page") or 1)
        self.size: int | None = body.get("size")
        self.pages: int | None = body.get("pages")

    @property
    def items(self) -> list[T]:
        """The items of this page only.

        Example:
            >>> first_page = honcho.get_peers().items
        """
        return list(self._items)

    def has_next_page(self) -> bool:
        """Whether the server has a page after this one.

        Example:
            >>> page = session.get_messages()
            >>> page.has_next_page()
            False
        """
        if self.pages is not None:
            return self.page < self.pages
        return bool(self._items)  # no page count: keep asking until a page is empty

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index: int) -> T:
        return self._items[index]

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(page={self.page}, pages={self.pages}, "
            f"total={self.total}, items={len(self._items)})"
        )


class SyncPage(_PageBase[T]):
    """One page of a list (`items`, `total`, `page`, `size`, `pages`); iterate for all items."""

    def __init__(
        self, http: SyncHTTP, call: PageCall[Any], transform: Callable[[Any], T], data: Any
    ) -> None:
        super().__init__(call, transform, data)
        self._http = http

    @classmethod
    def _first(cls, http: SyncHTTP, call: PageCall[W], transform: Callable[[W], T]) -> SyncPage[T]:
        """Request page 1 of `call` (the list methods call this)."""
        return cls(http, call, transform, http.call(_raw(call, 1)))

    def get_next_page(self) -> SyncPage[T] | None:
        """Request the next page; None after the last one.

        Example:
            >>> second = session.get_messages().get_next_page()
        """
        if not self.has_next_page():
            return None
        data = self._http.call(_raw(self._call, self.page + 1))
        return SyncPage(self._http, self._call, self._transform, data)

    def __iter__(self) -> Iterator[T]:
        page: SyncPage[T] | None = self
        while page is not None:
            yield from page._items
            if not page._items:
                return
            page = page.get_next_page()


class AsyncPage(_PageBase[T]):
    """The async twin of `SyncPage`: `async for item in page` walks every page."""

    def __init__(
        self, http: AsyncHTTP, call: PageCall[Any], transform: Callable[[Any], T], data: Any
    ) -> None:
        super().__init__(call, transform, data)
        self._http = http

    @classmethod
    async def _first(
        cls, http: AsyncHTTP, call: PageCall[W], transform: Callable[[W], T]
    ) -> AsyncPage[T]:
        """Request page 1 of `call` (the list methods call this)."""
        return cls(http, call, transform, await http.call(_raw(call, 1)))

    async def get_next_page(self) -> AsyncPage[T] | None:
        """Request the next page; None after the last one.

        Example:
            >>> second = await (await session.get_messages()).get_next_page()
        """
        if not self.has_next_page():
            return None
        data = await self._http.call(_raw(self._call, self.page + 1))
        return AsyncPage(self._http, self._call, self._transform, data)

    async def __aiter__(self) -> AsyncIterator[T]:
        page: AsyncPage[T] | None = self
        while page is not None:
            for item in page._items:
                yield item
            if not page._items:
                return
            page = await page.get_next_page()


def _raw(call: PageCall[Any], page: int) -> Call[Any]:
    return Call(call.request(page), lambda data: data)
