// Demo portal of the directrix WebAssembly package. Framework-free.
// It starts as a portal does: the small runtime module runs the seed directive, compiled
// ahead of time (by wasm/build), with its display data (`inspect()`) shipped beside it.
// The full module (RON parsing and diagnostics) is imported only when someone loads RON.
import init, { Workflow, DirectrixError } from "../pkg/runtime/index.js";

const SEED_URL = "../../workflows/kien-xuong-114-cv-hu.ron";
const SEED_COMPILED_URL = "../pkg/demo/kien-xuong-114-cv-hu.dxw";
const SEED_INSPECTION_URL = "../pkg/demo/kien-xuong-114-cv-hu.inspect.json";
const HOUR = 3600_000;
const DAY = 24 * HOUR;
const DUE_SOON = 3 * DAY;
const LINE_HEIGHT = 20; // px, must match .editor textarea/gutter in style.css
const ESCALATION_KINDS = new Set([
  "overdue", "reminded", "warned", "escalated", "reassigned",
  "extension_requested", "extension_approved", "extension_refused", "returned",
]);
// What to ask for the note of actions that must say why (inbox entries' `needs_note`).
const NOTE_PROMPTS = {
  return: "Lý do trả lại / nội dung cần làm lại:",
  request_extension: "Lý do xin gia hạn:",
  refuse_extension: "Lý do không đồng ý gia hạn:",
};

// ------------------------------------------------------------------ Vietnamese labels
const STATE_VI = {
  assigned: "Đã giao",
  acknowledged: "Đã tiếp nhận",
  in_progress: "Đang thực hiện",
  reported: "Đã báo cáo, chờ duyệt",
  returned: "Bị trả lại",
  accepted: "Hoàn thành",
  cancelled: "Đã hủy",
  reporting: "Đang báo cáo định kỳ",
  closed: "Đã kết thúc",
};
const PHASE_VI = { waiting: "Chưa đến thời điểm bắt đầu", blocked: "Chờ nhiệm vụ liên quan" };
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
const URGENCY_VI = { Normal: "Thường", Urgent: "Khẩn", VeryUrgent: "Thượng khẩn", Flash: "Hỏa tốc" };
const AGENCY_KIND_VI = {
  Party: "Khối Đảng",
  State: "Khối chính quyền",
  Committee: "Ban chỉ đạo",
  Service: "Đơn vị sự nghiệp",
  Force: "Lực lượng vũ trang",
  Mass: "Mặt trận Tổ quốc, đoàn thể",
};
const WEEKDAY_VI = ["Chủ nhật", "Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy"];
const REASON_VI = { start: "bắt đầu", due: "đến hạn", escalation: "đôn đốc", timed: "hẹn giờ" };

// ------------------------------------------------------------------ state
const state = {
  workflow: null,
  instance: null,
  info: null, // workflow.inspect()
  offsetMin: 420,
  agencies: new Map(), // id -> InspectedAgency
  tasks: new Map(), // id -> InspectedTask
  journal: [], // every effect, oldest first
  agency: null,
  graphView: "tasks",
  graphSeq: 0,
};

const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
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

