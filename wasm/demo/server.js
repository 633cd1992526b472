// Server mode of the demo portal: when the page is served by `directrix serve`, an agency
// logs in with its token, sees its inbox across every directive the host runs, acts, and
// follows the host's event stream live. Framework-free, like app.js.
//
// Choices:
// - The token is kept in sessionStorage: a reload stays logged in, closing the tab forgets
//   it. It is sent only as `Authorization: Bearer`, never in a URL (URLs end up in logs).
// - The event stream is read with fetch() and a stream reader rather than EventSource,
//   because EventSource cannot send an Authorization header. The page reconnects itself,
//   resuming with `Last-Event-ID`, and reloads the inbox after each reconnection (the host
//   may have acted, or restarted, meanwhile).
// - Each act carries an Idempotency-Key made once per click: a retry after a lost answer
//   cannot act twice.
// - The page replays each instance's journal (GET /v1/instances/{id}/journal) in the
//   WebAssembly runtime and compares the result with the host's status view, its state
//   hash included: the same journal gives the same state in the browser as on the server.
// - The workflow it replays is the host's, whatever it is (GET /v1/workflows/{hash}): its
//   RON text compiled here by the full module, whose bytes must hash as the host's
//   compiled bytes do before the runtime module runs them. No workflow is assumed.
import init, { Workflow } from "../pkg/runtime/index.js";

const TOKEN_KEY = "directrix.token";
const FULL_MODULE_URL = "../pkg/index.js";
const RECONNECT_MS = [500, 1000, 2000, 4000];
const MAX_EVENTS_SHOWN = 200;

const ACTION_VI = {
  acknowledge: "Tiếp nhận",
  start: "Bắt đầu thực hiện",
  report: "Gửi báo cáo",
  accept: "Chấp nhận báo cáo",
  return: "Trả lại",
  request_extension: "Xin gia hạn",
  approve_extension: "Đồng ý gia hạn",
  refuse_extension: "Không đồng ý gia hạn",
  close: "Kết thúc",
  cancel: "Hủy nhiệm vụ",
};
const KIND_VI = {
  started: "Bắt đầu",
  transitioned: "Chuyển trạng thái",
  completed: "Hoàn thành",
  overdue: "Quá hạn",
  reminded: "Nhắc nhở",
  warned: "Cảnh báo",
  escalated: "Chuyển cấp trên",
  reassigned: "Giao lại",
  extension_requested: "Xin gia hạn",
  extension_approved: "Được gia hạn",
  extension_refused: "Không được gia hạn",
  returned: "Trả lại báo cáo",
};

const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(node.dataset, v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c == null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

const session = {
  token: null,
  agency: null,
  lastEventId: 0,
  stream: null, // AbortController of the open event stream
  generation: 0, // bumped at each login/logout: stale loops stop
  refreshTimer: null,
};

/** Action names the page knows (the journal has indices; the workflow maps names to
 * indices): the standard machines' and every one seen in an inbox or an event. */
const actionNames = new Set(Object.keys(ACTION_VI));

/** Instance id -> the last replay's result: { state, text, version }. */
const verifiedText = new Map();

// ------------------------------------------------------------------ HTTP
class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.code ?? `http_${status}`;
  }
}

