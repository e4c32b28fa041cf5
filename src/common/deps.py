"""FastAPI dependencies shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from src.common.pagination import PageParams, page_params
from src.config import Settings
from src.db.engine import Database


async def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


Db = Annotated[Database, Depends(get_db)]
AppSettingsDep = Annotated[Settings, Depends(get_settings_dep)]
Paging = Annotated[PageParams, Depends(page_params)]
