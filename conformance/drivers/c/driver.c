/*
 * drainsim conformance driver for nats.c (docs/driver-protocol.md).
 *
 * Reads a plan (JSON) and plays it on the real nats.c against the harness's
 * nats-server, writing what it sees as NDJSON events on stdout. Times are
 * nanoseconds since the start event, on CLOCK_MONOTONIC.
 *
 * Build: gcc -O2 -Wall -o driver driver.c -lnats -lcjson -lpthread
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <nats/nats.h>

#define MAXC 16
#define MAXS 64

typedef struct {
    const char *name, *url;
    int64_t drain_timeout_ns;
    bool reconnect;
    int64_t reconnect_wait_ns;
    int max_reconnect, reconnect_buf_size;
    natsConnection *nc;
    int last_status; /* last reported status name index, -1 none */
} client_t;

typedef struct {
    const char *id, *subject, *queue;
    int client;
    bool sync, deferred;
    int max;
    int pending_msgs, pending_bytes;
    int64_t duration_ns;
    cJSON *actions; /* handler actions (array) */
    natsSubscription *ns;
    atomic_int ncb;         /* callbacks started */
    atomic_bool subscribed; /* ns is set */
    bool removed;           /* sub_removed reported (poller only) */
} sub_t;

static client_t clients[MAXC];
static int nclients;
static sub_t subs[MAXS];
static int nsubs;
static int64_t until_ns;
static atomic_bool started;
static pthread_mutex_t outmu = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t submu = PTHREAD_MUTEX_INITIALIZER; /* subscribe calls vs the poller */

/* ---------- time ---------- */

static int64_t mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t t0ns;

static int64_t now(void) { return atomic_load(&started) ? mono() - t0ns : 0; }

/* the most a timed wait (an action's time, a handler's duration) woke late */
static atomic_llong worst_late;

static void sleep_abs(int64_t abs)
{
    struct timespec ts = {abs / 1000000000LL, abs % 1000000000LL};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
    long long late = mono() - abs, w = atomic_load(&worst_late);
    while (late > w && !atomic_compare_exchange_weak(&worst_late, &w, late))
        ;
}

static void sleep_until(int64_t t) /* t: ns since start */ { sleep_abs(t0ns + t); }

static void sleep_for(int64_t d)
{
    if (d > 0)
        sleep_abs(mono() + d);
}

/* the poller's own sleeps are not timed waits of the plan */
static void nap(int64_t d)
{
    struct timespec ts = {0, d};
    nanosleep(&ts, NULL);
}

static int64_t ms(int64_t ns) { return ns <= 0 ? ns : (ns + 999999) / 1000000; }

/* ---------- output ---------- */

static void jstr(char *b, size_t n, const char *s)
{
    size_t o = 0;
    if (s == NULL)
        s = "";
    b[o++] = '"';
    for (; *s && o + 8 < n; s++) {
        unsigned char c = (unsigned char) *s;
        if (c == '"' || c == '\\') {
            b[o++] = '\\';
            b[o++] = c;
        } else if (c < 0x20)
            o += snprintf(b + o, n - o, "\\u%04x", c);
        else
            b[o++] = c;
    }
    b[o++] = '"';
    b[o] = 0;
}

/* emit writes one event line; fmt holds the fields after "ev". */
static void emit(const char *ev, const char *fmt, ...)
{
    char body[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&outmu);
    printf("{\"ev\":\"%s\"%s%s}\n", ev, body[0] ? "," : "", body);
    fflush(stdout);
    pthread_mutex_unlock(&outmu);
}

static void logf_(const char *fmt, ...)
{
    char m[1024], q[2100];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    jstr(q, sizeof q, m);
    emit("log", "\"msg\":%s", q);
}

static void fatal(const char *fmt, ...)
{
    char m[1024], q[2100];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    jstr(q, sizeof q, m);
    emit("fatal", "\"error\":%s", q);
    _exit(2);
}

/* ---------- errors ---------- */

/*
 * errname maps a nats.c status to the model's error name where the library
 * means the same condition; text is the library's error text when it helps
 * (the drain's own errors share codes with others).
 */
