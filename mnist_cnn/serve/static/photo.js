// The Photo & camera page: a photo (file, drop) or a camera snapshot is shown on a canvas,
// sent to /api/read (optionally with a dragged region), and the digits found are drawn
// on it with boxes, with both frameworks' answers for each.
"use strict";

const photo = document.getElementById("photo");
const video = document.getElementById("video");
const ctx = photo.getContext("2d");
let source = null;     // the image shown (an ImageBitmap or the canvas copy of a snapshot)
let blob = null;       // its bytes, as sent
let region = null;     // [x, y, w, h] in image pixels
let result = null, dragging = null, stream = null;

function setError(text) { document.getElementById("error").textContent = text || ""; }

async function useBlob(newBlob) {
  setError("");
  try { source = await createImageBitmap(newBlob); }
  catch (e) { source = null; }
  blob = newBlob; region = null; result = null;
  if (source) { photo.width = source.width; photo.height = source.height; }
  redraw();
  document.getElementById("read").disabled = false;
  await read();
}

function redraw() {
  if (source) ctx.drawImage(source, 0, 0);
  else { ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, photo.width, photo.height); }
  const line = Math.max(2, Math.round(photo.width / 320));
  if (region) {
    ctx.setLineDash([8, 6]); ctx.strokeStyle = "#1c7ed6"; ctx.lineWidth = line;
    ctx.strokeRect(...region); ctx.setLineDash([]);
  }
  if (!result) return;
  ctx.font = `bold ${Math.max(16, Math.round(photo.width / 30))}px system-ui, sans-serif`;
  for (const d of result.digits) {
    const [x, y, w, h] = d.box;
    ctx.strokeStyle = d.doubtful ? "#e67700" : "#2b8a3e"; ctx.lineWidth = line;
    ctx.strokeRect(x, y, w, h);
    const label = FRAMEWORKS.filter(fw => d.answers[fw]).map(fw => d.answers[fw].digit).join("/");
    ctx.fillStyle = ctx.strokeStyle; ctx.fillText(label, x, Math.max(16, y - 6));
  }
}

async function read() {
  if (!blob) return;
  const query = new URLSearchParams({ ink: document.getElementById("ink").value });
  if (region) query.set("roi", region.map(Math.round).join(","));
  document.getElementById("summary").textContent = "reading…";
  try {
    result = await postImage("/api/read?" + query, blob);
    show();
  } catch (e) {
    result = null; setError(e.message);
    document.getElementById("summary").textContent = "";
  }
  redraw();
}

function show() {
  for (const fw of FRAMEWORKS) {
    const out = document.getElementById("read-" + fw);
    out.textContent = result.read[fw] ? (result.read[fw].rows.join(" / ") || "—") : "not answering";
    out.dataset.text = result.read[fw] ? result.read[fw].text : "";
  }
  const n = result.digits.length, doubtful = result.digits.filter(d => d.doubtful).length;
  document.getElementById("summary").textContent =
    `${n} digit${n === 1 ? "" : "s"} found in ${result.width}x${result.height} (${result.polarity})` +
    (doubtful ? `, ${doubtful} doubtful` : "") + ` · ${result.ms_total} ms`;
  const list = document.getElementById("digits");
  list.replaceChildren();
  for (const d of result.digits) {
    const canvas = el("canvas", { class: "pixels" });
    drawPixels(canvas, d.input);
    const card = el("div", { class: "digit-card" + (d.doubtful ? " doubtful" : "") }, canvas);
    for (const fw of FRAMEWORKS) {
      const a = d.answers[fw];
      if (a) card.append(el("div", {}, el("span", { class: fw === "torch" ? "t" : "k", text: String(a.digit) }),
        el("span", { class: "muted", text: " " + percent(a.confidence) })));
    }
    if (d.doubtful) card.append(el("span", { class: "badge doubt", text: "doubtful" }));
    list.append(card);
  }
  document.getElementById("whole").disabled = !region;
}

// Files: the picker and drag-and-drop. The bytes go as they are; the server sniffs them.
document.getElementById("file").addEventListener("change", event => {
  if (event.target.files.length) useBlob(event.target.files[0]);
});
const drop = document.getElementById("drop");
drop.addEventListener("dragover", event => { event.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", event => {
  event.preventDefault(); drop.classList.remove("over");
  if (event.dataTransfer.files.length) useBlob(event.dataTransfer.files[0]);
});

// The camera: the browser's own (on this machine, or the laptop at the end of an SSH tunnel).
document.getElementById("camera").addEventListener("click", async () => {
  if (stream) { stopCamera(); return; }
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
    video.srcObject = stream; video.style.display = "block"; photo.style.display = "none";
    document.getElementById("snap").disabled = false;
    document.getElementById("camera").textContent = "Stop camera";
  } catch (e) { setError("camera: " + e.message + " (the page must be opened as http://127.0.0.1 or localhost)"); }
});
function stopCamera() {
  stream.getTracks().forEach(t => t.stop()); stream = null;
  video.style.display = "none"; photo.style.display = "block";
  document.getElementById("snap").disabled = true;
  document.getElementById("camera").textContent = "Start camera";
}
document.getElementById("snap").addEventListener("click", () => {
  const frame = el("canvas"); frame.width = video.videoWidth; frame.height = video.videoHeight;
  frame.getContext("2d").drawImage(video, 0, 0);
  stopCamera();
  useBlob(canvasBlob(frame, "image/jpeg", 0.92));
});

// A dragged region, in image pixels.
function imagePoint(event) {
  const box = photo.getBoundingClientRect();
  return [(event.clientX - box.left) * photo.width / box.width, (event.clientY - box.top) * photo.height / box.height];
}
photo.addEventListener("pointerdown", event => { if (blob) { dragging = imagePoint(event); photo.setPointerCapture(event.pointerId); } });
photo.addEventListener("pointermove", event => {
  if (!dragging) return;
  const [x, y] = imagePoint(event);
  region = [Math.min(x, dragging[0]), Math.min(y, dragging[1]), Math.abs(x - dragging[0]), Math.abs(y - dragging[1])];
  redraw();
});
photo.addEventListener("pointerup", () => {
  if (!dragging) return;
  dragging = null;
  if (region && (region[2] < 8 || region[3] < 8)) region = null;  // a click, not a drag
  read();
});
document.getElementById("read").addEventListener("click", read);
document.getElementById("whole").addEventListener("click", () => { region = null; read(); });
document.getElementById("ink").addEventListener("change", read);

redraw();
loadStatus();
