// The drawing page of `digits serve`: strokes on a canvas, sent as PNG to /api/predict while
// you draw (at most one request in flight, the latest drawing always predicted last).
"use strict";

const INK_WIDTH = 18;          // pixels on the 280-high pad: about MNIST's stroke for a full-height digit
const LIVE_DELAY_MS = 100;     // debounce of live predictions while drawing
const SEND_HEIGHT = 112;       // 4x MNIST's 28: plenty for a 20x20 digit, a sixth of the pad's pixels to send and decode
const $ = (id) => document.getElementById(id);
const pad = $("pad"), ctx = pad.getContext("2d");
const result = $("result"), statusLine = $("status");

let strokes = [];              // each a list of [x, y] in pad pixels
let picture = null;            // an uploaded image shown under the strokes
let liveTimer = 0, inFlight = false, again = false, uploads = 0, count = 0;
let lastAnswer = null;         // the single-digit answer shown, for "Wrong? It was ..."
let numberBoxes = [];          // multi mode: each number read, its box in pad pixels and its text

// MARK: - Drawing

/// The pad: paper, the uploaded picture, the strokes, and (unless `boxes` is false, as for
/// the picture sent) a frame around each number read.
function redraw(boxes = true) {
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, pad.width, pad.height);
  if (picture) {
    const { scale, x, y } = pictureFrame();
    ctx.drawImage(picture, x, y, picture.width * scale, picture.height * scale);
  }
  for (const stroke of strokes) drawStroke(stroke, 0);
  if (boxes) drawNumberBoxes();
}

/// Where the uploaded picture lies on the pad: its scale and top-left corner.
function pictureFrame() {
  const scale = Math.min(pad.width / picture.width, pad.height / picture.height);
  return { scale, x: (pad.width - picture.width * scale) / 2, y: (pad.height - picture.height * scale) / 2 };
}

function drawNumberBoxes() {
  ctx.save();
  ctx.strokeStyle = "#1a73e8";
  ctx.fillStyle = "#1a73e8";
  ctx.lineWidth = 3;
  ctx.font = "bold 20px sans-serif";
  for (const { box, text } of numberBoxes) {
    ctx.strokeRect(box[0], box[1], box[2], box[3]);
    ctx.fillText(text, box[0], Math.max(18, box[1] - 6));
  }
  ctx.restore();
  pad.dataset.numbers = String(numberBoxes.length);
}

/// Forgets the frames of the last reading (the drawing changed).
function clearNumberBoxes() {
  if (!numberBoxes.length) return;
  numberBoxes = [];
  redraw();
}

/// Draws a stroke from point `from` on (round caps: one point makes a dot).
function drawStroke(stroke, from) {
  ctx.strokeStyle = "#000";
  ctx.fillStyle = "#000";
  ctx.lineWidth = INK_WIDTH;
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  if (stroke.length === 1) {
    ctx.beginPath();
    ctx.arc(stroke[0][0], stroke[0][1], INK_WIDTH / 2, 0, 2 * Math.PI);
    ctx.fill();
    return;
  }
  ctx.beginPath();
  const start = Math.max(0, from - 1);
  ctx.moveTo(stroke[start][0], stroke[start][1]);
  for (let i = start + 1; i < stroke.length; i++) ctx.lineTo(stroke[i][0], stroke[i][1]);
  ctx.stroke();
}

function padPoint(event) {
  const box = pad.getBoundingClientRect();
  return [(event.clientX - box.left) * pad.width / box.width, (event.clientY - box.top) * pad.height / box.height];
}

pad.addEventListener("pointerdown", (event) => {
  if (event.button !== 0) return;
  event.preventDefault();
  pad.setPointerCapture(event.pointerId);
  clearNumberBoxes();
  strokes.push([padPoint(event)]);
  drawStroke(strokes[strokes.length - 1], 0);
  scheduleLive();
});

pad.addEventListener("pointermove", (event) => {
  if (!pad.hasPointerCapture(event.pointerId) || strokes.length === 0) return;
  const stroke = strokes[strokes.length - 1];
  const from = stroke.length;
  const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
  for (const e of (events.length ? events : [event])) stroke.push(padPoint(e));
  drawStroke(stroke, from);
  scheduleLive();
});

