// The duty page: stay on duty while a tab is open; alerts arrive as a banner and a flashing tab
// title (no sound). Claim from the banner.
(function () {
  "use strict";
  var t = window.KindredI18n ? window.KindredI18n.t : function (k) { return k; };
  var root = document.getElementById("duty");
  if (!root || typeof io === "undefined") { return; }
  var alerts = document.getElementById("alerts");
  var stateEl = document.getElementById("duty-state");
  var original = document.title;
  var flashTimer = null;
  var socket = io("/duty", { transports: ["websocket"] });

  function flashTitle(text) {
    clearInterval(flashTimer);
    var on = false;
    flashTimer = setInterval(function () {
      document.title = on ? original : text;
      on = !on;
    }, 1000);
  }
  window.addEventListener("focus", function () { clearInterval(flashTimer); document.title = original; });

  var interrupted = false;
  function showStatus(status) {
    if (status && status.live === false) {
      interrupted = true;
      stateEl.textContent = t("alerts_interrupted");
    } else if (interrupted) {
      interrupted = false;
      stateEl.textContent = t("on_duty_alerts");
      // Show whatever was raised while alerts couldn't reach us.
      socket.emit("duty:open", {}, function (ack) {
        if (ack && ack.ok) { ack.alerts.forEach(banner); }
      });
    }
  }
  socket.on("connect", function () {
    if (root.getAttribute("data-on") === "1") {
      socket.emit("duty:on", {}, function (ack) {
        if (ack && ack.ok) {
          stateEl.textContent = t("on_duty_alerts");
          showStatus(ack.status);
        }
      });
    }
  });
  socket.on("server:status", showStatus);
  socket.on("disconnect", function () { stateEl.textContent = t("connection_lost_duty"); });

  function banner(data) {
    var existing = document.getElementById("alert-" + data.id);
    if (existing) { existing.remove(); }
    var box = document.createElement("div");
    box.id = "alert-" + data.id;
    box.className = "alert-banner level-" + data.level;
    box.setAttribute("role", "alert");
    var title = document.createElement("strong");
    var target = data.target ? t("target_" + data.target) : "";
    title.textContent = (data.escalated ? t("escalated") + " " : "") + t("level", { level: data.level }) +
      (target ? " (" + target + ")" : "") + (data.kind === "concern" ? " · " + t("member_worried") : "");
    box.appendChild(title);
    var why = document.createElement("p");
    why.textContent = (data.reasons || []).join("; ");
    box.appendChild(why);
    if (data.excerpt) {
      var q = document.createElement("blockquote");
      q.textContent = data.excerpt;
      box.appendChild(q);
    }
    var claim = document.createElement("button");
    claim.type = "button";
    claim.className = "button primary";
    claim.textContent = t("claim");
    claim.addEventListener("click", function () {
      socket.emit("flag:claim", { id: data.id }, function (ack) {
        if (ack && ack.ok) { window.location.assign(ack.queue); } else { why.textContent = ack ? ack.error : t("no_answer"); }
      });
    });
    box.appendChild(claim);
    var open = document.createElement("a");
    open.href = data.queue;
    open.textContent = t("open_in_queue");
    box.appendChild(open);
    alerts.insertBefore(box, alerts.firstChild);
    flashTitle(t("someone_needs_support"));
  }
  socket.on("flag:new", banner);
  socket.on("peer:request", function () {
    banner({ id: "req-" + Date.now(), level: 2, kind: "request", reasons: [t("asking_to_talk")], queue: "/support/requests", escalated: false });
  });
  socket.on("flag:claimed", function (data) {
    var box = document.getElementById("alert-" + data.id);
    if (box) {
      var note = document.createElement("p");
      note.className = "muted";
      note.textContent = t("claimed_by", { name: data.by });
      box.appendChild(note);
      var btn = box.querySelector("button");
      if (btn) { btn.disabled = true; }
    }
  });
})();
