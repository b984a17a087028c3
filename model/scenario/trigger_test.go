package scenario

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// triggerHead is a scenario with two clients, an async and a sync
// subscription and one timed action, to which the tests add triggered
// actions from line 8 on.
const triggerHead = `name: x
clients: [{name: app}, {name: other}]
subscriptions:
  - {id: s1, client: app, subject: a}
  - {id: sy, client: app, subject: a, type: sync}
actions:
  - {at: 0s, publish: {client: app, subject: a, count: 3}}
`

// TestParseTriggers checks that every event parses into the Trigger its
// fields describe and that Marshal writes it back unchanged (a broken
// triggerPairs, or a decoder that drops a field, fails the round trip).
func TestParseTriggers(t *testing.T) {
	src := triggerHead + `  - after: {event: callback_start, sub: s1, nth: 2, delay: 2ms}
    drain: {client: app}
  - after: {event: callback_end, sub: s1, msg: 3, every: true}
    flush: {client: app}
  - after: {event: status, client: app, status: DRAINING_PUBS}
    publish: {client: app, subject: a}
  - {after: {event: sub_removed, sub: s1}, close: {client: other}}
  - {after: {event: reconnected, client: app}, publish: {client: app, subject: a}}
  - {after: {event: returned, action: 1, delay: 1ms}, flush: {client: other}}
  - {after: {event: published, client: app, msg: 2}, flush: {client: other}}
  - {after: {event: published}, flush: {client: other}}
`
	s, err := Parse("t.yaml", []byte(src))
	require.NoError(t, err)
	want := []Trigger{
		{Event: CallbackStart, Sub: "s1", Nth: 2, Delay: 2 * time.Millisecond, Line: 8},
		{Event: CallbackEnd, Sub: "s1", Msg: 3, Every: true, Line: 10},
		{Event: StatusChange, Client: "app", Status: "DRAINING_PUBS", Line: 12},
		{Event: SubRemoved, Sub: "s1", Line: 14},
		{Event: Reconnected, Client: "app", Line: 15},
		{Event: Returned, Action: 1, Delay: time.Millisecond, Line: 16},
		{Event: Published, Client: "app", Msg: 2, Line: 17},
		{Event: Published, Line: 18},
	}
	require.Nil(t, s.Actions[0].After)
	for i, w := range want {
		require.NotNil(t, s.Actions[i+1].After, "actions[%d]", i+1)
		require.Equal(t, w, *s.Actions[i+1].After, "actions[%d]", i+1)
	}
	again, err := Parse("t.yaml", s.Marshal())
	require.NoError(t, err, "%s", s.Marshal())
	for i := range s.Actions {
		require.Equal(t, s.Actions[i].After == nil, again.Actions[i].After == nil)
		if s.Actions[i].After != nil {
			a, b := *s.Actions[i].After, *again.Actions[i].After
			a.Line, b.Line = 0, 0
			require.Equal(t, a, b, "actions[%d] after a round trip", i)
		}
	}
}

