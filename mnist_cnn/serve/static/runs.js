// The Runs page: the listing from /api/runs, each run's figures, the latest comparison,
// and "Answer with it", which names the run (never a path) to /api/model.
"use strict";

function figures(target, urls) {
  target.replaceChildren(...urls.map(([url, alt]) => el("img", { src: url, alt })));
}

function pick(run, row) {
  document.querySelectorAll("#runs tr").forEach(tr => tr.classList.remove("picked"));
  row.classList.add("picked");
  document.getElementById("picked-title").textContent = run.name;
  figures(document.getElementById("picked"),
    run.figures.map(f => [`/api/runs/${encodeURIComponent(run.name)}/${f}`, `${run.name}: ${f}`]));
}

async function useRun(run) {
  try {
    await api("/api/model", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ run: run.name }) });
    document.getElementById("error").textContent = "";
    await loadStatus();
    await listRuns();
  } catch (e) { document.getElementById("error").textContent = e.message; }
}

async function listRuns() {
  const listing = await api("/api/runs");
  document.getElementById("folder").textContent = listing.runs_folder;
  const body = document.getElementById("runs");
  body.replaceChildren();
  if (!listing.runs.length) body.append(el("tr", {}, el("td", { colspan: "7", class: "muted", text: "no runs yet: train one with mnist-cnn train" })));
  for (const run of listing.runs) {
    const button = run.in_use ? el("span", { class: "badge yes", text: "answering" })
                              : el("button", { type: "button", text: "Answer with it" });
    if (!run.in_use) button.addEventListener("click", event => { event.stopPropagation(); useRun(run); });
    const row = el("tr", { class: "clickable", "data-run": run.name },
      el("td", { text: run.name }), el("td", { text: run.framework_name || "?" }), el("td", { text: run.recipe || "" }),
      el("td", { text: run.test_accuracy == null ? "" : (100 * run.test_accuracy).toFixed(2) + "%" }),
      el("td", { text: run.epochs == null ? "" : String(run.epochs) }),
      el("td", { text: run.train_seconds == null ? "" : run.train_seconds.toFixed(1) + " s" }), el("td", {}, button));
    row.addEventListener("click", () => pick(run, row));
    body.append(row);
  }
  const first = body.querySelector("tr[data-run]");
  if (first && !document.querySelector("#runs tr.picked")) first.click();
}

async function showComparison() {
  const box = document.getElementById("comparison");
  try {
    const found = await api("/api/comparison");
    if (!found.name) { box.textContent = found.note; return; }
    box.replaceChildren(el("p", { text: `${found.title} (${found.name})` }), el("pre", { text: found.markdown }));
    figures(document.getElementById("comparison-figures"),
      found.figures.map(f => [`/api/comparison/${f}`, `comparison: ${f}`]));
  } catch (e) { box.textContent = e.message; }
}

loadStatus();
listRuns().catch(e => { document.getElementById("error").textContent = e.message; });
showComparison();
