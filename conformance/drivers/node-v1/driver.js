'use strict'
// drainsim conformance driver for node-nats v1 (npm nats@1.4.x).
// Usage: node driver.js <plan.json>; the protocol is docs/driver-protocol.md.
// It plays the plan on the real library and reports what it saw as NDJSON
// on stdout; it never judges.

const fs = require('fs')
const NATS = require('nats')
const VERSION = require('nats/package.json').version

const plan = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'))
const MS = 1e6

// ---- clock and output ------------------------------------------------------

let t0 = null // hrtime (ns, BigInt) of the start event
function now () { // ns since start, a Number
  return t0 === null ? 0 : Number(process.hrtime.bigint() - t0)
}
function out (ev) { fs.writeSync(1, JSON.stringify(ev) + '\n') }
function log (msg) { out({ ev: 'log', msg: String(msg) }) }
function fatal (err) {
  out({ ev: 'fatal', error: String(err && err.stack ? err.stack : err) })
  process.exit(1)
}

// atTime runs fn once now() >= t: a timer until about a millisecond before,
// then setImmediate, which lets I/O run between checks. worstLate is the
// most any wait woke late (reported as the end event's late_ns): how long
// the machine kept the driver waiting.
let worstLate = 0
function atTime (t, fn) {
  const left = t - now()
  if (left > 2 * MS) {
    setTimeout(() => atTime(t, fn), Math.floor((left - 1.5 * MS) / MS))
  } else if (left > 0) {
    setImmediate(() => atTime(t, fn))
  } else {
    worstLate = Math.max(worstLate, -left)
    fn()
  }
}
function sleep (d) { return new Promise((resolve) => atTime(now() + d, resolve)) }
// busy holds the thread (the event loop) for d ns: CPU work in a handler.
function busy (d) {
  const end = now() + d
  while (now() < end) { /* spin */ }
}

// ---- errors ----------------------------------------------------------------

const ERR_NAMES = {
  CONN_CLOSED: 'ErrConnectionClosed',
  CONN_DRAINING: 'ErrConnectionDraining',
  REQ_TIMEOUT: 'ErrTimeout'
}
function errName (err) {
  if (!err) return 'ok'
  if (err.code && ERR_NAMES[err.code]) return ERR_NAMES[err.code]
  return 'lib:' + (err.code || err.message || String(err))
}

// node-nats v1 reports a refused call either through the callback it was
// given, or by emitting 'error' on the connection (synchronously, inside the
// call), or, once close() removed every listener, by throwing. capture runs
// fn as one API call and returns the error it raised in any of these ways.
let capturing = null
function capture (fn) {
  const prev = capturing
  const slot = { err: null }
  capturing = slot
  try {
    const v = fn(slot)
    return { err: slot.err, value: v }
  } catch (e) {
    return { err: slot.err || e, value: undefined }
  } finally {
    capturing = prev
  }
}

// ---- state -----------------------------------------------------------------

const conns = {} // client name -> { nc, spec, status }
const subs = {} // sub id -> { spec, sid, conn, n }
const subBySid = {} // client name -> sid -> sub id
const pending = new Set() // calls that have not returned (reported at end)

function payload (key, size) { return key + ' '.repeat(size) }
function keyOf (msg) {
  const s = typeof msg === 'string' ? msg : String(msg)
  const i = s.indexOf(' ')
  return i < 0 ? s : s.slice(0, i)
}

// A source hands out message keys: "<source>/<k>".
function keyGen (source) {
  let k = 0
  return () => source + '/' + (k++)
}

function call (source, verb, client, sub, at, result, key) {
  out({ ev: 'call', source, verb, client, sub: sub || '', at, returned: now(), result, key: key || '' })
}

// ---- status polling --------------------------------------------------------

