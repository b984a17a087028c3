# drainsim conformance driver for ruby-nats (the EventMachine `nats` gem).
# Usage: ruby -I$DRAINSIM_RUBY_NATS/lib driver.rb plan.json
# Reads a plan (docs/driver-protocol.md), plays it on one EventMachine reactor
# and writes NDJSON events to stdout.
require 'json'
require 'fiber'
require 'nats/client'

$stdout.sync = true

def now_ns
  Process.clock_gettime(Process::CLOCK_MONOTONIC, :nanosecond)
end

$t0 = nil

def t
  $t0 ? now_ns - $t0 : 0
end

# DRAINSIM_DRIVER_TEE=file appends a copy of every event to file (debugging).
$tee = ENV['DRAINSIM_DRIVER_TEE'] && File.open(ENV['DRAINSIM_DRIVER_TEE'], 'a')

def emit(h)
  line = JSON.generate(h) + "\n"
  $stdout.write(line)
  $tee&.write(line)
  $tee&.flush
end

def fatal(msg)
  emit(ev: 'fatal', error: msg)
  $stdout.flush
  exit!(1)
end

def sec(ns)
  ns / 1e9
end

# payload is the key followed by size spaces.
def payload(key, size)
  key + (' ' * size)
end

def key_of(msg)
  msg.to_s.split(' ', 2).first.to_s
end

# Error names: the model's where ruby-nats has the same condition.
def err_name(e)
  case e.message
  when /Drain Timeout/ then 'ErrDrainTimeout'
  when /Slow Consumer/i then 'ErrSlowConsumer'
  else "lib:#{e.class.name.split('::').last}: #{e.message}"
  end
end

plan = JSON.parse(File.read(ARGV[0] || fatal('usage: driver.rb plan.json')))
fatal("protocol #{plan['protocol']} not supported") unless plan['protocol'] == 1

CLIENTS = {}      # name -> NATS client
SUBS = {}         # sub id -> {spec:, sid:, n:}
KEYS = Hash.new(0) # source -> messages produced so far
$status = {}
$drain_err = {}   # client name -> error the drain's err_cb reported

def next_key(source)
  k = KEYS[source]
  KEYS[source] += 1
  "#{source}/#{k}"
end

def call(source, verb, client, sub, at, result, key)
  emit(ev: 'call', source: source, verb: verb, client: client, sub: sub.to_s,
       at: at, returned: t, result: result, key: key)
  # The flags may have changed inside a callback, where the 1 ms poll
  # cannot run: look after every call the driver makes.
  poll_status
end

# A pause inside a fiber: a sleep that holds the reactor (blocking) or an EM
# timer that gives it back (non-blocking).
def pause(ns, blocking)
  return if ns <= 0
  if blocking
    target = t + ns
    sleep(sec(ns))
    note_late(t - target)
  else
    f = Fiber.current
    after(ns) { f.resume }
    Fiber.yield
  end
end

# Fiber-based request (ruby-nats returns nil at the timeout: reported as
# ErrTimeout; it never raises).
def do_request(source, cname, sub, r)
  nc = CLIENTS[cname]
  [r['count'], 1].max.times do |i|
    pause(r['interval_ns'], false) if i > 0
    key = next_key(source)
    at = t
    msg = nc.request(r['subject'], payload(key, r['size']), timeout: sec(r['timeout_ns']))
    call(source, 'request', cname, sub, at, msg.nil? ? 'ErrTimeout' : 'ok', key)
  end
end

def do_publish(source, cname, sub, p, blocking)
  nc = CLIENTS[cname]
  reply = p['reply'].to_s.empty? ? nil : p['reply']
  base = t
  [p['count'], 1].max.times do |i|
    # The i-th publish is due interval*i after the first: no drift.
    pause(base + i * p['interval_ns'] - t, blocking) if i > 0
    key = next_key(source)
    at = t
    nc.publish(p['subject'], payload(key, p['size']), reply)
    call(source, 'publish', cname, sub, at, 'ok', key)
  end
end

def subscribe(spec)
  cname = spec['client']
  nc = CLIENTS[cname]
  fatal("sync subscriptions are not supported by ruby-nats (#{spec['id']})") if spec['type'] != 'async'
  st = SUBS[spec['id']] = { spec: spec, n: 0, sid: nil }
  opts = {}
  opts[:queue] = spec['queue'] unless spec['queue'].to_s.empty?
  opts[:max] = spec['max'] if spec['max'].to_i > 0
  sid = nc.subscribe(spec['subject'], opts) do |msg, reply, _subject|
    on_message(st, cname, msg, reply)
  end
  st[:sid] = sid
  sid
end

