// The review queue: items claimed, closed or added by other peers show up at once.
(function () {
  "use strict";
  var list = document.getElementById("queue-live");
  if (!list || typeof io === "undefined") { return; }
  var socket = io("/duty", { transports: ["websocket"] });
  function note(text) {
    list.hidden = false;
    list.querySelector("span").textContent = text;
  }
  socket.on("flag:new", function (data) { note("A new level " + data.level + " item has arrived."); });
  socket.on("flag:claimed", function (data) {
    var link = document.querySelector('a[href="/queue/' + data.id + '"]');
    if (link) {
      var meta = link.parentNode.querySelector(".meta");
      if (meta) { meta.textContent = "claimed by " + data.by + " just now"; }
    }
  });
  socket.on("flag:closed", function () { note("An item was closed."); });
  socket.on("flag:returned", function () { note("An item was returned to the queue."); });
})();
