// Shared by the three pages: the navigation, the status line, calls to the JSON API and the
// drawing of answers. Plain JavaScript, no library, no build step.
"use strict";

const FRAMEWORKS = ["torch", "keras"];

async function api(url, options) {
  // Every error of the API is {"error": "..."} with a 4xx/5xx status.
  const response = await fetch(url, options);
  let body = null;
  try { body = await response.json(); } catch (e) { body = null; }
  if (!response.ok) throw new Error((body && body.error) || `${response.status} ${response.statusText}`);
  return body;
}

function postImage(url, blob) {
  return api(url, { method: "POST", body: blob, headers: { "Content-Type": blob.type || "application/octet-stream" } });
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function percent(p) { return (100 * p).toFixed(1) + "%"; }

// A 28x28 array of 0-255 (white digit on black, as MNIST) onto a canvas.
function drawPixels(canvas, rows) {
  canvas.width = 28; canvas.height = 28;
  const context = canvas.getContext("2d");
  const image = context.createImageData(28, 28);
  rows.forEach((row, y) => row.forEach((v, x) => {
    const at = 4 * (28 * y + x);
    image.data[at] = image.data[at + 1] = image.data[at + 2] = v; image.data[at + 3] = 255;
  }));
  context.putImageData(image, 0, 0);
}

// One framework's answer: the digit, its confidence and the ten probability bars.
function renderAnswer(box, answer) {
  box.replaceChildren();
  box.dataset.digit = answer.digit;
  box.append(el("h2", { text: answer.name }),
    el("div", { class: "big digit", text: String(answer.digit) }),
    el("div", { class: "muted", text: `confidence ${percent(answer.confidence)}` + (answer.ms !== undefined ? ` · ${answer.ms} ms` : "") }));
  const bars = el("div", { class: "bars" });
  answer.probabilities.forEach((p, d) => {
    const fill = el("div", { class: "fill" }); fill.style.width = (100 * p).toFixed(1) + "%";
    bars.append(el("div", { class: "bar" }, el("span", { class: "d", text: String(d) }),
      el("div", { class: "track" }, fill), el("span", { class: "p", text: percent(p) })));
  });
  box.append(bars);
}

function renderMissing(box, missing) {
  box.replaceChildren(el("h2", { text: missing.name }), el("div", { class: "muted", text: "not answering: " + missing.reason }));
  delete box.dataset.digit;
}

async function loadStatus() {
  const line = document.getElementById("status");
  try {
    const status = await api("/api/status");
    const parts = Object.values(status.models).map(m => `${m.name}: ${m.run || m.file}`);
    Object.values(status.missing).forEach(m => parts.push(`${m.name}: missing`));
    line.textContent = parts.join(" · ");
    const notice = document.getElementById("missing");
    if (notice) {
      const missing = Object.values(status.missing);
      notice.hidden = missing.length === 0;
      notice.textContent = missing.map(m => `${m.name} is not answering: ${m.reason}`).join(" ");
    }
    return status;
  } catch (e) { line.textContent = "server not reachable: " + e.message; return null; }
}

function markPage() {
  const here = location.pathname.replace(/\/$/, "") || "/draw";
  document.querySelectorAll("header nav a").forEach(a => { if (a.getAttribute("href") === here) a.classList.add("here"); });
}
markPage();

// A canvas as an image Blob. Synchronous (toDataURL) on purpose: Chromium runs toBlob's
// encoding in idle time, which while the user keeps drawing came back only after a second.
function canvasBlob(canvas, type, quality) {
  const url = canvas.toDataURL(type || "image/png", quality);
  const bytes = atob(url.slice(url.indexOf(",") + 1));
  const array = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) array[i] = bytes.charCodeAt(i);
  return new Blob([array], { type: type || "image/png" });
}
