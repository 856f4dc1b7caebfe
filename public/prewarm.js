// Read while the candidate types (issue 14). About 700 ms after the last keystroke, the answer
// being typed goes to POST /interviewer/prewarm, so the embedded model reads the interview so far
// plus the draft before Enter, and after Enter only the last words and a short note. Fire and
// forget: the answer itself is still sent by Chainlit as usual, and the server decides whether to
// use the draft (embedded model only, one in flight per chat, never stored, never shown).
(function () {
  "use strict";
  var DELAY_MS = 700;
  var INPUT_ID = "chat-input";
  // Served as <root>/public/prewarm.js: the route lives under the same root path.
  var script = document.currentScript;
  var root = script && script.src ? script.src.replace(/\/public\/prewarm\.js(\?.*)?$/, "") : "";
  var url = root + "/interviewer/prewarm";
  var timer = null;
  var lastSent = "";

  function send(draft) {
    var text = (draft || "").trim();
    // Nothing typed, a command (/end, /persona), or what was already read: nothing to do.
    if (!text || text.charAt(0) === "/" || text === lastSent) return;
    lastSent = text;
    fetch(url, {
      method: "POST",
      credentials: "same-origin", // Chainlit's session cookie says which chat this is
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ draft: text })
    }).catch(function () { /* a prewarm that fails only costs the speed-up */ });
  }

  document.addEventListener("input", function (event) {
    var el = event.target;
    if (!el || el.id !== INPUT_ID) return;
    if (timer) clearTimeout(timer);
    var value = el.value;
    timer = setTimeout(function () { timer = null; send(value); }, DELAY_MS);
  }, true);

  // Enter sends the answer: a pending prewarm would only arrive behind it.
  document.addEventListener("keydown", function (event) {
    var el = event.target;
    if (el && el.id === INPUT_ID && event.key === "Enter" && !event.shiftKey && timer) {
      clearTimeout(timer);
      timer = null;
    }
  }, true);
  document.addEventListener("click", function (event) {
    var el = event.target;
    if (timer && el && el.closest && el.closest("#chat-submit")) {
      clearTimeout(timer);
      timer = null;
    }
  }, true);
})();