static void errname(char *b, size_t n, natsStatus s, const char *verb, const char *text)
{
    const char *m = NULL;
    if (text == NULL)
        text = "";
    switch (s) {
    case NATS_OK: m = "ok"; break;
    case NATS_CONNECTION_CLOSED:
        /* as a connection's last error it is the read loop's end of
           stream: nats.go's io.EOF (a Close sets no last error) */
        m = verb && !strcmp(verb, "last_error") ? "EOF" : "ErrConnectionClosed";
        break;
    case NATS_DRAINING: m = "ErrConnectionDraining"; break;
    case NATS_TIMEOUT:
        m = strstr(text, "timeout waiting for subscriptions to drain") ? "ErrDrainTimeout" : "ErrTimeout";
        break;
    case NATS_INVALID_SUBSCRIPTION: m = "ErrBadSubscription"; break;
    case NATS_SLOW_CONSUMER: m = "ErrSlowConsumer"; break;
    case NATS_NO_RESPONDERS: m = "ErrNoResponders"; break;
    case NATS_NO_SERVER: m = "ErrNoServers"; break;
    case NATS_MAX_PAYLOAD: m = "ErrMaxPayload"; break;
    case NATS_MAX_DELIVERED_MSGS: m = "ErrMaxMessages"; break;
    case NATS_INSUFFICIENT_BUFFER:
        if (verb && (!strcmp(verb, "publish") || !strcmp(verb, "request") || !strcmp(verb, "reply")))
            m = "ErrReconnectBufExceeded";
        break;
    case NATS_ILLEGAL_STATE:
        if (strstr(text, "while the connection is reconnecting"))
            m = "ErrConnectionReconnecting";
        break;
    case NATS_CONNECTION_DISCONNECTED:
        if (strstr(text, "EOF") || text[0] == 0)
            m = NULL;
        break;
    default: break;
    }
    if (m)
        snprintf(b, n, "%s", m);
    else
        snprintf(b, n, "lib:%s%s%s", natsStatus_GetText(s), text[0] ? ": " : "", text);
}

/* callerr names the result of an API call just made on this thread. */
static void callerr(char *b, size_t n, natsStatus s, const char *verb)
{
    char text[512] = "";
    const char *last = s != NATS_OK ? nats_GetLastError(NULL) : NULL;
    if (last != NULL)
        snprintf(text, sizeof text, "%s", last);
    errname(b, n, s, verb, text);
}

/* ---------- lookup ---------- */

static int client_of(natsConnection *nc)
{
    for (int i = 0; i < nclients; i++)
        if (clients[i].nc == nc)
            return i;
    return -1;
}

static int sub_index(const char *id)
{
    for (int i = 0; i < nsubs; i++)
        if (!strcmp(subs[i].id, id))
            return i;
    return -1;
}

static int sub_of(natsSubscription *ns)
{
    if (ns == NULL)
        return -1;
    for (int i = 0; i < nsubs; i++)
        if (atomic_load(&subs[i].subscribed) && subs[i].ns == ns)
            return i;
    return -1;
}

static const char *jget_s(cJSON *o, const char *k)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static int64_t jget_i(cJSON *o, const char *k)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? (int64_t) v->valuedouble : 0;
}

static bool jget_b(cJSON *o, const char *k) { return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, k)); }

/* ---------- events for calls ---------- */

static void call_ev(const char *source, const char *verb, int client, int sub, int64_t at, const char *result, const char *key)
{
    char s[300], c[300], sb[300], r[700], k[300];
    jstr(s, sizeof s, source);
    jstr(c, sizeof c, client >= 0 ? clients[client].name : "");
    jstr(sb, sizeof sb, sub >= 0 ? subs[sub].id : "");
    jstr(r, sizeof r, result);
    jstr(k, sizeof k, key);
    emit("call", "\"source\":%s,\"verb\":\"%s\",\"client\":%s,\"sub\":%s,\"at\":%" PRId64 ",\"returned\":%" PRId64 ",\"result\":%s,\"key\":%s",
         s, verb, c, sb, at, now(), r, k);
}

/* payload: the key, then size spaces. */
static char *payload(const char *key, int size, int *len)
{
    size_t kl = strlen(key);
    char *p = malloc(kl + size + 1);
    memcpy(p, key, kl);
    memset(p + kl, ' ', size);
    p[kl + size] = 0;
    *len = (int) (kl + size);
    return p;
}

static void msgkey(char *b, size_t n, natsMsg *m)
{
    const char *d = natsMsg_GetData(m);
    int l = natsMsg_GetDataLength(m), i;
    for (i = 0; i < l && d[i] != ' ' && (size_t) i + 1 < n; i++)
        b[i] = d[i];
    b[i] = 0;
}

/* ---------- connection callbacks ---------- */