for (const type of ["pointerup", "pointercancel"]) {
  pad.addEventListener(type, (event) => {
    if (pad.hasPointerCapture(event.pointerId)) pad.releasePointerCapture(event.pointerId);
    scheduleLive();
  });
}

function clearPad() {
  strokes = [];
  picture = null;
  numberBoxes = [];
  redraw();
  showEmpty();
}

function undo() {
  if (strokes.length) strokes.pop(); else picture = null;
  numberBoxes = [];
  redraw();
  if (strokes.length || picture) scheduleLive(); else showEmpty();
}

// MARK: - Predicting

function scheduleLive() {
  clearTimeout(liveTimer);
  liveTimer = setTimeout(predictPad, LIVE_DELAY_MS);
  markSettled();
}

/// `#result[data-settled]` is "1" when no prediction is waiting to start or in flight, so the
/// answer shown is the last one the page will give for what is on the pad: what a test (or a
/// screen reader) waits for, instead of guessing a quiet time.
function markSettled() {
  result.dataset.settled = liveTimer || inFlight || again || uploads ? "0" : "1";
}

function predictPad() {
  clearTimeout(liveTimer);
  liveTimer = 0;
  if (!strokes.length && !picture) { showEmpty(); return; }
  if (inFlight) { again = true; return; }
  inFlight = true;
  result.dataset.state = "busy";
  markSettled();
  send(padBlob(), "image/png").finally(() => {
    inFlight = false;
    if (again) { again = false; predictPad(); }
    markSettled();
  });
}

/// The pad scaled down to SEND_HEIGHT pixels high, as PNG.
const sendCanvas = document.createElement("canvas");
function padBlob() {
  sendCanvas.height = SEND_HEIGHT;
  sendCanvas.width = Math.round(pad.width * SEND_HEIGHT / pad.height);
  const c = sendCanvas.getContext("2d");
  c.imageSmoothingEnabled = true;
  c.imageSmoothingQuality = "high";
  if (numberBoxes.length) redraw(false);  // the picture without the frames drawn on it
  c.drawImage(pad, 0, 0, sendCanvas.width, sendCanvas.height);
  if (numberBoxes.length) redraw();
  // toDataURL, not toBlob: Chromium encodes a toBlob in an idle period of the page and, when
  // none comes (a pen moving, a headless browser), only after a 1 s fallback
  // (CanvasAsyncBlobCreator), which the answer waited for; this PNG encodes in a millisecond.
  const url = sendCanvas.toDataURL("image/png");
  const bytes = Uint8Array.from(atob(url.slice(url.indexOf(",") + 1)), (c) => c.charCodeAt(0));
  return new Blob([bytes], { type: "image/png" });
}

async function predictFile(file) {
  uploads++;
  markSettled();
  try {
    const type = file.type || guessType(file.name);
    strokes = [];
    picture = null;
    try { picture = await createImageBitmap(file); } catch { /* the server says what is wrong */ }
    redraw();
    result.dataset.state = "busy";
    await send(file, type, file.name);
  } finally {
    uploads--;
    markSettled();
  }
}

function guessType(name) {
  const ext = name.toLowerCase().split(".").pop();
  return {
    png: "image/png", jpg: "image/jpeg", jpeg: "image/jpeg", bmp: "image/bmp", gif: "image/gif",
    webp: "image/webp", heic: "image/heic", heif: "image/heif",
  }[ext] || "application/octet-stream";
}

/// POSTs an image and shows the answer; a drawing cleared meanwhile discards it.
async function send(body, type, name) {
  const multi = $("multi").checked;
  try {
    const response = await fetch("/api/predict" + (multi ? "?multi=1" : ""), {
      method: "POST", headers: { "Content-Type": type }, body,
    });
    const answer = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
    if (!name && !strokes.length && !picture) return;
    if (!response.ok || answer.error) throw new Error(answer.error || `HTTP ${response.status}`);
    // A picture the browser could not show (no frame) gets no boxes.
    const frame = !name ? { scale: pad.height / SEND_HEIGHT, x: 0, y: 0 } : picture ? pictureFrame() : null;
    show(answer, multi, frame);
    setStatus(name ? `Read ${name}` : "Ready: keep drawing, or Clear", false);
  } catch (error) {
    result.dataset.state = "error";
    setStatus(`Could not predict: ${error.message}`, true);
  }
}

