// The console's only script: the live chain-event feed, the index status, showing the
// fields of the chosen proposal kind, and following a replay run's progress. Pages work without it (forms post as usual).
"use strict";

const MAX_FEED_ROWS = 500;

function showIndexStatus(response) {
  const lag = document.getElementById("index-lag");
  const indexed = document.getElementById("indexed-block");
  if (lag && response.headers.has("X-Console-Lag")) {
    lag.textContent = response.headers.get("X-Console-Lag");
    lag.className = lag.textContent === "0" ? "current" : "lagging";
  }
  if (indexed && response.headers.has("X-Console-Indexed")) {
    indexed.textContent = response.headers.get("X-Console-Indexed");
  }
}

async function fetchFragment(url) {
  const response = await fetch(url, {
    headers: { "X-Console-Fragment": "1" },
    credentials: "same-origin",
    cache: "no-store",
  });
  if (response.status === 401) {
    window.location.assign(`/console/login?next=${encodeURIComponent(window.location.pathname)}`);
    return null;
  }
  return response;
}

function pollStatus(element) {
  const interval = Number(element.dataset.interval || 5000);
  async function tick() {
    try {
      const response = await fetchFragment(element.dataset.status);
      if (response === null) return;
      if (response.ok) showIndexStatus(response);
    } catch (error) {
      // the node is unreachable for now: keep the last status and ask again
    }
    window.setTimeout(tick, interval);
  }
  window.setTimeout(tick, interval);
}

function pollFeed(table) {
  const rows = table.querySelector("tbody");
  const live = document.getElementById("live");
  const interval = Number(table.dataset.interval || 2000);
  async function tick() {
    try {
      const url = `${table.dataset.feed}?after=${encodeURIComponent(table.dataset.cursor)}`;
      const response = await fetchFragment(url);
      if (response === null) return;
      if (response.ok) {
        const html = (await response.text()).trim();
        if (html) {
          rows.insertAdjacentHTML("afterbegin", html); // rendered and escaped by the node
          rows.querySelectorAll("tr.event:not(.seen)").forEach((tr) => tr.classList.add("new", "seen"));
          const all = rows.querySelectorAll("tr.event"); // a page left open stays small
          for (let i = MAX_FEED_ROWS; i < all.length; i += 1) all[i].remove();
        }
        table.dataset.cursor = response.headers.get("X-Console-Cursor") || table.dataset.cursor;
        showIndexStatus(response);
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

function pollRun(table) {
  const rows = table.querySelector("tbody");
  const interval = Number(table.dataset.interval || 1000);
  async function tick() {
    try {
      const response = await fetchFragment(table.dataset.progress);
      if (response === null) return;
      if (response.ok) {
        rows.innerHTML = await response.text(); // rendered and escaped by the node
        if (response.headers.get("X-Console-Run-Status") !== "running") {
          window.location.reload(); // the run ended: its report (or error) is on the page
          return;
        }
      }
    } catch (error) {
      // the node is unreachable for now: ask again
    }
    window.setTimeout(tick, interval);
  }
  window.setTimeout(tick, interval);
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("table[data-progress]").forEach(pollRun);
  const feeds = document.querySelectorAll("table[data-feed]");
  feeds.forEach(pollFeed);
  const status = document.getElementById("index-status");
  if (status && status.dataset.status && feeds.length === 0) pollStatus(status);
  const kind = document.getElementById("kind");
  if (kind) kindFields(kind);
});