# on_message is the subscription's callback. A blocking handler sleeps inside
# the callback (holding the reactor); a non-blocking one arms an EM timer and
# returns at once. Either way the handler's body runs in a Fiber so that a
# request can wait for its reply; `handled` is reported when the body ends
# (after its time and every action), not when the EM callback returns.
def on_message(st, cname, msg, reply)
  spec = st[:spec]
  h = spec['handler']
  id = spec['id']
  st[:n] += 1
  n = st[:n]
  key = key_of(msg)
  emit(ev: 'deliver', sub: id, key: key, t: t)
  body = lambda do
    Fiber.new do
      pause(h['duration_ns'], true) if h['blocking']
      run_handler_actions(st, cname, n, reply, h)
      emit(ev: 'handled', sub: id, key: key, t: t)
    end.resume
  end
  if h['blocking'] || h['duration_ns'] <= 0
    body.call
    $busy_until = t if h['blocking']
  else
    after(h['duration_ns']) { body.call }
  end
end

def run_handler_actions(st, cname, n, reply, h)
  nc = CLIENTS[cname]
  id = st[:spec]['id']
  src = "#{id}##{n}"
  blocking = h['blocking']
  h['actions'].each do |a|
    next if a['nth'].to_i > 0 && a['nth'] != n
    at = t
    if a['reply']
      if reply.nil? || reply.empty?
        call(src, 'reply', cname, id, at, 'ErrMsgNoReply', '')
        next
      end
      key = next_key(src)
      nc.publish(reply, payload(key, a['reply']['size']))
      call(src, 'reply', cname, id, at, 'ok', key)
    elsif a['publish']
      do_publish(src, cname, id, a['publish'], blocking)
    elsif a['request']
      do_request(src, cname, id, a['request'])
    elsif a['sleep']
      pause(a['sleep']['duration_ns'], blocking)
    elsif a['unsubscribe']
      nc.unsubscribe(st[:sid])
      call(src, 'unsubscribe', cname, id, at, 'ok', '')
    elsif a['subscribe']
      r = subscribe(SPECS[a['subscribe']['sub']])
      emit(ev: 'subscribed', sub: a['subscribe']['sub'], t: t) if r
      call(src, 'subscribe', cname, a['subscribe']['sub'], at, r ? 'ok' : 'lib:nil', '')
    elsif a['drain']
      start_drain(cname)
      call(src, 'drain', cname, id, at, 'ok', '')
    elsif a['drain_sub']
      fatal('ruby-nats has no subscription drain')
    else
      fatal("unknown handler action #{a.keys.inspect}")
    end
  end
end

def start_drain(cname)
  nc = CLIENTS[cname]
  nc.drain do
    emit(ev: 'drain_done', client: cname, t: t, result: $drain_err[cname] || 'ok')
  end
end

def top_action(a)
  return if a['harness']
  src = a['source']
  at = t
  if (p = a['publish'])
    Fiber.new { do_publish(src, p['client'], '', p, false) }.resume
  elsif (r = a['request'])
    Fiber.new { do_request(src, r['client'], '', r) }.resume
  elsif (f = a['flush'])
    CLIENTS[f['client']].flush { call(src, 'flush', f['client'], '', at, 'ok', '') }
  elsif (s = a['subscribe'])
    spec = SPECS[s['sub']]
    r = subscribe(spec)
    emit(ev: 'subscribed', sub: s['sub'], t: t) if r
    call(src, 'subscribe', spec['client'], s['sub'], at, r ? 'ok' : 'lib:nil', '')
  elsif (u = a['unsubscribe'])
    st = SUBS[u['sub']]
    CLIENTS[st[:spec]['client']].unsubscribe(st[:sid])
    call(src, 'unsubscribe', st[:spec]['client'], u['sub'], at, 'ok', '')
  elsif (u = a['auto_unsubscribe'])
    st = SUBS[u['sub']]
    CLIENTS[st[:spec]['client']].unsubscribe(st[:sid], u['max'])
    call(src, 'auto_unsubscribe', st[:spec]['client'], u['sub'], at, 'ok', '')
  elsif (d = a['drain'])
    start_drain(d['client'])
    call(src, 'drain', d['client'], '', at, 'ok', '')
  elsif (c = a['close'])
    CLIENTS[c['client']].close
    call(src, 'close', c['client'], '', at, 'ok', '')
  elsif a['drain_sub']
    fatal('ruby-nats has no subscription drain')
  elsif a['next_msg']
    fatal('ruby-nats has no synchronous subscriptions (next_msg)')
  else
    fatal("unknown action #{a.keys.inspect}")
  end
end