async function api(method, path, { body, key } = {}) {
  const headers = { Authorization: `Bearer ${session.token}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (key) headers["Idempotency-Key"] = key;
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!res.ok) throw new ApiError(res.status, json);
  return json;
}

const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function showError(err) {
  $("server-error-code").textContent = err?.code ?? "error";
  $("server-error-message").textContent = err?.message ?? String(err);
  $("server-error").hidden = false;
}
function clearError() {
  $("server-error").hidden = true;
}

function setStream(state, text) {
  const chip = $("server-stream");
  chip.dataset.state = state;
  chip.textContent = text;
}

// ------------------------------------------------------------------ login
async function login(token) {
  session.token = token;
  const me = await api("GET", "/v1/whoami");
  if (me.admin) {
    throw new ApiError(403, {
      code: "agency_only",
      message: "Mã quản trị không thao tác thay đơn vị nào: hãy dùng mã của một đơn vị.",
    });
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  session.agency = me.agency;
  session.generation += 1;
  session.lastEventId = 0;
  verifiedText.clear();
  $("server-agency").textContent = me.agency;
  $("server-login").hidden = true;
  $("server-session").hidden = false;
  $("server-events").replaceChildren();
  document.body.dataset.server = "logged-in";
  await refreshInbox();
  followEvents(session.generation);
}

function logout() {
  sessionStorage.removeItem(TOKEN_KEY);
  session.generation += 1;
  session.stream?.abort();
  session.token = null;
  session.agency = null;
  $("server-session").hidden = true;
  $("server-login").hidden = false;
  $("server-token").value = "";
  document.body.dataset.server = "logged-out";
}

// ------------------------------------------------------------------ inbox and acts
async function refreshInbox() {
  const generation = session.generation;
  const inbox = await api("GET", "/v1/inbox");
  if (generation !== session.generation) return;
  renderInbox(inbox);
  for (const entry of inbox) verify(entry.instance).catch(() => {});
}

function scheduleRefresh() {
  clearTimeout(session.refreshTimer);
  session.refreshTimer = setTimeout(() => refreshInbox().catch(showError), 150);
}

function renderInbox(inbox) {
  const box = $("server-inbox");
  box.replaceChildren();
  const count = inbox.reduce((n, entry) => n + entry.items.length, 0);
  $("server-inbox-count").textContent = count ? String(count) : "";
  if (!inbox.length) {
    box.append(el("p", { class: "empty" }, "Đơn vị không có việc cần xử lý."));
  }
  for (const entry of inbox) {
    const byTask = new Map();
    for (const item of entry.items) {
      actionNames.add(item.action);
      if (!byTask.has(item.task)) byTask.set(item.task, { title: item.title, items: [] });
      byTask.get(item.task).items.push(item);
    }
    box.append(el("div", { class: "server-instance", dataset: { instance: entry.instance } },
      el("div", { class: "server-instance-head" },
        el("strong", {}, `Văn bản ${entry.directive}`), ` · phiên #${entry.instance}`,
        el("span", { class: "server-verify", id: `verify-${entry.instance}` }, "")),
      [...byTask].map(([task, { title, items }]) =>
        el("div", { class: "inbox-item", dataset: { task } },
          el("div", { class: "inbox-title", title }, title),
          el("div", { class: "inbox-meta" }, el("code", {}, task)),
          el("div", { class: "btn-row" },
            items.map((item) => el("button", {
              type: "button",
              class: `btn btn-small ${["cancel", "return"].includes(item.action) ? "btn-danger" : "btn-action"}`,
              dataset: { action: item.action, task: item.task, instance: entry.instance },
              onclick: () => act(entry.instance, item),
            }, ACTION_VI[item.action] ?? item.action)))))));
  }
  // Results of earlier checks stay shown until the next one.
  for (const instance of verifiedText.keys()) showVerification(instance);
}

async function act(instance, item) {
  const request = { task: item.task, action: item.action };
  if (item.needs_note) {
    const note = window.prompt("Ghi chú / lý do:");
    if (note === null) return;
    request.note = note;
  }
  if (item.needs_until) {
    const until = window.prompt("Đề nghị hạn mới (ISO 8601):");
    if (until === null) return;
    request.until = until;
  }
  clearError();
  // One key per click: resending after a lost answer returns the first answer.
  const key = crypto.randomUUID();
  for (let attempt = 0; ; attempt++) {
    try {
      await api("POST", `/v1/instances/${instance}/acts`, { body: request, key });
      break;
    } catch (err) {
      const retry = !(err instanceof ApiError) || err.status === 503;
      if (!retry || attempt >= 3) {
        showError(err);
        return;
      }
      await wait(RECONNECT_MS[attempt]);
    }
  }
  await refreshInbox().catch(showError);
}

// ------------------------------------------------------------------ event stream
function addEvent(id, effect) {
  const log = $("server-events");
  log.querySelector(".empty")?.remove();
  log.prepend(el("li", {
    class: `log-item log-${effect.kind}`,
    dataset: {
      eventId: id, kind: effect.kind, task: effect.task, instance: effect.instance,
      ...(effect.action ? { action: effect.action } : {}),
    },
  },
    el("div", { class: "log-time" }, effect.at.replace("T", " ").slice(0, 16)),
    el("div", { class: "log-body" },
      el("div", { class: "log-line" },
        el("span", { class: `kind kind-${effect.kind}` }, KIND_VI[effect.kind] ?? effect.kind),
        el("span", { class: "kind-code" }, effect.kind),
        effect.level != null ? el("span", { class: "log-level" }, `mức ${effect.level}`) : null),
      el("div", { class: "log-task" },
        el("code", {}, effect.task), ` · phiên #${effect.instance}`,
        effect.action ? ` · ${effect.agency}: ${ACTION_VI[effect.action] ?? effect.action}` : ` · ${effect.agency}`))));
  while (log.children.length > MAX_EVENTS_SHOWN) log.lastChild.remove();
}