static void cb_conn(natsConnection *nc, const char *kind)
{
    int c = client_of(nc);
    char cn[300];
    jstr(cn, sizeof cn, c >= 0 ? clients[c].name : "");
    emit("callback", "\"client\":%s,\"kind\":\"%s\",\"t\":%" PRId64 ",\"error\":\"\",\"sub\":\"\"", cn, kind, now());
}

static void on_closed(natsConnection *nc, void *cl) { cb_conn(nc, "closed"); }
static void on_disconnected(natsConnection *nc, void *cl) { cb_conn(nc, "disconnected"); }
static void on_reconnected(natsConnection *nc, void *cl) { cb_conn(nc, "reconnected"); }

static void on_error(natsConnection *nc, natsSubscription *ns, natsStatus err, void *cl)
{
    int64_t t = now();
    int c = client_of(nc), s = sub_of(ns);
    /* the library hands the callback its error text as this thread's last error */
    const char *text = nats_GetLastError(NULL);
    char e[700], eq[800], cn[300], sq[300];
    errname(e, sizeof e, err, "async_error", err == NATS_SLOW_CONSUMER ? "" : text);
    jstr(eq, sizeof eq, e);
    jstr(cn, sizeof cn, c >= 0 ? clients[c].name : "");
    jstr(sq, sizeof sq, s >= 0 ? subs[s].id : "");
    emit("callback", "\"client\":%s,\"kind\":\"async_error\",\"t\":%" PRId64 ",\"error\":%s,\"sub\":%s", cn, t, eq, sq);
}

/* ---------- subscriptions ---------- */

static void on_msg(natsConnection *nc, natsSubscription *ns, natsMsg *msg, void *closure);

static void on_complete(void *closure)
{
    sub_t *s = closure;
    char q[300];
    jstr(q, sizeof q, s->id);
    emit("sub_closed", "\"sub\":%s,\"t\":%" PRId64, q, now());
}

/* subscribe creates sub i on its client's connection. */
static natsStatus do_subscribe(int i)
{
    sub_t *s = &subs[i];
    natsConnection *nc = clients[s->client].nc;
    natsSubscription *ns = NULL;
    natsStatus st;
    pthread_mutex_lock(&submu);
    if (s->sync)
        st = s->queue[0] ? natsConnection_QueueSubscribeSync(&ns, nc, s->subject, s->queue)
                         : natsConnection_SubscribeSync(&ns, nc, s->subject);
    else
        st = s->queue[0] ? natsConnection_QueueSubscribe(&ns, nc, s->subject, s->queue, on_msg, s)
                         : natsConnection_Subscribe(&ns, nc, s->subject, on_msg, s);
    if (st == NATS_OK) {
        int pm = s->pending_msgs == 0 ? -1 : s->pending_msgs;
        int pb = s->pending_bytes == 0 ? -1 : s->pending_bytes;
        natsSubscription_SetPendingLimits(ns, pm, pb);
        if (!s->sync)
            natsSubscription_SetOnCompleteCB(ns, on_complete, s);
        if (s->max > 0)
            natsSubscription_AutoUnsubscribe(ns, s->max);
        s->ns = ns;
        atomic_store(&s->subscribed, true);
    }
    pthread_mutex_unlock(&submu);
    return st;
}

static void subscribed_ev(int i, int64_t t)
{
    char q[300];
    jstr(q, sizeof q, subs[i].id);
    emit("subscribed", "\"sub\":%s,\"t\":%" PRId64, q, t);
}

/* ---------- handler ---------- */

static void publish_calls(const char *source, int *k, int client, int sub, const char *verb,
                          const char *subject, const char *reply, int size, int count, int64_t interval)
{
    natsConnection *nc = clients[client].nc;
    if (count < 1)
        count = 1;
    for (int j = 0; j < count; j++) {
        if (j > 0)
            sleep_for(interval);
        char key[256], res[700];
        int len;
        snprintf(key, sizeof key, "%s/%d", source, (*k)++);
        char *p = payload(key, size, &len);
        int64_t at = now();
        natsStatus st;
        if (reply && reply[0])
            st = natsConnection_PublishRequest(nc, subject, reply, p, len);
        else
            st = natsConnection_Publish(nc, subject, p, len);
        callerr(res, sizeof res, st, verb);
        call_ev(source, verb, client, sub, at, res, st == NATS_OK ? key : "");
        free(p);
    }
}

