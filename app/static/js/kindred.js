// Kindred: behaviour every page shares. No inline script anywhere (the CSP forbids it).
(function () {
  "use strict";

  // The page's words for scripts, in the reader's language: JSON in data-i18n attributes (on
  // <body> and on the elements scripts work on; see app/web/js_i18n.py), gathered here.
  // t("key", {name: value}) fills %(name)s placeholders.
  var strings = {};
  Array.prototype.forEach.call(document.querySelectorAll("[data-i18n]"), function (el) {
    try {
      var data = JSON.parse(el.getAttribute("data-i18n")) || {};
      Object.keys(data).forEach(function (k) { strings[k] = data[k]; });
    } catch (e) { /* a page without its words still works, in English */ }
  });
  function fill(text, values) {
    return String(text).replace(/%\((\w+)\)s/g, function (all, name) {
      return values && Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : all;
    });
  }
  window.KindredI18n = {
    t: function (key, values) { return fill(Object.prototype.hasOwnProperty.call(strings, key) ? strings[key] : key, values); },
    // A live room's system line, translated from its English message id (or left as it is).
    system: function (msgid, values, fallback) {
      var table = strings.system || {};
      return Object.prototype.hasOwnProperty.call(table, msgid) ? fill(table[msgid], values) : fallback;
    }
  };
  var t = window.KindredI18n.t;

  // Quick exit: the button, or Esc twice within a second, replaces this page with a neutral
  // site. location.replace() swaps the current history entry, so Back does not return here.
  var exitUrl = document.body.getAttribute("data-quick-exit-url") || "https://www.bbc.co.uk/weather";
  function quickExit(event) {
    if (event) { event.preventDefault(); }
    try { document.title = ""; document.body.style.display = "none"; } catch (e) { /* ignore */ }
    window.location.replace(exitUrl);
  }
  var button = document.getElementById("quick-exit");
  if (button) { button.addEventListener("click", quickExit); }

  var lastEsc = 0;
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" && event.key !== "Esc") { return; }
    var now = Date.now();
    if (now - lastEsc < 1000) { quickExit(event); lastEsc = 0; } else { lastEsc = now; }
  });

  // Recovery codes: offer to copy them all at once where the clipboard is available.
  var codes = document.getElementById("recovery-codes");
  if (codes && navigator.clipboard) {
    var copy = document.createElement("button");
    copy.type = "button";
    copy.className = "button";
    copy.textContent = t("copy_codes");
    copy.addEventListener("click", function () {
      var text = Array.prototype.map.call(codes.querySelectorAll("code"), function (c) { return c.textContent; }).join("\n");
      navigator.clipboard.writeText(text).then(function () { copy.textContent = t("copied"); });
    });
    codes.parentNode.insertBefore(copy, codes.nextSibling);
  }
})();
