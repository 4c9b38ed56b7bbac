// Waiting for a peer supporter: move on as soon as one accepts; otherwise look again now and then
// so the page can honestly say when nobody is free.
(function () {
  "use strict";
  var box = document.getElementById("talk-status");
  if (!box || box.getAttribute("data-state") !== "waiting") { return; }
  var requestId = parseInt(box.getAttribute("data-request"), 10);
  if (typeof io !== "undefined") {
    var socket = io("/chat", { transports: ["websocket"] });
    socket.on("peer:accepted", function (data) {
      if (data && data.request === requestId) { window.location.assign("/rooms/" + data.room); }
    });
  }
  setInterval(function () { window.location.reload(); }, 20000);
})();
