/* The guidance assistant's chat widget. Embed with one tag:
 *   <script src="https://host/widget.js" data-api="https://host" data-region="UK"></script>
 * No dependencies, no build step. Everything from answers and sources is rendered as text
 * (textContent, never innerHTML); links open only if they are http(s). */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__traffickingGuidanceWidget) return;
  window.__traffickingGuidanceWidget = true;

  var api = (script.getAttribute("data-api") || "").replace(/\/+$/, "");
  var region = script.getAttribute("data-region") || "";
  var key = script.getAttribute("data-key") || "";  // a widget key, bound to this page's origin
  var history = [];
  var busy = false;
  var sequence = 0;

  var CSS = [
    ":host{all:initial}",
    "*{box-sizing:border-box;font-family:system-ui,-apple-system,'Segoe UI',sans-serif}",
    ".launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;border:0;border-radius:24px;padding:12px 18px;",
    "background:#005eb8;color:#fff;font-size:15px;font-weight:600;cursor:pointer;box-shadow:0 2px 8px rgba(0,0,0,.3)}",
    ".launcher:focus-visible,button:focus-visible,textarea:focus-visible,select:focus-visible,a:focus-visible,summary:focus-visible",
    "{outline:3px solid #ffb81c;outline-offset:2px}",
    ".panel{position:fixed;right:20px;bottom:80px;z-index:2147483000;width:400px;max-width:calc(100vw - 24px);",
    "height:600px;max-height:calc(100vh - 100px);display:flex;flex-direction:column;background:#fff;color:#1d2a33;",
    "border:1px solid #aeb7bd;border-radius:8px;box-shadow:0 4px 20px rgba(0,0,0,.3);font-size:14px;line-height:1.45}",
    ".panel[hidden]{display:none}",
    ".head{display:flex;align-items:center;gap:8px;padding:10px 12px;background:#005eb8;color:#fff;border-radius:8px 8px 0 0}",
    ".head h2{flex:1;margin:0;font-size:15px}",
    ".head button{background:transparent;color:#fff;border:0;font-size:20px;cursor:pointer;padding:0 6px}",
    ".notice{padding:8px 12px;background:#fff9e6;border-bottom:1px solid #e3d9b8;font-size:12.5px}",
    ".notice p{margin:0 0 4px}.notice p:last-child{margin:0}",
    ".notice select{font-size:12.5px}",
    ".log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:10px}",
    ".msg{padding:8px 10px;border-radius:8px;white-space:pre-wrap;word-wrap:break-word}",
    ".user{align-self:flex-end;background:#e8edee;max-width:85%}",
    ".bot{align-self:stretch;background:#f7f9fa;border:1px solid #e1e6e8}",
    ".bot.emergency{background:#fdecea;border:2px solid #d5281b}",
    ".bot.emergency .label{display:block;font-weight:700;color:#d5281b;margin-bottom:4px}",
    ".label{display:none}",
    ".bot.streaming .text::after{content:'\\2026'}",
    ".cite{color:#005eb8;font-weight:600;text-decoration:underline;cursor:pointer}",
    ".sources{margin:8px 0 0;padding:0;list-style:none;white-space:normal}",
    ".sources li{margin:4px 0}",
    ".sources details{border-left:3px solid #005eb8;padding-left:6px}",
    ".sources summary{cursor:pointer}",
    ".sources blockquote{margin:4px 0;padding:4px 8px;background:#fff;border:1px solid #e1e6e8;font-style:italic}",
    ".rate{display:flex;gap:6px;align-items:center;margin-top:6px;flex-wrap:wrap;white-space:normal}",
    ".rate button{border:1px solid #aeb7bd;background:#fff;border-radius:4px;padding:2px 8px;cursor:pointer;font-size:14px}",
    ".rate button[aria-pressed=true]{background:#e8edee;border-color:#005eb8}",
    ".rate textarea{width:100%;min-height:40px;font-size:13px}",
    ".status{font-size:12px;color:#4c6272}",
    ".error{color:#d5281b}",
    "form{display:flex;gap:6px;padding:10px 12px;border-top:1px solid #d8dde0}",
    "form textarea{flex:1;resize:none;height:56px;padding:6px;font-size:14px;border:1px solid #768692;border-radius:4px}",
    "form button{background:#007f3b;color:#fff;border:0;border-radius:4px;padding:0 14px;font-weight:600;cursor:pointer}",
    "form button:disabled{background:#768692;cursor:wait}",
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}",
    "@media (max-width:480px){.panel{right:0;bottom:0;width:100vw;max-width:100vw;height:100vh;max-height:100vh;border-radius:0}",
    ".head{border-radius:0}.launcher{right:12px;bottom:12px}}"
  ].join("");

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) for (var k in attrs) if (Object.prototype.hasOwnProperty.call(attrs, k)) node.setAttribute(k, attrs[k]);
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function safeUrl(value) {
    try {
      var url = new URL(String(value), window.location.href);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  // --- the frame -----------------------------------------------------------------------------
  var host = el("div", { id: "trafficking-guidance-widget" });
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  var style = el("style");
  style.textContent = CSS;
  root.appendChild(style);

  var launcher = el("button", { class: "launcher", type: "button", "aria-expanded": "false", "aria-controls": "tgw-panel" },
    "Trafficking guidance");
  var panel = el("section", { class: "panel", id: "tgw-panel", role: "dialog", "aria-modal": "false",
    "aria-labelledby": "tgw-title", hidden: "" });
  var head = el("div", { class: "head" });
  head.appendChild(el("h2", { id: "tgw-title" }, "Trafficking guidance for clinicians"));
  var close = el("button", { type: "button", "aria-label": "Close the guidance assistant" }, "\u00d7");
  head.appendChild(close);

  var notice = el("div", { class: "notice" });
  var judgement = el("p", { class: "judgement" });
  var privacy = el("p", null, "Do not type patient names, dates of birth, addresses or record numbers.");
  notice.appendChild(judgement);
  notice.appendChild(privacy);

  var log = el("div", { class: "log", role: "log", "aria-live": "polite", "aria-relevant": "additions",
    "aria-label": "Conversation" });
  var form = el("form", { "aria-label": "Ask a question" });
  var label = el("label", { for: "tgw-input", class: "sr" }, "Your question");
  var input = el("textarea", { id: "tgw-input", name: "question", maxlength: "4000", rows: "2",
    placeholder: "Ask about red flags, what to say, whom to call\u2026" });
  var send = el("button", { type: "submit" }, "Ask");
  form.appendChild(label);
  form.appendChild(input);
  form.appendChild(send);

  panel.appendChild(head);
  panel.appendChild(notice);
  panel.appendChild(log);
  panel.appendChild(form);
  root.appendChild(launcher);
  root.appendChild(panel);

  function request(path, options) {
    options = options || {};
    if (key) options.headers = Object.assign({}, options.headers || {}, { "X-API-Key": key });
    return fetch(api + path, options);
  }

  function showEmergencyNumber() {
    judgement.textContent = "This assistant supports, not replaces, your clinical judgement and local safeguarding procedures.";
    var line = el("span");
    judgement.appendChild(document.createTextNode(" "));
    judgement.appendChild(line);
    if (!region) {
      line.textContent = "In an emergency, call your local emergency number.";
      return;
    }
    request("/v1/referrals/" + encodeURIComponent(region)).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (info) {
        var number = info && info.emergency && info.emergency.call;
        line.textContent = number ? "In an emergency, call " + number + "." : "In an emergency, call your local emergency number.";
      })
      .catch(function () { line.textContent = "In an emergency, call your local emergency number."; });
  }

  function regionPicker() {
    var p = el("p");
    var pickLabel = el("label", { for: "tgw-region" }, "Your region: ");
    var select = el("select", { id: "tgw-region" });
    select.appendChild(el("option", { value: "" }, "not set (international guidance)"));
    p.appendChild(pickLabel);
    p.appendChild(select);
    notice.appendChild(p);
    request("/v1/regions").then(function (r) { return r.ok ? r.json() : []; }).then(function (names) {
      names.forEach(function (name) { select.appendChild(el("option", { value: name }, name)); });
    }).catch(function () {});
    select.addEventListener("change", function () { region = select.value; showEmergencyNumber(); });
  }

  // --- one answer ------------------------------------------------------------------------------
  function renderText(container, text, key) {
    container.textContent = "";
    var parts = String(text).split(/(\[\d+\])/);
    parts.forEach(function (part) {
      var m = /^\[(\d+)\]$/.exec(part);
      if (!m || !key) {
        container.appendChild(document.createTextNode(part));
        return;
      }
      var link = el("a", { class: "cite", href: "#" + key + "-" + m[1], "aria-label": "Source " + m[1],
        "data-n": m[1] }, part);
      link.addEventListener("click", function (event) {
        event.preventDefault();
        var target = root.getElementById ? root.getElementById(key + "-" + m[1]) : document.getElementById(key + "-" + m[1]);
        if (target) {
          target.open = true;
          target.scrollIntoView({ block: "nearest" });
          target.querySelector("summary").focus();
        }
      });
      container.appendChild(link);
    });
  }

  function renderSources(message, citations, key) {
    if (!citations.length) return;
    var heading = el("div", { class: "status" }, "Sources");
    var list = el("ol", { class: "sources", "aria-label": "Sources" });
    citations.forEach(function (c) {
      var item = el("li");
      var details = el("details", { id: key + "-" + c.n });
      var where = [c.publisher, c.year, c.locator].filter(function (v) { return v !== null && v !== undefined && v !== ""; }).join(", ");
      details.appendChild(el("summary", null, "[" + c.n + "] " + c.title + (where ? " \u2014 " + where : "")));
      details.appendChild(el("blockquote", null, c.quote));
      var href = safeUrl(c.url);
      if (href) {
        details.appendChild(el("a", { href: href, target: "_blank", rel: "noopener noreferrer" }, "Open the publication"));
      } else if (c.url) {
        details.appendChild(el("span", null, String(c.url)));
      }
      item.appendChild(details);
      list.appendChild(item);
    });
    message.appendChild(heading);
    message.appendChild(list);
  }

  function renderFeedback(message, answerId) {
    var box = el("div", { class: "rate", role: "group", "aria-label": "Was this answer helpful?" });
    // Words, not emoji: clinical desktops often lack an emoji font, and words read aloud well.
    var up = el("button", { type: "button", "aria-pressed": "false" }, "Helpful");
    var down = el("button", { type: "button", "aria-pressed": "false" }, "Not helpful");
    var status = el("span", { class: "status", role: "status" });
    box.appendChild(up);
    box.appendChild(down);
    box.appendChild(status);
    message.appendChild(box);

    var pending = [];
    function rate(rating) {
      up.setAttribute("aria-pressed", String(rating === "up"));
      down.setAttribute("aria-pressed", String(rating === "down"));
      pending.forEach(function (node) { box.removeChild(node); });
      var idc = "tgw-comment-" + (++sequence);
      var commentLabel = el("label", { for: idc, class: "sr" }, "Comment (optional)");
      var comment = el("textarea", { id: idc, maxlength: "2000", placeholder: "Comment (optional, no patient details)" });
      var submit = el("button", { type: "button" }, "Send feedback");
      pending = [commentLabel, comment, submit];
      pending.forEach(function (node) { box.appendChild(node); });
      comment.focus();
      submit.addEventListener("click", function () {
        submit.disabled = true;
        request("/v1/feedback", {
          method: "POST", headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ answer_id: answerId, rating: rating, comment: comment.value, channel: "widget" })
        }).then(function (r) {
          if (!r.ok) throw new Error("status " + r.status);
          pending.forEach(function (node) { box.removeChild(node); });
          pending = [];
          up.disabled = down.disabled = true;
          status.textContent = "Thank you: your feedback was saved.";
        }).catch(function () {
          submit.disabled = false;
          status.textContent = "Feedback could not be sent; please try again.";
          status.classList.add("error");
        });
      });
    }
    up.addEventListener("click", function () { rate("up"); });
    down.addEventListener("click", function () { rate("down"); });
  }

  function finish(message, textNode, answer) {
    var key = "tgw-src-" + (++sequence);
    message.classList.remove("streaming");
    message.setAttribute("aria-busy", "false");
    if (answer.flags && answer.flags.emergency) {
      message.classList.add("emergency");
      message.setAttribute("role", "alert");
    }
    renderText(textNode, answer.text, key);
    renderSources(message, answer.citations || [], key);
    renderFeedback(message, answer.id);
    history.push({ role: "assistant", content: answer.text });
  }

  function parseEvents(buffer, onEvent) {
    var blocks = buffer.split(/\r?\n\r?\n/);
    var rest = blocks.pop();
    blocks.forEach(function (block) {
      var event = "message", data = [];
      block.split(/\r?\n/).forEach(function (line) {
        if (line.indexOf("event:") === 0) event = line.slice(6).trim();
        else if (line.indexOf("data:") === 0) data.push(line.slice(5).replace(/^ /, ""));
      });
      if (data.length) onEvent(event, JSON.parse(data.join("\n")));
    });
    return rest;
  }

  function ask(question) {
    busy = true;
    send.disabled = true;
    log.appendChild(el("div", { class: "msg user" }, question));
    var message = el("div", { class: "msg bot streaming", "aria-busy": "true" });
    message.appendChild(el("span", { class: "label" }, "Emergency: act now"));
    var textNode = el("div", { class: "text" });
    message.appendChild(textNode);
    log.appendChild(message);
    log.scrollTop = log.scrollHeight;
    var body = { question: question, history: history.slice(-20), region: region || null };
    history.push({ role: "user", content: question });
    var streamed = "";
    var done = false;

    function fail(text) {
      message.classList.remove("streaming");
      message.setAttribute("aria-busy", "false");
      textNode.textContent = text;
      textNode.classList.add("error");
    }

    request("/v1/chat/stream", {
      method: "POST", headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
      body: JSON.stringify(body)
    }).then(function (response) {
      if (!response.ok) {
        return response.json().catch(function () { return {}; }).then(function (err) {
          var detail = err && err.detail;
          if (Array.isArray(detail)) detail = detail.map(function (d) { return d.msg; }).join("; ");
          throw new Error(detail || ("the service answered " + response.status));
        });
      }
      var reader = response.body.getReader();
      var decoder = new TextDecoder();
      var buffer = "";
      function pump() {
        return reader.read().then(function (chunk) {
          if (chunk.done) return;
          buffer = parseEvents(buffer + decoder.decode(chunk.value, { stream: true }), function (event, data) {
            if (event === "delta") {
              streamed += data.text;
              textNode.textContent = streamed;
              log.scrollTop = log.scrollHeight;
            } else if (event === "done") {
              done = true;
              finish(message, textNode, data);
            } else if (event === "error") {
              throw new Error(data.detail || "the answer failed");
            }
          });
          return pump();
        });
      }
      return pump();
    }).then(function () {
      if (!done) fail("The answer was cut off. Please ask again.");
    }).catch(function (error) {
      fail("Sorry, no answer: " + error.message);
    }).then(function () {
      busy = false;
      send.disabled = false;
      log.scrollTop = log.scrollHeight;
    });
  }

  // --- wiring ----------------------------------------------------------------------------------
  function setOpen(open) {
    if (open) panel.removeAttribute("hidden"); else panel.setAttribute("hidden", "");
    launcher.setAttribute("aria-expanded", String(open));
    if (open) input.focus(); else launcher.focus();
  }
  launcher.addEventListener("click", function () { setOpen(panel.hasAttribute("hidden")); });
  close.addEventListener("click", function () { setOpen(false); });
  panel.addEventListener("keydown", function (event) { if (event.key === "Escape") setOpen(false); });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit", { cancelable: true }));
    }
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var question = input.value.trim();
    if (!question || busy) return;
    input.value = "";
    ask(question);
  });

  showEmergencyNumber();
  if (!region) regionPicker();
  (document.body || document.documentElement).appendChild(host);
})();