static void request_call(const char *source, int k, int client, int sub, const char *subject, int size, int64_t timeout_ns)
{
    char key[256], res[700];
    int len;
    snprintf(key, sizeof key, "%s/%d", source, k);
    char *p = payload(key, size, &len);
    natsMsg *reply = NULL;
    int64_t at = now();
    natsStatus st = natsConnection_Request(&reply, clients[client].nc, subject, p, len, ms(timeout_ns));
    callerr(res, sizeof res, st, "request");
    /* the request's message went out unless the publish itself was refused */
    bool sent = st == NATS_OK || st == NATS_TIMEOUT || st == NATS_NO_RESPONDERS;
    call_ev(source, "request", client, sub, at, res, sent ? key : "");
    if (reply)
        natsMsg_Destroy(reply);
    free(p);
}

static natsStatus drain_conn(int c)
{
    int64_t t = clients[c].drain_timeout_ns;
    if (t == -1)
        return natsConnection_Drain(clients[c].nc);
    return natsConnection_DrainTimeout(clients[c].nc, ms(t));
}

typedef struct {
    int sub;
} subdrain_arg;

/* wait_sub_drain reports a subscription drain's completion and status. */
static void *wait_sub_drain(void *a)
{
    int i = ((subdrain_arg *) a)->sub;
    free(a);
    natsSubscription *ns = subs[i].ns;
    natsStatus st = natsSubscription_WaitForDrainCompletion(ns, 0);
    if (st != NATS_OK)
        return NULL;
    int64_t t = now();
    char res[700], q[300], rq[800];
    errname(res, sizeof res, natsSubscription_DrainCompletionStatus(ns), "sub_drain", "");
    jstr(q, sizeof q, subs[i].id);
    jstr(rq, sizeof rq, res);
    emit("sub_drain_done", "\"sub\":%s,\"t\":%" PRId64 ",\"result\":%s", q, t, rq);
    return NULL;
}

static natsStatus drain_sub(int i)
{
    natsStatus st = natsSubscription_Drain(subs[i].ns);
    if (st == NATS_OK) {
        pthread_t th;
        subdrain_arg *a = malloc(sizeof *a);
        a->sub = i;
        pthread_create(&th, NULL, wait_sub_drain, a);
        pthread_detach(th);
    }
    return st;
}

static void on_msg(natsConnection *nc, natsSubscription *ns, natsMsg *msg, void *closure)
{
    sub_t *s = closure;
    int si = (int) (s - subs);
    int n = atomic_fetch_add(&s->ncb, 1) + 1;
    char key[256], q[300], kq[300], source[300], res[700];
    msgkey(key, sizeof key, msg);
    jstr(q, sizeof q, s->id);
    jstr(kq, sizeof kq, key);
    emit("deliver", "\"sub\":%s,\"key\":%s,\"t\":%" PRId64, q, kq, now());
    snprintf(source, sizeof source, "%s#%d", s->id, n);
    int k = 0, c = s->client;

    sleep_for(s->duration_ns);

    cJSON *a;
    cJSON_ArrayForEach(a, s->actions)
    {
        int nth = (int) jget_i(a, "nth");
        if (nth > 0 && nth != n)
            continue;
        cJSON *v;
        int64_t at = now();
        if ((v = cJSON_GetObjectItemCaseSensitive(a, "reply"))) {
            const char *r = natsMsg_GetReply(msg);
            if (r == NULL || r[0] == 0) {
                k++;
                call_ev(source, "reply", c, si, at, "ErrMsgNoReply", "");
            } else
                publish_calls(source, &k, c, si, "reply", r, NULL, (int) jget_i(v, "size"), 1, 0);
        } else if ((v = cJSON_GetObjectItemCaseSensitive(a, "publish"))) {
            publish_calls(source, &k, c, si, "publish", jget_s(v, "subject"), jget_s(v, "reply"),
                          (int) jget_i(v, "size"), (int) jget_i(v, "count"), jget_i(v, "interval_ns"));
        } else if ((v = cJSON_GetObjectItemCaseSensitive(a, "request"))) {
            int cnt = (int) jget_i(v, "count");
            for (int j = 0; j < (cnt < 1 ? 1 : cnt); j++) {
                request_call(source, k++, c, si, jget_s(v, "subject"), (int) jget_i(v, "size"), jget_i(v, "timeout_ns"));
                sleep_for(jget_i(v, "interval_ns"));
            }
        } else if ((v = cJSON_GetObjectItemCaseSensitive(a, "sleep"))) {
            sleep_for(jget_i(v, "duration_ns"));
        } else if ((v = cJSON_GetObjectItemCaseSensitive(a, "unsubscribe"))) {
            natsStatus st = natsSubscription_Unsubscribe(ns);
            callerr(res, sizeof res, st, "unsubscribe");
            call_ev(source, "unsubscribe", c, si, at, res, "");
        } else if ((v = cJSON_GetObjectItemCaseSensitive(a, "drain_sub"))) {
            natsStatus st = drain_sub(si);
            callerr(res, sizeof res, st, "drain_sub");
            call_ev(source, "drain_sub", c, si, at, res, "");
        } else if ((v = cJSON_GetObjectItemCaseSensitive(a, "subscribe"))) {
            int o = sub_index(jget_s(v, "sub"));
            natsStatus st = o < 0 ? NATS_NOT_FOUND : do_subscribe(o);
            callerr(res, sizeof res, st, "subscribe");
            if (st == NATS_OK)
                subscribed_ev(o, now());
            call_ev(source, "subscribe", c, si, at, res, "");
        } else if ((v = cJSON_GetObjectItemCaseSensitive(a, "drain"))) {
            natsStatus st = drain_conn(c);
            callerr(res, sizeof res, st, "drain");
            call_ev(source, "drain", c, si, at, res, "");
        }
    }
    natsMsg_Destroy(msg);
    emit("handled", "\"sub\":%s,\"key\":%s,\"t\":%" PRId64, q, kq, now());
}