// MARK: - Showing results

// The model's classes (from /api/model). Ten bars: every class of a model of ten or fewer,
// in class order; the ten likeliest of a model of more, best first.
let classNames = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
const bars = [];
function buildBars() {
  for (let d = 0; d < 10; d++) {
    const row = document.createElement("div");
    row.className = "bar";
    row.dataset.digit = String(d);
    row.innerHTML = `<span class="name">${d}</span><div class="track"><div class="fill"></div></div><span class="value"></span>`;
    $("bars").append(row);
    bars.push(row);
  }
}

function showBars(probabilities) {
  const best = probabilities ? probabilities.indexOf(Math.max(...probabilities)) : -1;
  const order = classNames.map((_, c) => c);
  if (probabilities && classNames.length > bars.length) order.sort((a, b) => probabilities[b] - probabilities[a]);
  bars.forEach((row, k) => {
    const c = order[k];
    row.hidden = c === undefined;
    if (c === undefined) return;
    const p = probabilities ? probabilities[c] : 0;
    row.dataset.digit = String(c);
    row.querySelector(".name").textContent = classNames[c];
    row.querySelector(".fill").style.width = `${(p * 100).toFixed(1)}%`;
    row.querySelector(".value").textContent = probabilities ? percent(p) : "";
    row.classList.toggle("best", c === best);
  });
}

// The class name of an answer (its label; a digit's own number when there is none).
function nameOf(answer) { return answer.label ?? String(answer.digit); }

function drawInput(canvas, input28) {
  const c = canvas.getContext("2d");
  const image = c.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const v = input28 ? Math.round(Math.max(0, Math.min(1, input28[i])) * 255) : 0;
    image.data.set([v, v, v, 255], i * 4);
  }
  c.putImageData(image, 0, 0);
}

function percent(p) { return `${Math.min(p * 100, 99.9).toFixed(1)}%`; }

/// Shows an answer; `frame` maps the sent picture's pixels to the pad's (number boxes).
function show(answer, multi, frame) {
  const unsure = !multi && answer.digit === null && answer.reason === "unsure";
  const digits = multi ? answer.digits : (answer.digit === null ? [] : [answer]);
  const strip = document.querySelector(".digits");
  if (strip) strip.remove();
  if (unsure) {
    const candidates = (answer.candidates || []).map((c) => classNames[c.digit] ?? c.digit);
    $("digit").textContent = "?";
    $("confidence").textContent = candidates.length ? `Not sure: ${candidates.join(" or ")}?` : "Not sure";
    $("note").textContent = "";
    showBars(answer.probabilities || null);
    drawInput($("seen"), answer.input28 || null);
  } else if (!digits.length) {
    $("digit").textContent = "–";
    $("confidence").textContent = "No digit found";
    $("note").textContent = answer.note || "";
    showBars(null);
    drawInput($("seen"), null);
  } else {
    $("digit").textContent = multi ? answer.number : nameOf(answer);
    $("confidence").textContent = multi
      ? digits.map((d) => `${d.digit}: ${percent(d.confidence)}`).join(", ")
      : `${percent(answer.confidence)} sure`;
    $("note").textContent = multi ? "Click a digit below to see its probabilities." : "";
    if (multi) showStrip(digits);
    choose(digits[0]);
  }
  numberBoxes = multi && frame ? (answer.numbers || []).map((n) => ({
    box: n.box.map((v, i) => v * frame.scale + (i === 0 ? frame.x : i === 1 ? frame.y : 0)),
    text: n.text,
  })) : [];
  redraw();
  showFeedback(!multi && answer.input28 ? answer : null);
  result.dataset.count = String(++count);
  result.dataset.state = "done";
}

function choose(digit) {
  showBars(digit.probabilities);
  drawInput($("seen"), digit.input28);
}

