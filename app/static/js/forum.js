// Forum pages: live "new replies" notice, the composer's privacy check, delete confirmation.
// Everything here is an extra: every page works without it.
(function () {
  "use strict";
  var t = window.KindredI18n ? window.KindredI18n.t : function (k) { return k; };

  function csrf() {
    var input = document.querySelector('input[name="csrf_token"]');
    return input ? input.value : "";
  }

  // Live replies: while a thread is open, the server says when someone replies; we offer a link
  // to them instead of moving the page under the reader's eyes.
  var posts = document.getElementById("posts");
  if (posts && posts.getAttribute("data-live") === "1" && typeof io !== "undefined") {
    var threadId = parseInt(posts.getAttribute("data-thread-id"), 10);
    var seen = parseInt(posts.getAttribute("data-last-post-id"), 10) || 0;
    var fresh = {};
    var notice = document.getElementById("live-notice");
    var link = document.getElementById("live-notice-link");
    var socket = io("/forum", { transports: ["websocket"] });
    socket.on("connect", function () {
      socket.emit("thread:watch", { thread_id: threadId }, function () {});
    });
    socket.on("thread:new_post", function (data) {
      if (!data || data.thread_id !== threadId || data.post_id <= seen || fresh[data.post_id]) { return; }
      fresh[data.post_id] = true;
      var n = Object.keys(fresh).length;
      link.textContent = n === 1 ? t("new_reply") : t("new_replies", { num: n });
      notice.hidden = false;
    });
    window.kindredForumSocket = socket;
  }

  // Composer: while the member types (debounced), the server looks at the draft (never storing
  // it): warn when it could identify someone, and at crisis levels offer support before posting.
  var warning = document.getElementById("identify-warning");
  var support = document.getElementById("draft-support");
  var nobody = document.getElementById("draft-nobody");
  var body = document.querySelector("form.compose textarea[name='body']");
  if (warning && body && window.fetch) {
    var timer = null;
    var last = "";
    var check = function () {
      var text = body.value;
      if (text === last) { return; }
      last = text;
      fetch("/draft/check", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
        body: JSON.stringify({ body: text })
      }).then(function (r) { return r.ok ? r.json() : null; }).then(function (data) {
        if (!data || !data.ok) { return; }
        if (data.identifying.length) {
          warning.textContent = t("before_you_post", { warnings: data.identifying.join(" ") });
          warning.hidden = false;
        } else {
          warning.hidden = true;
          warning.textContent = "";
        }
        if (support) {
          support.hidden = !data.support;
          if (nobody) { nobody.hidden = data.on_duty !== false; }
        }
      }).catch(function () { /* the check is a courtesy; posting still works */ });
    };
    body.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(check, 600);
    });
  }

  // Ask before destructive buttons.
  Array.prototype.forEach.call(document.querySelectorAll("form.confirm"), function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm") || t("confirm"))) { event.preventDefault(); }
    });
  });
})();