// ------------------------------------------------------------------ time
function parseOffset(text) {
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(text ?? "");
  if (!m) return 0;
  return (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
}
function offsetText(min) {
  const sign = min < 0 ? "-" : "+";
  const a = Math.abs(min);
  return `${sign}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
}
const pad = (n) => String(n).padStart(2, "0");

/** Local wall-clock parts of an instant at the workflow's offset. */
function localParts(ms) {
  const d = new Date(ms + state.offsetMin * 60_000);
  return {
    y: d.getUTCFullYear(), mo: d.getUTCMonth() + 1, d: d.getUTCDate(),
    h: d.getUTCHours(), mi: d.getUTCMinutes(), s: d.getUTCSeconds(), wd: d.getUTCDay(),
  };
}
/** RFC 3339 at the workflow's offset, e.g. 2021-05-08T08:00:00+07:00. */
function toIso(ms) {
  const p = localParts(ms);
  return `${p.y}-${pad(p.mo)}-${pad(p.d)}T${pad(p.h)}:${pad(p.mi)}:${pad(p.s)}${offsetText(state.offsetMin)}`;
}
/** dd/mm/yyyy HH:MM at the workflow's offset. */
function fmt(iso) {
  if (!iso) return "—";
  const p = localParts(Date.parse(iso));
  return `${pad(p.d)}/${pad(p.mo)}/${p.y} ${pad(p.h)}:${pad(p.mi)}`;
}
function fmtLong(iso) {
  const p = localParts(Date.parse(iso));
  return `${pad(p.h)}:${pad(p.mi)}, ${WEEKDAY_VI[p.wd]} ${pad(p.d)}/${pad(p.mo)}/${p.y}`;
}
function fmtDate(isoOrDate) {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(isoOrDate ?? "");
  return m ? `${m[3]}/${m[2]}/${m[1]}` : isoOrDate ?? "—";
}
function fmtSpan(ms, overdue = false) {
  if (overdue && ms >= 0) return "đã quá hạn";
  if (ms === 0) return "đến hạn";
  const neg = ms < 0;
  let a = Math.abs(ms);
  const d = Math.floor(a / DAY);
  a -= d * DAY;
  const h = Math.floor(a / HOUR);
  const m = Math.round((a - h * HOUR) / 60_000);
  const txt = d > 0 ? `${d} ngày ${h} giờ` : h > 0 ? `${h} giờ ${m} phút` : `${m} phút`;
  return neg ? `quá ${txt}` : `còn ${txt}`;
}

// ------------------------------------------------------------------ names
const agencyName = (id) => state.agencies.get(id)?.name ?? id;
const baseTask = (name) => name.replace(/\[.*$/, "");
const memberOf = (name) => /\[(.*)\]$/.exec(name)?.[1];
const taskTitle = (name) => state.tasks.get(baseTask(name))?.title ?? name;
const actionLabel = (a) => ACTION_VI[a] ?? a;
const stateLabel = (s) => STATE_VI[s] ?? s;

// ------------------------------------------------------------------ alerts
function showError(err) {
  const box = $("error-box");
  const code = err instanceof DirectrixError || err?.code ? err.code : "error";
  $("error-code").textContent = code;
  $("error-message").textContent = err?.message ?? String(err);
  box.hidden = false;
}
function clearError() {
  $("error-box").hidden = true;
}
let noticeTimer;
function notice(text) {
  const box = $("notice-box");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => (box.hidden = true), 6000);
}

// ------------------------------------------------------------------ editor
const editor = {
  area: () => $("ron-input"),
  diagLines: new Set(),
  markLine: null,
};

function renderGutter() {
  const lines = editor.area().value.split("\n").length;
  const gutter = $("gutter");
  gutter.replaceChildren();
  for (let i = 1; i <= lines; i++) {
    gutter.append(el("span", { class: editor.diagLines.has(i) ? "gl err" : "gl" }, String(i)), "\n");
  }
  syncScroll();
}
function syncScroll() {
  const area = editor.area();
  $("gutter").scrollTop = area.scrollTop;
  const mark = $("line-mark");
  if (editor.markLine == null) {
    mark.hidden = true;
    return;
  }
  mark.hidden = false;
  mark.style.top = `${8 + (editor.markLine - 1) * LINE_HEIGHT - area.scrollTop}px`;
}
function showEditor(open = true) {
  $("editor-panel").hidden = !open;
  $("toggle-editor").setAttribute("aria-expanded", String(open));
  $("toggle-editor").textContent = open ? "Ẩn nội dung RON" : "Soạn / dán nội dung RON";
  if (open) renderGutter();
}
/** Moves the caret to line:column and scrolls it into view. */
function goTo(line, column) {
  showEditor(true);
  const area = editor.area();
  const lines = area.value.split("\n");
  let offset = 0;
  for (let i = 0; i < line - 1 && i < lines.length; i++) offset += lines[i].length + 1;
  offset += Math.max(0, column - 1);
  editor.markLine = line;
  area.focus({ preventScroll: true });
  area.setSelectionRange(offset, offset);
  area.scrollTop = Math.max(0, (line - 6) * LINE_HEIGHT);
  syncScroll();
  area.closest(".editor").scrollIntoView({ block: "nearest", behavior: "smooth" });
}

function renderDiagnostics(diags, failed) {
  const box = $("diagnostics");
  box.replaceChildren();
  editor.diagLines = new Set(diags.filter((d) => d.severity === "error" && d.location).map((d) => d.location.line));
  const firstError = diags.find((d) => d.severity === "error" && d.location);
  editor.markLine = firstError ? firstError.location.line : null;
  if (!diags.length) {
    box.hidden = true;
    renderGutter();
    return;
  }
  const errors = diags.filter((d) => d.severity === "error").length;
  const warnings = diags.length - errors;
  box.className = `diagnostics ${failed ? "failed" : "ok"}`;
  box.append(
    el("div", { class: "diag-head" },
      el("strong", {}, failed ? "Văn bản chưa được nạp: nội dung quy trình có lỗi" : "Đã nạp, có lưu ý"),
      el("span", { class: "diag-count" },
        errors ? `${errors} lỗi` : null, errors && warnings ? " · " : null, warnings ? `${warnings} cảnh báo` : null)),
  );
  const lines = editor.area().value.split("\n");
  const list = el("ol", { class: "diag-list" });
  for (const d of diags) {
    const loc = d.location ? `${d.location.line}:${d.location.column}` : "—";
    const item = el("li", { class: `diag ${d.severity}`, dataset: { code: d.code } },
      el("button", {
        type: "button", class: "diag-loc", title: "Đến vị trí này",
        disabled: !d.location,
        onclick: () => d.location && goTo(d.location.line, d.location.column),
      }, loc),
      el("span", { class: `sev sev-${d.severity}` }, d.severity === "error" ? "Lỗi" : "Cảnh báo"),
      el("code", { class: "diag-code" }, d.code),
      el("span", { class: "diag-msg" }, d.message),
    );
    if (d.hint) item.append(el("div", { class: "diag-hint" }, "Gợi ý: ", d.hint));
    if (d.location && lines[d.location.line - 1] != null) {
      const src = lines[d.location.line - 1];
      const col = Math.max(1, d.location.column);
      const caret = " ".repeat(col - 1) + "^";
      item.append(el("pre", { class: "diag-src" },
        el("span", { class: "diag-ln" }, String(d.location.line).padStart(4, " ") + " │ "), src, "\n",
        el("span", { class: "diag-ln" }, "     │ "), el("span", { class: "caret" }, caret)));
    }
    list.append(item);
  }
  box.append(list);
  box.hidden = false;
  renderGutter();
}

// ------------------------------------------------------------------ loading
let fullModule;
/** The full (authoring) module, imported and initialised on first use. */
function authoring() {
  fullModule ??= import("../pkg/index.js").then(async (module) => {
    await module.default();
    return module;
  });
  return fullModule;
}

async function loadText(text) {
  clearError();
  editor.area().value = text;
  let workflow;
  try {
    const { Workflow: FullWorkflow } = await authoring();
    workflow = FullWorkflow.parse(text);
  } catch (err) {
    if (err instanceof DirectrixError && err.diagnostics) {
      showEditor(true);
      renderDiagnostics(err.diagnostics, true);
      const first = err.diagnostics.find((d) => d.severity === "error" && d.location);
      if (first) goTo(first.location.line, first.location.column);
      $("diagnostics").scrollIntoView({ block: "start", behavior: "smooth" });
    } else {
      showError(err);
    }
    return false;
  }
  adopt(workflow, workflow.inspect(), workflow.warnings);
  return true;
}

/** Starts tracking `workflow` (of either module), described by `info` (`inspect()`). */
function adopt(workflow, info, warnings) {
  state.instance?.free();
  state.workflow?.free();
  state.workflow = workflow;
  state.info = info;
  state.offsetMin = parseOffset(state.info.calendar.utc_offset);
  state.agencies = new Map(state.info.agencies.map((a) => [a.id, a]));
  state.tasks = new Map(state.info.tasks.map((t) => [t.id, t]));
  const started = workflow.start();
  state.journal = [...started.effects];
  state.instance = started.instance;
  renderDiagnostics(warnings, false);
  setupWorkspace();
  notice(`Đã nạp ${state.info.directive.kind} số ${state.info.directive.number}; bắt đầu theo dõi từ ${fmtLong(state.instance.now())}.`);
}

async function fetchOk(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`không tải được văn bản mẫu (HTTP ${res.status})`);
  return res;
}

/** The fast path: the compiled seed in the runtime module; no RON is parsed. */
async function loadSeed() {
  try {
    clearError();
    const [bytes, info] = await Promise.all([
      fetchOk(SEED_COMPILED_URL).then((res) => res.arrayBuffer()),
      fetchOk(SEED_INSPECTION_URL).then((res) => res.json()),
    ]);
    adopt(Workflow.fromCompiled(bytes), info, []);
  } catch (err) {
    showError(err);
  }
}

/** Opens the editor; empty, it starts from the seed's RON text. */
async function openEditor() {
  const open = $("editor-panel").hidden;
  showEditor(open);
  if (open && !editor.area().value) {
    try {
      const text = await (await fetchOk(SEED_URL)).text();
      if (!editor.area().value) editor.area().value = text; // unless typed meanwhile
      renderGutter();
    } catch (err) {
      showError(err);
    }
  }
}

// ------------------------------------------------------------------ workspace
function setupWorkspace() {
  const { directive } = state.info;
  document.title = `${directive.number} — Theo dõi thực hiện văn bản chỉ đạo`;
  $("band-kicker").textContent = `${agencyName(directive.issuer)}`;
  $("band-title").textContent = `${directive.kind} số ${directive.number}`;
  $("band-subject").textContent = directive.subject;
  $("band-badges").replaceChildren(
    directive.urgency !== "Normal" ? el("span", { class: "stamp" }, URGENCY_VI[directive.urgency] ?? directive.urgency) : null,
    el("span", { class: "band-date" }, `${directive.place ? directive.place + ", " : ""}ngày ${fmtDate(directive.issued_at)}`),
  );

  renderDirective();

  // Agency select, grouped by kind, in file order.
  const select = $("agency-select");
  select.replaceChildren();
  const groups = new Map();
  for (const a of state.info.agencies) {
    if (!groups.has(a.kind)) groups.set(a.kind, el("optgroup", { label: AGENCY_KIND_VI[a.kind] ?? a.kind }));
    groups.get(a.kind).append(el("option", { value: a.id }, a.name));
  }
  select.append(...groups.values());
  const keep = state.agency && state.agencies.has(state.agency) ? state.agency : directive.issuer;
  select.value = keep;
  state.agency = select.value;

  $("workspace").hidden = false;
  $("graph").dataset.source = "";
  refresh();
  if (state.graphView !== "tasks") renderGraph();
}

function renderDirective() {
  const { directive, documents } = state.info;
  const signer = directive.signer
    ? `${directive.signer.prefix} ${directive.signer.on_behalf_of} — ${directive.signer.title} ${directive.signer.name}`
    : null;
  const rows = [
    ["Số, ký hiệu", directive.number],
    ["Loại văn bản", directive.kind + (directive.kind_gloss ? ` (${directive.kind_gloss})` : "")],
    ["Trích yếu", directive.subject],
    ["Cơ quan ban hành", agencyName(directive.issuer)],
    ["Người ký", signer],
    ["Thời điểm ban hành", `${fmtLong(directive.issued_at)}${directive.place ? ` tại ${directive.place}` : ""}`],
    ["Độ khẩn", URGENCY_VI[directive.urgency] ?? directive.urgency],
    ["Nơi nhận", `${directive.addressees.length} cơ quan, đơn vị`],
  ];
  const dl = $("directive-meta");
  dl.replaceChildren();
  for (const [k, v] of rows) {
    if (!v) continue;
    dl.append(el("dt", {}, k), el("dd", { class: k === "Độ khẩn" ? "urgency" : null }, v));
  }

  // Implements chain: walk from this directive up through the documents it implements.
  const byNumber = new Map(documents.map((d) => [d.number, d]));
  const chain = $("implements-chain");
  chain.replaceChildren();
  const seen = new Set();
  const walk = (numbers, depth) => {
    for (const n of numbers) {
      if (seen.has(n)) continue;
      seen.add(n);
      const doc = byNumber.get(n);
      chain.append(el("li", { class: "chain-item", style: `--depth:${depth}` },
        el("div", { class: "chain-num" }, doc ? `${doc.kind} số ${n}` : n),
        doc ? el("div", { class: "chain-meta" }, `${doc.issuer} · ngày ${fmtDate(doc.issued_on)}`) : null,
        doc?.subject ? el("div", { class: "chain-subject" }, doc.subject) : doc?.gloss ? el("div", { class: "chain-subject gloss" }, doc.gloss) : null,
      ));
      if (doc) walk(doc.implements, depth + 1);
    }
  };
  walk(directive.implements, 0);
  if (!chain.children.length) chain.append(el("li", { class: "empty" }, "Không ghi căn cứ."));
}

/** Re-renders everything that depends on the instance. */
function refresh() {
  const inst = state.instance;
  const now = inst.now();
  $("clock").textContent = fmtLong(now);
  const next = inst.nextTimer();
  $("next-timer").textContent = next
    ? `Mốc tiếp theo: ${fmt(next.at)} — ${REASON_VI[next.reason] ?? next.reason} «${next.task}»${next.level ? ` (mức ${next.level})` : ""}`
    : "Không còn mốc hẹn giờ nào.";
  $("advance-next").disabled = !next;
  const statuses = inst.status();
  renderStats(statuses, now);
  renderInbox();
  renderTasks(statuses, now);
  renderLog();
  if (state.graphView === "tasks") renderGraph(statuses);
}

function deadlineClass(s, nowMs) {
  if (s.finished_at) return "done";
  if (s.overdue) return "overdue";
  if (s.due && Date.parse(s.due) - nowMs <= DUE_SOON) return "due-soon";
  return "in-time";
}

function renderStats(statuses, now) {
  const nowMs = Date.parse(now);
  const count = { done: 0, overdue: 0, "due-soon": 0, "in-time": 0 };
  for (const s of statuses) count[deadlineClass(s, nowMs)]++;
  const escalations = state.journal.filter((e) => e.kind === "escalated" || e.kind === "reassigned").length;
  const stat = (cls, value, label) =>
    el("div", { class: `stat stat-${cls}` }, el("div", { class: "stat-value" }, String(value)), el("div", { class: "stat-label" }, label));
  $("stats").replaceChildren(
    stat("total", statuses.length, "Nhiệm vụ"),
    stat("done", count.done, "Hoàn thành"),
    stat("overdue", count.overdue, "Quá hạn"),
    stat("due-soon", count["due-soon"], "Sắp đến hạn"),
    stat("escalated", escalations, "Lượt chuyển cấp trên"),
  );
}

function renderInbox() {
  const inbox = state.instance.inbox(state.agency);
  $("inbox-agency").textContent = agencyName(state.agency);
  const byTask = new Map();
  for (const entry of inbox) {
    if (!byTask.has(entry.task)) byTask.set(entry.task, { title: entry.title, entries: [] });
    byTask.get(entry.task).entries.push(entry);
  }
  $("inbox-count").textContent = byTask.size ? String(byTask.size) : "";
  const box = $("inbox");
  box.replaceChildren();
  if (!byTask.size) {
    box.append(el("p", { class: "empty" }, "Đơn vị không có việc cần xử lý tại thời điểm này."));
    return;
  }
  const statusByTask = new Map(state.instance.status().map((s) => [s.task, s]));
  for (const [task, { title, entries }] of byTask) {
    const s = statusByTask.get(task);
    const member = memberOf(task);
    box.append(el("div", { class: "inbox-item", dataset: { task } },
      el("div", { class: "inbox-title", title }, title),
      el("div", { class: "inbox-meta" },
        el("code", {}, task),
        member ? ` · ${agencyName(member)}` : null,
        s ? ` · ${stateLabel(s.state)}` : null,
        s?.due ? ` · hạn ${fmt(s.due)}` : null),
      el("div", { class: "btn-row" },
        entries.map((e) => el("button", {
          type: "button",
          class: `btn btn-small ${["cancel", "return"].includes(e.action) ? "btn-danger" : "btn-action"}`,
          dataset: { action: e.action, task: e.task },
          title: `${e.action} → ${stateLabel(e.to)}`,
          onclick: () => act(e),
        }, actionLabel(e.action))))));
  }
}

function renderTasks(statuses, now) {
  const nowMs = Date.parse(now);
  const tbody = $("task-table").tBodies[0];
  tbody.replaceChildren();
  statuses.forEach((s, i) => {
    const cls = deadlineClass(s, nowMs);
    const member = memberOf(s.task);
    const task = state.tasks.get(baseTask(s.task));
    let stateText = stateLabel(s.state);
    if (s.phase !== "running" && !s.finished_at) stateText = PHASE_VI[s.phase] ?? s.phase;
    const dueNote = s.finished_at
      ? `xong ${fmt(s.finished_at)}${s.on_time === false ? " (muộn)" : ""}`
      : s.due ? fmtSpan(Date.parse(s.due) - nowMs, s.overdue) : "";
    tbody.append(el("tr", { class: `row-${cls}`, dataset: { deadline: cls, task: s.task } },
      el("td", { class: "col-no" }, String(i + 1)),
      el("td", { class: "col-task" },
        el("div", { class: "task-title", title: task?.gloss ?? "" }, taskTitle(s.task)),
        el("div", { class: "task-id" }, el("code", {}, s.task), task?.critical ? el("span", { class: "tag-critical", title: "Thuộc đường găng (critical path)" }, "đường găng") : null)),
      el("td", { class: "col-leads" }, s.leads.map((l) => el("div", {}, agencyName(l))), member && !s.leads.includes(member) ? el("div", {}, agencyName(member)) : null),
      el("td", { class: "col-state" }, el("span", { class: `state state-${cls}` }, stateText)),
      el("td", { class: "col-due" }, el("div", {}, fmt(s.due)), dueNote ? el("div", { class: "due-note" }, dueNote) : null),
      el("td", { class: "col-level" }, s.level > 0 ? el("span", { class: "level", title: `Mức đôn đốc cao nhất đã kích hoạt: ${s.level}` }, `Mức ${s.level}`) : "—"),
    ));
  });
}

function renderLog() {
  const log = $("escalation-log");
  log.replaceChildren();
  const items = state.journal.filter((e) => ESCALATION_KINDS.has(e.kind));
  if (!items.length) {
    log.append(el("li", { class: "empty" }, "Chưa có việc quá hạn hay đôn đốc nào."));
    return;
  }
  for (let i = items.length - 1; i >= 0; i--) {
    const e = items[i];
    log.append(el("li", { class: `log-item log-${e.kind}`, dataset: { kind: e.kind, task: e.task } },
      el("div", { class: "log-time" }, fmt(e.at)),
      el("div", { class: "log-body" },
        el("div", { class: "log-line" },
          el("span", { class: `kind kind-${e.kind}` }, KIND_VI[e.kind] ?? e.kind),
          el("span", { class: "kind-code" }, e.kind),
          e.level != null ? el("span", { class: "log-level" }, `mức ${e.level}`) : null),
        el("div", { class: "log-target" }, "→ ", agencyName(e.agency)),
        el("div", { class: "log-task" }, el("code", {}, e.task), " ", taskTitle(e.task)),
      )));
  }
}

// ------------------------------------------------------------------ actions
function run(fn) {
  try {
    clearError();
    const effects = fn();
    if (effects?.length) state.journal.push(...effects);
    return effects;
  } catch (err) {
    showError(err);
    return null;
  } finally {
    if (state.instance) refresh();
  }
}

function act({ task, action, needs_note, needs_until }) {
  const request = { at: state.instance.now(), actor: state.agency, task, action };
  if (needs_note) {
    const note = window.prompt(NOTE_PROMPTS[action] ?? "Ghi chú / lý do:");
    if (note === null) return;
    request.note = note;
  }
  if (needs_until) {
    const due = state.instance.status().find((s) => s.task === task)?.due;
    const proposed = toIso(Date.parse(due ?? state.instance.now()) + 3 * 86_400_000);
    const until = window.prompt("Đề nghị hạn mới (ISO 8601):", proposed);
    if (until === null) return;
    request.until = until;
  }
  const effects = run(() => state.instance.act(request));
  if (effects) notice(`${agencyName(state.agency)}: «${actionLabel(action)}» nhiệm vụ ${task} lúc ${fmt(state.instance.now())}.`);
}

function advanceBy(ms) {
  const to = toIso(Date.parse(state.instance.now()) + ms);
  advanceTo(to);
}
function advanceTo(iso) {
  const effects = run(() => state.instance.advance(iso));
  if (effects) {
    const n = effects.filter((e) => ESCALATION_KINDS.has(e.kind)).length;
    notice(`Đã chuyển đến ${fmtLong(state.instance.now())}${n ? ` — ${n} sự kiện đôn đốc mới` : ""}.`);
  }
}

// ------------------------------------------------------------------ graph
const RANK = { overdue: 3, "due-soon": 2, "in-time": 1, done: 0 };
const GRAPH_STYLE = {
  done: "fill:#e7f4ec,color:#14532d",
  overdue: "fill:#fdecea,color:#7a1414",
  "due-soon": "fill:#fdf3dc,color:#5e3d00",
  "in-time": "fill:#f4f6fa,color:#1d2733",
};

/** Adds one class per task node of the tasks graph: its worst deadline state. */
function colourTaskGraph(text, statuses) {
  const nowMs = Date.parse(state.instance.now());
  const worst = new Map();
  for (const s of statuses) {
    const id = baseTask(s.task);
    const cls = deadlineClass(s, nowMs);
    if (!worst.has(id) || RANK[cls] > RANK[worst.get(id)]) worst.set(id, cls);
  }
  const byClass = new Map();
  for (const m of text.matchAll(/^\s*(\w+)\["([^"<]+)<br/gm)) {
    const cls = worst.get(m[2]);
    if (!cls) continue;
    if (!byClass.has(cls)) byClass.set(cls, []);
    byClass.get(cls).push(m[1]);
  }
  let extra = "";
  for (const [cls, nodes] of byClass) {
    const name = `st_${cls.replace("-", "_")}`;
    extra += `\n  classDef ${name} ${GRAPH_STYLE[cls]}\n  class ${nodes.join(",")} ${name}`;
  }
  return text.trimEnd() + extra + "\n";
}

async function renderGraph(statuses) {
  const box = $("graph");
  if (!state.workflow) return;
  let text;
  try {
    text = state.workflow.graph("mermaid", state.graphView);
    if (state.graphView === "tasks" && state.instance) {
      text = colourTaskGraph(text, statuses ?? state.instance.status());
    }
  } catch (err) {
    showError(err);
    return;
  }
  if (box.dataset.source === text) return; // unchanged: keep the drawing
  box.dataset.source = text;
  if (!window.mermaid) {
    box.replaceChildren(el("pre", { class: "graph-src" }, text));
    return;
  }
  $("graph-legend").hidden = state.graphView !== "tasks";
  const id = `graph-svg-${++state.graphSeq}`;
  try {
    const { svg } = await window.mermaid.render(id, text);
    if (`graph-svg-${state.graphSeq}` !== id) return; // a newer render won
    box.innerHTML = svg;
    box.dataset.view = state.graphView;
  } catch (err) {
    document.getElementById(id)?.remove();
    box.replaceChildren(el("p", { class: "empty" }, `Không vẽ được sơ đồ: ${err?.message ?? err}`), el("pre", { class: "graph-src" }, text));
  }
}

// ------------------------------------------------------------------ boot
async function main() {
  window.mermaid?.initialize({
    startOnLoad: false,
    securityLevel: "strict",
    theme: "base",
    fontFamily: "inherit",
    themeVariables: {
      fontFamily: '"Segoe UI", Roboto, "Noto Sans", "Helvetica Neue", Arial, sans-serif',
      fontSize: "14px",
      primaryColor: "#f4f6fa",
      primaryBorderColor: "#6b7a90",
      primaryTextColor: "#1d2733",
      lineColor: "#6b7a90",
    },
    flowchart: { htmlLabels: true, curve: "basis", padding: 12, wrappingWidth: 260 },
  });

  $("load-seed").addEventListener("click", loadSeed);
  $("toggle-editor").addEventListener("click", openEditor);
  $("load-ron").addEventListener("click", () => loadText(editor.area().value));
  $("file-input").addEventListener("change", async (ev) => {
    const file = ev.target.files?.[0];
    if (!file) return;
    showEditor(true);
    loadText(await file.text());
    ev.target.value = "";
  });
  editor.area().addEventListener("input", () => {
    editor.markLine = null;
    renderGutter();
  });
  editor.area().addEventListener("scroll", syncScroll);
  $("error-close").addEventListener("click", clearError);
  $("agency-select").addEventListener("change", (ev) => {
    state.agency = ev.target.value;
    clearError();
    renderInbox();
  });
  $("advance-hour").addEventListener("click", () => advanceBy(HOUR));
  $("advance-day").addEventListener("click", () => advanceBy(DAY));
  $("advance-next").addEventListener("click", () => {
    const next = state.instance.nextTimer();
    if (next) advanceTo(next.at);
  });
  $("graph-view").addEventListener("change", (ev) => {
    state.graphView = ev.target.value;
    renderGraph();
  });

  await init();
  renderGutter();
  document.body.dataset.ready = "true";
}

main().catch((err) => {
  showError(err);
  document.body.dataset.ready = "error";
});
