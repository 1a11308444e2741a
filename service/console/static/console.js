// Moderation console: keyboard control of the review queue, decisions without
// reloading, undo. No inline scripts (the Content-Security-Policy forbids them);
// every text shown comes from the server's escaped HTML or is set with textContent.
(function () {
  "use strict";

  const csrf = document.querySelector('meta[name="csrf-token"]');
  const help = document.getElementById("help");
  const helpButton = document.getElementById("help-open");
  if (helpButton && help) helpButton.addEventListener("click", () => help.showModal());

  // A long comment is shown cut; its button shows it all, and cuts it again.
  for (const button of document.querySelectorAll(".show-all")) {
    button.addEventListener("click", () => {
      const text = document.getElementById(button.getAttribute("aria-controls"));
      const open = text.classList.toggle("open");
      button.setAttribute("aria-expanded", String(open));
      button.textContent = open ? "Show less" : `Show all (${button.dataset.chars} characters)`;
    });
  }

  const list = document.querySelector(".items");
  const items = Array.from(document.querySelectorAll("article.item"));
  const toast = document.getElementById("toast");
  const status = document.getElementById("queue-status");
  const undoWindow = list ? Number(list.dataset.undoS || 10) * 1000 : 10000;
  let current = 0;
  let last = null; // {item, commentId, decision, at}
  let toastTimer = null;

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrf ? csrf.content : "" },
      body: JSON.stringify(body),
    }).then((response) =>
      response.json().then((data) => {
        if (!response.ok) throw new Error((data.error && data.error.message) || "request failed");
        return data;
      })
    );
  }

  function say(text, withUndo) {
    if (!toast) return;
    toast.textContent = text;
    if (withUndo) {
      const hint = document.createElement("span");
      hint.append(" · press ");
      const key = document.createElement("kbd");
      key.textContent = "u";
      hint.append(key, " to undo");
      toast.append(hint);
    }
    toast.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { toast.hidden = true; }, withUndo ? undoWindow : 4000);
  }

  function focusItem(index) {
    if (!items.length) return;
    current = Math.max(0, Math.min(items.length - 1, index));
    items.forEach((item, i) => item.classList.toggle("current", i === current));
    items[current].focus({ preventScroll: false });
    items[current].scrollIntoView({ block: "nearest" });
  }

  function nextOpen(from) {
    for (let i = from + 1; i < items.length; i++) if (!items[i].classList.contains("decided")) return i;
    for (let i = 0; i < items.length; i++) if (!items[i].classList.contains("decided")) return i;
    return -1;
  }

  function setDone(item, text) {
    const done = item.querySelector(".done");
    done.textContent = text;
    done.hidden = !text;
  }

  function decide(item, decision) {
    if (!item || item.classList.contains("decided")) return;
    const form = item.querySelector("form.decide");
    const categories = Array.from(form.querySelectorAll('input[name="categories"]:checked')).map((box) => box.value);
    const note = form.querySelector('input[name="note"]').value || null;
    const commentId = item.dataset.commentId;
    item.classList.add("decided");
    post(form.action, { comment_id: commentId, decision: decision, categories: decision === "reject" ? categories : null, note: note })
      .then((answer) => {
        const strikes = answer.user ? answer.user.strikes : 0;
        const banned = answer.user && answer.user.banned ? ", user banned" : "";
        const what = decision === "reject" ? "Rejected" : "Approved";
        setDone(item, what + " (" + strikes + " strike" + (strikes === 1 ? "" : "s") + banned + ")");
        last = { item: item, commentId: commentId, decision: decision, at: Date.now() };
        say(what + " comment " + commentId, true);
        const next = nextOpen(items.indexOf(item));
        if (next >= 0) focusItem(next);
        else setTimeout(() => { if (!last || Date.now() - last.at > undoWindow) window.location.reload(); }, undoWindow + 200);
      })
      .catch((error) => {
        item.classList.remove("decided");
        say("Not saved: " + error.message, false);
      });
  }

  function undo() {
    if (!last || Date.now() - last.at > undoWindow) {
      say("Nothing to undo (only within " + undoWindow / 1000 + " seconds)", false);
      return;
    }
    const target = last;
    last = null;
    post(list.dataset.undoUrl || "/console/undo", { comment_id: target.commentId })
      .then(() => {
        target.item.classList.remove("decided");
        setDone(target.item, "");
        say("Undone: comment " + target.commentId + " is back", false);
        focusItem(items.indexOf(target.item));
      })
      .catch((error) => say("Could not undo: " + error.message, false));
  }

  items.forEach((item, index) => {
    item.addEventListener("focusin", () => {
      current = index;
      items.forEach((other, i) => other.classList.toggle("current", i === index));
    });
    const form = item.querySelector("form.decide");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const decision = event.submitter ? event.submitter.value : "approve";
      decide(item, decision);
    });
  });

  document.addEventListener("keydown", (event) => {
    const target = event.target;
    const typing = target && (target.tagName === "INPUT" && target.type === "text" || target.tagName === "TEXTAREA" || target.tagName === "SELECT" || target.isContentEditable);
    if (event.key === "Escape" && help && help.open) return; // the dialog closes itself
    if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "?") {
      event.preventDefault();
      if (help) help.showModal();
      return;
    }
    if (event.key === "n") {  // the next batch: the queue page claims one when it loads
      const next = document.getElementById("next-batch");
      if (next) {
        event.preventDefault();
        window.location.assign(next.href);
      }
      return;
    }
    if (!items.length) return;
    const item = items[current];
    switch (event.key) {
      case "j": event.preventDefault(); focusItem(current + 1); break;
      case "k": event.preventDefault(); focusItem(current - 1); break;
      case "a": event.preventDefault(); decide(item, "approve"); break;
      case "r": event.preventDefault(); decide(item, "reject"); break;
      case "u": event.preventDefault(); undo(); break;
      case "1": case "2": case "3": {
        event.preventDefault();
        const box = item.querySelector('input[data-key="' + event.key + '"]');
        if (box) box.checked = !box.checked;
        break;
      }
      default: break;
    }
  });

  if (items.length) focusItem(0);
  if (status && !items.length && list) status.textContent = status.textContent.trim();
})();
