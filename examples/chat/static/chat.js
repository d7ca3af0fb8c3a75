// Cyclone chat, the browser side. New messages come over a WebSocket, or by long polling
// when the page asks for it (?transport=poll) or the socket cannot be opened. After a
// dropped connection (a deploy drops every socket) it reconnects and asks for what it
// missed since the last message it saw.
(function () {
  "use strict";
  var inbox = document.getElementById("inbox");
  var composer = document.getElementById("composer");
  var input = document.getElementById("body");
  var statusLine = document.getElementById("status");
  var room = inbox.getAttribute("data-room");
  var cursor = Number(inbox.getAttribute("data-cursor")) || 0;
  // The room's history this page follows; it changes only if the server lost its history
  // (a Node server restarted with memory storage), and then counting starts again.
  var epoch = inbox.getAttribute("data-epoch") || "";
  var xsrf = composer.querySelector("input[name=_xsrf]").value;
  var forcePoll = /[?&]transport=poll\b/.test(location.search);
  var socket = null;
  var retry = 0;

  function setStatus(text) {
    statusLine.textContent = text;
    statusLine.setAttribute("data-state", text.split(" ")[0]);
  }

  function show(message) {
    if (message.epoch !== epoch) {
      epoch = message.epoch;
      cursor = 0;
    }
    if (message.seq <= cursor || document.getElementById("m" + message.epoch + "-" + message.seq)) return;
    cursor = message.seq;
    var box = document.createElement("div");
    box.innerHTML = message.html;
    while (box.firstChild) inbox.appendChild(box.firstChild);
    inbox.scrollTop = inbox.scrollHeight;
  }

  function showAll(messages) {
    messages.sort(function (a, b) { return a.seq - b.seq; }).forEach(show);
  }

  function backoff() {
    retry = Math.min(retry + 1, 5);
    return 500 * Math.pow(2, retry - 1);
  }

  function connectSocket() {
    var opened = false;
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + "/room/" + encodeURIComponent(room) + "/socket?cursor=" + cursor + "&epoch=" + encodeURIComponent(epoch));
    socket.onopen = function () {
      opened = true;
      retry = 0;
      setStatus("connected (websocket)");
    };
    socket.onmessage = function (event) {
      var data = JSON.parse(event.data);
      if (data.type === "history") showAll(data.messages);
      else if (data.type === "message") show(data.message);
    };
    socket.onclose = function () {
      socket = null;
      if (!opened && retry >= 2) {
        // The socket never opened, twice: fall back to long polling.
        poll();
        return;
      }
      setStatus("reconnecting…");
      setTimeout(connectSocket, backoff());
    };
  }

  function poll() {
    setStatus("connected (polling)");
    var body = new URLSearchParams({ cursor: String(cursor), epoch: epoch, _xsrf: xsrf });
    fetch("/room/" + encodeURIComponent(room) + "/message/updates", { method: "POST", body: body, credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      })
      .then(function (data) {
        retry = 0;
        showAll(data.messages);
        setTimeout(poll, 0);
      })
      .catch(function () {
        setStatus("reconnecting…");
        setTimeout(poll, backoff());
      });
  }

  composer.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value;
    if (!text) return;
    input.value = "";
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify({ body: text }));
      return;
    }
    var form = new URLSearchParams({ body: text, _xsrf: xsrf });
    fetch(composer.action, { method: "POST", body: form, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (message) {
        // Only the next message in order: an older one may still be on its way (a slow
        // poll), and showing this one first would move the cursor past it and lose it.
        if (message && message.epoch === epoch && message.seq === cursor + 1) show(message);
      });
  });

  if (forcePoll || typeof WebSocket === "undefined") poll();
  else connectSocket();
})();
