// The demo platform's only script: the scan page's countdown, waiting for the phone's answer
// (server-sent events, long-poll when they fail) and reloading the page once the request is
// answered or expired (the node renders the outcome); an approved login continues by itself.
"use strict";

function countdown(scan, offset) {
  const shown = document.getElementById("countdown");
  const expiresAt = Number(scan.dataset.expiresAt);
  function tick() {
    const left = Math.max(0, Math.round(expiresAt - (Date.now() / 1000 + offset)));
    const minutes = Math.floor(left / 60);
    const seconds = String(left % 60).padStart(2, "0");
    if (shown) shown.textContent = `${minutes}:${seconds}`;
    if (left === 0) {
      scan.dataset.state = "expiring";
      const status = document.getElementById("scan-status");
      if (status) status.textContent = "已过期 The code expired.";
      return;
    }
    window.setTimeout(tick, 1000);
  }
  tick();
}

function settled(answer) {
  return answer && answer.status && answer.status !== "pending";
}

async function longPoll(scan) {
  for (;;) {
    try {
      const response = await fetch(`${scan.dataset.status}?wait=20`, {
        credentials: "same-origin",
        cache: "no-store",
      });
      if (response.ok && settled(await response.json())) break;
      if (response.status >= 400 && response.status < 500) break; // refused: the page says why
      if (!response.ok) await new Promise((done) => window.setTimeout(done, 3000));
    } catch (error) {
      await new Promise((done) => window.setTimeout(done, 3000)); // offline for now
    }
  }
  window.location.reload();
}

function wait(scan) {
  if (!window.EventSource) {
    longPoll(scan);
    return;
  }
  const source = new EventSource(scan.dataset.events);
  let ended = false;
  source.addEventListener("status", (event) => {
    if (settled(JSON.parse(event.data))) {
      ended = true;
      source.close();
      window.location.reload();
    }
  });
  source.onerror = () => {
    if (ended) return;
    source.close(); // the stream ended or broke: ask the long-poll instead
    longPoll(scan);
  };
}

document.addEventListener("DOMContentLoaded", () => {
  const scan = document.getElementById("scan");
  if (scan && scan.dataset.state === "pending") {
    const offset = Number(scan.dataset.now) - Date.now() / 1000;
    countdown(scan, offset);
    wait(scan);
  }
  const complete = document.querySelector("form[data-autosubmit]");
  if (complete) complete.submit();
});