/* ---------- top-level actions ---------- */

typedef struct {
    cJSON *act;
    int k;          /* the call's rank within its source, for repeated requests */
    int64_t at_ns;  /* when to start */
} job_t;

static int client_index(const char *name)
{
    for (int i = 0; i < nclients; i++)
        if (!strcmp(clients[i].name, name))
            return i;
    fatal("unknown client %s", name);
    return -1;
}

static void *run_job(void *arg);

static void spawn(cJSON *act, int k, int64_t at)
{
    job_t *j = malloc(sizeof *j);
    j->act = act, j->k = k, j->at_ns = at;
    pthread_t th;
    pthread_attr_t at_;
    pthread_attr_init(&at_);
    pthread_attr_setdetachstate(&at_, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&th, &at_, run_job, j) != 0)
        fatal("pthread_create failed");
    pthread_attr_destroy(&at_);
}

static void next_msgs(const char *source, cJSON *v)
{
    int i = sub_index(jget_s(v, "sub"));
    int cnt = (int) jget_i(v, "count");
    if (cnt < 1)
        cnt = 1;
    for (int j = 0; j < cnt; j++) {
        int64_t at = now();
        char res[700], key[256] = "";
        if (i < 0 || !atomic_load(&subs[i].subscribed)) {
            call_ev(source, "next_msg", i >= 0 ? subs[i].client : -1, i, at, "ErrBadSubscription", "");
            continue;
        }
        natsMsg *m = NULL;
        natsStatus st = natsSubscription_NextMsg(&m, subs[i].ns, ms(jget_i(v, "timeout_ns")));
        callerr(res, sizeof res, st, "next_msg");
        if (m) {
            msgkey(key, sizeof key, m);
            natsMsg_Destroy(m);
        }
        call_ev(source, "next_msg", subs[i].client, i, at, res, key);
    }
}

