package main

// The plan, as docs/driver-protocol.md defines it.

type plan struct {
	Protocol      int        `json:"protocol"`
	Scenario      string     `json:"scenario"`
	UntilNS       int64      `json:"until_ns"`
	Clients       []planConn `json:"clients"`
	Subscriptions []planSub  `json:"subscriptions"`
	Actions       []step     `json:"actions"`
}

type planConn struct {
	Name                  string `json:"name"`
	URL                   string `json:"url"`
	DrainTimeoutNS        int64  `json:"drain_timeout_ns"`
	Reconnect             bool   `json:"reconnect"`
	ReconnectWaitNS       int64  `json:"reconnect_wait_ns"`
	ReconnectJitterNS     int64  `json:"reconnect_jitter_ns"`
	MaxReconnect          int    `json:"max_reconnect"`
	ReconnectBufSize      int    `json:"reconnect_buf_size"`
	NoCallbacksAfterClose bool   `json:"no_callbacks_after_close"`
}

type planSub struct {
	ID                string `json:"id"`
	Client            string `json:"client"`
	Subject           string `json:"subject"`
	Queue             string `json:"queue"`
	Type              string `json:"type"`
	Deferred          bool   `json:"deferred"`
	Max               int    `json:"max"`
	PendingMsgsLimit  int    `json:"pending_msgs_limit"`
	PendingBytesLimit int    `json:"pending_bytes_limit"`
	Handler           struct {
		DurationNS int64  `json:"duration_ns"`
		Actions    []step `json:"actions"`
	} `json:"handler"`
}

type step struct {
	Source  string `json:"source"`
	AtNS    int64  `json:"at_ns"`
	Nth     int    `json:"nth"`
	Harness bool   `json:"harness"`

	Publish *struct {
		Client     string `json:"client"`
		Subject    string `json:"subject"`
		Reply      string `json:"reply"`
		Size       int    `json:"size"`
		Count      int    `json:"count"`
		IntervalNS int64  `json:"interval_ns"`
	} `json:"publish"`
	Request *struct {
		Client     string `json:"client"`
		Subject    string `json:"subject"`
		Size       int    `json:"size"`
		TimeoutNS  int64  `json:"timeout_ns"`
		Count      int    `json:"count"`
		IntervalNS int64  `json:"interval_ns"`
	} `json:"request"`
	Reply *struct {
		Size int `json:"size"`
	} `json:"reply"`
	Flush *struct {
		Client    string `json:"client"`
		TimeoutNS int64  `json:"timeout_ns"`
	} `json:"flush"`
	Subscribe       *subRef `json:"subscribe"`
	Unsubscribe     *subRef `json:"unsubscribe"`
	AutoUnsubscribe *struct {
		Sub string `json:"sub"`
		Max int    `json:"max"`
	} `json:"auto_unsubscribe"`
	DrainSub *subRef    `json:"drain_sub"`
	Drain    *clientRef `json:"drain"`
	Close    *clientRef `json:"close"`
	NextMsg  *struct {
		Sub       string `json:"sub"`
		TimeoutNS int64  `json:"timeout_ns"`
		Count     int    `json:"count"`
	} `json:"next_msg"`
	Sleep *struct {
		DurationNS int64 `json:"duration_ns"`
	} `json:"sleep"`
}

type subRef struct {
	Sub string `json:"sub"`
}

type clientRef struct {
	Client string `json:"client"`
}