// node-nats v1 has no status enum; its flags are read every millisecond at
// most: closed, draining (set with noMorePublishing inside the drain call:
// DRAINING_SUBS and DRAINING_PUBS cannot be told apart), reconnecting (from
// the lost link until the first PONG of the new one).
function statusOf (nc) {
  if (nc.closed) return 'CLOSED'
  if (nc.draining) return 'DRAINING'
  if (nc.reconnecting) return 'RECONNECTING'
  return 'CONNECTED'
}
function pollStatus () {
  for (const name of Object.keys(conns)) {
    const c = conns[name]
    const st = statusOf(c.nc)
    if (st !== c.status) {
      c.status = st
      out({ ev: 'status', client: name, status: st, t: now() })
    }
  }
}

// ---- connections -----------------------------------------------------------

function connect (spec) {
  return new Promise((resolve, reject) => {
    const opts = {
      url: spec.url,
      reconnect: spec.reconnect,
      reconnectTimeWait: Math.round(spec.reconnect_wait_ns / MS),
      maxReconnectAttempts: spec.max_reconnect < 0 ? -1 : spec.max_reconnect,
      reconnectJitter: 0,
      noRandomize: true,
      name: spec.name
    }
    // drain_timeout_ns is -1 (node-nats v1 has no drain timeout); no
    // reconnect buffer limit, pending limits or callbacks-after-close option
    // exist in the library.
    const nc = NATS.connect(opts)
    const c = { nc, spec, status: null, started: false }
    conns[spec.name] = c
    subBySid[spec.name] = {}
    const onFirst = (err) => {
      nc.removeListener('connect', onOk)
      reject(err)
    }
    const onOk = () => {
      nc.removeListener('error', onFirst)
      resolve(c)
    }
    nc.once('connect', onOk)
    nc.once('error', onFirst)
  })
}

// attach listens for the connection's events, once connected.
function attach (c) {
  const name = c.spec.name
  const nc = c.nc
  const cb = (kind, extra) => {
    pollStatus()
    out(Object.assign({ ev: 'callback', client: name, kind, t: now() }, extra || {}))
  }
  nc.on('error', (err) => {
    if (capturing) {
      capturing.err = capturing.err || err
      return
    }
    cb('async_error', { error: errName(err) })
  })
  nc.on('permission_error', (err) => cb('async_error', { error: 'lib:' + err.message }))
  nc.on('disconnect', () => cb('disconnected'))
  nc.on('reconnect', () => cb('reconnected'))
  nc.on('close', () => cb('closed'))
  nc.on('reconnecting', () => log(name + ': reconnecting'))
  nc.on('unsubscribe', (sid) => {
    const id = subBySid[name][sid]
    if (id !== undefined && subs[id].sid === sid && !subs[id].removed) {
      subs[id].removed = true
      out({ ev: 'sub_removed', sub: id, t: now() })
    }
  })
}

// ---- subscriptions ---------------------------------------------------------

function subscribe (spec) {
  const c = conns[spec.client]
  const s = subs[spec.id] || { spec, sid: 0, n: 0, removed: false }
  subs[spec.id] = s
  const opts = {}
  if (spec.queue) opts.queue = spec.queue
  if (spec.max > 0) opts.max = spec.max
  let refused = null
  const handler = (msg, reply) => {
    if (msg instanceof Error) { // subscribe refused: the error goes to the callback
      refused = msg
      return
    }
    onMessage(s, msg, reply)
  }
  const r = capture(() => c.nc.subscribe(spec.subject, opts, handler))
  const err = r.err || refused
  if (!err && r.value) {
    s.sid = r.value
    s.removed = false
    subBySid[spec.client][s.sid] = spec.id
  }
  return err
}

function onMessage (s, msg, reply) {
  const n = ++s.n
  const key = keyOf(msg)
  const source = s.spec.id + '#' + n
  out({ ev: 'deliver', sub: s.spec.id, key, t: now() })
  runHandler(s, n, source, reply).then(() => {
    out({ ev: 'handled', sub: s.spec.id, key, t: now() })
  }, fatal)
}