# at runs blk at at_ns (since start), never early: EM measures a timer from
# the loop's cached time, so a timer may fire up to one loop turn early; it
# is then armed again for the rest.
def at(at_ns, &blk)
  left = at_ns - t
  if left <= 0
    note_late(-left - [$busy_until - at_ns, 0].max)
    return blk.call
  end
  EM.add_timer(sec(left)) { at(at_ns, &blk) }
end

# late_ns (the end event): how late a timed wait woke, not counting the
# time a blocking handler held the reactor (that delay is the library's
# semantics, which the model reproduces).
$late = 0
$busy_until = 0

def note_late(ns)
  $late = ns if ns > $late
end

def after(ns, &blk)
  at(t + ns, &blk)
end

# ruby-nats has no status events: poll the flags every millisecond (the poll
# is an EM timer, so it sees nothing while a handler holds the reactor).
# ruby-nats keeps draining? set while it reconnects: RECONNECTING wins.
def status_of(nc)
  return 'CLOSED' if nc.closing?
  return 'RECONNECTING' if nc.reconnecting?
  return 'DRAINING' if nc.draining?
  return 'CONNECTED' if nc.connected?
  'RECONNECTING'
end

def poll_status
  CLIENTS.each do |name, nc|
    s = status_of(nc)
    next if $status[name] == s
    $status[name] = s
    emit(ev: 'status', client: name, status: s, t: t)
  end
end

SPECS = {}
plan['subscriptions'].each { |s| SPECS[s['id']] = s }

EM.run do
  pending = plan['clients'].size
  ready = lambda do
    # Every client connected: make the initial subscriptions, flush, start.
    plan['subscriptions'].each { |s| subscribe(s) unless s['deferred'] }
    flushed = CLIENTS.size
    CLIENTS.each_value do |nc|
      nc.flush do
        flushed -= 1
        next unless flushed.zero?
        $t0 = now_ns
        emit(ev: 'start', library: "ruby-nats #{NATS::VERSION}",
             observes: {
               status: { 'CONNECTED' => 'CONNECTED', 'DRAINING_SUBS' => 'DRAINING', 'DRAINING_PUBS' => 'DRAINING',
                         'RECONNECTING' => 'RECONNECTING', 'CLOSED' => 'CLOSED' },
               callbacks: %w[async_error disconnected reconnected closed],
               sub_removed: false, sub_closed: false, drain_done: true, sub_drain_done: false,
               callback_end: true, last_error: false
             })
        emit(ev: 'log', msg: "eventmachine #{EM::VERSION}, ruby #{RUBY_VERSION}")
        plan['subscriptions'].each { |s| emit(ev: 'subscribed', sub: s['id'], t: 0) unless s['deferred'] }
        poll_status
        last_tick = t
        EM.add_periodic_timer(0.001) do
          # A tick later than 1 ms with no blocking handler in between means
          # the machine kept the process waiting: count it in late_ns.
          now = t
          note_late(now - last_tick - 1_000_000) if $busy_until < last_tick
          last_tick = now
          poll_status
        end
        plan['actions'].group_by { |a| a['at_ns'] }.sort.each do |at_ns, acts|
          at(at_ns) { acts.each { |a| top_action(a) } }
        end
        at(plan['until_ns']) do
          poll_status
          CLIENTS.each_key { |name| emit(ev: 'last_error', client: name, error: '') }
          emit(ev: 'end', late_ns: $late)
          $stdout.flush
          exit!(0)
        end
      end
    end
  end
  plan['clients'].each do |c|
    name = c['name']
    opts = {
      reconnect: c['reconnect'],
      reconnect_time_wait: sec(c['reconnect_wait_ns']),
      max_reconnect_attempts: c['max_reconnect'],
      dont_randomize_servers: true
    }
    # ruby-nats's drain takes no timeout argument: it is a connect option.
    opts[:drain_timeout] = sec(c['drain_timeout_ns']) if c['drain_timeout_ns'] >= 0
    nc = NATS.connect(c['url'], opts) do
      pending -= 1
      ready.call if pending.zero?
    end
    nc.on_error do |e|
      $drain_err[name] = 'ErrDrainTimeout' if e.message =~ /Drain Timeout/
      emit(ev: 'callback', client: name, kind: 'async_error', t: t, error: err_name(e), sub: '')
    end
    nc.on_disconnect { emit(ev: 'callback', client: name, kind: 'disconnected', t: t, error: '', sub: '') }
    nc.on_reconnect { emit(ev: 'callback', client: name, kind: 'reconnected', t: t, error: '', sub: '') }
    nc.on_close { emit(ev: 'callback', client: name, kind: 'closed', t: t, error: '', sub: '') }
    CLIENTS[name] = nc
  end
end
