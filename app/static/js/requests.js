// Peer supporters' request list: say at once when a member asks to talk (title flash, banner).
(function () {
  "use strict";
  var banner = document.getElementById("requests-live");
  if (!banner || typeof io === "undefined") { return; }
  var socket = io("/chat", { transports: ["websocket"] });
  var original = document.title;
  socket.on("peer:request", function () {
    banner.hidden = false;
    document.title = window.KindredI18n ? window.KindredI18n.t("new_title", { title: original }) : "(new) " + original;
  });
})();