async function runHandler (s, n, source, reply) {
  const h = s.spec.handler
  const c = conns[s.spec.client]
  const next = keyGen(source)
  const wait = (d) => {
    if (d <= 0) return null
    if (h.blocking) { busy(d); return null }
    return sleep(d)
  }
  const w = wait(h.duration_ns)
  if (w) await w
  for (const a of h.actions || []) {
    if (a.nth > 0 && a.nth !== n) continue
    const ctx = { source, client: s.spec.client, sub: s.spec.id, next }
    if (a.reply) {
      const at = now()
      if (!reply) {
        call(source, 'reply', ctx.client, ctx.sub, at, 'ErrMsgNoReply', '')
        continue
      }
      const key = next()
      const r = capture(() => c.nc.publish(reply, payload(key, a.reply.size)))
      call(source, 'reply', ctx.client, ctx.sub, at, errName(r.err), key)
    } else if (a.publish) {
      await publishes(c, ctx, a.publish, h.blocking)
    } else if (a.request) {
      await requests(c, ctx, a.request)
    } else if (a.sleep) {
      const sw = wait(a.sleep.duration_ns)
      if (sw) await sw
    } else if (a.unsubscribe) {
      unsubscribe(source, s, 0, ctx.sub)
    } else if (a.drain_sub) {
      drainSub(source, s, ctx.sub)
    } else if (a.subscribe) {
      subscribeCall(source, a.subscribe.sub, ctx.sub)
    } else if (a.drain) {
      drain(source, c, ctx.sub)
    } else {
      fatal('unknown handler action ' + JSON.stringify(a))
    }
  }
}

// ---- verbs -----------------------------------------------------------------

async function publishes (c, ctx, p, blocking) {
  const count = Math.max(p.count, 1)
  const start = now()
  for (let i = 0; i < count; i++) {
    if (i > 0 && p.interval_ns > 0) { // on the plan's grid, not drifting
      const due = start + i * p.interval_ns
      if (blocking) busy(due - now())
      else await new Promise((resolve) => atTime(due, resolve))
    }
    const at = now()
    const key = ctx.next()
    const r = capture(() => p.reply
      ? c.nc.publish(p.subject, payload(key, p.size), p.reply)
      : c.nc.publish(p.subject, payload(key, p.size)))
    call(ctx.source, 'publish', ctx.client, ctx.sub, at, errName(r.err), key)
  }
}

function request1 (c, ctx, p) {
  return new Promise((resolve) => {
    const at = now()
    const key = ctx.next()
    const rec = { source: ctx.source, verb: 'request', client: ctx.client, sub: ctx.sub, at, key }
    let done = false
    const finish = (err) => {
      if (done) return
      done = true
      pending.delete(rec)
      call(ctx.source, 'request', ctx.client, ctx.sub, at, errName(err), key)
      resolve()
    }
    pending.add(rec)
    rec.finish = finish
    const timeout = Math.max(1, Math.round(p.timeout_ns / MS))
    const r = capture(() => c.nc.request(p.subject, payload(key, p.size), { max: 1, timeout }, (msg) => {
      finish(msg instanceof Error ? msg : null)
    }))
    if (r.err) finish(r.err)
  })
}

async function requests (c, ctx, p) {
  const count = Math.max(p.count, 1)
  for (let i = 0; i < count; i++) {
    if (i > 0 && p.interval_ns > 0) await sleep(p.interval_ns) // after the previous one returned
    await request1(c, ctx, p)
  }
}

