// The Draw page: strokes on a canvas; while drawing (at most one request in flight) and
// when a stroke ends, the canvas goes to /api/draw and both frameworks' answers come back.
"use strict";

const pad = document.getElementById("pad");
const context = pad.getContext("2d");
const mapsOf = document.getElementById("maps-of");
const PEN = 18;
let strokes = [];      // each stroke: a list of [x, y] points, kept for undo
let current = null;
let busy = false, again = false, lastSent = 0;
let version = 0;       // bumped by every change of the drawing; pad.dataset.shown: the version answered

function paint() {
  pad.dataset.version = ++version;
  context.fillStyle = "#fff";
  context.fillRect(0, 0, pad.width, pad.height);
  context.strokeStyle = "#000"; context.lineWidth = PEN; context.lineCap = "round"; context.lineJoin = "round";
  for (const stroke of strokes) {
    context.beginPath();
    stroke.forEach(([x, y], i) => (i ? context.lineTo(x, y) : context.moveTo(x, y)));
    if (stroke.length === 1) context.lineTo(stroke[0][0] + 0.1, stroke[0][1]);
    context.stroke();
  }
}

function point(event) {
  const box = pad.getBoundingClientRect();
  return [(event.clientX - box.left) * pad.width / box.width, (event.clientY - box.top) * pad.height / box.height];
}

pad.addEventListener("pointerdown", event => {
  pad.setPointerCapture(event.pointerId);
  current = [point(event)]; strokes.push(current); paint();
});
pad.addEventListener("pointermove", event => {
  if (!current) return;
  current.push(point(event)); paint();
  if (Date.now() - lastSent > 120) ask();  // answers while drawing
});
function endStroke() { if (current) { current = null; ask(); } }
pad.addEventListener("pointerup", endStroke);
pad.addEventListener("pointercancel", endStroke);

function reset() {
  document.getElementById("agree").replaceChildren();
  for (const fw of FRAMEWORKS) {
    const box = document.getElementById("answer-" + fw);
    box.replaceChildren(el("h2", { text: box.querySelector("h2").textContent }), el("div", { class: "muted", text: "draw a digit" }));
    delete box.dataset.digit;
  }
  document.getElementById("input").getContext("2d").clearRect(0, 0, 28, 28);
  document.getElementById("maps").replaceChildren();
  document.getElementById("error").textContent = "";
}

document.getElementById("clear").addEventListener("click", () => { strokes = []; paint(); reset(); });
document.getElementById("undo").addEventListener("click", () => {
  strokes.pop(); paint();
  if (strokes.length) ask(); else reset();
});
mapsOf.addEventListener("change", () => { if (strokes.length) ask(); });

async function ask() {
  if (!strokes.length) return;
  if (busy) { again = true; return; }
  busy = true; lastSent = Date.now();
  try {
    const sent = version, blob = canvasBlob(pad);
    const result = await postImage("/api/draw?maps=" + mapsOf.value, blob);
    show(result);
    pad.dataset.shown = sent;
    document.getElementById("error").textContent = "";
  } catch (e) {
    document.getElementById("error").textContent = e.message;
  } finally {
    busy = false;
    if (again) { again = false; ask(); }
  }
}

function show(result) {
  drawPixels(document.getElementById("input"), result.input);
  for (const fw of FRAMEWORKS) {
    const box = document.getElementById("answer-" + fw);
    if (result.answers[fw]) renderAnswer(box, result.answers[fw]);
    else if (status && status.missing[fw]) renderMissing(box, status.missing[fw]);
  }
  const agree = document.getElementById("agree");
  agree.replaceChildren();
  if (result.agree === true) agree.append(el("span", { class: "badge yes", text: "they agree" }));
  if (result.agree === false) agree.append(el("span", { class: "badge no", text: "they disagree" }));
  const maps = document.getElementById("maps");
  maps.replaceChildren();
  const fm = result.feature_maps;
  if (fm) {
    if (fm.note) maps.append(el("p", { class: "muted", text: fm.note }));
    for (const layer of fm.layers) {
      const img = el("img", { src: layer.png, alt: layer.name });
      const [h, w, c] = layer.shape, columns = Math.ceil(Math.sqrt(c));
      img.style.width = Math.min(560, 4 * columns * (w + 1)) + "px";
      maps.append(el("div", { class: "muted", text: `${layer.name} → ${c} maps of ${h}x${w}` }), img);
    }
  }
}

let status = null;
paint();
loadStatus().then(found => {
  status = found;
  if (!found) return;
  for (const fw of FRAMEWORKS) if (found.missing[fw]) renderMissing(document.getElementById("answer-" + fw), found.missing[fw]);
  // Feature maps from a framework that is there.
  const usable = Object.values(found.models).filter(m => m.feature_maps).map(m => m.framework);
  for (const option of mapsOf.options) option.disabled = !usable.includes(option.value);
  if (usable.length && !usable.includes(mapsOf.value)) mapsOf.value = usable[0];
});
