/* The technician's day as a small installable web app over the RepairOps API.
 *
 * Everything the technician does becomes an action in a queue kept in localStorage, each with its own
 * Idempotency-Key made when it is queued. The queue is sent in order whenever the phone is online (at once, on the
 * browser's "online" event, and every 20 s); an action whose answer was lost is sent again with the same key and
 * the server does it once. What the screen shows is the last day read from the server plus what is still queued,
 * so the day goes on without a connection. The service worker (sw.js) keeps the app itself for offline starts.
 */
"use strict";

const API = "/api/v1";
const KEYS = { session: "ro.session", day: "ro.day", queue: "ro.queue", problems: "ro.problems" };
const LABELS_KEY = "ro.labels";  // kept on sign-out: the next person on this phone still reads their language
let syncing = false;

// ---- words ---------------------------------------------------------------------------------------------------
// The app's words come from the server in the phone's language before sign-in (GET /my-day/labels) and in the
// technician's own with the day; they are kept for offline starts. t("Waiting to send: {count}", {count: 2}).
function t(text, fields) {
  const labels = load(LABELS_KEY, { labels: {} }).labels || {};
  let out = labels[text] || text;
  for (const [name, value] of Object.entries(fields || {})) out = out.split("{" + name + "}").join(String(value));
  return out;
}
function keepLabels(answer) {
  if (answer && answer.labels) save(LABELS_KEY, { locale: answer.locale, labels: answer.labels });
}
async function loadLabels() {
  if (load(LABELS_KEY, null)) return;  // the technician's own language, or the phone's from an earlier start
  try {
    const answer = await fetch(API + "/my-day/labels", { headers: { "Accept": "application/json" } });
    if (answer.ok) { keepLabels(await answer.json()); render(); }
  } catch (e) { /* offline: English until the first connection */ }
}
function translateStatic(root) {
  // Elements written in index.html carry their English in data-t.
  for (const node of root.querySelectorAll("[data-t]")) node.textContent = t(node.dataset.t);
  const kept = load(LABELS_KEY, null);
  if (kept && kept.locale) document.documentElement.lang = kept.locale.replace("_", "-");
  document.title = t("My day") + " · RepairOps";
}

// ---- storage -----------------------------------------------------------------------------------------------
function load(key, fallback) {
  try { const v = localStorage.getItem(key); return v === null ? fallback : JSON.parse(v); } catch (e) { return fallback; }
}
function save(key, value) { localStorage.setItem(key, JSON.stringify(value)); }
function newKey() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2);
}

// ---- the server ----------------------------------------------------------------------------------------------
async function refreshTokens() {
  const session = load(KEYS.session, null);
  if (!session || !session.refresh) return false;
  const answer = await fetch(API + "/auth/refresh", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ refresh_token: session.refresh }),
  });
  if (!answer.ok) return false;
  const tokens = await answer.json();
  save(KEYS.session, { ...session, access: tokens.access_token, refresh: tokens.refresh_token });
  return true;
}

