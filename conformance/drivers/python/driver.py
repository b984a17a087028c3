#!/usr/bin/env python3
"""drainsim conformance driver for nats.py (the asyncio client, nats.aio).

Usage: python3 driver.py PLAN.json

Reads a plan (docs/driver-protocol.md), plays it against the real nats.py
talking to the harness's nats-server, and writes what it observed as NDJSON
events on stdout. It decides nothing about agreement with the model.

The library is imported from PYTHONPATH; when DRAINSIM_NATS_PY names a
nats.py checkout, its nats/src directory is put first on sys.path.
"""

import asyncio
import json
import os
import re
import sys
import time

_checkout = os.environ.get("DRAINSIM_NATS_PY", "")
if _checkout:
    for _p in (os.path.join(_checkout, "nats", "src"), _checkout):
        if os.path.isdir(os.path.join(_p, "nats", "aio")):
            sys.path.insert(0, _p)
            break

import nats  # noqa: E402
from nats import errors  # noqa: E402
from nats.aio.client import Client  # noqa: E402

T0 = None  # monotonic ns of the start event


def now():
    return time.monotonic_ns() - T0 if T0 is not None else 0


LOG = None  # DRAINSIM_DRIVER_LOG=dir keeps a copy of the events, for people


def emit(ev, **fields):
    fields = {"ev": ev, **fields}
    line = json.dumps(fields, separators=(",", ":")) + "\n"
    sys.stdout.write(line)
    sys.stdout.flush()
    if LOG is not None:
        LOG.write(line)
        LOG.flush()


def library_version():
    try:
        from importlib.metadata import version

        return version("nats-py")
    except Exception:
        pass
    # A source checkout that is not installed: read nats/pyproject.toml.
    here = os.path.dirname(os.path.abspath(nats.__file__))
    toml = os.path.join(here, "..", "..", "pyproject.toml")
    try:
        with open(toml) as f:
            m = re.search(r'^version\s*=\s*"([^"]+)"', f.read(), re.M)
            if m:
                return m.group(1)
    except OSError:
        pass
    return "unknown"


# nats.py error classes -> the model's names. Subclasses come before their
# bases (DrainTimeoutError and FlushTimeoutError are TimeoutErrors; UnexpectedEOF
# is a StaleConnectionError).
ERRORS = [
    (errors.DrainTimeoutError, "ErrDrainTimeout"),
    (errors.FlushTimeoutError, "ErrTimeout"),
    (errors.TimeoutError, "ErrTimeout"),
    (errors.ConnectionClosedError, "ErrConnectionClosed"),
    (errors.ConnectionDrainingError, "ErrConnectionDraining"),
    (errors.ConnectionReconnectingError, "ErrConnectionReconnecting"),
    (errors.BadSubscriptionError, "ErrBadSubscription"),
    (errors.SlowConsumerError, "ErrSlowConsumer"),
    (errors.NoRespondersError, "ErrNoResponders"),
    (errors.NoServersError, "ErrNoServers"),
    (errors.MaxPayloadError, "ErrMaxPayload"),
    (errors.OutboundBufferLimitError, "ErrReconnectBufExceeded"),
    (errors.UnexpectedEOF, "EOF"),
    # The link broke (the server or the network closed or reset it): the
    # model calls every broken link EOF.
    (ConnectionResetError, "EOF"),
    (BrokenPipeError, "EOF"),
    (ConnectionAbortedError, "EOF"),
    (ConnectionRefusedError, "ErrConnectionRefused"),  # a reconnect attempt found no server
]


def err_name(e):
    if e is None:
        return ""
    for cls, name in ERRORS:
        if isinstance(e, cls):
            return name
    if isinstance(e, errors.Error) and str(e) == "nats: no reply subject available":
        return "ErrMsgNoReply"
    if type(e) is errors.Error and "no reply subject" in str(e):
        return "ErrMsgNoReply"
    if isinstance(e, asyncio.TimeoutError):
        return "ErrTimeout"
    return "lib:%s: %s" % (type(e).__name__, e)