/** Parses Server-Sent Events from a byte stream; calls `onEvent(id, event, data)`. */
async function readEvents(body, onEvent) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let fields = { id: null, event: "message", data: [] };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let newline;
    while ((newline = buffer.search(/\r?\n/)) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + (buffer[newline] === "\r" ? 2 : 1));
      if (line === "") {
        if (fields.data.length) onEvent(fields.id, fields.event, fields.data.join("\n"));
        fields = { id: null, event: "message", data: [] };
        continue;
      }
      if (line.startsWith(":")) continue; // keep-alive comment
      const colon = line.indexOf(":");
      const name = colon < 0 ? line : line.slice(0, colon);
      const text = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (name === "data") fields.data.push(text);
      else if (name === "id") fields.id = text;
      else if (name === "event") fields.event = text;
    }
  }
}

async function followEvents(generation) {
  let failures = 0;
  while (generation === session.generation) {
    const controller = new AbortController();
    session.stream = controller;
    try {
      const res = await fetch("/v1/events", {
        headers: {
          Authorization: `Bearer ${session.token}`,
          "Last-Event-ID": String(session.lastEventId),
        },
        signal: controller.signal,
      });
      if (res.status === 401) {
        logout();
        showError(new ApiError(401, await res.json().catch(() => null)));
        return;
      }
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      setStream("open", "Đang nhận sự kiện trực tiếp");
      if (failures > 0) scheduleRefresh(); // the host may have moved on meanwhile
      failures = 0;
      await readEvents(res.body, (id, kind, data) => {
        if (generation !== session.generation) return;
        if (kind !== "effect") return;
        const number = Number(id);
        if (Number.isInteger(number) && number > session.lastEventId) session.lastEventId = number;
        const effect = JSON.parse(data);
        if (effect.action) actionNames.add(effect.action);
        addEvent(id, effect);
        scheduleRefresh();
      });
      throw new Error("the stream ended");
    } catch (err) {
      if (generation !== session.generation) return;
      setStream("reconnecting", "Mất kết nối máy chủ, đang kết nối lại…");
      await wait(RECONNECT_MS[Math.min(failures, RECONNECT_MS.length - 1)]);
      failures += 1;
    }
  }
}

// ------------------------------------------------------------------ replay in WebAssembly
/** Content hash -> promise of { workflow, info } (the runtime module's workflow). */
const workflows = new Map();

async function sha256Hex(bytes) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** `start` run once, its promise kept; a failure (the host restarting mid-load) is
 * forgotten, so the next call tries again. */
function memo(start) {
  let promise;
  return () => (promise ??= start().catch((err) => {
    promise = undefined;
    throw err;
  }));
}

/** The full module (it parses and compiles RON), imported on first use. */
const authoring = memo(() => import(FULL_MODULE_URL).then(async (module) => {
  await module.default();
  return module;
}));

// Initialised once: two initialisations in flight would each instantiate the module, and
// objects made by the first would then be used with the second's memory.
const runtime = memo(() => init());

/** The page's compilation of a workflow differs from the host's: not a passing failure. */
class NotTheHostsWorkflow extends Error {}

/** The host's workflow `hash`: its text compiled here, checked against the host's bytes. */
function workflowFor(hash) {
  if (!workflows.has(hash)) {
    const loading = (async () => {
      const stored = await api("GET", `/v1/workflows/${encodeURIComponent(hash)}`);
      const [{ Workflow: FullWorkflow }] = await Promise.all([authoring(), runtime()]);
      const parsed = FullWorkflow.parse(stored.source, { calendars: stored.calendars, registries: stored.registries });
      let bytes, info;
      try {
        bytes = parsed.compile();
        info = parsed.inspect();
      } finally {
        parsed.free();
      }
      if ((await sha256Hex(bytes)) !== stored.compiled_sha256) {
        throw new NotTheHostsWorkflow("bản biên dịch trong trang khác bản của máy chủ");
      }
      return { workflow: Workflow.fromCompiled(bytes), info };
    })();
    workflows.set(hash, loading);
    // A failure (the host restarting) is tried again at the next check.
    loading.catch(() => workflows.delete(hash));
  }
  return workflows.get(hash);
}

const isoOf = (seconds) => new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");

/** Names by index, from the workflow's own name -> index maps. */
function namesByIndex(workflow, lookup, names) {
  const byIndex = new Map();
  for (const name of names) {
    try {
      byIndex.set(workflow[lookup](name), name);
    } catch {
      // not a name of this kind
    }
  }
  return byIndex;
}

