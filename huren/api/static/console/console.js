// The console's only script: the live chain-event feed, the index status, showing the
// fields of the chosen proposal kind, following a replay run's progress, and checking an
// inclusion proof's audit path in the browser. Pages work without it (forms post as usual).
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

function hexBytes(hex) {
  const clean = hex.startsWith("0x") ? hex.slice(2) : hex;
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) throw new Error(`not hex: ${hex}`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i += 1) out[i] = parseInt(clean.substr(2 * i, 2), 16);
  return out;
}

function bytesHex(bytes) {
  return `0x${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

async function sha256(...parts) {
  const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { joined.set(p, at); at += p.length; }
  return new Uint8Array(await crypto.subtle.digest("SHA-256", joined));
}

// RFC 9162 2.1.3.2: the root an inclusion proof leads to (null when the path does not fit).
async function rootFromPath(index, size, leafHash, path) {
  if (index >= size) return null;
  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  for (const p of path) {
    if (sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = await sha256(Uint8Array.of(1), p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
      }
    } else {
      r = await sha256(Uint8Array.of(1), r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : null;
}

function verifyInBrowser(button) {
  const proof = document.getElementById("proof");
  const result = document.getElementById("browser-verify-result");
  button.addEventListener("click", async () => {
    if (!window.crypto || !crypto.subtle) {
      result.textContent = "This browser offers no SHA-256 here (WebCrypto needs HTTPS or localhost): use the command below.";
      result.className = "bad";
      return;
    }
    try {
      const leaf = hexBytes(proof.dataset.leaf);
      const leafHash = await sha256(Uint8Array.of(0), leaf);
      if (bytesHex(leafHash) !== proof.dataset.leafHash) {
        result.textContent = "FAILED: the leaf data do not hash to the leaf hash shown.";
        result.className = "bad";
        return;
      }
      const path = Array.from(document.querySelectorAll("#audit-path li"), (li) => hexBytes(li.dataset.hash));
      const root = await rootFromPath(Number(proof.dataset.index), Number(proof.dataset.size), leafHash, path);
      if (root !== null && bytesHex(root) === proof.dataset.root.toLowerCase()) {
        result.textContent = `VERIFIED in this browser: leaf ${proof.dataset.index} and ${path.length} path hashes make the root ${bytesHex(root).slice(0, 18)}…`;
        result.className = "ok";
      } else {
        result.textContent = `FAILED: the path leads to ${root === null ? "no root (wrong length)" : bytesHex(root)}, not the root shown.`;
        result.className = "bad";
      }
    } catch (error) {
      result.textContent = `FAILED: ${error.message}`;
      result.className = "bad";
    }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  const verify = document.getElementById("verify-in-browser");
  if (verify) verifyInBrowser(verify);
  document.querySelectorAll("table[data-progress]").forEach(pollRun);
  const feeds = document.querySelectorAll("table[data-feed]");
  feeds.forEach(pollFeed);
  const status = document.getElementById("index-status");
  if (status && status.dataset.status && feeds.length === 0) pollStatus(status);
  const kind = document.getElementById("kind");
  if (kind) kindFields(kind);
});