function showStrip(digits) {
  const strip = document.createElement("div");
  strip.className = "digits";
  digits.forEach((d, i) => {
    const figure = document.createElement("figure");
    const canvas = document.createElement("canvas");
    canvas.width = 28;
    canvas.height = 28;
    drawInput(canvas, d.input28);
    const button = document.createElement("button");
    button.type = "button";
    button.setAttribute("aria-label", `Digit ${i + 1}: ${d.digit}`);
    button.append(canvas);
    button.addEventListener("click", () => choose(d));
    figure.append(button, Object.assign(document.createElement("figcaption"), { textContent: `${d.digit} ${percent(d.confidence)}` }));
    strip.append(figure);
  });
  result.append(strip);
}

function showEmpty() {
  clearTimeout(liveTimer);
  liveTimer = 0;
  markSettled();
  showFeedback(null);
  $("digit").textContent = "–";
  $("confidence").textContent = $("multi").checked ? "Write a number" : "Draw a digit";
  $("note").textContent = "";
  clearNumberBoxes();
  const strip = document.querySelector(".digits");
  if (strip) strip.remove();
  showBars(null);
  drawInput($("seen"), null);
  result.dataset.state = "empty";
}

function setStatus(text, isError) {
  statusLine.textContent = text;
  statusLine.classList.toggle("error", isError);
}

// MARK: - Teaching it your handwriting

/// "Right" and "Wrong? It was [0-9]" under a single-digit answer (hidden otherwise).
function showFeedback(answer) {
  lastAnswer = answer;
  const box = $("feedback");
  box.hidden = !answer || !learning;
  $("right").hidden = !answer || answer.digit === null;
  for (const button of box.querySelectorAll("button")) button.disabled = false;
  $("saved").textContent = "";
  box.dataset.saved = "0";
}

function buildFixes() {
  const group = document.querySelector(".fixes");
  for (let d = 0; d < 10; d++) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "fix";
    button.dataset.digit = String(d);
    button.textContent = String(d);
    button.setAttribute("aria-label", `It was ${d}`);
    button.addEventListener("click", () => saveCorrection(d));
    group.append(button);
  }
  $("right").addEventListener("click", () => { if (lastAnswer && lastAnswer.digit !== null) saveCorrection(lastAnswer.digit); });
}

/// Sends the 28x28 input the model saw with the digit it really was.
async function saveCorrection(label) {
  const answer = lastAnswer, box = $("feedback");
  if (!answer || box.dataset.saved === "1") return;
  for (const button of box.querySelectorAll("button")) button.disabled = true;
  try {
    const response = await fetch("/api/corrections", {
      method: "POST", headers: learningHeaders({ "Content-Type": "application/json" }),
      body: JSON.stringify({ input28: answer.input28.map((v) => Math.max(0, Math.min(1, v))), label }),
    });
    const reply = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
    if (!response.ok || reply.error) throw new Error(reply.error || `HTTP ${response.status}`);
    box.dataset.saved = "1";
    $("saved").textContent = `Saved as a ${label} (${reply.count} example${reply.count === 1 ? "" : "s"})`;
    setLearnStatus({ corrections: reply.count });
  } catch (error) {
    for (const button of box.querySelectorAll("button")) button.disabled = false;
    $("saved").textContent = `Not saved: ${error.message}`;
  }
}

let learning = false, polling = 0;

/// The token learning calls send when the server asks for one: `serve` prints the page's URL
/// with `#token=...` (a fragment, so it never reaches a server or its logs).
const learningToken = new URLSearchParams(location.hash.slice(1)).get("token");
function learningHeaders(headers = {}) {
  return learningToken ? { ...headers, Authorization: `Bearer ${learningToken}` } : headers;
}

/// Shows the fine-tune's state (GET /api/finetune's answer, or part of one).
function setLearnStatus(status) {
  const line = $("learn-status"), progress = $("learn-progress");
  if (status.state) line.dataset.state = status.state;
  const state = line.dataset.state;
  if (status.corrections !== undefined) line.dataset.corrections = String(status.corrections);
  const corrections = Number(line.dataset.corrections || 0);
  $("learn").disabled = state === "running" || corrections === 0;
  progress.hidden = state !== "running";
  if (status.progress !== undefined) progress.value = status.progress;
  if (status.can_undo !== undefined) $("learn-undo").hidden = !status.can_undo || state === "running";
  const examples = `${corrections} example${corrections === 1 ? "" : "s"} saved`;
  const mnist = status.mnist_test_accuracy == null ? "" : ` · ${(status.mnist_test_accuracy * 100).toFixed(2)}% on MNIST test`;
  if (state === "running") line.textContent = `Learning… ${status.phase || ""} ${Math.round((status.progress || 0) * 100)}%`;
  else if (state === "failed" && status.message) line.textContent = `Could not learn: ${status.message}`;
  else if (state === "refused" && status.message) line.textContent = `Learnt, but ${status.message}`;
  else if (state === "done" && status.seconds != null) {
    line.textContent = `Learnt from ${examples.replace(" saved", "")} in ${status.seconds.toFixed(1)} s${mnist}`;
  } else if (status.message && status.model) line.textContent = `${status.message[0].toUpperCase()}${status.message.slice(1)}${mnist}`;
  else if (status.state || status.corrections !== undefined) line.textContent = corrections ? `${examples}: learn from them when you have a few per digit` : "Correct some predictions, then learn from them";
}