/** Replays a host journal in the runtime module; returns the instance. */
function replay(workflow, info, journal) {
  let instance = null;
  let agencies, tasks, actions;
  for (const { input } of journal) {
    switch (input.input) {
      case "start": {
        instance = workflow.start(isoOf(input.at)).instance;
        agencies = namesByIndex(workflow, "agencyIndex", info.agencies.map((a) => a.id));
        tasks = namesByIndex(workflow, "taskIndex", instance.status().map((s) => s.task));
        actions = namesByIndex(workflow, "actionIndex", actionNames);
        break;
      }
      case "act": {
        const names = [agencies.get(input.actor), tasks.get(input.task), actions.get(input.action)];
        if (names.includes(undefined)) throw new Error("nhật ký có chỉ số mà trang không biết tên");
        const [actor, task, action] = names;
        instance.act({
          at: isoOf(input.at),
          actor,
          task,
          action,
          ...(input.note != null ? { note: input.note } : {}),
          ...(input.until != null ? { until: isoOf(input.until) } : {}),
        });
        break;
      }
      case "advance":
        instance.advance(isoOf(input.to));
        break;
      default:
        throw new Error(`nhật ký có bước «${input.input}» mà trang không phát lại`);
    }
  }
  return instance;
}

const canonical = (value) => JSON.stringify(value, (_, v) => (v === undefined ? null : v));

function showVerification(instanceId) {
  const node = $(`verify-${instanceId}`);
  const result = verifiedText.get(instanceId);
  if (!node || !result) return;
  node.dataset.result = result.state;
  node.dataset.version = result.version;
  node.dataset.workflow = result.workflow;
  if (result.stateHash) node.dataset.stateHash = result.stateHash;
  node.textContent = result.text;
}

/** Replays `journal` with the host's workflow in WebAssembly; compares with `view`. */
function compare(workflow, info, view, journal) {
  try {
    const instance = replay(workflow, info, journal);
    const stateHash = instance.stateHash();
    const same = workflow.contentHash === view.workflow && stateHash === view.state_hash
      && canonical(instance.status()) === canonical(view.tasks) && instance.now() === view.now;
    instance.free();
    return same
      ? { state: "match", stateHash, text: `· WebAssembly phát lại ${journal.length} bước nhật ký: khớp với máy chủ (trạng thái ${stateHash})` }
      : { state: "mismatch", stateHash, text: "· WebAssembly phát lại nhật ký: KHÁC máy chủ" };
  } catch (err) {
    return { state: "error", text: `· không phát lại được: ${err.message}` };
  }
}

/** Replays the instance's journal in WebAssembly and compares with the server's view. */
async function verify(instanceId) {
  const [view, journal] = await Promise.all([
    api("GET", `/v1/instances/${instanceId}`),
    api("GET", `/v1/instances/${instanceId}/journal`),
  ]);
  if (view.version !== journal.length) return; // moved between the two reads: next time
  if (verifiedText.get(instanceId)?.version === view.version) return;
  let result;
  try {
    const { workflow, info } = await workflowFor(view.workflow);
    result = compare(workflow, info, view, journal);
  } catch (err) {
    if (err instanceof NotTheHostsWorkflow) {
      result = { state: "mismatch", text: `· ${err.message}` };
    } else if (err instanceof ApiError && err.status === 404) {
      // An amended workflow (after a follow-up) is not stored on its own.
      result = { state: "unavailable", text: "· máy chủ không lưu riêng quy trình này để đối chiếu" };
    } else {
      throw err; // e.g. the host is restarting: checked again at the next refresh
    }
  }
  verifiedText.set(instanceId, { ...result, version: view.version, workflow: view.workflow });
  showVerification(instanceId);
}

// ------------------------------------------------------------------ start
async function main() {
  // `directrix serve` serves the page at `/` (the static demo server at /wasm/demo/, where
  // the page stays the in-browser demo); its /healthz confirms it.
  const atRoot = location.pathname === "/" || location.pathname === "/index.html";
  const health = atRoot
    ? await fetch("/healthz").then((res) => (res.ok ? res.json() : null)).catch(() => null)
    : null;
  if (health?.status !== "ok") {
    document.body.dataset.server = "none";
    return;
  }
  $("server-card").hidden = false;
  $("server-login").addEventListener("submit", (ev) => {
    ev.preventDefault();
    clearError();
    login($("server-token").value.trim()).catch((err) => {
      sessionStorage.removeItem(TOKEN_KEY);
      showError(err);
    });
  });
  $("server-logout").addEventListener("click", logout);
  $("server-error-close").addEventListener("click", clearError);
  const saved = sessionStorage.getItem(TOKEN_KEY);
  if (saved) {
    try {
      await login(saved);
      return;
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) sessionStorage.removeItem(TOKEN_KEY);
      showError(err);
    }
  }
  document.body.dataset.server = "logged-out";
}

main().catch(showError);
