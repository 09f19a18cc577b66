// The console's only script: the live chain-event feed, the index status, and showing the
// fields of the chosen proposal kind. Pages work without it (forms post as usual).
"use strict";

function pollFeed(table) {
  const rows = table.querySelector("tbody");
  const live = document.getElementById("live");
  const interval = Number(table.dataset.interval || 2000);
  async function tick() {
    try {
      const url = `${table.dataset.feed}?after=${encodeURIComponent(table.dataset.cursor)}`;
      const response = await fetch(url, {
        headers: { "X-Console-Fragment": "1" },
        credentials: "same-origin",
        cache: "no-store",
      });
      if (response.status === 401) {
        window.location.assign(`/console/login?next=${encodeURIComponent(window.location.pathname)}`);
        return;
      }
      if (response.ok) {
        const html = (await response.text()).trim();
        if (html) {
          rows.insertAdjacentHTML("afterbegin", html); // rendered and escaped by the node
          rows.querySelectorAll("tr.event:not(.seen)").forEach((tr) => tr.classList.add("new", "seen"));
        }
        table.dataset.cursor = response.headers.get("X-Console-Cursor") || table.dataset.cursor;
        const lag = document.getElementById("index-lag");
        const indexed = document.getElementById("indexed-block");
        if (lag) {
          lag.textContent = response.headers.get("X-Console-Lag");
          lag.className = lag.textContent === "0" ? "current" : "lagging";
        }
        if (indexed) indexed.textContent = response.headers.get("X-Console-Indexed");
        if (live) { live.textContent = "live"; live.classList.remove("stale"); }
      } else if (live) {
        live.textContent = `feed error ${response.status}`; live.classList.add("stale");
      }
    } catch (error) {
      if (live) { live.textContent = "node unreachable"; live.classList.add("stale"); }
    }
    window.setTimeout(tick, interval);
  }
  table.querySelectorAll("tr.event").forEach((tr) => tr.classList.add("seen"));
  window.setTimeout(tick, interval);
}

function kindFields(select) {
  const show = () => {
    document.querySelectorAll("label.field[data-kinds]").forEach((label) => {
      label.hidden = !label.dataset.kinds.split(" ").includes(select.value);
    });
  };
  select.addEventListener("change", show);
  show();
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("table[data-feed]").forEach(pollFeed);
  const kind = document.getElementById("kind");
  if (kind) kindFields(kind);
});
