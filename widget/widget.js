/*
 * Glue for the chat page: chooses the page's language (?lang=, else the browser's languages,
 * among those firm.yml enables; Arabic right to left) and shows its texts, fills the disclosure
 * banner from /config.js, wires the quick exit
 * (button and Escape pressed twice), starts rasa-webchat embedded in #chat, and makes its
 * buttons and input usable with a keyboard and a screen reader.
 *
 * Loaded before the rasa-webchat bundle on purpose: the quick exit works even while the
 * (large) bundle is still downloading on a slow phone connection.
 */
(function () {
  "use strict";

  var config = window.WIDGET_CONFIG || {};
  var DEFAULT_EXIT_URL = "https://www.google.com/search?q=weather";
  // Everything rasa-webchat 1.0.1 keeps in the browser (conversation, session id, rules).
  var WIDGET_STORAGE_KEYS = ["chat_session", "rasaWebchatPro", "mrbot_next_message"];
  var ESCAPE_WINDOW_MS = 1500;
  var exiting = false;

  function httpUrl(value) {
    if (!value || typeof value !== "string") return null;
    try {
      var url = new URL(value, window.location.href);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (error) {
      return null;
    }
  }

  function byId(id) {
    return document.getElementById(id);
  }

  /* ---------- the page's language ---------- */

  function chooseLanguage() {
    var languages = Array.isArray(config.languages) ? config.languages : [];
    var byCode = {};
    languages.forEach(function (language) { byCode[language.code] = language; });
    var wanted = [];
    try { wanted.push(new URL(window.location.href).searchParams.get("lang") || ""); } catch (error) { /* old browser */ }
    (navigator.languages || [navigator.language || ""]).forEach(function (tag) { wanted.push(tag); });
    for (var i = 0; i < wanted.length; i += 1) {
      var code = String(wanted[i] || "").toLowerCase().split("-")[0];
      if (byCode[code]) return byCode[code];
    }
    return byCode[config.defaultLanguage] || null;
  }

  var language = chooseLanguage();
  var texts = (language && language.texts) || {};

  function text(key, fallback) {
    return typeof texts[key] === "string" && texts[key] ? texts[key] : fallback;
  }

  function translatePage() {
    if (!language) return;
    document.documentElement.lang = language.code;
    document.documentElement.dir = language.dir === "rtl" ? "rtl" : "ltr";
    Array.prototype.forEach.call(document.querySelectorAll("[data-i18n]"), function (el) {
      var value = text(el.getAttribute("data-i18n"), null);
      if (value) el.textContent = value;
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-i18n-label]"), function (el) {
      var value = text(el.getAttribute("data-i18n-label"), null);
      if (value) el.setAttribute("aria-label", value);
    });
  }

  /* ---------- disclosure banner ---------- */

  function fillBanner() {
    var name = typeof config.firmName === "string" ? config.firmName.trim() : "";
    var brand = byId("brand");
    var who = byId("disclosure-who");
    if (name && brand) brand.textContent = name;
    if (name && who) {
      who.textContent = text("who_named", "This is {firm_name}\u2019s automated assistant, not a lawyer.")
        .replace("{firm_name}", name);
    }
    var privacy = httpUrl(config.privacyUrl);
    var link = byId("privacy-link");
    if (privacy && link) {
      link.href = privacy;
      link.textContent = text("privacy", "Privacy notice");
      link.setAttribute("aria-label", text("privacy_label", "Privacy notice (opens in a new tab)"));
      link.hidden = false;
    }
  }

  /* ---------- quick exit ---------- */

  function clearStorage(storage) {
    if (!storage) return;
    WIDGET_STORAGE_KEYS.forEach(function (key) {
      try { storage.removeItem(key); } catch (error) { /* keep going */ }
    });
    // This origin exists for the chat: leave nothing of the visit behind.
    try { storage.clear(); } catch (error) { /* keep going */ }
  }

  function clearCookies() {
    var names = document.cookie.split(";").map(function (part) {
      return part.split("=")[0].trim();
    }).filter(Boolean);
    if (!names.length) return;
    var paths = ["/"];
    var segments = window.location.pathname.split("/");
    for (var i = 1; i < segments.length; i += 1) {
      var prefix = segments.slice(0, i + 1).join("/");
      if (prefix) paths.push(prefix);
    }
    var domains = [""];
    var labels = window.location.hostname.split(".");
    for (var j = 0; j < labels.length - 1; j += 1) {
      var domain = labels.slice(j).join(".");
      domains.push("; domain=" + domain, "; domain=." + domain);
    }
    names.forEach(function (name) {
      paths.forEach(function (path) {
        domains.forEach(function (domain) {
          document.cookie = name + "=; expires=Thu, 01 Jan 1970 00:00:00 GMT; max-age=0; path=" +
            path + domain;
        });
      });
    });
  }

  function quickExit() {
    if (exiting) return;
    exiting = true;
    // Hide the conversation at once: the next site may take a moment to load.
    document.documentElement.classList.add("is-exiting");
    var storages = [];
    try { storages.push(window.localStorage); } catch (error) { /* blocked storage */ }
    try { storages.push(window.sessionStorage); } catch (error) { /* blocked storage */ }
    storages.forEach(clearStorage);
    try { clearCookies(); } catch (error) { /* keep going */ }
    // Nothing (a late bot reply, an unload handler) may write the conversation back.
    try {
      Storage.prototype.setItem = function () {};
    } catch (error) { /* keep going */ }
    storages.forEach(clearStorage);
    // replace(): the chat page leaves the tab's history, so Back does not return to it.
    window.location.replace(httpUrl(config.quickExitUrl) || DEFAULT_EXIT_URL);
  }

  function wireQuickExit() {
    var button = byId("quick-exit");
    if (button) button.addEventListener("click", quickExit);
    var lastEscape = 0;
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape" && event.key !== "Esc") return;
      var now = Date.now();
      if (now - lastEscape <= ESCAPE_WINDOW_MS) {
        event.preventDefault();
        quickExit();
      } else {
        lastEscape = now;
      }
    }, true);
  }

  /* ---------- accessibility of rasa-webchat's markup ---------- */

  function enhance(root) {
    var log = root.querySelector(".rw-messages-container");
    if (log && !log.hasAttribute("role")) {
      log.setAttribute("role", "log");
      log.setAttribute("aria-live", "polite");
      log.setAttribute("aria-label", "Conversation");
      log.setAttribute("tabindex", "0"); // scrollable with the keyboard
    }
    var input = root.querySelector(".rw-new-message");
    if (input && !input.hasAttribute("aria-label")) {
      input.setAttribute("aria-label", text("input_label", "Type your message"));
      input.setAttribute("dir", "auto");
      input.setAttribute("enterkeyhint", "send");
      input.setAttribute("autocapitalize", "sentences");
      input.setAttribute("spellcheck", "true");
    }
    var send = root.querySelector(".rw-send");
    if (send && !send.hasAttribute("aria-label")) send.setAttribute("aria-label", text("send_label", "Send message"));
    // A reply is in the conversation's language, which may not be the page's: each message
    // takes the direction of its own text (Arabic right to left inside an English page).
    Array.prototype.forEach.call(root.querySelectorAll(".rw-message-text:not([dir]), .rw-reply:not([dir])"), function (el) {
      el.setAttribute("dir", "auto");
    });
    // Reply buttons are <div>s: make them real buttons for keyboards and screen readers.
    Array.prototype.forEach.call(root.querySelectorAll("div.rw-reply:not([tabindex])"), function (el) {
      el.setAttribute("tabindex", "0");
      el.setAttribute("role", "button");
    });
    Array.prototype.forEach.call(root.querySelectorAll(".rw-markdown a[target='_blank']:not([aria-describedby])"), function (el) {
      el.setAttribute("aria-describedby", "new-tab-note");
    });
  }

  function watchChat(root) {
    var scheduled = false;
    var observer = new MutationObserver(function () {
      if (scheduled) return;
      scheduled = true;
      window.requestAnimationFrame(function () {
        scheduled = false;
        enhance(root);
      });
    });
    observer.observe(root, { childList: true, subtree: true });
    // Keep the latest message in view when the screen changes size (a phone's keyboard
    // opening, a rotation), as rasa-webchat only scrolls when a message arrives.
    window.addEventListener("resize", function () {
      var log = root.querySelector(".rw-messages-container");
      if (log) log.scrollTop = log.scrollHeight;
    });
    // Enter or Space on a focused reply button clicks it, like a native <button>.
    root.addEventListener("keydown", function (event) {
      var target = event.target;
      if (!target || !target.matches || !target.matches(".rw-reply[role='button']")) return;
      if (event.key === "Enter" || event.key === " " || event.key === "Spacebar") {
        event.preventDefault();
        target.click();
      }
    });
  }

  /* ---------- the chat ---------- */

  function setStatus(text) {
    var status = byId("status");
    if (status) status.textContent = text;
  }

  function messageDelay(message) {
    // Short pauses between consecutive bot messages: readable, but nobody waits long.
    var delay = (message ? message.length : 0) * 8;
    return Math.max(250, Math.min(delay, 1000));
  }

  function startChat() {
    var root = byId("chat");
    if (!root) return;
    if (!window.WebChat || typeof window.WebChat.default !== "function") {
      setStatus(text("load_failed", "The chat could not be loaded. Please reload the page or contact the firm directly."));
      return;
    }
    watchChat(root);
    var name = typeof config.firmName === "string" ? config.firmName.trim() : "";
    window.WebChat.default({
      initPayload: "/greet",
      socketUrl: config.socketUrl || window.location.origin,
      socketPath: config.socketPath || "/socket.io/",
      // The page's language: the conversation starts in it (the disclosure and the greeting);
      // what the person writes decides afterwards (rasa_server/channels/language.py).
      customData: { page_language: language ? language.code : "en" },
      params: { storage: "local" },
      embedded: true,
      title: name || text("title", "Chat assistant"),
      subtitle: text("subtitle", "Automated assistant: general information, not legal advice"),
      inputTextFieldHint: text("placeholder", "Type your message\u2026"),
      connectingText: "Connecting\u2026",
      hideWhenNotConnected: false,
      showMessageDate: false,
      customMessageDelay: messageDelay,
      userTextColor: "#ffffff",
      userBackgroundColor: "#1d3f72",
      assistTextColor: "#14171a",
      assistBackgoundColor: "#eef1f5", // sic: rasa-webchat's own spelling
      onSocketEvent: {
        connect: function () { setStatus(""); },
        disconnect: function () {
          if (!exiting) setStatus(text("connection_lost", "Connection lost. Trying to reconnect\u2026"));
        },
        connect_error: function () {
          if (!exiting) setStatus(text("unreachable", "Cannot reach the assistant right now. Trying again\u2026"));
        }
      }
    }, root);
  }

  var started = false;

  function startOnce() {
    if (started || !window.WebChat) return;
    started = true;
    startChat();
  }

  translatePage();
  fillBanner();
  wireQuickExit();
  // Deferred scripts run before DOMContentLoaded, and the bundle runs right after this one;
  // "load" covers pages that add these scripts asynchronously.
  document.addEventListener("DOMContentLoaded", startOnce);
  window.addEventListener("load", function () {
    startOnce();
    if (!started) startChat(); // reports that the bundle is missing
  });
  if (document.readyState === "complete") window.setTimeout(startOnce, 0);
})();
