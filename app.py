"""The browser app: Chainlit handlers only. Run with `interviewer app` (or `chainlit run app.py`).

Each handler calls one use case in webapp/ (a module per job); the interview itself lives in
interviewer/.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import chainlit as cl
from chainlit.types import InputAudioChunk, ThreadDict

from interviewer.config import load_settings
from interviewer.session import LOCAL_USER
from webapp import auth, chainlit_internals, ending, ledger, lifecycle, messages, microphone, settings_panel, turns
from webapp.data_layer import HistoryDataLayer, create_schema_sync
from webapp.notices import RETRY_ACTION
from webapp.prewarm_route import install_prewarm_route
from webapp.questions import END_ACTION
from webapp.services import files_dir, get_services
from webapp.storage import LocalStorageClient, install_download_route

log = logging.getLogger("interviewer.app")
# Chainlit sets the root logger to INFO, and fontTools (fpdf2's font subsetting, for the report's
# PDF) logs every table it touches there: a few hundred lines per report in the app's log.
logging.getLogger("fontTools").setLevel(logging.WARNING)

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
        # In a thread: argon2's verify takes about 0.2 s of CPU (webapp.auth.check_password).
        if await asyncio.to_thread(auth.check_password, _users, username, password):
            return cl.User(identifier=username, metadata={"provider": "password"})
        return None

else:

    @cl.header_auth_callback
    async def local_user(headers: Any) -> cl.User | None:
        # Single-user mode: the history sidebar needs a signed-in user, the login page calls
        # this on its own, so nobody sees a login form.
        return cl.User(identifier=LOCAL_USER, metadata={"provider": "local"})


@cl.on_app_startup
async def startup() -> None:
    chainlit_internals.restore_async_generator_finaliser()  # streams cut short close cleanly
    get_services().start_models_in_background()


@cl.on_app_shutdown
async def shutdown() -> None:
    get_services().shutdown()


@cl.set_chat_profiles
async def chat_profiles(user: cl.User | None = None, language: str | None = None) -> list[cl.ChatProfile]:
    return settings_panel.chat_profiles()


@cl.on_chat_start
async def on_chat_start() -> None:
    await lifecycle.start_chat()


@cl.on_chat_resume
async def on_chat_resume(thread: ThreadDict) -> None:
    await lifecycle.resume_chat(thread)


@cl.on_message
async def on_message(message: cl.Message) -> None:
    await messages.handle_message(message)


@cl.on_audio_start
async def on_audio_start() -> bool:
    return await microphone.start()


@cl.on_audio_chunk
async def on_audio_chunk(chunk: InputAudioChunk) -> None:
    microphone.chunk(chunk.data, chunk.mimeType)


@cl.on_audio_end
async def on_audio_end() -> None:
    await microphone.stop()


@cl.on_chat_end
async def on_chat_end() -> None:
    await microphone.connection_lost()


@cl.on_settings_update
async def on_settings_update(settings: dict[str, Any]) -> None:
    await settings_panel.update_settings(settings)


@cl.action_callback(END_ACTION)
async def on_end(action: cl.Action) -> None:
    await ending.end_from_action()


@cl.action_callback(ledger.FORGET_ACTION)
async def on_forget_ledger(action: cl.Action) -> None:
    await ledger.forget_from_action()


@cl.action_callback(ledger.KEEP_ACTION)
async def on_keep_ledger(action: cl.Action) -> None:
    await ledger.keep()


@cl.action_callback(RETRY_ACTION)
async def on_retry(action: cl.Action) -> None:
    await action.remove()
    await turns.retry_from_action()
