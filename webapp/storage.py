"""Element files (report downloads, charts) on local disk, served back to their owner only.

Chainlit ships S3/GCS/Azure storage clients, none for a single machine. Without one its
SQLAlchemy data layer drops every element, so a resumed thread would lose the report files.
Files live under ~/.cache/interviewer/files/<user id>/<element id>/<name>; the first path segment
is the owner's user id (Chainlit builds object keys that way), which is what the download route
checks against the signed-in user.
"""

from __future__ import annotations

import asyncio
import mimetypes
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from chainlit.data.storage_clients.base import BaseStorageClient
from fastapi import Depends, FastAPI, HTTPException
from fastapi.responses import FileResponse

from webapp.chainlit_internals import add_route_before_ui, current_user_dependency

ROUTE_PREFIX = "/interviewer/files"


class UnsafeKey(ValueError):
    """An object key that would escape the storage directory."""


class LocalStorageClient(BaseStorageClient):
    def __init__(self, root: Path, url_prefix: str = ROUTE_PREFIX) -> None:
        self.root = root.expanduser().resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.url_prefix = url_prefix.rstrip("/")

    def path_for(self, object_key: str) -> Path:
        """The file for a key, refusing anything outside the root (`..`, absolute paths)."""
        candidate = (self.root / object_key).resolve()
        if candidate == self.root or self.root not in candidate.parents:
            raise UnsafeKey(object_key)
        return candidate

    def url_for(self, object_key: str) -> str:
        root_path = os.environ.get("CHAINLIT_PARENT_ROOT_PATH", "") + os.environ.get(
            "CHAINLIT_ROOT_PATH", ""
        )
        return f"{root_path}{self.url_prefix}/{quote(object_key)}"

    async def upload_file(
        self,
        object_key: str,
        data: bytes | str,
        mime: str = "application/octet-stream",
        overwrite: bool = True,
        content_disposition: str | None = None,
    ) -> dict[str, Any]:
        path = self.path_for(object_key)
        if path.exists() and not overwrite:
            return {"object_key": object_key, "url": self.url_for(object_key)}
        payload = data.encode("utf-8") if isinstance(data, str) else data

        def write() -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + ".part")
            tmp.write_bytes(payload)
            os.replace(tmp, path)

        await asyncio.to_thread(write)
        return {"object_key": object_key, "url": self.url_for(object_key)}

    async def delete_file(self, object_key: str) -> bool:
        try:
            path = self.path_for(object_key)
        except UnsafeKey:
            return False
        try:
            await asyncio.to_thread(path.unlink)
        except FileNotFoundError:
            return False
        return True

    async def get_read_url(self, object_key: str) -> str:
        return self.url_for(object_key)

    async def close(self) -> None:
        return None


def guess_mime(path: Path) -> str:
    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def add_download_route(app: FastAPI, storage: LocalStorageClient, current_user: Callable[..., Any]) -> None:
    """Serve stored files at ROUTE_PREFIX/<key> to the user who owns them (idempotent)."""

    async def download(object_key: str, user: Any = Depends(current_user)) -> FileResponse:
        owner = object_key.split("/", 1)[0]
        if user is None or owner != str(getattr(user, "id", "")):
            raise HTTPException(status_code=404, detail="Not found")
        try:
            path = storage.path_for(object_key)
        except UnsafeKey:
            raise HTTPException(status_code=404, detail="Not found") from None
        if not path.is_file():
            raise HTTPException(status_code=404, detail="Not found")
        return FileResponse(path, media_type=guess_mime(path), filename=path.name)

    path = f"{storage.url_prefix}/{{object_key:path}}"
    if any(getattr(r, "path", None) == path for r in app.router.routes):
        return
    app.add_api_route(path, download, methods=["GET"])


def install_download_route(storage: LocalStorageClient) -> None:
    """On Chainlit's app, in front of its catch-all UI route (a route after it never matches)."""
    add_route_before_ui(lambda app: add_download_route(app, storage, current_user_dependency()))
