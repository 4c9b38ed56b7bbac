// The review queue: items claimed, closed or added by other peers show up at once.
(function () {
  "use strict";
  var t = window.KindredI18n ? window.KindredI18n.t : function (k) { return k; };
  var list = document.getElementById("queue-live");
  if (!list || typeof io === "undefined") { return; }
  var socket = io("/duty", { transports: ["websocket"] });
  function note(text) {
    list.hidden = false;
    list.querySelector("span").textContent = text;
  }
  socket.on("flag:new", function (data) { note(t("new_item", { level: data.level })); });
  socket.on("flag:claimed", function (data) {
    var link = document.querySelector('a[href="/queue/' + data.id + '"]');
    if (link) {
      var meta = link.parentNode.querySelector(".meta");
      if (meta) { meta.textContent = t("claimed_by_now", { name: data.by }); }
    }
  });
  socket.on("flag:closed", function () { note(t("item_closed")); });
  socket.on("flag:returned", function () { note(t("item_returned")); });
})();
