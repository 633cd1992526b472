// `instance.act({ at, actor, task, action })` without strings crossing the boundary per
// event. The generated `act` hands the request object to the module, which reads four
// strings out of it, parses the time and builds the effect records string by string: a
// profile of the peer benchmark shows most of its time in those string crossings. Here
// the names and the time are resolved to numbers once per workflow and kept in Maps, one
// call crosses with numbers only (`__actPacked`), and the effects come back as numbers
// (wasm/src/lib.rs, `pack`) that become the same records through cached names.
//
// Anything out of the ordinary (not a plain request, `note` or `until`, a name or time
// the module does not know, a task named through its actor) goes to the generated `act`
// unchanged, so its checks and its error messages stay the only ones.

// Positions in a packed effect: the FIELD_* constants of wasm/src/lib.rs.
const AT = 0, KIND = 1, TASK = 2, AGENCY = 3, ACTION = 4, MACHINE = 5, FROM = 6, TO = 7;
const LEVEL = 8, LEAD = 9, DUE = 10, ON_TIME = 11, UNTIL = 12, WIDTH = 13;

// A portal acts at a handful of distinct times per page; a bound keeps a long-running
// process that acts at ever new times from growing the time caches without end.
const TIME_CACHE_LIMIT = 4096;

/** The names and times of one workflow (keyed by its content hash), both ways. */
class Names {
  constructor() {
    // Name → index: dictionaries without a prototype rather than Maps, which a profile
    // of 20,000 task names shows slower to look up in V8.
    this.agencies = Object.create(null);
    this.tasks = Object.create(null);
    this.actions = Object.create(null);
    this.seconds = new Map(); // request time text → epoch seconds
    // The last time acted at, both ways: a portal acts at one time after another.
    this.lastAt = "";
    this.lastSeconds = NaN;
    this.lastText = "";
    this.agencyNames = [];
    this.taskNames = [];
    this.actionNames = [];
    this.stateNames = []; // per machine, per state
    this.times = new Map(); // epoch seconds → RFC 3339 at the workflow's offset
  }
}

function cachedTime(map, key, value) {
  if (map.size >= TIME_CACHE_LIMIT) map.clear();
  map.set(key, value);
  return value;
}

/** Replaces `Instance.prototype.act` of one module's bindings; `memoryOf` is their
 * `__memory`, called once the module is initialised. */
