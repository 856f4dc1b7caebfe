// Read while the candidate types (issue 14). After a 700 ms pause in typing (or every 2 s of
// typing on), the answer being typed goes to POST /interviewer/prewarm, so the embedded model
// reads the interview so far plus the draft before Enter, and after Enter only the last words
// and a short note. Fire and forget: the answer itself is still sent by Chainlit as usual, and
// the server decides whether to use the draft (embedded model only, one in flight per chat,
// never stored, never shown).
(function () {
  "use strict";
  var DELAY_MS = 700; // a pause in typing
  var MAX_WAIT_MS = 2000; // typing on without a pause still sends every 2 s: at most a few words
                          // are left unread when Enter comes
  var INPUT_ID = "chat-input";
  // Served as <root>/public/prewarm.js: the route lives under the same root path.
  var script = document.currentScript;
  var root = script && script.src ? script.src.replace(/\/public\/prewarm\.js(\?.*)?$/, "") : "";
  var url = root + "/interviewer/prewarm";
  var timer = null;
  var pendingSince = 0;
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

  function cancel() {
    if (timer) clearTimeout(timer);
    timer = null;
    pendingSince = 0;
  }

  document.addEventListener("input", function (event) {
    var el = event.target;
    if (!el || el.id !== INPUT_ID) return;
    var now = Date.now();
    if (timer) clearTimeout(timer);
    if (!pendingSince) pendingSince = now;
    var delay = Math.max(0, Math.min(DELAY_MS, pendingSince + MAX_WAIT_MS - now));
    timer = setTimeout(function () {
      var value = el.value; // the draft as it is when the timer fires
      cancel();
      send(value);
    }, delay);
  }, true);

  // Enter (or the send button) sends the answer: a pending prewarm would only arrive behind it.
  document.addEventListener("keydown", function (event) {
    var el = event.target;
    if (el && el.id === INPUT_ID && event.key === "Enter" && !event.shiftKey) cancel();
  }, true);
  document.addEventListener("click", function (event) {
    var el = event.target;
    if (el && el.closest && el.closest("#chat-submit")) cancel();
  }, true);
})();