STATUS_NAMES = {
    Client.DISCONNECTED: "DISCONNECTED",
    Client.CONNECTED: "CONNECTED",
    Client.CLOSED: "CLOSED",
    Client.RECONNECTING: "RECONNECTING",
    Client.CONNECTING: "CONNECTING",
    Client.DRAINING_SUBS: "DRAINING_SUBS",
    Client.DRAINING_PUBS: "DRAINING_PUBS",
}


class TracedClient(Client):
    """nats.py's Client with its status and subscription removals reported.

    nats.py has no status callback, so the driver observes the status by
    intercepting the client's own assignments to its status field (exact,
    where polling every millisecond would miss DRAINING_PUBS -> CLOSED), and
    the removal of subscriptions by wrapping _remove_sub and the clearing of
    the subscription map at close.
    """

    def __init__(self, driver, name):
        self.drv = driver
        self.cname = name
        self.reported_status = None
        self.drain_entries = 0  # times the status became DRAINING_SUBS
        self.drain_timeouts = 0  # DrainTimeoutErrors seen by the error callback
        self.drain_timeouts_seen = 0
        self.on_drain_entered = []  # drain calls waiting to be reported
        self.on_unsub = {}  # sid -> sub drain calls waiting for their UNSUB
        super().__init__()
        self._subs = _SubMap(self)

    @property
    def _status(self):
        return self.__dict__.get("_st", Client.DISCONNECTED)

    @_status.setter
    def _status(self, st):
        self.__dict__["_st"] = st
        if st == Client.DRAINING_SUBS:
            self.drain_entries += 1
            hooks, self.on_drain_entered = self.on_drain_entered, []
            for h in hooks:
                h()
        name = STATUS_NAMES.get(st, str(st))
        if name == "CONNECTING" and self.drv.started:
            name = "RECONNECTING"  # a reconnect attempt's handshake
        if self.drv.started and name != self.reported_status:
            emit("status", client=self.cname, status=name, t=now())
        self.reported_status = name

    async def _send_unsubscribe(self, sid, limit=0):
        hooks = self.on_unsub.pop(sid, [])
        for h in hooks:
            h()
        await super()._send_unsubscribe(sid, limit=limit)

    def _remove_sub(self, sid, max_msgs=0):
        present = sid in self._subs
        super()._remove_sub(sid, max_msgs)
        if present:
            self.drv.sub_removed(self, sid)


class _SubMap(dict):
    """The client's sid -> Subscription map; clear() at close is a removal."""

    def __init__(self, nc):
        super().__init__()
        self.nc = nc

    def clear(self):
        sids = list(self.keys())
        super().clear()
        for sid in sids:
            self.nc.drv.sub_removed(self.nc, sid)


def secs(ns):
    return ns / 1e9


