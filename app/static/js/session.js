// Keeps one socket open on signed-in pages so the server can end this session at once
// (sign out everywhere, a passphrase change elsewhere, a suspension).
(function () {
  "use strict";
  if (typeof io === "undefined" || !document.body.hasAttribute("data-signed-in")) { return; }
  var ended = false;
  function goToSignIn() {
    if (ended) { return; }
    ended = true;
    window.location.replace("/login?ended=1");
  }
  var socket = io({ transports: ["websocket"], reconnectionDelayMax: 10000 });
  socket.on("session:ended", function () { socket.disconnect(); goToSignIn(); });
  socket.on("connect_error", function (err) {
    // The server refuses a socket whose session has ended; anything else is a network blip.
    if (err && err.message && err.message.indexOf("session has ended") !== -1) { goToSignIn(); }
  });
  // Signing out here ends this session on purpose: let the sign-out page load, not ours.
  Array.prototype.forEach.call(document.querySelectorAll('form[action="/logout"]'), function (form) {
    form.addEventListener("submit", function () { ended = true; socket.disconnect(); });
  });
  window.kindredSocket = socket;
})();