async function call(method, path, body, key) {
  // One request with the access token, refreshed once when it has run out. A network failure throws.
  for (let attempt = 0; attempt < 2; attempt++) {
    const session = load(KEYS.session, null);
    const headers = { "Accept": "application/json" };
    if (session) headers["Authorization"] = "Bearer " + session.access;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (key) headers["Idempotency-Key"] = key;
    const answer = await fetch(API + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    if (answer.status === 401 && attempt === 0 && (await refreshTokens())) continue;
    return answer;
  }
}

async function message(answer) {
  try { return (await answer.json()).message || answer.statusText; } catch (e) { return answer.statusText; }
}

// ---- the queue -----------------------------------------------------------------------------------------------
function queue() { return load(KEYS.queue, []); }

function enqueue(action) {
  // action: {kind, booking_id?, order_id?, path, body, label}
  const q = queue();
  q.push({ ...action, key: newKey(), queued_at: new Date().toISOString() });
  save(KEYS.queue, q);
  render();
  sync();
}

async function sync() {
  if (syncing) return;
  syncing = true;
  let sent = 0;
  try {
    while (queue().length) {
      const [next] = queue();
      let answer;
      try {
        answer = await call("POST", next.path, next.body, next.key);
      } catch (e) {
        break;  // offline: keep the queue for later
      }
      if (answer.status === 401) { setStatus(t("Sign in again to send your work."), true); break; }
      if (answer.status >= 500 || answer.status === 429) break;  // try again later, same key
      if (!answer.ok) {
        const problems = load(KEYS.problems, []);
        problems.push({ label: next.label, message: await message(answer) });
        save(KEYS.problems, problems);
      }
      save(KEYS.queue, queue().filter((a) => a.key !== next.key));
      sent++;
    }
  } finally {
    syncing = false;
  }
  if (sent && !queue().length) await loadDay();
  render();
}

// ---- the day -------------------------------------------------------------------------------------------------
async function loadDay() {
  try {
    const answer = await call("GET", "/my-day");
    if (answer.status === 401) { save(KEYS.session, null); render(); return; }
    if (answer.ok) { const day = await answer.json(); keepLabels(day); save(KEYS.day, day); }
  } catch (e) { /* offline: keep the day we have */ }
  render();
}

function statusOf(job) {
  // The server's status with what is still queued on top of it.
  let status = job.status;
  for (const a of queue()) {
    if (a.booking_id !== job.booking_id) continue;
    if (a.kind === "check_in") status = "in_progress";
    if (a.kind === "complete") status = "done";
  }
  return status;
}

// ---- the screen ----------------------------------------------------------------------------------------------
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (value !== undefined && value !== null && value !== false) node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

function setStatus(text, offline) {
  const pill = document.getElementById("status");
  pill.textContent = text;
  pill.classList.toggle("offline", !!offline);
}

function showStatus() {
  const waiting = queue().length;
  if (!navigator.onLine) setStatus(waiting ? t("Offline · {count} waiting", { count: waiting }) : t("Offline"), true);
  else setStatus(waiting ? t("Sending {count}…", { count: waiting }) : t("All sent"), false);
}

function render() {
  const main = document.getElementById("main");
  main.replaceChildren();
  translateStatic(document);
  showStatus();
  if (!load(KEYS.session, null)) { renderSignIn(main); translateStatic(main); return; }
  const day = load(KEYS.day, null);
  document.getElementById("day").textContent = day ? day.day_text : "";
  const problems = load(KEYS.problems, []);
  if (problems.length) {
    main.append(el("section", { class: "card problems" }, el("h2", { text: t("Not done") }),
      ...problems.map((p) => el("p", { class: "error", text: `${p.label}: ${p.message}` })),
      el("button", { type: "button", onclick: () => { save(KEYS.problems, []); render(); } , text: t("Dismiss") })));
  }
  const waiting = queue();
  if (waiting.length) {
    main.append(el("section", { class: "card queued", "data-testid": "queue" },
      el("h2", { text: t("Waiting to send: {count}", { count: waiting.length }) }),
      ...waiting.map((a) => el("p", { class: "note", text: a.label }))));
  }
  if (!day) { main.append(el("p", { class: "note", text: t("Loading your day…") })); return; }
  if (!day.jobs.length) main.append(el("section", { class: "card" }, el("h2", { text: t("No jobs booked for you today.") })));
  day.jobs.forEach((job, i) => main.append(jobCard(job, i + 1, day.van)));
  main.append(el("button", { type: "button", onclick: signOut, text: t("Sign out") }));
}

function jobCard(job, stop, van) {
  const status = statusOf(job);
  const card = el("article", { class: "card job", "data-order": job.order_number, "data-status": status });
  card.append(el("div", { class: "job-head" }, el("div", { class: "stop", text: String(stop) }),
    el("div", {}, el("div", { class: "time", text: `${job.starts}–${job.ends} · ${job.order_number}` }),
      el("h2", { text: job.customer }),
      el("div", { class: "meta", text: [job.address, job.device].filter(Boolean).join(" · ") }),
      el("div", { class: "meta", text: job.problem }),
      el("div", { class: "state" + (status === "done" ? " done" : ""), text: STATES[status] ? t(STATES[status]) : status }))));
  card.append(el("div", { class: "row" },
    job.call_url ? el("a", { class: "btn", href: job.call_url }, icon(PHONE), document.createTextNode(t("Call")))
      : el("span", { class: "note", text: t("No phone number") }),
    job.navigate_url ? el("a", { class: "btn", href: job.navigate_url, target: "_blank", rel: "noopener" }, icon(ROUTE),
      document.createTextNode(t("Navigate"))) : el("span", { class: "note", text: t("No address") })));
  if (status === "tentative" || status === "confirmed") {
    card.append(el("button", { class: "primary", type: "button", text: t("Check in"), onclick: () => enqueue({
      kind: "check_in", booking_id: job.booking_id, path: `/my-day/bookings/${job.booking_id}/check-in`, body: {},
      label: t("Check in · {order}", { order: job.order_number }) }) }));
  }
  if (status === "in_progress") visit(card, job, van);
  return card;
}

// Icons drawn inline (no icon font, no emoji font needed on the phone).
const PHONE = "M6.6 10.8a15.1 15.1 0 0 0 6.6 6.6l2.2-2.2a1 1 0 0 1 1-.25 11.4 11.4 0 0 0 3.6.57 1 1 0 0 1 1 1V20a1 1 0 0 1-1 1A17 17 0 0 1 3 4a1 1 0 0 1 1-1h3.5a1 1 0 0 1 1 1c0 1.25.2 2.45.57 3.57a1 1 0 0 1-.25 1z";
const ROUTE = "M12 2a7 7 0 0 0-7 7c0 5.25 7 13 7 13s7-7.75 7-13a7 7 0 0 0-7-7zm0 9.5A2.5 2.5 0 1 1 12 6.5a2.5 2.5 0 0 1 0 5z";

function icon(path) {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 24 24"); svg.setAttribute("width", "22"); svg.setAttribute("height", "22");
  svg.setAttribute("aria-hidden", "true"); svg.setAttribute("fill", "currentColor");
  const shape = document.createElementNS("http://www.w3.org/2000/svg", "path");
  shape.setAttribute("d", path);
  svg.append(shape);
  return svg;
}

const STATES = { tentative: "Proposed", confirmed: "Booked", in_progress: "Working on it", done: "Done ✓" };

function visit(card, job, van) {
  // Checklist
  const checks = job.checklist.map((item) => el("input", { type: "checkbox", value: item.code, "aria-label": item.text }));
  card.append(el("fieldset", {}, el("legend", { text: t("Checklist") }),
    ...job.checklist.map((item, i) => el("label", { class: "check" }, checks[i], document.createTextNode(item.text)))));
  // A part from the van
  if (van.length) {
    const part = el("select", { "aria-label": t("Part from the van") },
      ...van.map((p) => el("option", { value: p.part_id, text: t("{name} · {sku} ({count} in van)", { name: p.name, sku: p.sku, count: Number(p.free) }) })));
    const qty = el("input", { type: "number", min: "1", step: "1", value: "1", inputmode: "numeric", "aria-label": t("Quantity") });
    card.append(el("label", {}, document.createTextNode(t("Part from the van")), part),
      el("div", { class: "row" }, qty, el("button", { type: "button", text: t("Use part"), onclick: () => {
        const chosen = van.find((p) => String(p.part_id) === part.value);
        enqueue({ kind: "part", order_id: job.order_id, path: `/my-day/orders/${job.order_id}/van-parts`,
          body: { part_id: Number(part.value), quantity: qty.value }, label: t("Part {sku} × {quantity} · {order}", { sku: chosen ? chosen.sku : "", quantity: qty.value, order: job.order_number }) });
      } })));
  }
  // A note
  const note = el("textarea", { "aria-label": t("Note"), maxlength: "5000" });
  card.append(el("label", {}, document.createTextNode(t("Note")), note),
    el("button", { type: "button", text: t("Add note"), onclick: () => {
      if (!note.value.trim()) return;
      enqueue({ kind: "note", order_id: job.order_id, path: `/my-day/orders/${job.order_id}/notes`, body: { body: note.value },
        label: t("Note · {order}", { order: job.order_number }) });
    } }));
  // A photo (made smaller on the phone so the queue stays small)
  const photo = el("input", { type: "file", accept: "image/*", capture: "environment", "aria-label": t("Photo") });
  photo.addEventListener("change", async () => {
    if (!photo.files.length) return;
    const file = photo.files[0];
    const data = await shrink(file);
    enqueue({ kind: "photo", order_id: job.order_id, path: `/my-day/orders/${job.order_id}/photos`,
      body: { filename: file.name || "photo.jpg", content_base64: data }, label: t("Photo · {order}", { order: job.order_number }) });
  });
  card.append(el("label", {}, document.createTextNode(t("Photo")), photo));
  // The customer's signature, drawn on screen
  const canvas = el("canvas", { class: "signature", "aria-label": t("Customer's signature") });
  const pad = signaturePad(canvas);
  const signer = el("input", { "aria-label": t("Customer's name"), autocomplete: "off", maxlength: "200" });
  const outcome = el("input", { "aria-label": t("What was done"), maxlength: "2000" });
  const error = el("p", { class: "error" });
  card.append(el("label", {}, document.createTextNode(t("What was done")), outcome),
    el("label", {}, document.createTextNode(t("Customer's name")), signer),
    el("div", {}, el("div", { class: "meta", text: t("Customer's signature") }), canvas),
    el("div", { class: "row" }, el("button", { type: "button", text: t("Clear"), onclick: () => pad.clear() }),
      el("button", { class: "primary", type: "button", text: t("Finish with signature"), onclick: () => {
        const ticked = checks.filter((c) => c.checked).map((c) => c.value);
        if (ticked.length < checks.length) { error.textContent = t("Tick every item of the checklist first."); return; }
        if (!signer.value.trim()) { error.textContent = t("Write the customer's name."); return; }
        if (pad.empty()) { error.textContent = t("Ask the customer to sign in the box."); return; }
        enqueue({ kind: "complete", booking_id: job.booking_id, path: `/my-day/bookings/${job.booking_id}/complete`,
          body: { signed_by: signer.value, outcome: outcome.value || null, checklist: ticked, signature_png_base64: pad.png() },
          label: t("Finish · {order}", { order: job.order_number }) });
      } })), error);
}

function signaturePad(canvas) {
  let drawn = false, last = null;
  const context = () => canvas.getContext("2d");
  requestAnimationFrame(() => {
    const scale = window.devicePixelRatio || 1;
    canvas.width = canvas.clientWidth * scale;
    canvas.height = canvas.clientHeight * scale;
    const c = context();
    c.scale(scale, scale); c.lineWidth = 2.5; c.lineCap = "round"; c.strokeStyle = "#111827";
  });
  const at = (e) => { const r = canvas.getBoundingClientRect(); return [e.clientX - r.left, e.clientY - r.top]; };
  canvas.addEventListener("pointerdown", (e) => { canvas.setPointerCapture(e.pointerId); last = at(e); });
  canvas.addEventListener("pointermove", (e) => {
    if (!last) return;
    const point = at(e), c = context();
    c.beginPath(); c.moveTo(...last); c.lineTo(...point); c.stroke();
    last = point; drawn = true;
  });
  const stop = () => { last = null; };
  canvas.addEventListener("pointerup", stop);
  canvas.addEventListener("pointercancel", stop);
  return {
    clear() { context().clearRect(0, 0, canvas.width, canvas.height); drawn = false; },
    empty() { return !drawn; },
    png() { return canvas.toDataURL("image/png"); },
  };
}

async function shrink(file) {
  // A photo at most 1600 px on its longer side, as JPEG: a phone camera's 5 MB become a few hundred kB.
  const url = URL.createObjectURL(file);
  try {
    const image = await new Promise((resolve, reject) => {
      const img = new Image(); img.onload = () => resolve(img); img.onerror = reject; img.src = url;
    });
    const scale = Math.min(1, 1600 / Math.max(image.naturalWidth, image.naturalHeight));
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(image.naturalWidth * scale); canvas.height = Math.round(image.naturalHeight * scale);
    canvas.getContext("2d").drawImage(image, 0, 0, canvas.width, canvas.height);
    return canvas.toDataURL("image/jpeg", 0.85);
  } catch (e) {
    // Not an image the browser can draw: send it as it is, the server judges it by its bytes.
    return await new Promise((resolve) => { const r = new FileReader(); r.onload = () => resolve(r.result); r.readAsDataURL(file); });
  } finally {
    URL.revokeObjectURL(url);
  }
}

function renderSignIn(main) {
  document.getElementById("day").textContent = "";
  main.append(document.getElementById("sign-in").content.cloneNode(true));
  const form = document.getElementById("sign-in-form");
  form.tenant.value = localStorage.getItem("ro.tenant") || "";
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const error = document.getElementById("sign-in-error");
    error.textContent = "";
    try {
      const answer = await fetch(API + "/auth/token", { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ tenant: form.tenant.value.trim(), email: form.email.value.trim(), password: form.password.value }) });
      if (!answer.ok) { error.textContent = await message(answer); return; }
      const tokens = await answer.json();
      localStorage.setItem("ro.tenant", form.tenant.value.trim());
      save(KEYS.session, { access: tokens.access_token, refresh: tokens.refresh_token });
      await loadDay();
    } catch (err) {
      error.textContent = t("No connection: sign in once you are online.");
    }
  });
}

async function signOut() {
  if (queue().length && !confirm(t("Some of your work is not sent yet. Sign out anyway?"))) return;
  try { await call("POST", "/auth/sign-out"); } catch (e) { /* offline */ }
  for (const key of Object.values(KEYS)) localStorage.removeItem(key);
  render();
}

window.addEventListener("online", () => { showStatus(); sync(); });
window.addEventListener("offline", showStatus);
setInterval(() => { if (navigator.onLine) sync(); }, 20000);
if ("serviceWorker" in navigator) navigator.serviceWorker.register("sw.js");
render();
loadLabels();
if (load(KEYS.session, null)) loadDay().then(sync);