export function fastAct(Instance, memoryOf) {
  const slowAct = Instance.prototype.act;
  // Content hash → Names. The hash covers every id (agencies, tasks, actions, states) and
  // the calendar, so two workflows with one hash give every name and time one number;
  // a portal loads a handful of workflows, so the Map stays small.
  const byWorkflow = new Map();
  const kinds = []; // kind numbers are per module (`KINDS` in wasm/src/lib.rs)
  let memory;
  let view = new Float64Array(0);

  // A view of the module's memory; a new one once the memory grew (which detaches the
  // old buffer and empties its views), so after every call that may allocate in the module.
  function fresh() {
    if (view.length === 0) view = new Float64Array((memory ??= memoryOf()).buffer);
  }

  function namesOf(instance) {
    let names = instance.__directrixNames;
    if (names === undefined) {
      const key = instance.__workflowKey();
      names = byWorkflow.get(key);
      if (names === undefined) byWorkflow.set(key, (names = new Names()));
      instance.__directrixNames = names;
    }
    return names;
  }

  // A name → its index, asking the module once; `undefined` when it names nothing.
  function resolve(instance, dictionary, what, text) {
    const number = instance.__resolve(what, text);
    if (Number.isNaN(number)) return undefined;
    dictionary[text] = number;
    return number;
  }

  // A request's time → epoch seconds, asking the module once.
  function seconds(instance, names, at) {
    if (at === names.lastAt) return names.lastSeconds;
    let number = names.seconds.get(at);
    if (number === undefined) {
      number = instance.__resolve(AT, at);
      if (Number.isNaN(number)) return undefined;
      cachedTime(names.seconds, at, number);
    }
    names.lastAt = at;
    names.lastSeconds = number;
    names.lastText = "";
    return number;
  }

  // The text of a packed number, asking the module (about effect `position`) once.
  function name(instance, cache, index, field, position) {
    const text = instance.__name(field, position);
    fresh();
    cache[index] = text;
    return text;
  }

  function agencyText(instance, names, number, field, position) {
    if (number === -1) return "";
    if (number === -2) return "system";
    return names.agencyNames[number] ?? name(instance, names.agencyNames, number, field, position);
  }

  function timeText(instance, names, seconds, field, position) {
    if (seconds === names.lastSeconds && names.lastText !== "") return names.lastText;
    let text = names.times.get(seconds);
    if (text === undefined) {
      text = cachedTime(names.times, seconds, instance.__name(field, position));
      fresh();
    }
    if (seconds === names.lastSeconds) names.lastText = text;
    return text;
  }

  function stateText(instance, names, machine, state, field, position) {
    const states = names.stateNames[machine] ?? (names.stateNames[machine] = []);
    return states[state] ?? name(instance, states, state, field, position);
  }

  // The records of the effects packed at byte address `pointer`: the fields and their
  // order of `EffectRecord`, optional ones only when present.
  function records(instance, names, pointer) {
    fresh();
    let i = pointer / 8;
    const count = view[i++];
    const effects = new Array(count);
    for (let position = 0; position < count; position++, i += WIDTH) {
      const at = timeText(instance, names, view[i + AT], AT, position);
      const kind = kinds[view[i + KIND]] ?? name(instance, kinds, view[i + KIND], KIND, position);
      const task = names.taskNames[view[i + TASK]] ?? name(instance, names.taskNames, view[i + TASK], TASK, position);
      const agency = agencyText(instance, names, view[i + AGENCY], AGENCY, position);
      const action = view[i + ACTION];
      let effect;
      if (action === -1) {
        effect = { at, kind, task, agency };
      } else {
        // A transition, the most common effect: one literal with all its fields rather
        // than fields added one by one (each addition a new hidden class).
        const machine = view[i + MACHINE];
        effect = {
          at,
          kind,
          task,
          agency,
          action: names.actionNames[action] ?? name(instance, names.actionNames, action, ACTION, position),
          from: stateText(instance, names, machine, view[i + FROM], FROM, position),
          to: stateText(instance, names, machine, view[i + TO], TO, position),
        };
      }
      const level = view[i + LEVEL];
      if (level !== -1) effect.level = level;
      const lead = view[i + LEAD];
      if (lead !== -3) effect.lead = agencyText(instance, names, lead, LEAD, position);
      const due = view[i + DUE];
      if (due === due) effect.due = timeText(instance, names, due, DUE, position);
      const onTime = view[i + ON_TIME];
      if (onTime !== -1) effect.on_time = onTime === 1;
      const until = view[i + UNTIL];
      if (until === until) effect.until = timeText(instance, names, until, UNTIL, position);
      effects[position] = effect;
    }
    return effects;
  }

  Instance.prototype.act = function act(request) {
    if (typeof request !== "object" || request === null) return slowAct.call(this, request);
    const { at, actor, task, action } = request;
    if (typeof at !== "string" || typeof actor !== "string" || typeof task !== "string" || typeof action !== "string") {
      return slowAct.call(this, request);
    }
    // Own or inherited, any other key (`note`, `until`, a misspelling, an array's
    // indices) is the generated `act`'s to accept or refuse.
    for (const key in request) {
      if (key !== "at" && key !== "actor" && key !== "task" && key !== "action") return slowAct.call(this, request);
    }
    const names = namesOf(this);
    const time = seconds(this, names, at);
    const agency = names.agencies[actor] ?? resolve(this, names.agencies, AGENCY, actor);
    const slot = names.tasks[task] ?? resolve(this, names.tasks, TASK, task);
    const verb = names.actions[action] ?? resolve(this, names.actions, ACTION, action);
    if (time === undefined || agency === undefined || slot === undefined || verb === undefined) {
      return slowAct.call(this, request);
    }
    const pointer = this.__actPacked(time, agency, slot, verb);
    // Refused (nothing changed): the generated `act` refuses it the same way, with its error.
    if (pointer === 0) return slowAct.call(this, request);
    return records(this, names, pointer);
  };
}