function flush (source, c, timeoutNs) {
  return new Promise((resolve) => {
    const at = now()
    const rec = { source, verb: 'flush', client: c.spec.name, sub: '', at, key: '' }
    let done = false
    let timer = null
    const finish = (err) => {
      if (done) return
      done = true
      pending.delete(rec)
      if (timer) clearTimeout(timer)
      call(source, 'flush', c.spec.name, '', at, err ? (typeof err === 'string' ? err : errName(err)) : 'ok', '')
      resolve()
    }
    pending.add(rec)
    rec.finish = finish
    // The library's flush has no timeout: the application gives up on it
    // after timeout_ns, as the scenario asks.
    if (timeoutNs > 0) timer = setTimeout(() => finish('ErrTimeout'), Math.round(timeoutNs / MS))
    const r = capture(() => c.nc.flush((err) => finish(err)))
    if (r.err) finish(r.err)
  })
}

function unsubscribe (source, s, max, sub) {
  const c = conns[s.spec.client]
  const at = now()
  const r = capture(() => c.nc.unsubscribe(s.sid, max > 0 ? max : undefined))
  call(source, max > 0 ? 'auto_unsubscribe' : 'unsubscribe', s.spec.client, sub || s.spec.id, at, errName(r.err), '')
}

function drainSub (source, s, sub) {
  const c = conns[s.spec.client]
  const at = now()
  let sync = true
  let syncErr = null
  const r = capture(() => c.nc.drainSubscription(s.sid, (err) => {
    if (sync) { syncErr = err || null; if (!err) out({ ev: 'sub_drain_done', sub: s.spec.id, t: now(), result: 'ok' }); return }
    out({ ev: 'sub_drain_done', sub: s.spec.id, t: now(), result: errName(err) })
  }))
  sync = false
  call(source, 'drain_sub', s.spec.client, sub || s.spec.id, at, errName(r.err || syncErr), '')
}

function drain (source, c, sub) {
  const at = now()
  let sync = true
  let syncErr = null
  let doneSync = null
  const r = capture(() => c.nc.drain((err) => {
    if (sync && err) { syncErr = err; return }
    if (!sync) pollStatus()
    const ev = { ev: 'drain_done', client: c.spec.name, t: now(), result: errName(err) }
    if (sync) doneSync = ev // reported after the call, which it completed inside
    else out(ev)
  }))
  sync = false
  if (doneSync && c.nc.draining && c.status !== 'DRAINING') {
    // No subscription: the call set draining and closed the connection
    // before returning; the flag stays set, so the pass through DRAINING
    // is read after the fact, at the call.
    c.status = 'DRAINING'
    out({ ev: 'status', client: c.spec.name, status: 'DRAINING', t: at })
  }
  pollStatus()
  call(source, 'drain', c.spec.name, sub || '', at, errName(r.err || syncErr), '')
  if (doneSync) out(doneSync)
}

function subscribeCall (source, id, sub) {
  const spec = plan.subscriptions.find((x) => x.id === id)
  const at = now()
  const err = subscribe(spec)
  call(source, 'subscribe', spec.client, sub || id, at, errName(err), '')
  if (!err) out({ ev: 'subscribed', sub: id, t: now() })
}

function closeCall (source, c) {
  const at = now()
  const r = capture(() => c.nc.close())
  pollStatus()
  call(source, 'close', c.spec.name, '', at, errName(r.err), '')
}

// ---- top-level actions -----------------------------------------------------

function runAction (a) {
  const source = a.source
  if (a.harness) return
  if (a.publish) {
    const p = a.publish
    const c = conns[p.client]
    const ctx = { source, client: p.client, sub: '', next: keyGen(source) }
    const pr = publishes(c, ctx, p, false)
    if (!(p.count > 1 && p.interval_ns > 0)) return pr // inline: already done
    pr.catch(fatal)
  } else if (a.request) {
    const p = a.request
    const ctx = { source, client: p.client, sub: '', next: keyGen(source) }
    requests(conns[p.client], ctx, p).catch(fatal)
  } else if (a.flush) {
    flush(source, conns[a.flush.client], a.flush.timeout_ns).catch(fatal)
  } else if (a.subscribe) {
    subscribeCall(source, a.subscribe.sub)
  } else if (a.unsubscribe) {
    unsubscribe(source, subs[a.unsubscribe.sub], 0)
  } else if (a.auto_unsubscribe) {
    unsubscribe(source, subs[a.auto_unsubscribe.sub], a.auto_unsubscribe.max)
  } else if (a.drain_sub) {
    drainSub(source, subs[a.drain_sub.sub])
  } else if (a.drain) {
    drain(source, conns[a.drain.client])
  } else if (a.close) {
    closeCall(source, conns[a.close.client])
  } else if (a.next_msg) {
    // node-nats v1 has callbacks only (no NextMsg).
    call(source, 'next_msg', subs[a.next_msg.sub].spec.client, a.next_msg.sub, now(), 'lib:unsupported', '')
  } else {
    fatal('unknown action ' + JSON.stringify(a))
  }
}

