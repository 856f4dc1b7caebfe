"""What each Chainlit event does. app.py only registers these; the interview logic is in
interviewer/ (engine, evaluator, report) and the plain-data helpers in webapp.support.

State per browser chat lives in `cl.user_session`:
  session    the live interviewer.session.Session (also in the SessionStore, keyed by thread id)
  persona    the persona id picked before the interview starts
  prefs      AppPreferences from the settings panel
  last_question  the latest interviewer message (its End action moves to the next one)
  ledger_confirmation  the `/forget-ledger` question whose buttons are still on screen (webapp.ledger)
  report_rewrites  the background task swapping the model's rewrites into the report (webapp.feedback)
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import chainlit as cl
from chainlit.input_widget import Select, Switch, TextInput

from webapp import feedback, ledger, support
from webapp.support import AppPreferences
from interviewer.session import CandidateContext, EvalStatus, Session, Turn
from interviewer.interview.events import Event, NoticeEvent, TokenEvent, TurnEvent
from webapp.services import ModelUnavailable, Services, get_services

if TYPE_CHECKING:
    from interviewer.interview.engine import InterviewEngine

log = logging.getLogger("interviewer.app")

END_ACTION = "end_interview"
RETRY_ACTION = "retry_question"


# -- small accessors -------------------------------------------------------------------------
def services() -> Services:
    return get_services()


def current_session() -> Session | None:
    return cl.user_session.get("session")


def prefs() -> AppPreferences:
    value = cl.user_session.get("prefs")
    if isinstance(value, AppPreferences):
        return value
    return support.preferences_from_settings({})


def user_id() -> str:
    user = cl.user_session.get("user")
    return str(getattr(user, "identifier", None) or "local")


def thread_id() -> str:
    return cl.context.session.thread_id


def persona_choices() -> list[tuple[str, str]]:
    return [(p.id, p.name) for p in services().personas.all()]


def persona_name(persona_id: str) -> str:
    try:
        return services().personas.get(persona_id).name
    except Exception:
        return persona_id


def thinking_text(persona_id: str) -> str:
    try:
        names = [m.name for m in services().personas.get(persona_id).interviewers]
    except Exception:
        names = []
    return support.thinking_text(names)


def _is_panel(persona_id: str) -> bool:
    try:
        return bool(services().personas.get(persona_id).is_panel)
    except Exception:
        return False


def default_persona() -> str:
    personas = services().personas.all()
    return personas[0].id if personas else "friendly-team"


def end_action() -> cl.Action:
    return cl.Action(name=END_ACTION, payload={}, label="End interview & get feedback", icon="flag")


# -- chat profiles, starters, settings --------------------------------------------------------
def chat_profiles() -> list[cl.ChatProfile]:
    """One profile per persona file; a new personas/*.yaml shows up on the next start."""
    profiles = []
    for index, persona in enumerate(services().personas.all()):
        starters = [cl.Starter(label=_short(s), message=s) for s in list(persona.starters)[:4]]
        profiles.append(
            cl.ChatProfile(
                name=persona.id,
                display_name=persona.name,
                markdown_description=persona.description,
                starters=starters or None,
                default=index == 0,
            )
        )
    return profiles


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def settings_widgets(current: AppPreferences, persona_id: str) -> list[Any]:
    choices = persona_choices()
    ids = [pid for pid, _ in choices] or [persona_id]
    return [
        Select(
            id=support.SETTING_PERSONA,
            label="Interviewer",
            items={name: pid for pid, name in choices} or {persona_id: persona_id},
            initial_value=persona_id if persona_id in ids else ids[0],
            description="Switch at any time; the conversation carries on.",
        ),
        TextInput(id=support.SETTING_ROLE, label="Role you're interviewing for", initial=current.context.role),
        Select(id=support.SETTING_LEVEL, label="Level", values=list(support.LEVELS), initial_value=current.context.level),
        Select(
            id=support.SETTING_DEPTH,
            label="Probing depth",
            values=list(support.PROBING_DEPTHS),
            initial_value=current.probing_depth,
            description="How many follow-ups per question, relative to the interviewer's own style.",
        ),
        Switch(id=support.SETTING_SCORES, label="Show scores under each answer", initial=current.show_scores),
        TextInput(
            id=support.SETTING_JD,
            label="Job description (optional)",
            initial=current.context.job_description,
            multiline=True,
            placeholder="Paste the job posting, or attach it as a file in the chat.",
        ),
        TextInput(
            id=support.SETTING_RESUME,
            label="Your resume (optional)",
            initial=current.context.resume,
            multiline=True,
            placeholder="Paste your resume, or attach a PDF/TXT/MD file in the chat.",
        ),
    ]


async def send_settings(persona_id: str) -> None:
    await cl.ChatSettings(settings_widgets(prefs(), persona_id)).send()


# -- lifecycle ------------------------------------------------------------------------------
async def start_chat() -> None:
    profile = cl.context.session.chat_profile
    ids = [pid for pid, _ in persona_choices()]
    persona_id = profile if profile in ids else default_persona()
    cl.user_session.set("persona", persona_id)
    cl.user_session.set("prefs", support.preferences_from_settings({}))
    await send_settings(persona_id)
    services().start_models_in_background()


async def resume_chat(thread: dict[str, Any]) -> None:
    store = services().store
    session = await store.aload_by_thread(str(thread.get("id")))
    if session is None:
        cl.user_session.set("persona", default_persona())
        cl.user_session.set("prefs", support.preferences_from_settings({}))
        asyncio.create_task(_after_resume(None))
        return
    cl.user_session.set("session", session)
    cl.user_session.set("persona", session.persona)
    saved = cl.context.session.chat_settings or {}
    restored = support.preferences_from_settings({**(saved if isinstance(saved, dict) else {}), support.SETTING_PERSONA: session.persona})
    # The session is the truth for the interview itself; the panel only keeps the scores switch.
    cl.user_session.set("prefs", replace(restored, persona=session.persona, context=session.context, probing_depth=session.probing_depth))
    await send_settings(session.persona)
    # Chainlit replays the stored thread *after* this handler returns and replaces the chat with
    # it, so anything sent now would vanish from the screen; post-resume messages wait a moment.
    asyncio.create_task(_after_resume(session))


async def _after_resume(session: Session | None) -> None:
    await asyncio.sleep(0.6)
    try:
        if session is None:
            await cl.Message(
                content="I couldn't find the saved state of this interview, so it can't continue "
                "here. Start a new chat to begin another interview.",
                author="Interviewer",
            ).send()
            return
        if session.finished:
            await cl.Message(
                content="This interview is finished; its report is above. Type `/end` to build the report again.",
                author="Interviewer",
            ).send()
            return
        await cl.Message(content=support.resume_summary(session), author="Interviewer", actions=[end_action()]).send()
        if support.needs_next_question(session):
            await _stream(session, lambda engine: engine.resume_question(session))
        if support.unscored_answers(session):
            asyncio.create_task(_rescore(session))
    except Exception:  # never a traceback in the chat
        log.exception("resume follow-up failed")


async def _rescore(session: Session) -> None:
    try:
        engine = await services().wait_for_engine()
        before = {t.id for t in support.unscored_answers(session)}
        await engine.retry_unavailable(session)
        await services().store.asave(session)
        for turn in session.answers():
            if turn.id in before and turn.evaluation and turn.evaluation.status is EvalStatus.OK:
                await show_evaluation(turn)
    except Exception:
        log.exception("re-scoring after resume failed")


def end_chat() -> None:
    return None


# -- messages ------------------------------------------------------------------------------
def _turn_lock() -> asyncio.Lock:
    """One message at a time per chat: two answers racing would both open an interview or both
    claim the same question. The browser disables input while a reply runs; API clients don't."""
    lock = cl.user_session.get("turn_lock")
    if not isinstance(lock, asyncio.Lock):
        lock = asyncio.Lock()
        cl.user_session.set("turn_lock", lock)
    return lock


async def handle_message(message: cl.Message) -> None:
    try:
        async with _turn_lock():
            await _handle_message(message)
    except Exception as exc:
        log.exception("message handling failed")
        await _error(
            "Something went wrong on my side while handling that message "
            f"({type(exc).__name__}). Your interview is saved; please try again."
        )


async def _handle_message(message: cl.Message) -> None:
    uploaded = await _absorb_uploads(message)
    text = message.content or ""
    command = support.parse_command(text)
    if command is not None:
        await handle_command(command)
        return
    session = current_session()
    if session is None:
        if uploaded and not text.strip():
            return  # just a resume; the interview starts with the next message
        await open_interview()
        return
    if uploaded and not text.strip():
        return
    if session.finished:
        await cl.Message(
            content="This interview is finished. Start a new chat for another one, or type `/end` to see the report again.",
            author="Interviewer",
        ).send()
        return
    check = support.check_answer(text)
    if check.problem:
        await _error(check.problem)
        return
    if check.notice:
        await cl.Message(content=check.notice, author="Interviewer").send()
    await answer(session, check.text)


async def _absorb_uploads(message: cl.Message) -> bool:
    files = [e for e in (message.elements or []) if getattr(e, "path", None)]
    if not files:
        return False
    current = prefs()
    context = current.context.model_copy()
    notes: list[str] = []
    for element in files:
        name = element.name or "file"
        try:
            data = await asyncio.to_thread(Path(element.path).read_bytes)
            text = await asyncio.to_thread(support.extract_upload_text, name, data, getattr(element, "mime", None))
        except support.UploadError as exc:
            await _error(str(exc))
            continue
        except OSError:
            await _error(f"I couldn't read {name}; please try uploading it again.")
            continue
        kind = support.classify_upload(text, name)
        setattr(context, kind, text)
        words = len(text.split())
        label = "job description" if kind == "job_description" else "resume"
        notes.append(f"Got your {label} from **{name}** ({words:,} words). The interviewer will ask about it.")
    if notes:
        _set_context(context)
        await cl.Message(content="\n\n".join(notes), author="Interviewer").send()
    return True


def _set_context(context: CandidateContext) -> None:
    current = prefs()
    cl.user_session.set("prefs", replace(current, context=context))
    session = current_session()
    if session is not None:
        session.context = ledger.keep_prior_claims(context, session.context)


async def handle_command(command: support.Command) -> None:
    if command.name == "end":
        await end_interview()
    elif command.name == "help":
        await cl.Message(content=support.HELP_TEXT, author="Interviewer").send()
    elif command.name == "persona":
        target = support.resolve_persona(command.argument, persona_choices())
        if target is None:
            names = ", ".join(f"`{pid}`" for pid, _ in persona_choices())
            await _error(f"I don't know an interviewer called “{command.argument}”. Try one of: {names}.")
            return
        await switch_persona(target)
    elif command.name == "scores":
        value = support.parse_switch(command.argument)
        if value is None:
            await _error("Use `/scores on` or `/scores off`.")
            return
        current = prefs()
        cl.user_session.set("prefs", replace(current, show_scores=value))
        await cl.Message(content=f"Scores under each answer are now **{'shown' if value else 'hidden'}**.", author="Interviewer").send()
    elif command.name == "ledger":
        await ledger.show(user_id())
    elif command.name == "forget-ledger":
        await ledger.forget_command(command.argument, user_id(), current_session(), thread_id())
    else:
        await _error(f"`/{command.argument}` isn't a command I know. Type `/help` for the list.")


async def update_settings(values: dict[str, Any]) -> None:
    new = support.preferences_from_settings(values)
    old_persona = cl.user_session.get("persona")
    session = current_session()
    cl.user_session.set("prefs", new)
    if session is not None:
        session.context = ledger.keep_prior_claims(new.context, session.context)
        session.probing_depth = new.probing_depth  # type: ignore[assignment]
        await services().store.asave(session, thread_id=thread_id())
    if new.persona and new.persona != (session.persona if session else old_persona):
        await switch_persona(new.persona, refresh_settings=False)


async def switch_persona(persona_id: str, refresh_settings: bool = True) -> None:
    cl.user_session.set("persona", persona_id)
    session = current_session()
    name = persona_name(persona_id)
    if session is None:
        await cl.Message(content=f"**{name}** will interview you. Send any message to begin.", author="Interviewer").send()
    else:
        engine = await _engine_or_error()
        if engine is None:
            return
        engine.switch_persona(session, persona_id)
        await services().store.asave(session, thread_id=thread_id())
        await cl.Message(
            content=f"**{name}** takes over from here; the conversation so far is kept.",
            author="Interviewer",
        ).send()
    if refresh_settings:
        await send_settings(persona_id)


# -- the interview -----------------------------------------------------------------------------
async def _engine_or_error() -> Any:
    try:
        return await services().wait_for_engine()
    except ModelUnavailable as exc:
        await _error(
            f"The interview model isn't available ({exc}). Check `interviewer doctor`, then send "
            "your message again."
        )
        return None


async def open_interview() -> None:
    engine = await _engine_or_error()
    if engine is None:
        return
    persona_id = cl.user_session.get("persona") or default_persona()
    current = prefs()
    # A copy: the earlier claims belong to this interview, not to the settings panel's context.
    context = current.context.model_copy(update={"prior_claims": await ledger.prior_claims(user_id())})
    session = engine.new_session(persona_id, context, user_id=user_id())
    session.probing_depth = current.probing_depth  # type: ignore[assignment]
    cl.user_session.set("session", session)
    await services().store.asave(session, thread_id=thread_id())
    await _stream(session, lambda e: e.open(session))
    # After the first exchange: Chainlit names a new thread after the first message in a task
    # of its own, which would overwrite a name set earlier.
    await _name_thread(session)


async def _name_thread(session: Session) -> None:
    """Name the history entry after the interview, not after the first thing typed."""
    from chainlit.data import get_data_layer

    layer = get_data_layer()
    if layer is None:
        return
    try:
        await layer.update_thread(
            thread_id=thread_id(),
            name=support.thread_name(persona_name(session.persona), session.context),
            # chat_profile: the header shows the right persona when the thread is reopened, even
            # if the process died before Chainlit saved its session metadata at disconnect.
            metadata={"interview_session_id": session.id, "chat_profile": session.persona},
        )
    except Exception:
        log.warning("could not name the thread", exc_info=True)


async def answer(session: Session, text: str) -> None:
    async def on_evaluation(sess: Session, turn: Turn) -> None:
        await services().store.asave(sess, thread_id=thread_id())
        await show_evaluation(turn)

    await _stream(session, lambda e: e.reply(session, text, on_evaluation=on_evaluation))


async def end_from_action() -> None:
    async with _turn_lock():
        await end_interview()


async def forget_ledger_from_action() -> None:
    # Under the turn lock: deleting clears the live interview's earlier claims and saves it.
    async with _turn_lock():
        await ledger.forget(user_id(), current_session(), thread_id())


async def retry_from_action() -> None:
    async with _turn_lock():
        await retry_question()


async def retry_question() -> None:
    session = current_session()
    if session is None:
        await open_interview()
        return
    await _stream(session, lambda e: e.resume_question(session))


async def _stream(session: Session, run: Callable[[InterviewEngine], AsyncGenerator[Event, None]]) -> None:
    """Drive one engine call: stream tokens into a message, persist every turn as it lands.

    The engine's stream is closed by `aclosing` in this task when we stop early (the Stop button
    cancels this task; a failed emit raises here): left to the garbage collector, the model's HTTP
    stream would be closed later in a task of its own."""

    engine = await _engine_or_error()
    if engine is None:
        return
    store = services().store
    msg: cl.Message | None = None
    got_token = False

    async def thinking() -> cl.Message:
        m = cl.Message(content="", author=persona_name(session.persona))
        # The embedded model can take seconds before its first token: say so at once, in plain
        # words; the first token replaces them (is_sequence=True below).
        await m.stream_token(thinking_text(session.persona), is_sequence=True)
        return m

    await _server_notices()
    try:
        msg = await thinking()
        async with aclosing(run(engine)) as events:
            async for event in events:
                if isinstance(event, TokenEvent):
                    if msg is None:
                        msg, got_token = await thinking(), False
                    await msg.stream_token(event.text, is_sequence=not got_token)
                    got_token = True
                elif isinstance(event, TurnEvent):
                    turn = event.turn
                    if turn.role == "candidate":
                        # Persist the answer before the model is asked anything (crash safety).
                        await store.asave(session, thread_id=thread_id())
                    elif turn.role == "interviewer":
                        if msg is None:
                            msg = cl.Message(content="")
                        # The engine's final text replaces the streamed draft (it may trim or fix it).
                        msg.content = support.question_display(turn, _is_panel(turn.persona or session.persona))
                        msg.author = turn.speaker.name if turn.speaker else persona_name(turn.persona or session.persona)
                        await _send_question(msg, session)
                        msg, got_token = None, False
                        await store.asave(session, thread_id=thread_id())
                    else:
                        await store.asave(session, thread_id=thread_id())
                elif isinstance(event, NoticeEvent):
                    if msg is not None and not got_token:
                        await msg.remove()
                        msg = None
                    await _notice(event)
    except Exception as exc:
        log.exception("engine call failed")
        if msg is not None:
            await _drop(msg, got_token)
            msg = None
        await _error(
            f"The interviewer couldn't answer just now ({type(exc).__name__}). Your answer is "
            "saved; press Try again when ready.",
            retry=True,
        )
    finally:
        if msg is not None:
            await _drop(msg, got_token)
        await store.asave(session, thread_id=thread_id())
        await _server_notices()


async def _server_notices() -> None:
    """A model server that died and was restarted is said once, plainly (nothing was lost)."""
    runtime = services().runtime
    for text in runtime.take_notices() if runtime is not None else []:
        await cl.Message(content=f"ℹ️ {text}", author="Interviewer").send()


async def _drop(msg: cl.Message, got_token: bool) -> None:
    """A placeholder that never became a question (or a stream cut off) leaves the screen."""
    try:
        await msg.remove()
    except Exception:
        pass


async def _send_question(msg: cl.Message, session: Session) -> None:
    previous: cl.Message | None = cl.user_session.get("last_question")
    if previous is not None:
        for action in list(previous.actions or []):
            try:
                await action.remove()
            except Exception:
                pass
        previous.actions = []
    msg.actions = [] if session.finished else [end_action()]
    await msg.send()
    cl.user_session.set("last_question", msg)


async def _notice(event: Any) -> None:
    if event.level == "error":
        await _error(event.text, retry=True)
    else:
        await cl.Message(content=event.text, author="Interviewer").send()


async def _error(text: str, retry: bool = False) -> None:
    """Problems read as a plain sentence in the chat (never a traceback); model failures get a
    Try again button that re-asks the pending question."""
    actions = [cl.Action(name=RETRY_ACTION, payload={}, label="Try again", icon="refresh-cw")] if retry else []
    await cl.Message(content=f"⚠️ {text}", author="Interviewer", actions=actions).send()


async def show_evaluation(turn: Turn) -> None:
    if not prefs().show_scores:
        return
    session = current_session()
    number = next((i for i, t in enumerate(session.answers(), 1) if t.id == turn.id), None) if session else None
    # The context manager stamps start and end; a step saved without `end` comes back from
    # the database as still running ("Using …") when the thread is reopened.
    async with cl.Step(
        name=support.score_step_name(turn.evaluation, number),
        type="tool",
        show_input=False,
        default_open=False,
    ) as step:
        step.output = support.evaluation_markdown(turn.evaluation)


# -- the report (webapp.feedback) -----------------------------------------------------------------
async def end_interview() -> None:
    session = current_session()
    if session is None or not session.answers():
        await cl.Message(
            content="There is nothing to report yet: answer at least one question first.",
            author="Interviewer",
        ).send()
        return
    previous_msg: cl.Message | None = cl.user_session.get("last_question")
    if previous_msg is not None:
        for action in list(previous_msg.actions or []):
            try:
                await action.remove()
            except Exception:
                pass
    await feedback.end_interview(session, thread_id())
