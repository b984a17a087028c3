// Driver plays a drainsim plan (docs/driver-protocol.md) on nats.java (jnats)
// and writes what it saw as NDJSON events on stdout.
//
//   javac -cp $DRAINSIM_JNATS -d build Driver.java
//   java -cp build:$DRAINSIM_JNATS Driver plan.json

import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.Consumer;
import io.nats.client.Dispatcher;
import io.nats.client.ErrorListener;
import io.nats.client.Message;
import io.nats.client.MessageHandler;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.Subscription;
import io.nats.client.support.JsonParser;
import io.nats.client.support.JsonValue;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

public class Driver {
    // ---- output ---------------------------------------------------------

    static final PrintStream OUT = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), false, StandardCharsets.UTF_8);
    static volatile long t0 = -1; // System.nanoTime() of the start event; -1 before it

    static long now() {
        return System.nanoTime() - t0;
    }

    /** Ev builds one event line. */
    static final class Ev {
        final StringBuilder b = new StringBuilder(128);

        Ev(String ev) {
            b.append("{\"ev\":");
            str(ev);
        }

        Ev s(String k, String v) {
            b.append(",\"").append(k).append("\":");
            str(v == null ? "" : v);
            return this;
        }

        Ev n(String k, long v) {
            b.append(",\"").append(k).append("\":").append(v);
            return this;
        }

        Ev raw(String k, String json) {
            b.append(",\"").append(k).append("\":").append(json);
            return this;
        }

        void str(String v) {
            b.append('"');
            for (int i = 0; i < v.length(); i++) {
                char c = v.charAt(i);
                switch (c) {
                    case '"': b.append("\\\""); break;
                    case '\\': b.append("\\\\"); break;
                    case '\n': b.append("\\n"); break;
                    case '\r': b.append("\\r"); break;
                    case '\t': b.append("\\t"); break;
                    default:
                        if (c < 0x20) {
                            b.append(String.format("\\u%04x", (int) c));
                        } else {
                            b.append(c);
                        }
                }
            }
            b.append('"');
        }

        void emit() {
            b.append('}');
            synchronized (OUT) {
                OUT.println(b);
                OUT.flush();
            }
        }
    }

    static void log(String msg) {
        new Ev("log").s("msg", msg).emit();
    }

    static void fatal(String msg) {
        new Ev("fatal").s("error", msg).emit();
        OUT.flush();
        Runtime.getRuntime().halt(2);
    }

    // ---- plan -----------------------------------------------------------

    static JsonValue get(JsonValue o, String k) {
        JsonValue v = o.map == null ? null : o.map.get(k);
        if (v == null) {
            fatal("plan: missing field " + k);
        }
        return v;
    }

    static JsonValue opt(JsonValue o, String k) {
        return o.map == null ? null : o.map.get(k);
    }

    static long num(JsonValue o, String k) {
        JsonValue v = get(o, k);
        if (v.number == null) {
            fatal("plan: field " + k + " is not a number");
        }
        return v.number.longValue();
    }

    static long num(JsonValue o, String k, long dflt) {
        JsonValue v = opt(o, k);
        return v == null || v.number == null ? dflt : v.number.longValue();
    }

    static String str(JsonValue o, String k) {
        JsonValue v = opt(o, k);
        return v == null || v.string == null ? "" : v.string;
    }

    static boolean bool(JsonValue o, String k) {
        JsonValue v = opt(o, k);
        return v != null && Boolean.TRUE.equals(v.bool);
    }

    static List<JsonValue> list(JsonValue o, String k) {
        JsonValue v = opt(o, k);
        return v == null || v.array == null ? Collections.emptyList() : v.array;
    }

    /** verb returns the one verb object of an action. */
    static String verb(JsonValue a, String... verbs) {
        for (String v : verbs) {
            if (opt(a, v) != null) {
                return v;
            }
        }
        return "";
    }

    static final String[] TOP_VERBS = {"publish", "request", "flush", "subscribe", "unsubscribe", "auto_unsubscribe",
        "drain_sub", "drain", "close", "next_msg", "disconnect", "restart_server"};
    static final String[] HANDLER_VERBS = {"reply", "publish", "request", "unsubscribe", "drain_sub", "subscribe", "drain", "sleep"};

    // ---- state ----------------------------------------------------------

    static final class Client {
        String name;
        JsonValue plan;
        Connection nc;
        Duration drainTimeout; // null: call drain without a timeout
        volatile String status = "";
    }

    static final class Sub {
        String id;
        JsonValue plan;
        Client client;
        String dispatcherName = ""; // a shared dispatcher of the client, "" for one of its own
        Dispatcher dispatcher;       // async subscriptions
        volatile Subscription sub;
        final AtomicInteger callbacks = new AtomicInteger();
        volatile boolean removed;
    }

    static final Map<String, Client> clients = new LinkedHashMap<>();
    static final Map<String, Sub> subs = new LinkedHashMap<>();
    static final Map<String, Dispatcher> sharedDispatchers = new ConcurrentHashMap<>();
    static final Map<String, AtomicInteger> keyCounters = new ConcurrentHashMap<>();
    static final Set<CompletableFuture<Boolean>> watched = Collections.newSetFromMap(new IdentityHashMap<>());

    static String nextKey(String source) {
        return source + "/" + keyCounters.computeIfAbsent(source, s -> new AtomicInteger()).getAndIncrement();
    }

    static byte[] payload(String key, long size) {
        StringBuilder b = new StringBuilder(key.length() + (int) size);
        b.append(key);
        for (long i = 0; i < size; i++) {
            b.append(' ');
        }
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    static String keyOf(Message m) {
        byte[] d = m.getData();
        if (d == null) {
            return "";
        }
        String s = new String(d, StandardCharsets.UTF_8);
        int sp = s.indexOf(' ');
        return sp < 0 ? s : s.substring(0, sp);
    }

    static Duration dur(long ns) {
        return Duration.ofNanos(ns);
    }

    /** late is the most any timed wait woke late (the end event's late_ns). */
    static final java.util.concurrent.atomic.AtomicLong late = new java.util.concurrent.atomic.AtomicLong();

    static void noteLate(long ns) {
        late.accumulateAndGet(ns, Math::max);
    }

    static void sleepNs(long ns) throws InterruptedException {
        if (ns > 0) {
            long start = System.nanoTime();
            TimeUnit.NANOSECONDS.sleep(ns);
            noteLate(System.nanoTime() - start - ns);
        }
    }

    // ---- error names ----------------------------------------------------

    /** errName maps a jnats exception to the model's error names. */
    static String errName(Throwable e) {
        if (e instanceof ExecutionException && e.getCause() != null) {
            e = e.getCause();
        }
        String m = e.getMessage() == null ? "" : e.getMessage();
        if (e instanceof TimeoutException) {
            return "ErrTimeout";
        }
        if (e instanceof IllegalStateException) {
            if (m.startsWith("Connection is Closed") || m.startsWith("A connection can't be drained during close")) {
                return "ErrConnectionClosed";
            }
            if (m.startsWith("Connection is Draining")) {
                return "ErrConnectionDraining";
            }
            if (m.startsWith("Unable to queue any more messages during reconnect")) {
                return "ErrReconnectBufExceeded";
            }
            if (m.startsWith("This subscription is inactive") || m.startsWith("Consumer is closed")
                || m.startsWith("This subscription became inactive")) {
                return "ErrBadSubscription";
            }
        }
        if (e instanceof IllegalArgumentException && m.startsWith("Message payload size exceed")) {
            return "ErrMaxPayload";
        }
        if (e.getClass().getSimpleName().equals("JetStreamStatusException") && m.contains("503")) {
            return "ErrNoResponders";
        }
        return "lib:" + e.getClass().getSimpleName() + (m.isEmpty() ? "" : ": " + m);
    }

    static void call(String source, String verb, String client, String sub, long at, String result, String key) {
        new Ev("call").s("source", source).s("verb", verb).s("client", client).s("sub", sub)
            .n("at", at).n("returned", now()).s("result", result).s("key", key).emit();
    }

    // ---- connections ----------------------------------------------------

    static void connect(Client c) throws Exception {
        JsonValue p = c.plan;
        long dt = num(p, "drain_timeout_ns");
        c.drainTimeout = dt < 0 ? null : dur(dt);
        Options.Builder b = new Options.Builder()
            .server(str(p, "url"))
            .connectionName(c.name)
            .reconnectWait(dur(num(p, "reconnect_wait_ns")))
            .maxReconnects((int) num(p, "max_reconnect"))
            .reconnectBufferSize(num(p, "reconnect_buf_size"))
            .reportNoResponders() // a 503 completes a request with an exception instead of cancelling it
            .connectionListener(new ConnectionListener() {
                @Override
                @SuppressWarnings("deprecation")
                public void connectionEvent(Connection conn, Events type) {
                    if (t0 < 0) {
                        return;
                    }
                    String kind;
                    switch (type) {
                        case DISCONNECTED: kind = "disconnected"; break;
                        case RECONNECTED: kind = "reconnected"; break;
                        case CLOSED: kind = "closed"; break;
                        default: return;
                    }
                    new Ev("callback").s("client", c.name).s("kind", kind).n("t", now()).emit();
                }
            })
            .errorListener(new ErrorListener() {
                @Override
                public void errorOccurred(Connection conn, String error) {
                    asyncError(c, "lib:" + error, "");
                }

                @Override
                public void exceptionOccurred(Connection conn, Exception exp) {
                    asyncError(c, errName(exp), "");
                }

                @Override
                public void slowConsumerDetected(Connection conn, Consumer consumer) {
                    asyncError(c, "ErrSlowConsumer", subOfConsumer(consumer));
                }
            });
        if (!bool(p, "reconnect")) {
            b.noReconnect();
        }
        c.nc = Nats.connect(b.build());
    }

    static void asyncError(Client c, String err, String sub) {
        if (t0 < 0) {
            log("before start: async error " + err);
            return;
        }
        Ev e = new Ev("callback").s("client", c.name).s("kind", "async_error").n("t", now()).s("error", err);
        if (!sub.isEmpty()) {
            e.s("sub", sub);
        }
        e.emit();
    }

    static String subOfConsumer(Consumer consumer) {
        for (Sub s : subs.values()) {
            if (s.sub == consumer || (s.dispatcher == consumer && s.dispatcherName.isEmpty())) {
                return s.id;
            }
        }
        return "";
    }

    // ---- subscriptions --------------------------------------------------

    /** subscribe creates sub s; it returns "ok" or an error name. */
    static String subscribe(Sub s) {
        JsonValue p = s.plan;
        Connection nc = s.client.nc;
        String subject = str(p, "subject");
        String queue = str(p, "queue");
        long msgs = num(p, "pending_msgs_limit"), bytes = num(p, "pending_bytes_limit");
        try {
            Subscription sub;
            if ("sync".equals(str(p, "type"))) {
                sub = queue.isEmpty() ? nc.subscribe(subject) : nc.subscribe(subject, queue);
                sub.setPendingLimits(msgs < 0 ? 0 : msgs, bytes < 0 ? 0 : bytes);
            } else {
                Dispatcher d;
                if (s.dispatcherName.isEmpty()) {
                    d = nc.createDispatcher();
                } else {
                    String k = s.client.name + "\u0000" + s.dispatcherName;
                    d = sharedDispatchers.get(k);
                    if (d == null) {
                        d = nc.createDispatcher();
                        sharedDispatchers.put(k, d);
                    }
                }
                // a dispatcher's subscriptions share its queue and its limits
                d.setPendingLimits(msgs < 0 ? 0 : msgs, bytes < 0 ? 0 : bytes);
                s.dispatcher = d;
                MessageHandler h = m -> handle(s, m);
                sub = queue.isEmpty() ? d.subscribe(subject, h) : d.subscribe(subject, queue, h);
            }
            long max = num(p, "max");
            if (max > 0) {
                if (s.dispatcher != null) {
                    s.dispatcher.unsubscribe(sub, (int) max);
                } else {
                    sub.unsubscribe((int) max);
                }
            }
            s.sub = sub;
            return "ok";
        } catch (Exception e) {
            return errName(e);
        }
    }

    // ---- handlers -------------------------------------------------------

    static void handle(Sub s, Message m) {
        int n = s.callbacks.incrementAndGet();
        String key = keyOf(m);
        new Ev("deliver").s("sub", s.id).s("key", key).n("t", now()).emit();
        JsonValue h = get(s.plan, "handler");
        String src = s.id + "#" + n;
        try {
            sleepNs(num(h, "duration_ns"));
            for (JsonValue a : list(h, "actions")) {
                long nth = num(a, "nth", 0);
                if (nth > 0 && nth != n) {
                    continue;
                }
                handlerAction(s, m, src, a);
            }
        } catch (InterruptedException e) {
            // close() stops the dispatcher by interrupting its thread: the
            // callback returns now, its work cut short.
            new Ev("log").s("msg", "callback " + src + " of " + s.id + " interrupted").emit();
            new Ev("handled").s("sub", s.id).s("key", key).n("t", now()).emit();
            Thread.currentThread().interrupt();
            return;
        }
        new Ev("handled").s("sub", s.id).s("key", key).n("t", now()).emit();
    }

    static void handlerAction(Sub s, Message m, String src, JsonValue a) throws InterruptedException {
        Client c = s.client;
        String v = verb(a, HANDLER_VERBS);
        JsonValue o = get(a, v);
        long at = now();
        switch (v) {
            case "reply": {
                String to = m.getReplyTo();
                if (to == null || to.isEmpty()) {
                    call(src, "reply", c.name, s.id, at, "ErrMsgNoReply", "");
                    return;
                }
                String key = nextKey(src);
                call(src, "reply", c.name, s.id, at, publish(c, to, "", payload(key, num(o, "size"))), key);
                return;
            }
            case "publish":
                publishes(c, s.id, src, o);
                return;
            case "request":
                requests(c, s.id, src, o);
                return;
            case "unsubscribe":
                call(src, "unsubscribe", c.name, s.id, at, unsubscribe(s), "");
                return;
            case "drain_sub":
                call(src, "drain_sub", c.name, s.id, at, drainSub(s, o), "");
                return;
            case "subscribe": {
                Sub d = subs.get(str(o, "sub"));
                String r = subscribe(d);
                call(src, "subscribe", c.name, d.id, at, r, "");
                if (r.equals("ok")) {
                    new Ev("subscribed").s("sub", d.id).n("t", now()).emit();
                }
                return;
            }
            case "drain":
                call(src, "drain", c.name, s.id, at, drain(c), "");
                return;
            case "sleep":
                sleepNs(num(o, "duration_ns"));
                return;
            default:
                fatal("plan: handler action of " + s.id + " has no known verb");
        }
    }

    // ---- calls ----------------------------------------------------------

    static String publish(Client c, String subject, String reply, byte[] data) {
        try {
            if (reply.isEmpty()) {
                c.nc.publish(subject, data);
            } else {
                c.nc.publish(subject, reply, data);
            }
            return "ok";
        } catch (Exception e) {
            return errName(e);
        }
    }

    static void publishes(Client c, String sub, String src, JsonValue o) throws InterruptedException {
        long count = Math.max(1, num(o, "count", 1)), interval = num(o, "interval_ns", 0);
        for (long k = 0; k < count; k++) {
            if (k > 0 && interval > 0) {
                sleepNs(interval);
            }
            long at = now();
            String key = nextKey(src);
            call(src, "publish", c.name, sub, at, publish(c, str(o, "subject"), str(o, "reply"), payload(key, num(o, "size"))), key);
        }
    }

    static void requests(Client c, String sub, String src, JsonValue o) throws InterruptedException {
        long count = Math.max(1, num(o, "count", 1)), interval = num(o, "interval_ns", 0);
        long timeout = num(o, "timeout_ns");
        for (long k = 0; k < count; k++) {
            if (k > 0 && interval > 0) {
                sleepNs(interval);
            }
            long at = now();
            String key = nextKey(src);
            String r;
            try {
                CompletableFuture<Message> f = c.nc.requestWithTimeout(str(o, "subject"), payload(key, num(o, "size")), dur(timeout));
                f.get(timeout, TimeUnit.NANOSECONDS);
                r = "ok";
            } catch (TimeoutException e) {
                r = "ErrTimeout";
            } catch (CancellationException e) {
                // a closing connection cancels the requests still waiting
                r = c.nc.getStatus() == Connection.Status.CLOSED ? "ErrConnectionClosed" : "lib:CancellationException";
            } catch (ExecutionException e) {
                r = errName(e);
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                r = errName(e);
            }
            call(src, "request", c.name, sub, at, r, key);
        }
    }

    static String unsubscribe(Sub s) {
        try {
            if (s.sub == null) {
                return "ErrBadSubscription";
            }
            if (s.dispatcher != null) {
                s.dispatcher.unsubscribe(s.sub);
            } else {
                s.sub.unsubscribe();
            }
            return "ok";
        } catch (Exception e) {
            return errName(e);
        }
    }

    static String autoUnsubscribe(Sub s, int max) {
        try {
            if (s.sub == null) {
                return "ErrBadSubscription";
            }
            if (s.dispatcher != null) {
                s.dispatcher.unsubscribe(s.sub, max);
            } else {
                s.sub.unsubscribe(max);
            }
            return "ok";
        } catch (Exception e) {
            return errName(e);
        }
    }

    /** drainSub calls Subscription.drain (which flushes on this thread) and
     * reports the future's completion as sub_drain_done. */
    static String drainSub(Sub s, JsonValue o) throws InterruptedException {
        if (s.sub == null) {
            return "ErrBadSubscription";
        }
        long ns = num(o, "timeout_ns", num(s.client.plan, "drain_timeout_ns"));
        try {
            // A subscription of its own dispatcher is drained through the
            // dispatcher; a member of a shared one, or a sync subscription,
            // through Subscription.drain.
            Consumer target = s.dispatcher != null && s.dispatcherName.isEmpty() ? s.dispatcher : s.sub;
            CompletableFuture<Boolean> f = target.drain(ns < 0 ? null : dur(ns));
            watch(f, "sub", s.id, "sub_drain_done");
            return "ok";
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            return errName(e);
        }
    }

    static String drain(Client c) throws InterruptedException {
        try {
            CompletableFuture<Boolean> f = c.nc.drain(c.drainTimeout);
            watch(f, "client", c.name, "drain_done");
            return "ok";
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            return errName(e);
        }
    }

    /** watch reports a drain future's completion once per future and kind. */
    static void watch(CompletableFuture<Boolean> f, String field, String who, String kind) {
        synchronized (watched) {
            // A drain already running returns the same future: watch it once
            // (a subscription drain during a connection drain returns the
            // connection's future, which then also signals sub_drain_done).
            if (kind.equals("drain_done") && !watched.add(f)) {
                return;
            }
        }
        f.whenComplete(new Done(field, who, kind));
    }

    /** Done emits a drain future's completion (no lambda: a first lambda
     * call site costs milliseconds to link). */
    static final class Done implements java.util.function.BiConsumer<Boolean, Throwable> {
        final String field, who, kind;

        Done(String field, String who, String kind) {
            this.field = field;
            this.who = who;
            this.kind = kind;
        }

        @Override
        public void accept(Boolean ok, Throwable ex) {
            String r = ex != null ? errName(ex) : (Boolean.TRUE.equals(ok) ? "ok" : "ErrDrainTimeout");
            new Ev(kind).s(field, who).n("t", now()).s("result", r).emit();
        }
    }

    /** Async runs a top-level action on a thread of its own. */
    static final class Async implements Runnable {
        final JsonValue a, o;
        final String v;

        Async(JsonValue a, String v, JsonValue o) {
            this.a = a;
            this.v = v;
            this.o = o;
        }

        @Override
        public void run() {
            try {
                topAction(a, v, o);
            } catch (InterruptedException e) {
                log(str(a, "source") + " interrupted");
            }
        }
    }

    static String nextMsgs(Sub s, JsonValue o, String src) throws InterruptedException {
        long count = Math.max(1, num(o, "count", 1));
        for (long k = 0; k < count; k++) {
            long at = now();
            String r = "ok", key = "";
            try {
                if (s.sub == null) {
                    r = "ErrBadSubscription";
                } else {
                    Message m = s.sub.nextMessage(dur(num(o, "timeout_ns")));
                    if (m == null) {
                        r = "ErrTimeout";
                    } else {
                        key = keyOf(m);
                    }
                }
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                r = errName(e);
            }
            call(src, "next_msg", s.client.name, s.id, at, r, key);
        }
        return "";
    }

    // ---- top-level actions ----------------------------------------------

    static boolean concurrent(String v, JsonValue o) {
        switch (v) {
            case "publish":
                return num(o, "count", 1) > 1 && num(o, "interval_ns", 0) > 0;
            case "request":
            case "flush":
            case "next_msg":
                return true;
            default:
                return false;
        }
    }

    static void topAction(JsonValue a, String v, JsonValue o) throws InterruptedException {
        String src = str(a, "source");
        long at = now();
        switch (v) {
            case "publish": {
                Client c = clients.get(str(o, "client"));
                publishes(c, "", src, o);
                return;
            }
            case "request":
                requests(clients.get(str(o, "client")), "", src, o);
                return;
            case "flush": {
                Client c = clients.get(str(o, "client"));
                String r = "ok";
                try {
                    c.nc.flush(dur(num(o, "timeout_ns")));
                } catch (InterruptedException e) {
                    throw e;
                } catch (Exception e) {
                    r = errName(e);
                }
                call(src, "flush", c.name, "", at, r, "");
                return;
            }
            case "subscribe": {
                Sub s = subs.get(str(o, "sub"));
                String r = s.sub != null ? "lib:already subscribed" : subscribe(s);
                call(src, "subscribe", s.client.name, s.id, at, r, "");
                if (r.equals("ok")) {
                    new Ev("subscribed").s("sub", s.id).n("t", now()).emit();
                }
                return;
            }
            case "unsubscribe": {
                Sub s = subs.get(str(o, "sub"));
                call(src, "unsubscribe", s.client.name, s.id, at, unsubscribe(s), "");
                return;
            }
            case "auto_unsubscribe": {
                Sub s = subs.get(str(o, "sub"));
                call(src, "auto_unsubscribe", s.client.name, s.id, at, autoUnsubscribe(s, (int) num(o, "max")), "");
                return;
            }
            case "drain_sub": {
                Sub s = subs.get(str(o, "sub"));
                call(src, "drain_sub", s.client.name, s.id, at, drainSub(s, o), "");
                return;
            }
            case "drain": {
                Client c = clients.get(str(o, "client"));
                call(src, "drain", c.name, "", at, drain(c), "");
                return;
            }
            case "close": {
                Client c = clients.get(str(o, "client"));
                String r = "ok";
                try {
                    c.nc.close();
                } catch (InterruptedException e) {
                    throw e;
                } catch (Exception e) {
                    r = errName(e);
                }
                call(src, "close", c.name, "", at, r, "");
                return;
            }
            case "next_msg":
                nextMsgs(subs.get(str(o, "sub")), o, src);
                return;
            default:
                fatal("plan: " + src + " has no known verb");
        }
    }

    // ---- observation ----------------------------------------------------

    static String statusName(Connection.Status st) {
        switch (st) {
            case CONNECTED: return "CONNECTED";
            case DISCONNECTED: return "DISCONNECTED";
            case RECONNECTING: return "RECONNECTING";
            case CLOSED: return "CLOSED";
            default: return st.name();
        }
    }

    /** poll reports status changes and removed subscriptions: jnats has no
     * event for either (its Status has no draining state). */
    static void poll() {
        for (Client c : clients.values()) {
            String st = statusName(c.nc.getStatus());
            if (!st.equals(c.status)) {
                c.status = st;
                new Ev("status").s("client", c.name).s("status", st).n("t", now()).emit();
            }
        }
        for (Sub s : subs.values()) {
            Subscription sub = s.sub;
            if (sub != null && !s.removed && !sub.isActive()) {
                s.removed = true;
                new Ev("sub_removed").s("sub", s.id).n("t", now()).emit();
            }
        }
    }

    static void sleepUntil(long ns) throws InterruptedException {
        while (true) {
            long left = ns - now();
            if (left <= 0) {
                noteLate(-left);
                return;
            }
            if (left > 2_000_000) {
                Thread.sleep((left - 1_000_000) / 1_000_000);
            } else {
                LockSupport.parkNanos(left);
            }
        }
    }

    /** warmUp loads and compiles the code paths a plan uses (publish,
     * request, flush, event output) before the clock starts, so that the
     * first real call does not pay for class loading. */
    static void warmUp() throws Exception {
        // Throwaway connections only: the plan's connections must not get
        // a request inbox or a dispatcher the scenario did not ask for.
        String url = str(clients.values().iterator().next().plan, "url");
        for (int i = 0; i < 3; i++) {
            Connection w = Nats.connect(new Options.Builder().server(url).reportNoResponders().build());
            Dispatcher echo = w.createDispatcher();
            echo.subscribe("_drainsim.warmup.r", m -> w.publish(m.getReplyTo(), m.getData()));
            for (int k = 0; k < 100; k++) {
                w.publish("_drainsim.nobody", payload(nextKey("_warmup"), 8));
                w.requestWithTimeout("_drainsim.warmup.r", payload("w", 0), Duration.ofSeconds(2)).get(2, TimeUnit.SECONDS);
                keyOf(w.request("_drainsim.warmup.r", payload("w", 1), Duration.ofSeconds(2)));
                new Ev("log").s("msg", "warm").n("t", k).b.setLength(0);
            }
            w.flush(Duration.ofSeconds(5));
            Dispatcher wd = w.createDispatcher();
            Subscription ws = wd.subscribe("_drainsim.warmup.d", m -> { });
            Dispatcher shared = w.createDispatcher();
            Subscription ms = shared.subscribe("_drainsim.warmup.m", m -> { });
            Subscription ss = w.subscribe("_drainsim.warmup.s");
            w.publish("_drainsim.warmup.d", payload("w", 1));
            w.publish("_drainsim.warmup.s", payload("w", 1));
            ss.nextMessage(Duration.ofSeconds(1));
            wd.drain(Duration.ofSeconds(1)).get(2, TimeUnit.SECONDS);
            ss.drain(Duration.ofSeconds(1)).get(2, TimeUnit.SECONDS);
            ms.drain(Duration.ofSeconds(1)).get(2, TimeUnit.SECONDS);
            w.createDispatcher().subscribe("_drainsim.warmup.e", m -> { });
            w.drain(Duration.ofSeconds(1)).get(2, TimeUnit.SECONDS);
            w.close();
        }
        keyCounters.remove("_warmup");
        noteLate(0);
        new Done("client", "_warmup", "log").getClass();
        Thread at = new Thread(new Async(null, "", null));
        at.getClass();
        Thread t = new Thread(() -> { }, "drainsim-warmup");
        t.start();
        t.join();
    }

    // ---- main -----------------------------------------------------------

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: java Driver plan.json");
            System.exit(2);
        }
        JsonValue plan;
        try {
            plan = JsonParser.parse(new String(Files.readAllBytes(Paths.get(args[0])), StandardCharsets.UTF_8));
        } catch (IOException e) {
            fatal("reading plan: " + e);
            return;
        }
        if (num(plan, "protocol") != 1) {
            fatal("unsupported protocol " + num(plan, "protocol"));
        }
        long until = num(plan, "until_ns");
        for (JsonValue cp : list(plan, "clients")) {
            Client c = new Client();
            c.name = str(cp, "name");
            c.plan = cp;
            clients.put(c.name, c);
        }
        for (JsonValue sp : list(plan, "subscriptions")) {
            Sub s = new Sub();
            s.id = str(sp, "id");
            s.plan = sp;
            s.client = clients.get(str(sp, "client"));
            s.dispatcherName = str(sp, "dispatcher");
            if (s.client == null) {
                fatal("plan: subscription " + s.id + " names an unknown client");
            }
            subs.put(s.id, s);
        }
        try {
            for (Client c : clients.values()) {
                connect(c);
            }
        } catch (Exception e) {
            fatal("connect: " + e);
        }
        for (Sub s : subs.values()) {
            if (!bool(s.plan, "deferred")) {
                String r = subscribe(s);
                if (!r.equals("ok")) {
                    fatal("subscribe " + s.id + ": " + r);
                }
            }
        }
        warmUp();
        for (Client c : clients.values()) {
            c.nc.flush(Duration.ofSeconds(5));
        }

        Thread poller = new Thread(() -> {
            while (true) {
                if (t0 >= 0) {
                    poll();
                }
                LockSupport.parkNanos(1_000_000);
            }
        }, "drainsim-poll");
        poller.setDaemon(true);
        for (Client c : clients.values()) {
            c.status = statusName(c.nc.getStatus());
        }
        poller.start();
        t0 = System.nanoTime();
        new Ev("start").s("library", "nats.java " + Nats.CLIENT_VERSION)
            .raw("observes", "{\"status\":{\"CONNECTED\":\"CONNECTED\",\"DISCONNECTED\":\"DISCONNECTED\","
                + "\"RECONNECTING\":\"RECONNECTING\",\"CLOSED\":\"CLOSED\"},"
                + "\"callbacks\":[\"async_error\",\"disconnected\",\"reconnected\",\"closed\"],"
                + "\"sub_removed\":true,\"sub_closed\":false,\"drain_done\":true,\"sub_drain_done\":true,"
                + "\"callback_end\":true,\"last_error\":false}")
            .n("t", 0).emit();
        for (Sub s : subs.values()) {
            if (s.sub != null) {
                new Ev("subscribed").s("sub", s.id).n("t", 0).emit();
            }
        }
        for (Client c : clients.values()) {
            new Ev("status").s("client", c.name).s("status", c.status).n("t", 0).emit();
        }

        // The end comes at until_ns even if an inline call still blocks (a
        // drain with no timeout waiting on a dead link).
        Thread ender = new Thread(() -> {
            try {
                sleepUntil(until);
            } catch (InterruptedException e) {
                return;
            }
            finish();
        }, "drainsim-end");
        ender.setDaemon(true);
        ender.start();
        for (JsonValue a : list(plan, "actions")) {
            if (bool(a, "harness")) {
                continue;
            }
            String v = verb(a, TOP_VERBS);
            if (v.isEmpty()) {
                fatal("plan: " + str(a, "source") + " has no known verb");
            }
            JsonValue o = get(a, v);
            sleepUntil(num(a, "at_ns"));
            if (concurrent(v, o)) {
                Thread t = new Thread(new Async(a, v, o), "drainsim-" + str(a, "source"));
                t.setDaemon(true);
                t.start();
            } else {
                topAction(a, v, o);
            }
        }
        ender.join();
    }

    static void finish() {
        poll();
        for (Client c : clients.values()) {
            // jnats's getLastError is only the server's last -ERR text, not
            // the model's LastError: reported for humans, not compared.
            String le = c.nc.getLastError();
            new Ev("last_error").s("client", c.name).s("error", le == null ? "" : "lib:" + le).emit();
        }
        new Ev("end").n("t", now()).n("late_ns", late.get()).emit();
        OUT.flush();
        Runtime.getRuntime().halt(0);
    }
}