// ---- main ------------------------------------------------------------------

process.on('uncaughtException', (err) => {
  // An error the library emitted after close() removed its listeners, or
  // threw from a timer: report it, keep running.
  out({ ev: 'log', msg: 'uncaught: ' + (err && err.code ? err.code + ' ' : '') + (err && err.message) })
})

async function main () {
  if (plan.protocol !== 1) fatal('unsupported protocol ' + plan.protocol)
  for (const spec of plan.clients) {
    const c = await connect(spec)
    attach(c)
  }
  for (const spec of plan.subscriptions) {
    if (spec.deferred) continue
    if (spec.type !== 'async') fatal('node-nats v1 has no ' + spec.type + ' subscriptions')
    const err = subscribe(spec)
    if (err) fatal('subscribe ' + spec.id + ': ' + errName(err))
  }
  await Promise.all(Object.values(conns).map((c) => new Promise((resolve, reject) => {
    c.nc.flush((err) => err ? reject(err) : resolve())
  })))
  // Warm up what the first calls would otherwise compile or initialise
  // (nuid's random state, the clock, JSON), so that the plan's first
  // actions are not late.
  for (let i = 0; i < 100; i++) { NATS.createInbox(); JSON.stringify({ i }); now() }
  t0 = process.hrtime.bigint()
  out({
    ev: 'start',
    library: 'node-nats ' + VERSION,
    observes: {
      status: { CONNECTED: 'CONNECTED', RECONNECTING: 'RECONNECTING', DRAINING_SUBS: 'DRAINING', DRAINING_PUBS: 'DRAINING', CLOSED: 'CLOSED' },
      callbacks: ['async_error', 'disconnected', 'reconnected', 'closed'],
      sub_removed: true,
      sub_closed: false,
      drain_done: true,
      // drainSubscription's callback runs in the same tick as the
      // 'unsubscribe' event (compared as sub_removed); the model records no
      // subscription drain result yet.
      sub_drain_done: false,
      callback_end: true,
      last_error: false
    }
  })
  for (const spec of plan.subscriptions) {
    if (!spec.deferred) out({ ev: 'subscribed', sub: spec.id, t: 0 })
  }
  for (const name of Object.keys(conns)) {
    const c = conns[name]
    c.status = statusOf(c.nc)
    out({ ev: 'status', client: name, status: c.status, t: 0 })
  }
  log('node ' + process.version)
  const poller = setInterval(pollStatus, 1)

  const actions = plan.actions.slice().sort((a, b) => a.at_ns - b.at_ns) // stable: plan order at equal times
  let i = 0
  const step = () => {
    while (i < actions.length && actions[i].at_ns <= now()) {
      const a = actions[i++]
      try {
        runAction(a)
      } catch (e) {
        fatal(e)
      }
    }
    if (i < actions.length) atTime(actions[i].at_ns, step)
  }
  step()

  atTime(plan.until_ns, () => {
    clearInterval(poller)
    pollStatus()
    for (const rec of pending) {
      log(rec.source + ' ' + rec.verb + ' still waiting at the end')
    }
    out({ ev: 'end', late_ns: worstLate })
    process.exit(0)
  })
}

main().catch(fatal)
