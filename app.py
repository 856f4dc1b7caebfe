"""The browser app: Chainlit handlers only. Run with `interviewer app` (or `chainlit run app.py`).

Each handler delegates to webapp.chat; the interview itself lives in interviewer/.
"""

from __future__ import annotations

import logging
from typing import Any

import chainlit as cl
from chainlit.types import ThreadDict

from interviewer.config import load_settings
from webapp import auth, chat, ledger
from webapp.data_layer import HistoryDataLayer, create_schema_sync
from webapp.prewarm import install_prewarm_route
from webapp.services import files_dir, get_services
from webapp.storage import LocalStorageClient, install_download_route

log = logging.getLogger("interviewer.app")

_settings = load_settings()
auth.ensure_auth_secret(_settings.cache_dir)
_storage = LocalStorageClient(files_dir(_settings))
install_download_route(_storage)
install_prewarm_route()  # public/prewarm.js posts the answer being typed (issue 14)


@cl.data_layer
def data_layer() -> HistoryDataLayer:
    url = get_services().database_url
    create_schema_sync(url)  # first start creates Chainlit's tables
    return HistoryDataLayer(url, storage_provider=_storage)


if auth.auth_mode() == "password":
    _users = auth.configured_users()

    @cl.password_auth_callback
    async def password_login(username: str, password: str) -> cl.User | None:
        if auth.check_password(_users, username, password):
            return cl.User(identifier=username, metadata={"provider": "password"})
        return None

else:

    @cl.header_auth_callback
    async def local_user(headers: Any) -> cl.User | None:
        # Single-user mode: the history sidebar needs a signed-in user, the login page calls
        # this on its own, so nobody sees a login form.
        return cl.User(identifier=auth.LOCAL_USER, metadata={"provider": "local"})


@cl.on_app_startup
async def startup() -> None:
    services = get_services()
    services.start_models_in_background()


@cl.on_app_shutdown
async def shutdown() -> None:
    get_services().shutdown()


@cl.set_chat_profiles
async def chat_profiles(user: cl.User | None = None, language: str | None = None) -> list[cl.ChatProfile]:
    return chat.chat_profiles()


@cl.on_chat_start
async def on_chat_start() -> None:
    await chat.start_chat()


@cl.on_chat_resume
async def on_chat_resume(thread: ThreadDict) -> None:
    await chat.resume_chat(dict(thread))


@cl.on_message
async def on_message(message: cl.Message) -> None:
    await chat.handle_message(message)


@cl.on_settings_update
async def on_settings_update(settings: dict[str, Any]) -> None:
    await chat.update_settings(settings)


@cl.action_callback(chat.END_ACTION)
async def on_end(action: cl.Action) -> None:
    await chat.end_from_action()


@cl.action_callback(ledger.FORGET_ACTION)
async def on_forget_ledger(action: cl.Action) -> None:
    await chat.forget_ledger_from_action()


@cl.action_callback(ledger.KEEP_ACTION)
async def on_keep_ledger(action: cl.Action) -> None:
    await ledger.keep()


@cl.action_callback(chat.RETRY_ACTION)
async def on_retry(action: cl.Action) -> None:
    await action.remove()
    await chat.retry_from_action()