class Driver:
    def __init__(self, plan):
        self.plan = plan
        self.started = False
        self.conns = {}  # client name -> TracedClient
        self.subs = {}  # sub id -> nats Subscription
        self.sub_specs = {s["id"]: s for s in plan["subscriptions"]}
        self.sid_to_id = {}  # (client, sid) -> sub id
        self.handler_n = {}  # sub id -> callbacks started
        self.counters = {}  # source -> messages produced
        self.removed = set()
        self.tasks = set()
        self.max_late = 0  # the most a timed wait woke late (end's late_ns)

    def woke(self, due):
        """Notes how late a timed wait due at now() time due woke."""
        self.max_late = max(self.max_late, now() - due)

    # ---- helpers -------------------------------------------------------

    def next_key(self, source):
        k = self.counters.get(source, 0)
        self.counters[source] = k + 1
        return "%s/%d" % (source, k)

    @staticmethod
    def payload(key, size):
        return (key + " " * size).encode()

    @staticmethod
    def key_of(msg):
        return msg.data.decode(errors="replace").split(" ", 1)[0]

    def call(self, source, verb, client, sub, at, result, key="", returned=None):
        emit(
            "call",
            source=source,
            verb=verb,
            client=client,
            sub=sub or "",
            at=at,
            returned=now() if returned is None else returned,
            result=result,
            key=key,
        )

    def spawn(self, coro):
        t = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(t)
        t.add_done_callback(self.tasks.discard)
        return t

    def sub_removed(self, nc, sid):
        sub_id = self.sid_to_id.get((nc.cname, sid))
        if sub_id is None or sub_id in self.removed:
            return
        self.removed.add(sub_id)
        if self.started:
            emit("sub_removed", sub=sub_id, t=now())

    # ---- connections ---------------------------------------------------

    async def connect(self, spec):
        name = spec["name"]
        nc = TracedClient(self, name)

        async def error_cb(e):
            sub = ""
            s = getattr(e, "sub", None)
            if s is not None:
                sub = self.sid_to_id.get((name, s._id), "")
            name_ = err_name(e)
            if isinstance(e, errors.DrainTimeoutError):
                nc.drain_timeouts += 1
            emit("callback", client=name, kind="async_error", t=now(), error=name_, sub=sub)

        async def disconnected_cb():
            emit("callback", client=name, kind="disconnected", t=now(), error="", sub="")

        async def reconnected_cb():
            emit("callback", client=name, kind="reconnected", t=now(), error="", sub="")

        async def closed_cb():
            emit("callback", client=name, kind="closed", t=now(), error="", sub="")

        opts = dict(
            servers=[spec["url"]],
            name=name,
            error_cb=error_cb,
            disconnected_cb=disconnected_cb,
            reconnected_cb=reconnected_cb,
            closed_cb=closed_cb,
            allow_reconnect=spec["reconnect"],
            reconnect_time_wait=secs(spec["reconnect_wait_ns"]),
            max_reconnect_attempts=spec["max_reconnect"],
            pending_size=spec["reconnect_buf_size"],
            dont_randomize=True,
        )
        if spec["drain_timeout_ns"] >= 0:
            opts["drain_timeout"] = secs(spec["drain_timeout_ns"])
        # no_callbacks_after_close: nats.py has no such option.
        await nc.connect(**opts)
        self.conns[name] = nc

    # ---- subscriptions -------------------------------------------------

    async def subscribe(self, sub_id):
        spec = self.sub_specs[sub_id]
        nc = self.conns[spec["client"]]
        cb = None
        if spec["type"] == "async":
            cb = self.make_handler(sub_id, spec)
        ml, bl = spec["pending_msgs_limit"], spec["pending_bytes_limit"]
        sub = await nc.subscribe(
            spec["subject"],
            queue=spec["queue"],
            cb=cb,
            pending_msgs_limit=ml if ml >= 0 else 0,
            pending_bytes_limit=bl if bl >= 0 else 0,
        )
        self.subs[sub_id] = sub
        self.sid_to_id[(spec["client"], sub._id)] = sub_id
        if spec["max"] > 0:
            await sub.unsubscribe(limit=spec["max"])
        return sub

    def make_handler(self, sub_id, spec):
        h = spec["handler"]
        blocking = h["blocking"]
        drv = self

        async def pause(ns):
            if ns <= 0:
                return
            due = now() + ns
            if blocking:
                time.sleep(secs(ns))  # holds the event loop
            else:
                await asyncio.sleep(secs(ns))
            drv.woke(due)

        async def handler(msg):
            n = drv.handler_n.get(sub_id, 0) + 1
            drv.handler_n[sub_id] = n
            key = drv.key_of(msg)
            src = "%s#%d" % (sub_id, n)
            emit("deliver", sub=sub_id, key=key, t=now())
            try:
                await pause(h["duration_ns"])
                nc = drv.conns[spec["client"]]
                for a in h["actions"]:
                    if a.get("nth", 0) > 0 and a["nth"] != n:
                        continue
                    await drv.handler_action(a, src, sub_id, nc, msg, pause)
            finally:
                # Also when the close cancels the callback (CancelledError):
                # it ends then.
                emit("handled", sub=sub_id, key=key, t=now())

        return handler

    async def handler_action(self, a, src, sub_id, nc, msg, pause):
        client = self.sub_specs[sub_id]["client"]
        sub = self.subs.get(sub_id)
        at = now()
        if "reply" in a:
            key = self.next_key(src)
            try:
                await msg.respond(self.payload(key, a["reply"]["size"]))
                self.call(src, "reply", client, sub_id, at, "ok", key)
            except Exception as e:
                self.call(src, "reply", client, sub_id, at, err_name(e))
        elif "publish" in a:
            p = a["publish"]
            for k in range(max(p["count"], 1)):
                if k > 0:
                    await pause(p["interval_ns"])
                await self.publish(nc, src, client, sub_id, p)
        elif "request" in a:
            r = a["request"]
            for k in range(max(r["count"], 1)):
                if k > 0:
                    await pause(r["interval_ns"])
                await self.request(nc, src, client, sub_id, r)
        elif "sleep" in a:
            await pause(a["sleep"]["duration_ns"])
        elif "unsubscribe" in a:
            try:
                await sub.unsubscribe()
                self.call(src, "unsubscribe", client, sub_id, at, "ok")
            except Exception as e:
                self.call(src, "unsubscribe", client, sub_id, at, err_name(e))
        elif "drain_sub" in a:
            # sub.drain() waits for the subscription's queue to be processed,
            # this callback included: awaiting it here would wait for itself.
            # The model's Subscription.Drain returns at once, so run it as a task.
            self.spawn_sub_drain(src, client, sub_id, sub, at)
        elif "drain" in a:
            if a["drain"].get("wait"):
                # The other way to call it: await the drain in the callback.
                # The drain waits for this callback, so it runs into its timeout.
                await self.drain_call(nc, src, client, sub_id, at, wait=True)
            else:
                # What the model means by a drain from a handler: start it and
                # return (asyncio.create_task(nc.drain())).
                self.spawn(self.drain_call(nc, src, client, sub_id, at))
        elif "subscribe" in a:
            await self.subscribe_action(src, a["subscribe"]["sub"], at, sub_id)
        else:
            raise ValueError("unknown handler action %r" % (a,))

    # ---- verbs shared by actions and handlers --------------------------

    async def publish(self, nc, src, client, sub_id, p):
        key = self.next_key(src)
        at = now()
        try:
            await nc.publish(p["subject"], self.payload(key, p["size"]), reply=p["reply"])
            self.call(src, "publish", client, sub_id, at, "ok", key)
        except Exception as e:
            self.call(src, "publish", client, sub_id, at, err_name(e), key)

    async def request(self, nc, src, client, sub_id, r):
        key = self.next_key(src)
        at = now()
        try:
            await nc.request(r["subject"], self.payload(key, r["size"]), timeout=secs(r["timeout_ns"]))
            self.call(src, "request", client, sub_id, at, "ok", key)
        except Exception as e:
            self.call(src, "request", client, sub_id, at, err_name(e), key)

    async def drain_call(self, nc, src, client, sub_id, at, wait=False):
        """nc.drain(). nats.py refuses (closed, reconnecting) before its first
        await, and returns at once when a drain already runs; a call that
        starts a drain moves the status to DRAINING_SUBS. The call is
        reported when it is known how it went: at that status change (it
        returned ok when its task started, which is what the model's Drain
        means), or when it raised or returned without draining. drain_done
        reports when the awaited drain returned (after close) or raised.
        With wait (awaited inside a callback) the callback goes on only when
        the drain returns, if ever: the drain is reported the same way."""
        started = now()
        entries = nc.drain_entries

        def entered():
            self.call(src, "drain", client, sub_id, at, "ok", returned=started)

        nc.on_drain_entered.append(entered)
        result = "ok"
        try:
            await nc.drain()
        except asyncio.CancelledError:
            emit("log", msg="%s: drain call cancelled at %d" % (src, now()))
            raise
        except Exception as e:
            result = err_name(e)
        finally:
            if entered in nc.on_drain_entered:
                nc.on_drain_entered.remove(entered)
        drained = nc.drain_entries != entries
        if not drained:
            self.call(src, "drain", client, sub_id, at, result, returned=started)
        if drained:
            if result == "ok" and nc.drain_timeouts != nc.drain_timeouts_seen:
                result = "ErrDrainTimeout"
            nc.drain_timeouts_seen = nc.drain_timeouts
            emit("drain_done", client=client, t=now(), result=result)

    def spawn_sub_drain(self, src, client, sub_id, sub, at):
        """sub.drain() as a task of its own (it returns once the subscription
        is drained). The call is reported once it sent the UNSUB (it passed
        nats.py's checks, which come before any await) or raised;
        sub_drain_done when it returned or raised later."""

        async def run():
            started = now()
            if sub is None:
                self.call(src, "drain_sub", client, sub_id, at, "ErrBadSubscription")
                return
            nc = self.conns[client]
            reported = []

            def unsubscribed():
                reported.append(True)
                self.call(src, "drain_sub", client, sub_id, at, "ok", returned=started)

            nc.on_unsub.setdefault(sub._id, []).append(unsubscribed)
            try:
                await sub.drain()
                result = "ok"
            except asyncio.CancelledError:
                raise
            except Exception as e:
                result = err_name(e)
            finally:
                hooks = nc.on_unsub.get(sub._id, [])
                if unsubscribed in hooks:
                    hooks.remove(unsubscribed)
            if not reported:
                self.call(src, "drain_sub", client, sub_id, at, result, returned=now())
            else:
                emit("sub_drain_done", sub=sub_id, t=now(), result=result)

        self.spawn(run())

    async def subscribe_action(self, src, sub_id, at, on_sub=None):
        client = self.sub_specs[sub_id]["client"]
        if sub_id in self.subs:
            self.call(src, "subscribe", client, on_sub or sub_id, at, "ErrAlreadySubscribed")
            return
        try:
            await self.subscribe(sub_id)
        except Exception as e:
            self.call(src, "subscribe", client, on_sub or sub_id, at, err_name(e))
            return
        emit("subscribed", sub=sub_id, t=now())
        self.call(src, "subscribe", client, on_sub or sub_id, at, "ok")

    # ---- top-level actions ---------------------------------------------

    async def action(self, a):
        src = a["source"]
        at = now()
        if a.get("harness"):
            return
        if "publish" in a:
            p = a["publish"]
            nc = self.conns[p["client"]]
            if p["count"] > 1 and p["interval_ns"] > 0:

                async def pubs():
                    due = now()
                    for k in range(p["count"]):
                        if k > 0:
                            due += p["interval_ns"]
                            await asyncio.sleep(max(secs(due - now()), 0))
                            self.woke(due)
                        await self.publish(nc, src, p["client"], "", p)

                self.spawn(pubs())
            else:
                for _ in range(max(p["count"], 1)):
                    await self.publish(nc, src, p["client"], "", p)
        elif "request" in a:
            r = a["request"]
            nc = self.conns[r["client"]]

            async def reqs():
                for k in range(max(r["count"], 1)):
                    if k > 0:
                        await asyncio.sleep(secs(r["interval_ns"]))
                    await self.request(nc, src, r["client"], "", r)

            self.spawn(reqs())
        elif "flush" in a:
            f = a["flush"]
            nc = self.conns[f["client"]]

            async def flush():
                try:
                    await nc.flush(timeout=secs(f["timeout_ns"]))
                    self.call(src, "flush", f["client"], "", at, "ok")
                except Exception as e:
                    self.call(src, "flush", f["client"], "", at, err_name(e))

            self.spawn(flush())
        elif "subscribe" in a:
            await self.subscribe_action(src, a["subscribe"]["sub"], at)
        elif "unsubscribe" in a or "auto_unsubscribe" in a:
            verb = "unsubscribe" if "unsubscribe" in a else "auto_unsubscribe"
            sub_id = a[verb]["sub"]
            client = self.sub_specs[sub_id]["client"]
            sub = self.subs.get(sub_id)
            if sub is None:
                self.call(src, verb, client, sub_id, at, "ErrBadSubscription")
                return
            try:
                await sub.unsubscribe(limit=a[verb].get("max", 0))
                self.call(src, verb, client, sub_id, at, "ok")
            except Exception as e:
                self.call(src, verb, client, sub_id, at, err_name(e))
        elif "drain_sub" in a:
            sub_id = a["drain_sub"]["sub"]
            client = self.sub_specs[sub_id]["client"]
            self.spawn_sub_drain(src, client, sub_id, self.subs.get(sub_id), at)
        elif "drain" in a:
            client = a["drain"]["client"]
            # await nc.drain() returns only after close; an application that
            # drains on shutdown runs it as a task of its own.
            self.spawn(self.drain_call(self.conns[client], src, client, "", at))
        elif "close" in a:
            client = a["close"]["client"]
            try:
                await self.conns[client].close()
                self.call(src, "close", client, "", at, "ok")
            except Exception as e:
                self.call(src, "close", client, "", at, err_name(e))
        elif "next_msg" in a:
            m = a["next_msg"]
            sub_id = m["sub"]
            client = self.sub_specs[sub_id]["client"]

            async def next_msgs():
                for _ in range(max(m["count"], 1)):
                    t = now()
                    sub = self.subs.get(sub_id)
                    if sub is None:
                        self.call(src, "next_msg", client, sub_id, t, "ErrBadSubscription")
                        continue
                    try:
                        msg = await sub.next_msg(timeout=secs(m["timeout_ns"]))
                        self.call(src, "next_msg", client, sub_id, t, "ok", self.key_of(msg))
                    except Exception as e:
                        self.call(src, "next_msg", client, sub_id, t, err_name(e))

            self.spawn(next_msgs())
        else:
            raise ValueError("unknown action %r" % (a,))

    # ---- the run -------------------------------------------------------

    async def run(self):
        global T0
        for c in self.plan["clients"]:
            await self.connect(c)
        for s in self.plan["subscriptions"]:
            if not s["deferred"]:
                await self.subscribe(s["id"])
        for nc in self.conns.values():
            await nc.flush()
        T0 = time.monotonic_ns()
        self.started = True
        emit(
            "start",
            library="nats.py %s" % library_version(),
            observes={
                "status": {
                    "CONNECTED": "CONNECTED",
                    "RECONNECTING": "RECONNECTING",
                    "DRAINING_SUBS": "DRAINING_SUBS",
                    "DRAINING_PUBS": "DRAINING_PUBS",
                    "CLOSED": "CLOSED",
                },
                "callbacks": ["async_error", "disconnected", "reconnected", "closed"],
                "sub_removed": True,
                "sub_closed": False,
                "drain_done": True,
                "sub_drain_done": True,
                "callback_end": True,
                "last_error": False,  # see README: nats.py's last_error is not LastError
            },
        )
        emit("log", msg="nats.aio from %s, Python %s" % (os.path.dirname(nats.__file__), sys.version.split()[0]))
        for nc in self.conns.values():
            nc.reported_status = STATUS_NAMES.get(nc._status)
        for s in self.plan["subscriptions"]:
            if not s["deferred"]:
                emit("subscribed", sub=s["id"], t=0)

        until = self.plan["until_ns"]

        async def actions():
            for a in self.plan["actions"]:
                wait = a["at_ns"] - now()
                if wait > 0:
                    await asyncio.sleep(secs(wait))
                self.woke(a["at_ns"])
                late = now() - a["at_ns"]
                if late > 5_000_000:
                    emit("log", msg="%s ran %.1f ms late" % (a["source"], late / 1e6))
                await self.action(a)

        self.spawn(actions())
        while now() < until:
            await asyncio.sleep(min(secs(until - now()), 0.05))
        for name, nc in self.conns.items():
            emit("last_error", client=name, error=err_name(nc.last_error))
        emit("end", late_ns=max(self.max_late, 0))
        sys.stdout.flush()
        os._exit(0)  # leave everything as it is: no close, no task cancellation


def main():
    if len(sys.argv) != 2:
        print("usage: driver.py PLAN.json", file=sys.stderr)
        sys.exit(2)
    try:
        with open(sys.argv[1]) as f:
            plan = json.load(f)
        if plan.get("protocol") != 1:
            raise ValueError("unsupported protocol %r" % plan.get("protocol"))
        global LOG
        if os.environ.get("DRAINSIM_DRIVER_LOG"):
            LOG = open(os.path.join(os.environ["DRAINSIM_DRIVER_LOG"], plan["scenario"] + ".ndjson"), "w")
        asyncio.run(Driver(plan).run())
    except Exception as e:
        emit("fatal", error="%s: %s" % (type(e).__name__, e))
        sys.stdout.flush()
        os._exit(1)
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