// TestParseBadTriggers checks that a trigger naming something that does not
// exist, or a cycle of triggers, is refused with the file, line, field,
// value and what was expected. Each case fails if its check is removed
// from trigger.go or validateTriggers.
func TestParseBadTriggers(t *testing.T) {
	tests := []struct{ name, action, want string }{
		{"unknown event", `{after: {event: callback_begin, sub: s1}, drain: {client: app}}`,
			`t.yaml:8: actions[1].after.event: unknown event "callback_begin": want one of callback_start, callback_end, status, sub_removed, reconnected, returned, published, lame_duck`},
		{"unknown sub", `{after: {event: callback_start, sub: s2}, drain: {client: app}}`,
			`t.yaml:8: actions[1].after.sub: unknown subscription "s2" (did you mean "s1"?)`},
		{"callback of a sync sub", `{after: {event: callback_end, sub: sy}, drain: {client: app}}`,
			`t.yaml:8: actions[1].after.sub: subscription "sy" is sync: it runs no callbacks, so event callback_end never happens (the application calls next_msg)`},
		{"unknown client", `{after: {event: status, client: ap, status: CLOSED}, drain: {client: app}}`,
			`t.yaml:8: actions[1].after.client: unknown client "ap" (did you mean "app"?)`},
		{"unknown status", `{after: {event: status, client: app, status: DRAINING}, drain: {client: app}}`,
			`t.yaml:8: actions[1].after.status: unknown status "DRAINING": want one of CONNECTED, DISCONNECTED, RECONNECTING, DRAINING_SUBS, DRAINING_PUBS, CLOSED`},
		{"unknown message", `{after: {event: callback_end, sub: s1, msg: 4}, drain: {client: app}}`,
			`t.yaml:8: actions[1].after.msg: no message 4: the scenario publishes at most 3 (the counts of its publish actions; only they publish)`},
		{"unknown published message", `{after: {event: published, msg: 9}, drain: {client: app}}`,
			`t.yaml:8: actions[1].after.msg: no message 9: the scenario publishes at most 3 (the counts of its publish actions; only they publish)`},
		{"unknown action", `{after: {event: returned, action: 5}, drain: {client: app}}`,
			`t.yaml:8: actions[1].after.action: no action 5: the scenario has 2 actions (0 to 1)`},
		{"self cycle", `{after: {event: returned, action: 1}, drain: {client: app}}`,
			`t.yaml:8: actions[1].after.action: trigger cycle: actions[1] -> actions[1] each wait for the next to return, so none of them can ever run`},
		{"missing event", `{after: {sub: s1}, drain: {client: app}}`,
			`t.yaml:8: actions[1].after.event: missing required field`},
		{"missing sub", `{after: {event: callback_end, nth: 1}, drain: {client: app}}`,
			`t.yaml:8: actions[1].after.sub: missing required field (event callback_end needs sub)`},
		{"missing status", `{after: {event: status, client: app}, drain: {client: app}}`,
			`t.yaml:8: actions[1].after.status: missing required field (event status needs client and status)`},
		{"field of another event", `{after: {event: status, client: app, status: CLOSED, nth: 1}, drain: {client: app}}`,
			`t.yaml:8: actions[1].after.nth: does not apply to event status (its fields: client, status)`},
		{"nth and msg", `{after: {event: callback_start, sub: s1, nth: 1, msg: 1}, drain: {client: app}}`,
			`t.yaml:8: actions[1].after.msg: nth and msg both given: want one of them (the Nth callback of the subscription, or the callback on message msg)`},
		{"nth zero", `{after: {event: callback_start, sub: s1, nth: 0}, drain: {client: app}}`,
			`t.yaml:8: actions[1].after.nth: must be at least 1, got 0 (allowed: 1 to 1000000000)`},
		{"negative delay", `{after: {event: reconnected, client: app, delay: -1ms}, drain: {client: app}}`,
			`t.yaml:8: actions[1].after.delay: duration "-1ms" must not be negative (allowed: 0 to 1000h)`},
		{"at and after", `{at: 1ms, after: {event: reconnected, client: app}, drain: {client: app}}`,
			`t.yaml:8: actions[1].after: both at and after given: want at (a time) or after (an event), not both; put a delay after the event in after.delay`},
		{"after not a mapping", `{after: callback_start, drain: {client: app}}`,
			`t.yaml:8: actions[1].after: want a mapping, got string "callback_start"`},
		{"unknown field", `{after: {event: published, mesage: 1}, drain: {client: app}}`,
			`t.yaml:8: actions[1].after.mesage: unknown field "mesage" (want one of event, client, sub, nth, msg, status, action, every, delay)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse("t.yaml", []byte(triggerHead+"  - "+tt.action+"\n"))
			require.Nil(t, s)
			var e *Error
			require.ErrorAs(t, err, &e)
			require.Equal(t, tt.want, err.Error())
		})
	}
}

// TestTriggerCycle checks that a cycle through several actions is refused
// and that a chain without one is not (a check that followed returned
// triggers without remembering its path would loop or refuse the chain).
func TestTriggerCycle(t *testing.T) {
	chain := triggerHead + `  - {after: {event: returned, action: 0}, flush: {client: app}}
  - {after: {event: returned, action: 1}, flush: {client: app}}
  - {after: {event: returned, action: 1}, flush: {client: other}}
`
	_, err := Parse("t.yaml", []byte(chain))
	require.NoError(t, err)
	cycle := triggerHead + `  - {after: {event: returned, action: 3}, flush: {client: app}}
  - {after: {event: returned, action: 1}, flush: {client: app}}
  - {after: {event: returned, action: 2}, flush: {client: other}}
`
	_, err = Parse("t.yaml", []byte(cycle))
	require.EqualError(t, err, `t.yaml:8: actions[1].after.action: trigger cycle: actions[1] -> actions[3] -> actions[2] -> actions[1] each wait for the next to return, so none of them can ever run`)
}

// TestTriggerMessageBound: a msg beyond what the publish actions publish is
// refused only while the number of messages is bounded; a handler that
// replies or a publish at every event lifts the bound (a check that
// ignored them would refuse valid files).
func TestTriggerMessageBound(t *testing.T) {
	late := "  - {after: {event: published, msg: 9}, drain: {client: app}}\n"
	_, err := Parse("t.yaml", []byte(triggerHead+late))
	require.ErrorContains(t, err, "no message 9")
	every := "  - {after: {event: published, every: true}, publish: {client: app, subject: b}}\n"
	_, err = Parse("t.yaml", []byte(triggerHead+every+late))
	require.NoError(t, err)
	replies := strings.Replace(triggerHead, "subject: a}", "subject: a, handler: {actions: [{reply: {}}]}}", 1)
	_, err = Parse("t.yaml", []byte(replies+late))
	require.NoError(t, err)
}