/* act performs action a (one call of it, for repeated publishes the k-th). */
static void act(cJSON *a, int k)
{
    const char *source = jget_s(a, "source");
    char res[700];
    cJSON *v;
    int64_t at = now();
    if ((v = cJSON_GetObjectItemCaseSensitive(a, "publish"))) {
        int c = client_index(jget_s(v, "client"));
        int kk = k;
        publish_calls(source, &kk, c, -1, "publish", jget_s(v, "subject"), jget_s(v, "reply"), (int) jget_i(v, "size"), 1, 0);
    } else if ((v = cJSON_GetObjectItemCaseSensitive(a, "request"))) {
        int c = client_index(jget_s(v, "client"));
        request_call(source, k, c, -1, jget_s(v, "subject"), (int) jget_i(v, "size"), jget_i(v, "timeout_ns"));
    } else if ((v = cJSON_GetObjectItemCaseSensitive(a, "flush"))) {
        int c = client_index(jget_s(v, "client"));
        natsStatus st = natsConnection_FlushTimeout(clients[c].nc, ms(jget_i(v, "timeout_ns")));
        callerr(res, sizeof res, st, "flush");
        call_ev(source, "flush", c, -1, at, res, "");
    } else if ((v = cJSON_GetObjectItemCaseSensitive(a, "subscribe"))) {
        int i = sub_index(jget_s(v, "sub"));
        natsStatus st = atomic_load(&subs[i].subscribed) ? NATS_ILLEGAL_STATE : do_subscribe(i);
        callerr(res, sizeof res, st, "subscribe");
        if (st == NATS_OK)
            subscribed_ev(i, now());
        call_ev(source, "subscribe", subs[i].client, i, at, res, "");
    } else if ((v = cJSON_GetObjectItemCaseSensitive(a, "unsubscribe")) ||
               (v = cJSON_GetObjectItemCaseSensitive(a, "auto_unsubscribe")) ||
               (v = cJSON_GetObjectItemCaseSensitive(a, "drain_sub"))) {
        const char *verb = v->string;
        int i = sub_index(jget_s(v, "sub"));
        natsStatus st;
        if (!atomic_load(&subs[i].subscribed))
            st = NATS_INVALID_SUBSCRIPTION;
        else if (!strcmp(verb, "unsubscribe"))
            st = natsSubscription_Unsubscribe(subs[i].ns);
        else if (!strcmp(verb, "auto_unsubscribe"))
            st = natsSubscription_AutoUnsubscribe(subs[i].ns, (int) jget_i(v, "max"));
        else
            st = drain_sub(i);
        callerr(res, sizeof res, st, verb);
        call_ev(source, verb, subs[i].client, i, at, res, "");
    } else if ((v = cJSON_GetObjectItemCaseSensitive(a, "drain"))) {
        int c = client_index(jget_s(v, "client"));
        natsStatus st = drain_conn(c);
        callerr(res, sizeof res, st, "drain");
        call_ev(source, "drain", c, -1, at, res, "");
    } else if ((v = cJSON_GetObjectItemCaseSensitive(a, "close"))) {
        int c = client_index(jget_s(v, "client"));
        natsConnection_Close(clients[c].nc);
        call_ev(source, "close", c, -1, at, "ok", "");
    } else if ((v = cJSON_GetObjectItemCaseSensitive(a, "next_msg"))) {
        next_msgs(source, v);
    } else
        fatal("action %s has no verb this driver knows", source);
}

static void *run_job(void *arg)
{
    job_t *j = arg;
    sleep_until(j->at_ns);
    act(j->act, j->k);
    free(j);
    return NULL;
}

/* ---------- status and removal poller ---------- */

static const char *status_name(natsConnStatus s)
{
    switch (s) {
    case NATS_CONN_STATUS_CONNECTED: return "CONNECTED";
    case NATS_CONN_STATUS_CLOSED: return "CLOSED";
    case NATS_CONN_STATUS_DRAINING_SUBS: /* a poller cannot always see DRAINING_PUBS: */
    case NATS_CONN_STATUS_DRAINING_PUBS: return "DRAINING"; /* after a timeout it lasts microseconds */
    case NATS_CONN_STATUS_RECONNECTING: return "RECONNECTING";
    default: return NULL; /* DISCONNECTED lasts only until the close or the
                             reconnect thread starts: not observed */
    }
}

static void *poller(void *arg)
{
    const char *last[MAXC] = {0};
    int raw[MAXC];
    for (int c = 0; c < MAXC; c++)
        raw[c] = -1;
    for (;;) {
        int64_t t = now();
        for (int c = 0; c < nclients; c++) {
            natsConnStatus cs = natsConnection_Status(clients[c].nc);
            if (cs == NATS_CONN_STATUS_DRAINING_PUBS && raw[c] != (int) cs)
                logf_("%s: DRAINING_PUBS seen at %" PRId64 " ns", clients[c].name, t);
            raw[c] = (int) cs;
            const char *n = status_name(cs);
            if (n != NULL && last[c] != n) {
                char cn[300];
                jstr(cn, sizeof cn, clients[c].name);
                emit("status", "\"client\":%s,\"status\":\"%s\",\"t\":%" PRId64, cn, n, t);
                last[c] = n;
            }
        }
        pthread_mutex_lock(&submu);
        for (int i = 0; i < nsubs; i++) {
            if (!atomic_load(&subs[i].subscribed) || subs[i].removed)
                continue;
            if (!natsSubscription_IsValid(subs[i].ns)) {
                char q[300];
                subs[i].removed = true;
                jstr(q, sizeof q, subs[i].id);
                emit("sub_removed", "\"sub\":%s,\"t\":%" PRId64, q, t);
            }
        }
        pthread_mutex_unlock(&submu);
        nap(1000000); /* 1 ms, as the protocol asks */
    }
    return NULL;
}

