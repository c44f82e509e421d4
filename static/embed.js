/* Action Tally: the supporter form on a partner's page.
 *   <script src="https://API/embed.js" data-campaign="ua-47-22" defer></script>
 * renders the form here (in a shadow root, so styles never clash) and sends
 * reports as JSON with fetch; the action kit's script (kit.js, served with this
 * one) copies and ticks there as on the form page. With data-frame, it embeds the form page in an
 * iframe instead and keeps the iframe as tall as the form. data-lang picks the
 * language (default: the page's own lang). */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !window.fetch) return;
  var base = script.src.replace(/embed\.js([?#].*)?$/, "");
  var campaign = encodeURIComponent(script.getAttribute("data-campaign") || "");
  var lang = script.getAttribute("data-lang") || document.documentElement.lang || "";
  var url = base + "campaigns/" + campaign + "/";
  var share = "&share=" + encodeURIComponent(location.href.split("#")[0]);
  var host = document.createElement("div");
  host.className = "action-tally";
  script.parentNode.insertBefore(host, script.nextSibling);

  if (script.hasAttribute("data-frame")) {
    var frame = document.createElement("iframe");
    frame.src = url + "form?lang=" + encodeURIComponent(lang) + share;
    frame.title = script.getAttribute("data-title") || "Urgent Action report form";
    frame.allow = "clipboard-write";   // the kit's copy buttons
    frame.style.cssText = "display:block;width:100%;border:0;height:45rem";
    host.appendChild(frame);
    window.addEventListener("message", function (event) {
      var data = event.data;
      if (event.source === frame.contentWindow && event.origin === new URL(base).origin &&
          data && data.type === "action-tally:height") {
        frame.style.height = Math.min(Math.max(+data.height || 0, 100), 20000) + "px";
      }
    });
    return;
  }

  var root = host.attachShadow({mode: "open"});
  var reveal = kit(root);
  var loadedAt = 0;
  var TOKEN_REFRESH_MS = 6 * 3600 * 1000;

  function query() {
    return "?embed=1&lang=" + encodeURIComponent(lang) + share;
  }
  function show(html, focusId) {
    root.innerHTML = html;
    reveal();
    var page = root.querySelector(".page");
    if (page) lang = page.getAttribute("lang");
    var target = root.getElementById("error-summary") || (focusId && root.getElementById(focusId));
    if (target) {
      target.focus();
      target.scrollIntoView({block: "nearest"});
    }
  }
  function load(focusId) {
    return fetch(url + "form" + query(), {credentials: "omit"})
      .then(function (response) { return response.text(); })
      .then(function (html) { loadedAt = Date.now(); show(html, focusId); });
  }
  function freshToken(form) {
    if (Date.now() - loadedAt < TOKEN_REFRESH_MS) return Promise.resolve();
    return fetch(url.slice(0, -1), {credentials: "omit"})
      .then(function (response) { return response.json(); })
      .then(function (facts) { if (facts.form_token) form.elements.form_token.value = facts.form_token; });
  }
  function number(value) {
    return /^\d{1,6}$/.test(value) ? parseInt(value, 10) : value;
  }
  function report(form) {   // count.<target>.<action> as per_target, the rest as the form has it
    var data = new FormData(form);
    var body = {per_target: {}, consent: data.get("consent") === "yes"};
    if (data.get("late_form")) body.acted_before_deadline = data.get("acted_before_deadline") === "yes";
    data.forEach(function (value, key) {
      value = String(value).trim();
      var count = /^count\.(.+)\.([^.]+)$/.exec(key);
      if (count) {
        var target = body.per_target[count[1]] = body.per_target[count[1]] || {};
        target[count[2]] = value ? number(value) : 0;
      } else if (key === "participants") {
        if (value) body.participants = number(value);
      } else if (value && ["submission_id", "form_token", "website", "country", "name",
                           "contact_email"].indexOf(key) >= 0) {
        body[key] = value;
      }
    });
    return JSON.stringify(body);
  }

  root.addEventListener("submit", function (event) {
    event.preventDefault();
    var form = event.target;
    var button = form.querySelector("button[type=submit]");
    if (button.disabled) return;
    button.disabled = true;
    freshToken(form).catch(function () {}).then(function () {
      return fetch(url + "reports" + query(), {
        method: "POST", credentials: "omit", body: report(form),
        headers: {"Content-Type": "application/json", "Accept": "text/html"}
      });
    }).then(function (response) {
      return response.text();
    }).then(function (html) {
      show(html, "thanks");
    }).catch(function () {
      button.disabled = false;
      var failed = root.getElementById("send-failed");
      failed.hidden = false;
      failed.focus();
    });
  });

  root.addEventListener("click", function (event) {
    var link = event.target.closest("a");
    if (!link) return;
    var href = link.getAttribute("href") || "";
    if (href.charAt(0) === "#") {
      var field = root.getElementById(href.slice(1));
      if (!field) return;
      event.preventDefault();
      field.focus();
      (field.closest("fieldset, .field, .count") || field).scrollIntoView();
    } else if (link.hasAttribute("data-lang")) {
      event.preventDefault();
      lang = link.getAttribute("data-lang");
      load();
    } else if (link.hasAttribute("data-reload")) {
      event.preventDefault();
      load("main-title");
    }
  });

  load();
})();
