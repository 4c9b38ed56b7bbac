// The live room client: join, history and catch-up, send with acks, presence, typing,
// facilitator controls. Speaks the /chat protocol in docs/chat-protocol.md.
(function () {
  "use strict";
  var root = document.getElementById("chat");
  if (!root || typeof io === "undefined") { return; }
  var t = window.KindredI18n ? window.KindredI18n.t : function (k) { return k; };
  var lang = document.documentElement.lang || [];

  var roomId = parseInt(root.getAttribute("data-room"), 10);
  var lineMax = parseInt(root.getAttribute("data-line-max"), 10) || 2000;
  var isFacilitator = root.getAttribute("data-facilitator") === "1";
  var log = document.getElementById("chat-log");
  var statusEl = document.getElementById("chat-status");
  var pinnedEl = document.getElementById("chat-pinned");
  var input = document.getElementById("chat-input");
  var counter = document.getElementById("chat-counter");
  var errorEl = document.getElementById("chat-error");
  var typingEl = document.getElementById("chat-typing");
  var membersEl = document.getElementById("chat-members");
  var countEl = document.getElementById("chat-count");
  var handBtn = document.getElementById("chat-hand");
  var queueBox = document.getElementById("chat-queue-box");
  var queueEl = document.getElementById("chat-queue");
  var supportEl = document.getElementById("chat-support");
  var lastId = 0;
  var seen = {};
  var state = { locked: false, raise_hand: false, state: root.getAttribute("data-state") };
  var selected = null;

  function setStatus(text, kind) {
    statusEl.textContent = text;
    statusEl.className = "chat-status" + (kind ? " " + kind : "");
  }

  function timeOf(iso) {
    var d = new Date(iso);
    return isNaN(d) ? "" : d.toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" });
  }

  // Anonymous members are "Anonymous N" on the wire and in the database (facilitators name them
  // that way); each reader sees the label in their own language.
  function shown(name) {
    var m = /^Anonymous (\d{1,9})$/.exec(name || "");
    return m ? t("anonymous_n", { num: m[1] }) : name;
  }
  function systemText(i18n, fallback) {
    var params = {};
    Object.keys(i18n.params || {}).forEach(function (k) { params[k] = shown(i18n.params[k]); });
    return window.KindredI18n.system(i18n.msgid, params, fallback);
  }

  function render(msg) {
    if (seen[msg.id]) { return; }
    seen[msg.id] = true;
    if (msg.id > lastId) { lastId = msg.id; }
    var li = document.createElement("li");
    li.id = "m" + msg.id;
    li.className = "chat-line " + (msg.kind === "system" ? "system" : "");
    if (msg.kind !== "system") {
      var who = document.createElement("span");
      who.className = "who";
      who.textContent = shown(msg.author) || t("deleted_member");
      li.appendChild(who);
    }
    var body = document.createElement("span");
    body.className = "body";
    if (msg.kind === "card" && msg.card) {
      body.appendChild(renderCard(msg.card));
    } else {
      // Text only: never parsed as HTML. System lines come in English with their message id.
      body.textContent = msg.kind === "system" && msg.i18n && window.KindredI18n
        ? systemText(msg.i18n, msg.body) : msg.body;
    }
    li.appendChild(body);
    var at = document.createElement("time");
    at.className = "at";
    at.dateTime = msg.at;
    at.textContent = timeOf(msg.at);
    li.appendChild(at);
    if (msg.kind !== "system") {
      li.tabIndex = 0;
      li.addEventListener("click", function () { select(li, msg); });
      li.addEventListener("keydown", function (e) { if (e.key === "Enter") { select(li, msg); } });
    }
    var nearBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 80;
    // Lines are shown in the order they were stored (ids), not the order they arrived: with
    // several server workers, two members' lines can cross on the way.
    li.setAttribute("data-id", String(msg.id));
    var after = log.lastElementChild;
    while (after && Number(after.getAttribute("data-id")) > msg.id) { after = after.previousElementSibling; }
    log.insertBefore(li, after ? after.nextSibling : log.firstChild);
    if (nearBottom) { log.scrollTop = log.scrollHeight; }
  }

  // A shared directory entry (kind "card"): built from text nodes only; the labels come from
  // the page (data-t-*) so they are in the reader's language.
  function label(key) { return root.getAttribute("data-t-" + key) || ""; }
  function para(className, text) {
    var p = document.createElement("span");
    p.className = className;
    if (text) { p.textContent = text; }
    return p;
  }
  function renderCard(card) {
    var box = document.createElement("span");
    box.className = "service-card" + (card.removed ? " removed" : "");
    box.appendChild(para("service-card-head", label("card")));
    var name = para("service-card-name", "");
    var strong = document.createElement("strong");
    if (!card.removed && typeof card.service === "number") {
      var a = document.createElement("a");
      a.href = "/services/" + card.service;
      a.textContent = card.name;
      strong.appendChild(a);
    } else {
      strong.textContent = card.name;
    }
    name.appendChild(strong);
    if (card.example) { name.appendChild(document.createTextNode(" ")); name.appendChild(para("tag", label("example"))); }
    if (card.stale) { name.appendChild(document.createTextNode(" ")); name.appendChild(para("tag warn", label("stale"))); }
    box.appendChild(name);
    if (card.removed) { box.appendChild(para("service-card-note", label("removed"))); }
    if (card.kinds && card.kinds.length) {
      var tags = para("service-tags", "");
      card.kinds.forEach(function (label) { tags.appendChild(para("tag kind", label)); });
      box.appendChild(tags);
    }
    if (card.phone) { box.appendChild(para("service-card-line", label("phone") + ": " + card.phone)); }
    if (card.url && /^https?:\/\//i.test(card.url)) {
      var web = para("service-card-line url", label("web") + ": ");
      var link = document.createElement("a");
      link.href = card.url;
      link.rel = "noopener noreferrer nofollow";
      link.textContent = card.url;
      web.appendChild(link);
      box.appendChild(web);
    }
    if (card.hours) { box.appendChild(para("service-card-line", label("hours") + ": " + card.hours)); }
    return box;
  }

  function select(li, msg) {
    var old = document.getElementById("line-tools");
    if (old) { old.remove(); }
    selected = msg;
    var tools = document.createElement("span");
    tools.id = "line-tools";
    tools.className = "line-tools";
    var actions = isFacilitator ? [
      [t("pin"), function () { control("room:pin", { message: msg.id }); }],
      [t("delete"), function () { control("message:delete", { message: msg.id }); }],
      [t("mute_writer"), function () { document.getElementById("target-member").value = msg.author || ""; document.getElementById("target-member").focus(); }]
    ] : [
      [t("worried"), function () {
        socket.emit("message:concern", { room: roomId, message: msg.id }, function (ack) {
          errorEl.textContent = ack && ack.ok ? t("concern_sent") : (ack ? ack.error : "");
        });
      }]
    ];
    actions.forEach(function (pair) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "button small";
      b.textContent = pair[0];
      b.addEventListener("click", function (e) { e.stopPropagation(); pair[1](); tools.remove(); });
      tools.appendChild(b);
    });
    li.appendChild(tools);
  }

  function applyState(room) {
    if (!room) { return; }
    state = room;
    if (room.pinned) {
      pinnedEl.hidden = false;
      var pinnedBody = room.pinned.kind === "system" && room.pinned.i18n && window.KindredI18n
        ? systemText(room.pinned.i18n, room.pinned.body) : room.pinned.body;
      pinnedEl.textContent = t("pinned", { text: (room.pinned.author ? shown(room.pinned.author) + ": " : "") + pinnedBody });
    } else {
      pinnedEl.hidden = true;
      pinnedEl.textContent = "";
    }
    handBtn.hidden = !room.raise_hand || isFacilitator;
    queueBox.hidden = !room.raise_hand;
    var text = { waiting: t("waiting_open"), ended: t("session_ended") }[room.state];
    if (text) { setStatus(text, "muted"); }
    else if (room.locked) { setStatus(t("room_locked"), "muted"); }
    else if (room.slow_mode_seconds) { setStatus(t("connected_slow", { num: room.slow_mode_seconds }), "ok"); }
    else { setStatus(t("connected"), "ok"); }
  }

  var members = {};
  function drawMembers() {
    membersEl.textContent = "";
    var names = Object.keys(members).sort(function (a, b) {
      return (members[b].facilitator - members[a].facilitator) || a.localeCompare(b);
    });
    names.forEach(function (name) {
      var li = document.createElement("li");
      li.textContent = members[name].facilitator ? t("facilitator_suffix", { name: shown(name) }) : shown(name);
      membersEl.appendChild(li);
    });
    countEl.textContent = String(names.length);
  }
  function showMembers(list) {
    members = {};
    list.forEach(function (m) { members[m.name] = m; });
    drawMembers();
  }

  function showQueue(list) {
    queueEl.textContent = "";
    (list || []).forEach(function (name) {
      var li = document.createElement("li");
      li.textContent = shown(name);
      queueEl.appendChild(li);
    });
  }

  var socket = io("/chat", { transports: ["websocket"], reconnectionDelayMax: 10000 });

  // While the server's message bus is away (server:status live=false) our own lines are still
  // stored and acked, but others' don't reach us: remember where we were and catch up from
  // there when it is back.
  var resumeFrom = null;
  function busDown(status) {
    if (resumeFrom === null) { resumeFrom = lastId; }
    setStatus(t("bus_down"), "error");
  }

  function join() {
    var payload = { room: roomId };
    var from = resumeFrom !== null ? resumeFrom : lastId;
    if (from) { payload.since = from; }  // catch up on what we missed, in order
    socket.emit("room:join", payload, function (ack) {
      if (!ack || !ack.ok) {
        setStatus(ack && ack.error ? ack.error : t("join_failed"), "error");
        return;
      }
      ack.messages.forEach(render);
      if (ack.status && ack.status.live === false) { busDown(ack.status); } else { resumeFrom = null; }
      applyState(ack.room);
      showMembers(ack.members);
      showQueue(ack.queue);
      log.scrollTop = log.scrollHeight;
    });
  }

  socket.on("connect", join);
  socket.on("disconnect", function () { setStatus(t("connection_lost"), "error"); });
  socket.io.on("reconnect_attempt", function () { setStatus(t("reconnecting"), "error"); });
  socket.on("connect_error", function (err) {
    setStatus(err && err.message ? err.message : t("cant_connect"), "error");
  });
  socket.on("server:status", function (status) {
    if (status.live) { join(); } else { busDown(status); }
  });
  socket.on("message:new", function (msg) { if (msg.room === roomId) { render(msg); } });
  socket.on("message:deleted", function (data) {
    var li = document.getElementById("m" + data.id);
    if (li) { li.querySelector(".body").textContent = t("deleted_by_facilitator"); li.classList.add("deleted"); }
  });
  socket.on("room:state", function (room) { if (room.id === roomId) { applyState(room); } });
  socket.on("room:presence", function (data) {
    if (data.room !== roomId) { return; }
    if (data.joined) { members[data.joined.name] = data.joined; }
    if (data.left) { delete members[data.left.name]; }
    drawMembers();
  });
  socket.on("hand:queue", function (data) { if (data.room === roomId) { showQueue(data.queue); } });
  var typingTimer = null;
  socket.on("typing", function (data) {
    if (data.room !== roomId) { return; }
    typingEl.textContent = t("typing", { name: shown(data.name) });
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () { typingEl.textContent = ""; }, 3000);
  });
  socket.on("member:muted", function (data) {
    if (data.room !== roomId) { return; }
    errorEl.textContent = t(data.minutes === 1 ? "muted_you_one" : "muted_you_many", { num: data.minutes }) +
      (data.reason ? " " + t("reason", { reason: data.reason }) : "");
  });
  socket.on("member:removed", function (data) {
    if (data.room !== roomId) { return; }
    setStatus(t("removed_you") + (data.reason ? " " + t("reason", { reason: data.reason }) : ""), "error");
    input.disabled = true;
  });
  socket.on("alert:flag", function (data) {
    if (data.room !== roomId) { return; }
    var li = document.getElementById("m" + data.message_id);
    if (li) { li.classList.add("flagged"); }
    setStatus(t("may_need_support", { name: shown(data.author) || t("a_member"), reasons: data.reasons.join("; ") }), "alert");
  });
  socket.on("session:ended", function () { window.location.replace("/login?ended=1"); });

  // Composer.
  function updateCounter() {
    counter.textContent = input.value.length + " / " + lineMax;
    counter.className = input.value.length > lineMax * 0.9 ? "warn" : "muted";
  }
  input.addEventListener("input", function () {
    updateCounter();
    if (!typingTimer || Date.now() - (input._typed || 0) > 2500) {
      input._typed = Date.now();
      socket.emit("typing", { room: roomId });
    }
  });
  // While typing (debounced), the server looks at the draft without storing it; at crisis
  // levels the writer sees support and a way to talk to a peer before anything is sent.
  var draftTimer = null;
  var lastDraft = "";
  var csrfInput = document.querySelector('input[name="csrf_token"]');
  input.addEventListener("input", function () {
    clearTimeout(draftTimer);
    draftTimer = setTimeout(function () {
      var text = input.value;
      if (!window.fetch || text === lastDraft || text.length < 12) { return; }
      lastDraft = text;
      fetch("/draft/check", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfInput ? csrfInput.value : "" },
        body: JSON.stringify({ body: text })
      }).then(function (r) { return r.ok ? r.json() : null; }).then(function (data) {
        if (data && data.ok && data.support) {
          supportEl.hidden = false;
          document.getElementById("chat-support-peer").hidden = false;
        }
      }).catch(function () {});
    }, 700);
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); send(); }
  });
  document.getElementById("chat-compose").addEventListener("submit", function (e) { e.preventDefault(); send(); });

  var counterId = 0;
  function send() {
    var text = input.value;
    if (!text.trim()) { return; }
    var clientId = "c" + Date.now().toString(36) + "-" + (++counterId);
    errorEl.textContent = "";
    var attempt = function (tries) {
      socket.timeout(8000).emit("message:send", { room: roomId, body: text, client_id: clientId }, function (err, ack) {
        if (err) {  // no answer: resend with the same client_id (the server keeps one copy)
          if (tries < 3) { attempt(tries + 1); } else { errorEl.textContent = t("not_sent"); }
          return;
        }
        if (!ack.ok) { errorEl.textContent = ack.error; return; }
        if (input.value === text) { input.value = ""; updateCounter(); }
        if (ack.support) {
          supportEl.hidden = false;
          document.getElementById("chat-support-peer").hidden = !ack.support.peer;
        }
      });
    };
    attempt(0);
  }
  var shareBtn = document.getElementById("chat-share-send");
  if (shareBtn) {
    shareBtn.addEventListener("click", function () {
      var choice = document.getElementById("chat-share-service");
      var serviceId = parseInt(choice.value, 10);
      if (!serviceId) { errorEl.textContent = label("choose"); choice.focus(); return; }
      var clientId = "s" + Date.now().toString(36) + "-" + (++counterId);
      socket.emit("service:share", { room: roomId, service: serviceId, client_id: clientId }, function (ack) {
        errorEl.textContent = ack && ack.ok ? "" : (ack ? ack.error : "");
        if (ack && ack.ok) { choice.value = ""; }
      });
    });
  }
  handBtn.addEventListener("click", function () {
    socket.emit("hand:raise", { room: roomId, up: true }, function (ack) {
      errorEl.textContent = ack && ack.ok ? "" : (ack ? ack.error : "");
      if (ack && ack.ok) { handBtn.textContent = t("hand_raised"); }
    });
  });

  // Facilitator controls.
  var controlError = document.getElementById("control-error");
  function control(action, extra) {
    var payload = { room: roomId };
    Object.keys(extra || {}).forEach(function (k) { payload[k] = extra[k]; });
    socket.emit(action, payload, function (ack) {
      if (controlError) { controlError.textContent = ack && ack.ok ? "" : (ack ? ack.error : t("no_answer")); }
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll("#chat-controls [data-action]"), function (button) {
    button.addEventListener("click", function () {
      var action = button.getAttribute("data-action");
      var member = (document.getElementById("target-member") || {}).value;
      var reason = (document.getElementById("target-reason") || {}).value;
      var extra = {};
      if (action === "room:lock") { extra.locked = !state.locked; }
      if (action === "room:circle") { extra.on = !state.raise_hand; }
      if (action === "room:slow") { extra.seconds = parseInt(document.getElementById("slow-seconds").value || "0", 10); }
      if (action === "member:mute") { extra = { member: member, reason: reason, minutes: parseInt(document.getElementById("mute-minutes").value || "10", 10) }; }
      if (action === "member:unmute" || action === "floor:give") { extra = { member: member }; }
      if (action === "member:remove") { extra = { member: member, reason: reason }; }
      control(action, extra);
    });
  });
  updateCounter();
})();