/* ---------- main ---------- */

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fatal("cannot open plan %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc(n + 1);
    if (fread(b, 1, n, f) != (size_t) n)
        fatal("cannot read plan %s", path);
    b[n] = 0;
    fclose(f);
    return b;
}

static int cmp_at(const void *x, const void *y)
{
    int64_t a = jget_i(*(cJSON *const *) x, "at_ns"), b = jget_i(*(cJSON *const *) y, "at_ns");
    return a < b ? -1 : a > b;
}

int main(int argc, char **argv)
{
    if (argc != 2)
        fatal("usage: driver plan.json");
    cJSON *plan = cJSON_Parse(slurp(argv[1]));
    if (!plan)
        fatal("plan is not JSON");
    if (jget_i(plan, "protocol") != 1)
        fatal("unsupported protocol %d", (int) jget_i(plan, "protocol"));
    until_ns = jget_i(plan, "until_ns");

    if (nats_Open(-1) != NATS_OK)
        fatal("nats_Open: %s", nats_GetLastError(NULL));

    cJSON *o;
    cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(plan, "clients"))
    {
        if (nclients == MAXC)
            fatal("too many clients");
        client_t *c = &clients[nclients++];
        c->name = jget_s(o, "name");
        c->url = jget_s(o, "url");
        c->drain_timeout_ns = jget_i(o, "drain_timeout_ns");
        c->reconnect = jget_b(o, "reconnect");
        c->reconnect_wait_ns = jget_i(o, "reconnect_wait_ns");
        c->max_reconnect = (int) jget_i(o, "max_reconnect");
        c->reconnect_buf_size = (int) jget_i(o, "reconnect_buf_size");
        /* no_callbacks_after_close: nats.go only; nats.c has no such option. */
    }
    cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(plan, "subscriptions"))
    {
        if (nsubs == MAXS)
            fatal("too many subscriptions");
        sub_t *s = &subs[nsubs++];
        s->id = jget_s(o, "id");
        s->client = client_index(jget_s(o, "client"));
        s->subject = jget_s(o, "subject");
        s->queue = jget_s(o, "queue");
        s->sync = !strcmp(jget_s(o, "type"), "sync");
        s->deferred = jget_b(o, "deferred");
        s->max = (int) jget_i(o, "max");
        s->pending_msgs = (int) jget_i(o, "pending_msgs_limit");
        s->pending_bytes = (int) jget_i(o, "pending_bytes_limit");
        cJSON *h = cJSON_GetObjectItemCaseSensitive(o, "handler");
        s->duration_ns = jget_i(h, "duration_ns");
        s->actions = cJSON_GetObjectItemCaseSensitive(h, "actions");
    }

    for (int i = 0; i < nclients; i++) {
        client_t *c = &clients[i];
        natsOptions *opts = NULL;
        natsStatus st = natsOptions_Create(&opts);
        if (st == NATS_OK) st = natsOptions_SetURL(opts, c->url);
        if (st == NATS_OK) st = natsOptions_SetAllowReconnect(opts, c->reconnect);
        if (st == NATS_OK) st = natsOptions_SetMaxReconnect(opts, c->max_reconnect);
        if (st == NATS_OK) st = natsOptions_SetReconnectWait(opts, ms(c->reconnect_wait_ns));
        if (st == NATS_OK) st = natsOptions_SetReconnectJitter(opts, 0, 0); /* the model draws no jitter */
        if (st == NATS_OK && c->reconnect_buf_size > 0) st = natsOptions_SetReconnectBufSize(opts, c->reconnect_buf_size);
        if (st == NATS_OK) st = natsOptions_SetClosedCB(opts, on_closed, NULL);
        if (st == NATS_OK) st = natsOptions_SetDisconnectedCB(opts, on_disconnected, NULL);
        if (st == NATS_OK) st = natsOptions_SetReconnectedCB(opts, on_reconnected, NULL);
        if (st == NATS_OK) st = natsOptions_SetErrorHandler(opts, on_error, NULL);
        if (st == NATS_OK) st = natsConnection_Connect(&c->nc, opts);
        if (st != NATS_OK)
            fatal("connect %s to %s: %s (%s)", c->name, c->url, natsStatus_GetText(st), nats_GetLastError(NULL));
        natsOptions_Destroy(opts);
    }
    for (int i = 0; i < nsubs; i++) {
        if (subs[i].deferred)
            continue;
        natsStatus st = do_subscribe(i);
        if (st != NATS_OK)
            fatal("subscribe %s: %s", subs[i].id, natsStatus_GetText(st));
    }
    for (int i = 0; i < nclients; i++)
        if (natsConnection_FlushTimeout(clients[i].nc, 5000) != NATS_OK)
            fatal("flush %s failed", clients[i].name);

    t0ns = mono();
    atomic_store(&started, true);
    {
        char lib[128];
        snprintf(lib, sizeof lib, "nats.c v%s", nats_GetVersion());
        emit("start", "\"t\":0,\"library\":\"%s\",\"observes\":{"
                      "\"status\":{\"CONNECTED\":\"CONNECTED\",\"RECONNECTING\":\"RECONNECTING\","
                      "\"DRAINING_SUBS\":\"DRAINING\",\"DRAINING_PUBS\":\"DRAINING\",\"CLOSED\":\"CLOSED\"},"
                      "\"callbacks\":[\"async_error\",\"disconnected\",\"reconnected\",\"closed\"],"
                      "\"sub_removed\":true,\"sub_closed\":true,\"sub_closed_async_only\":true,\"drain_done\":false,\"sub_drain_done\":false,"
                      "\"callback_end\":true,\"last_error\":true}",
             lib);
    }
    for (int i = 0; i < nsubs; i++)
        if (!subs[i].deferred)
            subscribed_ev(i, 0);

    pthread_t pt;
    pthread_create(&pt, NULL, poller, NULL);
    pthread_detach(pt);

    /* actions in time order, same-time ones in plan order (a stable sort) */
    cJSON *acts = cJSON_GetObjectItemCaseSensitive(plan, "actions");
    int na = cJSON_GetArraySize(acts);
    cJSON **order = calloc(na ? na : 1, sizeof *order);
    for (int i = 0; i < na; i++)
        order[i] = cJSON_GetArrayItem(acts, i);
    for (int i = 1; i < na; i++) /* insertion sort: stable */
        for (int j = i; j > 0 && cmp_at(&order[j - 1], &order[j]) > 0; j--) {
            cJSON *x = order[j];
            order[j] = order[j - 1];
            order[j - 1] = x;
        }
    for (int i = 0; i < na; i++) {
        cJSON *a = order[i], *v;
        if (jget_b(a, "harness"))
            continue;
        int64_t at = jget_i(a, "at_ns");
        if ((v = cJSON_GetObjectItemCaseSensitive(a, "publish"))) {
            int cnt = (int) jget_i(v, "count");
            int64_t iv = jget_i(v, "interval_ns");
            if (cnt > 1 && iv > 0) {
                for (int k = 0; k < cnt; k++)
                    spawn(a, k, at + k * iv);
                continue;
            }
            sleep_until(at);
            for (int k = 0; k < (cnt < 1 ? 1 : cnt); k++)
                act(a, k);
            continue;
        }
        if ((v = cJSON_GetObjectItemCaseSensitive(a, "request"))) {
            int cnt = (int) jget_i(v, "count");
            int64_t iv = jget_i(v, "interval_ns");
            for (int k = 0; k < (cnt < 1 ? 1 : cnt); k++)
                spawn(a, k, at + k * iv);
            continue;
        }
        if (cJSON_GetObjectItemCaseSensitive(a, "flush") || cJSON_GetObjectItemCaseSensitive(a, "next_msg")) {
            spawn(a, 0, at);
            continue;
        }
        sleep_until(at);
        act(a, 0);
    }

    sleep_until(until_ns);
    for (int c = 0; c < nclients; c++) {
        const char *text = NULL;
        natsStatus st = natsConnection_GetLastError(clients[c].nc, &text);
        char e[700], eq[800], cn[300];
        if (st == NATS_OK)
            e[0] = 0;
        else
            errname(e, sizeof e, st, "last_error", text);
        jstr(eq, sizeof eq, e);
        jstr(cn, sizeof cn, clients[c].name);
        emit("last_error", "\"client\":%s,\"error\":%s", cn, eq);
    }
    emit("end", "\"late_ns\":%lld", (long long) atomic_load(&worst_late));
    _exit(0);
}
