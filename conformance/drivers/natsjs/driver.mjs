// drainsim conformance driver for nats.js v2 (npm "nats"), following
// docs/driver-protocol.md: read the plan, play it on the real library against
// the harness's nats-server, and write what was seen as NDJSON on stdout.
//
//   node driver.mjs <plan.json>
import { appendFileSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { connect, ErrorCode } from "nats";

const LIBRARY = "nats.js " + createRequire(import.meta.url)("nats/package.json").version;
const plan = JSON.parse(readFileSync(process.argv[2], "utf8"));
if (plan.protocol !== 1) fatal(`unsupported protocol ${plan.protocol}`);

// ---- clock and events ----------------------------------------------------
let t0 = process.hrtime.bigint();
const now = () => Number(process.hrtime.bigint() - t0);
// DRAINSIM_DRIVER_LOG=file keeps a copy of the events (for debugging).
const logFile = process.env.DRAINSIM_DRIVER_LOG;
function emit(ev) {
  const line = JSON.stringify(ev) + "\n";
  process.stdout.write(line);
  if (logFile) appendFileSync(logFile, line);
}
function fatal(error) {
  emit({ ev: "fatal", error: String(error) });
  process.exit(2);
}
const sleep = (ns) => new Promise((r) => setTimeout(r, Math.max(0, ns) / 1e6));
// lateNs is the most any timed wait (an action's time, a handler's
// duration) woke late, reported at the end (late_ns).
let lateNs = 0;
const late = (due) => { lateNs = Math.max(lateNs, now() - due); };
// busy holds the event loop for ns: a handler whose time is CPU work.
function busy(ns) {
  const end = now() + ns;
  while (now() < end) { /* spin */ }
}
// until waits for the monotonic time at (ns since start): a timer for the
// bulk, then setImmediate turns for the last millisecond.
async function until(at) {
  for (;;) {
    const left = at - now();
    if (left <= 0) return;
    if (left > 1.5e6) await sleep(left - 1e6);
    else await new Promise((r) => setImmediate(r));
  }
}

// ---- error names -----------------------------------------------------------
const names = {
  [ErrorCode.ConnectionClosed]: "ErrConnectionClosed",
  [ErrorCode.ConnectionDraining]: "ErrConnectionDraining",
  [ErrorCode.Timeout]: "ErrTimeout",
  [ErrorCode.NoResponders]: "ErrNoResponders",
  [ErrorCode.MaxPayloadExceeded]: "ErrMaxPayload",
  [ErrorCode.SubClosed]: "ErrBadSubscription",
};
function errName(err) {
  if (!err) return "ok";
  const code = err.code ?? err.message ?? String(err);
  return names[code] ?? "lib:" + code;
}
// attempt runs a synchronous API call and returns "ok" or its error name.
function attempt(fn) {
  try {
    fn();
    return "ok";
  } catch (err) {
    return errName(err);
  }
}
// judge calls then with the call's result once the microtasks queued by
// the call have run: the error of a promise the library rejected at once
// (refusing the call), or "ok" for one still pending. The caller goes on
// synchronously meanwhile, as an application that does not await would.
function judge(p, then) {
  let res = "ok";
  p.then(() => {}, (err) => { res = errName(err); });
  Promise.resolve().then(() => Promise.resolve()).then(() => then(res));
}

const payload = (key, size) => key + " ".repeat(size);
const keyOf = (msg) => new TextDecoder().decode(msg.data).split(" ")[0];
const keyCounter = new Map();
function nextKey(source) {
  const k = keyCounter.get(source) ?? 0;
  keyCounter.set(source, k + 1);
  return `${source}/${k}`;
}
function call(source, verb, client, sub, at, result, key = "", returned = now()) {
  emit({ ev: "call", source, verb, client, sub, at, returned, result, key: result === "ok" ? key : "" });
}

// ---- connections -------------------------------------------------------------
const conns = new Map(); // name -> {nc, status}
const subs = new Map(); // id -> {spec, sub, iter, pending, n, removed}
const specs = new Map(plan.subscriptions.map((s) => [s.id, s]));

async function open(c) {
  const opts = {
    servers: c.url,
    name: c.name,
    reconnect: c.reconnect,
    reconnectTimeWait: Math.round(c.reconnect_wait_ns / 1e6),
    reconnectJitter: Math.round((c.reconnect_jitter_ns ?? 0) / 1e6),
    maxReconnectAttempts: c.max_reconnect,
    // nats.js has no reconnect buffer limit and no pending limits, and no
    // option to suppress callbacks after close.
  };
  const nc = await connect(opts);
  const st = { name: c.name, nc, status: "", started: false };
  conns.set(c.name, st);
  (async () => {
    for await (const s of nc.status()) {
      if (!st.started) continue;
      switch (s.type) {
        case "disconnect":
          emit({ ev: "callback", client: c.name, kind: "disconnected", t: now() });
          break;
        case "reconnect":
          emit({ ev: "callback", client: c.name, kind: "reconnected", t: now() });
          break;
        case "error":
          emit({ ev: "callback", client: c.name, kind: "async_error", t: now(), error: errName(s.data) });
          break;
        default:
          emit({ ev: "log", msg: `${c.name} status ${s.type} ${JSON.stringify(s.data)}` });
      }
    }
  })();
  nc.closed().then((err) => {
    pollStatus(st);
    emit({ ev: "callback", client: c.name, kind: "closed", t: now() });
    if (err) emit({ ev: "log", msg: `${c.name} closed with ${err.message}` });
  });
  return st;
}

// nats.js has no status events: the driver polls isClosed/isDraining.
function pollStatus(st) {
  const s = st.nc.isClosed() ? "CLOSED" : st.nc.isDraining() ? "DRAINING" : "CONNECTED";
  if (s !== st.status) {
    st.status = s;
    if (st.started) emit({ ev: "status", client: st.name, status: s, t: now() });
  }
}
function pollAll() {
  for (const st of conns.values()) pollStatus(st);
  for (const [id, s] of subs) pollRemoved(id, s);
}

// ---- subscriptions -------------------------------------------------------------
// An iterator's `closed` promise resolves only once the iterator consumed
// the messages it held, so its removal is seen in the connection's table.
function pollRemoved(id, s) {
  if (s.removed || s.spec.type === "async") return;
  const nc = conns.get(s.spec.client).nc;
  if (!nc.protocol.subscriptions.get(s.sub.getID())) markRemoved(id, s);
}
function markRemoved(id, s) {
  if (s.removed) return;
  s.removed = true;
  emit({ ev: "sub_removed", sub: id, t: now() });
}

function subscribe(spec) {
  const nc = conns.get(spec.client).nc;
  const s = { spec, n: 0, removed: false, pending: null };
  const opts = {};
  if (spec.queue) opts.queue = spec.queue;
  if (spec.max > 0) opts.max = spec.max;
  if (spec.type === "async") {
    opts.callback = (err, msg) => {
      if (err) {
        emit({ ev: "log", msg: `${spec.id} callback error ${err.message}` });
        return;
      }
      handle(s, msg);
    };
  }
  s.sub = nc.subscribe(spec.subject, opts); // throws ConnectionDraining/Closed
  if (spec.type !== "async") s.iter = s.sub[Symbol.asyncIterator]();
  subs.set(spec.id, s);
  s.sub.closed.then(() => {
    if (spec.type === "async") markRemoved(spec.id, s);
  });
  return s;
}

// hold spends a handler's time: CPU work blocks the event loop.
async function hold(blocking, ns) {
  if (ns <= 0) return;
  const due = now() + ns;
  if (blocking) busy(ns);
  else await until(due);
  late(due);
}

async function handle(s, msg) {
  const spec = s.spec;
  const h = spec.handler;
  const n = ++s.n;
  const key = keyOf(msg);
  const src = `${spec.id}#${n}`;
  const nc = conns.get(spec.client).nc;
  emit({ ev: "deliver", sub: spec.id, key, t: now() });
  await hold(h.blocking, h.duration_ns);
  for (const a of h.actions) {
    if (a.nth > 0 && a.nth !== n) continue;
    const at = now();
    if (a.reply) {
      const k = nextKey(src);
      let res;
      try {
        // msg.respond() returns false when the message has no reply subject.
        res = msg.respond(payload(k, a.reply.size)) ? "ok" : "ErrMsgNoReply";
      } catch (err) {
        res = errName(err);
      }
      call(src, "reply", spec.client, spec.id, at, res, k);
    } else if (a.publish) {
      const p = a.publish;
      for (let i = 0; i < Math.max(p.count, 1); i++) {
        if (i > 0 && p.interval_ns > 0) await hold(false, p.interval_ns);
        const k = nextKey(src);
        const t = now();
        call(src, "publish", spec.client, spec.id, t, attempt(() => nc.publish(p.subject, payload(k, p.size), p.reply ? { reply: p.reply } : undefined)), k);
      }
    } else if (a.request) {
      const r = a.request;
      for (let i = 0; i < Math.max(r.count, 1); i++) {
        await doRequest(src, spec.client, spec.id, r);
        if (r.interval_ns > 0) await hold(false, r.interval_ns);
      }
    } else if (a.unsubscribe) {
      call(src, "unsubscribe", spec.client, spec.id, at, attempt(() => s.sub.unsubscribe()));
      pollRemoved(spec.id, s);
    } else if (a.drain_sub) {
      subDrain(spec.id, s, (res, ret) => call(src, "drain_sub", spec.client, spec.id, at, res, "", ret));
    } else if (a.subscribe) {
      const other = specs.get(a.subscribe.sub);
      call(src, "subscribe", other.client, spec.id, at, doSubscribe(other));
    } else if (a.drain) {
      connDrain(spec.client, (res, ret) => call(src, "drain", spec.client, spec.id, at, res, "", ret));
    } else if (a.sleep) {
      await hold(h.blocking, a.sleep.duration_ns);
    }
    pollAll();
  }
  emit({ ev: "handled", sub: spec.id, key, t: now() });
}

function doSubscribe(spec) {
  if (subs.has(spec.id)) return "lib:already subscribed";
  const res = attempt(() => subscribe(spec));
  if (res === "ok") emit({ ev: "subscribed", sub: spec.id, t: now() });
  return res;
}

async function doRequest(src, client, sub, r) {
  const nc = conns.get(client).nc;
  const k = nextKey(src);
  const at = now();
  let res = "ok";
  try {
    await nc.request(r.subject, payload(k, r.size), { timeout: Math.max(1, Math.round(r.timeout_ns / 1e6)) });
  } catch (err) {
    res = errName(err);
  }
  call(src, "request", client, sub, at, res, k);
}

// subDrain and connDrain start a drain and report the call to done (with
// the time it returned); a drain the library accepted reports its
// completion when its promise settles.
function subDrain(id, s, done) {
  const p = s.sub.drain();
  const returned = now();
  judge(p, (res) => {
    done(res, returned);
    if (res !== "ok") return;
    p.then(() => emit({ ev: "sub_drain_done", sub: id, t: now(), result: "ok" }),
      (err) => emit({ ev: "sub_drain_done", sub: id, t: now(), result: errName(err) }));
  });
}

function connDrain(client, done) {
  const p = conns.get(client).nc.drain();
  const returned = now();
  pollAll();
  judge(p, (res) => {
    done(res, returned);
    if (res !== "ok") return;
    p.then(() => emit({ ev: "drain_done", client, t: now(), result: "ok" }),
      (err) => emit({ ev: "drain_done", client, t: now(), result: errName(err) }));
  });
}

async function nextMsg(src, a) {
  const s = subs.get(a.sub);
  const spec = specs.get(a.sub);
  for (let i = 0; i < Math.max(a.count, 1); i++) {
    const at = now();
    if (!s) {
      call(src, "next_msg", spec.client, a.sub, at, "ErrBadSubscription");
      continue;
    }
    // A timed-out next() stays pending and takes the next message: keep it.
    s.pending ??= s.iter.next();
    let timer;
    const r = await Promise.race([s.pending, new Promise((res) => { timer = setTimeout(() => res(null), a.timeout_ns / 1e6); })]);
    clearTimeout(timer);
    if (r === null) {
      call(src, "next_msg", spec.client, a.sub, at, "ErrTimeout");
      continue;
    }
    s.pending = null;
    if (r.done) {
      const nc = conns.get(spec.client).nc;
      call(src, "next_msg", spec.client, a.sub, at, nc.isClosed() ? "ErrConnectionClosed" : "ErrBadSubscription");
      continue;
    }
    call(src, "next_msg", spec.client, a.sub, at, "ok", keyOf(r.value));
  }
}

// ---- actions ---------------------------------------------------------------
// series calls fn count times, at at + k*interval: the first call now (the
// action is due), the others from timers, concurrently with later actions.
function series(at, count, interval, fn) {
  fn();
  let k = 1;
  const step = async () => {
    for (; k < count; k++) {
      await until(at + k * interval);
      late(at + k * interval);
      fn();
    }
  };
  if (count > 1) step();
}

// act runs one top-level action synchronously; what runs concurrently with
// later actions (timed publish series, requests, flushes, next_msg) is
// started, not awaited.
function act(a) {
  const at = now();
  const src = a.source;
  if (a.publish) {
    const p = a.publish;
    const nc = conns.get(p.client).nc;
    const one = () => {
      const k = nextKey(src);
      const t = now();
      call(src, "publish", p.client, "", t, attempt(() => nc.publish(p.subject, payload(k, p.size), p.reply ? { reply: p.reply } : undefined)), k);
    };
    if (p.count > 1 && p.interval_ns > 0) {
      series(a.at_ns, p.count, p.interval_ns, () => { one(); pollAll(); });
    } else {
      for (let i = 0; i < Math.max(p.count, 1); i++) one();
    }
  } else if (a.request) {
    const r = a.request;
    series(a.at_ns, Math.max(r.count, 1), r.interval_ns, () => doRequest(src, r.client, "", r));
  } else if (a.flush) {
    const f = a.flush;
    (async () => {
      let timer;
      let res;
      try {
        res = await Promise.race([
          conns.get(f.client).nc.flush().then(() => "ok"),
          new Promise((r) => { timer = setTimeout(() => r("ErrTimeout"), f.timeout_ns / 1e6); }),
        ]);
      } catch (err) {
        res = errName(err);
      }
      clearTimeout(timer);
      call(src, "flush", f.client, "", at, res);
    })();
  } else if (a.subscribe) {
    const spec = specs.get(a.subscribe.sub);
    call(src, "subscribe", spec.client, spec.id, at, doSubscribe(spec));
  } else if (a.unsubscribe || a.auto_unsubscribe) {
    const id = (a.unsubscribe ?? a.auto_unsubscribe).sub;
    const s = subs.get(id);
    const verb = a.unsubscribe ? "unsubscribe" : "auto_unsubscribe";
    const res = s ? attempt(() => s.sub.unsubscribe(a.auto_unsubscribe?.max)) : "ErrBadSubscription";
    call(src, verb, specs.get(id).client, id, at, res);
  } else if (a.drain_sub) {
    const id = a.drain_sub.sub;
    const s = subs.get(id);
    const client = specs.get(id).client;
    if (s) subDrain(id, s, (res, ret) => call(src, "drain_sub", client, id, at, res, "", ret));
    else call(src, "drain_sub", client, id, at, "ErrBadSubscription");
  } else if (a.drain) {
    connDrain(a.drain.client, (res, ret) => call(src, "drain", a.drain.client, "", at, res, "", ret));
  } else if (a.close) {
    const nc = conns.get(a.close.client).nc;
    nc.close().catch(() => {});
    call(src, "close", a.close.client, "", at, "ok");
  } else if (a.next_msg) {
    nextMsg(src, a.next_msg);
  }
  pollAll();
}

// warmUp runs the library's hot paths (publish, parse, request, flush) on a
// connection of its own before the start, so that the first actions of the
// plan do not pay for the JIT compiler.
async function warmUp(url) {
  const nc = await connect({ servers: url, reconnect: false });
  const sub = nc.subscribe("_DRAINSIM.warmup", { callback: (_err, m) => m.respond(m.data) });
  // A few rounds of concurrent requests: the first client's link may be
  // slow (the harness's latency), so round trips are few.
  for (let round = 0; round < 5; round++) {
    const reqs = [];
    for (let i = 0; i < 50; i++) {
      reqs.push(nc.request("_DRAINSIM.warmup", payload(`warmup/${i}`, 8), { timeout: 5000 }));
      nc.publish("_DRAINSIM.nobody", payload("x", 0));
    }
    await Promise.all(reqs);
  }
  await nc.flush();
  sub.unsubscribe();
  await nc.close();
  JSON.stringify({ ev: "warm", t: now() });
}

// ---- main ----------------------------------------------------------------------
emit({ ev: "log", msg: `${LIBRARY}: connecting` }); // the first write opens stdout
try {
  await warmUp(plan.clients[0].url);
  // Connect every client at once and start right after: nats.js counts its
  // first reconnect wait from the connect, which the model puts at time 0.
  await Promise.all(plan.clients.map(open));
  for (const spec of plan.subscriptions) if (!spec.deferred) subscribe(spec);
  await Promise.all([...conns.values()].map((st) => st.nc.flush()));
} catch (err) {
  fatal(`setup: ${err.message ?? err}`);
}
t0 = process.hrtime.bigint();
emit({
  ev: "start",
  library: LIBRARY,
  observes: {
    status: { CONNECTED: "CONNECTED", DRAINING_SUBS: "DRAINING", DRAINING_PUBS: "DRAINING", CLOSED: "CLOSED" },
    callbacks: ["async_error", "disconnected", "reconnected", "closed"],
    // sub.drain() does signal completion (sub_drain_done events are sent),
    // but the model records no subscription drain results yet, so they are
    // left out of the comparison.
    sub_removed: true, sub_closed: false, drain_done: true, sub_drain_done: false,
    callback_end: true, last_error: false,
  },
});
for (const st of conns.values()) {
  st.started = true;
  st.status = "CONNECTED";
  emit({ ev: "status", client: st.name, status: "CONNECTED", t: 0 });
}
for (const spec of plan.subscriptions) if (!spec.deferred) emit({ ev: "subscribed", sub: spec.id, t: 0 });
const poller = setInterval(pollAll, 1);
const actions = plan.actions.filter((a) => !a.harness)
  .map((a, i) => ({ a, i })).sort((x, y) => x.a.at_ns - y.a.at_ns || x.i - y.i).map((x) => x.a);
// Actions due at the same time run back to back, with no turn of the event
// loop (nor of its microtasks) between them.
let next = 0;
function pump() {
  while (next < actions.length && actions[next].at_ns <= now()) {
    late(actions[next].at_ns);
    act(actions[next++]);
  }
  if (next >= actions.length) return;
  const left = actions[next].at_ns - now();
  if (left > 1.5e6) setTimeout(pump, (left - 1e6) / 1e6);
  else setImmediate(pump);
}
pump();
await until(plan.until_ns);
clearInterval(poller);
pollAll();
emit({ ev: "end", late_ns: lateNs });
process.exit(0);