async function finetune(path) {
  try {
    const response = await fetch(path, { method: "POST", headers: learningHeaders({ "Content-Type": "application/json" }), body: "{}" });
    const status = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
    if (!response.ok || status.error) throw new Error(status.error || `HTTP ${response.status}`);
    setLearnStatus(status);
    if (status.state === "running") pollLearning(); else predictPad();
  } catch (error) {
    setLearnStatus({ state: "failed", message: error.message });
  }
}

function pollLearning() {
  clearTimeout(polling);
  polling = setTimeout(async () => {
    try {
      const status = await (await fetch("/api/finetune", { headers: learningHeaders() })).json();
      setLearnStatus(status);
      if (status.state === "running") pollLearning();
      else if (strokes.length || picture) predictPad();   // the new model reads the drawing again
    } catch (error) {
      setLearnStatus({ state: "failed", message: error.message });
    }
  }, 250);
}

async function startLearning() {
  try {
    const response = await fetch("/api/finetune", { headers: learningHeaders() });
    if (!response.ok) return;
    learning = true;
    $("learn-box").hidden = false;
    const status = await response.json();
    setLearnStatus(status);
    if (status.state === "running") pollLearning();
  } catch { /* no learning on this server */ }
}

// MARK: - Controls

$("clear").addEventListener("click", clearPad);
$("learn").addEventListener("click", () => finetune("/api/finetune"));
$("learn-undo").addEventListener("click", () => finetune("/api/finetune/undo"));
$("undo").addEventListener("click", undo);
$("predict").addEventListener("click", predictPad);
$("multi").addEventListener("change", () => {
  document.body.classList.toggle("multi", $("multi").checked);
  pad.width = $("multi").checked ? 560 : 280;
  redraw();
  if (strokes.length || picture) predictPad(); else showEmpty();
});
$("upload").addEventListener("change", (event) => {
  const file = event.target.files[0];
  if (file) predictFile(file);
  event.target.value = "";
});

const drop = $("drop");
drop.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (event) => {
  event.preventDefault();
  drop.classList.remove("over");
  const file = event.dataTransfer.files[0];
  if (file) predictFile(file);
});

document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") { clearPad(); event.preventDefault(); }
  else if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "z") { undo(); event.preventDefault(); }
  else if (event.key === "Enter" && document.activeElement === pad) { predictPad(); event.preventDefault(); }
});

// MARK: - Start

async function start() {
  buildBars();
  buildFixes();
  redraw();
  showEmpty();
  try {
    const model = await (await fetch("/api/model")).json();
    if (Array.isArray(model.classes) && model.classes.length) {
      classNames = model.classes;
      showBars(null);
    }
    const dataset = { mnist: "MNIST", fashion: "Fashion-MNIST" }[model.dataset] || model.dataset;
    const accuracy = model.test_accuracy == null ? "" : ` · ${(model.test_accuracy * 100).toFixed(2)}% on the ${dataset} test set`;
    const trained = model.trained ? ` · trained ${model.trained.slice(0, 10)}` : "";
    $("model").textContent = `Model: ${model.name} (${model.parameters.toLocaleString()} parameters)${accuracy}${trained} · ${model.backend}`;
    await startLearning();
    setStatus("Ready: draw a digit", false);
  } catch (error) {
    setStatus(`The server did not answer: ${error.message}`, true);
  }
  statusLine.dataset.ready = "1";
}
start();
