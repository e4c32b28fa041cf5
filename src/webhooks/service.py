"""Rules for webhook endpoints (spec §6.7, without §20.2 #11)."""

from __future__ import annotations

from src.common.pagination import Page, PageParams, make_page
from src.config import Settings
from src.db.engine import Database
from src.errors import ConflictError, NotFoundError, ValidationError
from src.webhooks import events, targets
from src.webhooks import repository as repo
from src.webhooks.schemas import WebhookEndpoint


async def check_target(settings: Settings, url: str) -> None:
    """Refuse a URL whose host resolves to a non-public address (unless allowed). A host that does
    not resolve yet is accepted: every delivery checks the address again before connecting."""
    if settings.webhook.ALLOW_PRIVATE_TARGETS:
        return
    try:
        targets.check(await targets.resolve(url))
    except targets.ResolutionFailed:
        return
    except targets.TargetRefused as exc:
        raise ValidationError(f"url: {exc}") from None


async def get_or_create(
    db: Database, settings: Settings, workspace: str, url: str
) -> WebhookEndpoint:
    await check_target(settings, url)
    limit = settings.webhook.MAX_WORKSPACE_LIMIT
    async with db.transaction() as conn:
        if not await repo.lock_workspace(conn, workspace):
            raise NotFoundError(f"Workspace {workspace} not found")
        row = await repo.get_by_url(conn, workspace, url)
        if row is None:
            # After the duplicate check: registering a URL the workspace already has is never a
            # conflict, even at the limit.
            if await repo.count(conn, workspace) >= limit:
                raise ConflictError(
                    f"Workspace {workspace} already has the maximum of {limit} webhook endpoints"
                )
            row = await repo.insert_endpoint(conn, workspace, url)
    return WebhookEndpoint.from_row(row)


async def list_endpoints(db: Database, workspace: str, params: PageParams) -> Page[WebhookEndpoint]:
    async with db.transaction() as conn:
        rows, total = await repo.list_page(conn, workspace, params)
    return make_page([WebhookEndpoint.from_row(r) for r in rows], total, params)


async def delete(db: Database, workspace: str, endpoint_id: str) -> None:
    async with db.transaction() as conn:
        if not await repo.delete(conn, workspace, endpoint_id):
            raise NotFoundError(
                f"Webhook endpoint {endpoint_id} not found in workspace {workspace}"
            )


async def send_test_event(db: Database, workspace: str) -> None:
    """Queue a `test.event` to every endpoint of the workspace; the deriver delivers it."""
    async with db.transaction() as conn:
        if not await repo.workspace_exists(conn, workspace):
            raise NotFoundError(f"Workspace {workspace} not found")
        await events.enqueue(conn, workspace, "test.event", {"workspace_id": workspace})
