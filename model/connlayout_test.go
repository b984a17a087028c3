package model

import (
	"math/rand/v2"
	"reflect"
	"testing"
	"unsafe"
)

// TestConnLinksStartLines: a Conn is an odd number of whole cache lines
// and each of its links starts one, so that a link's write-and-arrival
// fields (its first two lines) are two lines in the array a run's
// connections are made in, not three, and a thousand Conns use all of the
// L2's sets (Scale/clients=1k, docs/performance-history.md, h19clients). Catches a
// field added before fromServer that pushes it off its line (as rec did:
// 192 -> 200), a field added or removed without connPad following (the
// message says which connPad fits), a Conn of an even number of lines (16
// lines: +2 % LL misses). TestLinkWriteFieldsInOneLine checks the
// link's own first line.
func TestConnLinksStartLines(t *testing.T) {
	var c Conn
	for _, f := range []struct {
		name string
		off  uintptr
	}{{"toServer", unsafe.Offsetof(c.toServer)}, {"fromServer", unsafe.Offsetof(c.fromServer)}} {
		if f.off%lineSize != 0 {
			t.Errorf("Conn.%s at byte %d, want a multiple of %d", f.name, f.off, lineSize)
		}
	}
	size := unsafe.Sizeof(c)
	if size%lineSize != 0 || size/lineSize%2 == 0 {
		fields := size - connPad
		lines := (fields+lineSize-1)/lineSize | 1
		t.Errorf("Conn is %d bytes, want an odd number of %d-byte lines: set connPad to %d (%d lines)",
			size, lineSize, lines*lineSize-fields, lines)
	}
}

// TestLinkWriteFieldsInOneLine: everything a link's write (send, push) and
// arrival (deliverHead) reads is in the link's first cache line: the
// fields before own, and own's draw state, src, which is the PCG's first
// field (sim's TestPCGDrawStateFirst) and so ends the line, 16 bytes from
// its end. A thousand clients' writes each read a cold link; with the
// draw state in the second line (with rng and the bandwidth's clock),
// every write read two (Scale/clients=1k: 5.6 misses beyond L2 a client a
// run; docs/performance-history.md, h33clients). Catches a field added
// before own, own moved, and a first line that no longer fits.
func TestLinkWriteFieldsInOneLine(t *testing.T) {
	var l link
	own := unsafe.Offsetof(l.own)
	if end := own + unsafe.Sizeof(rand.PCG{}); end != lineSize {
		t.Errorf("a link's draw state (own's src) ends at byte %d, want %d (the first line's end)", end, lineSize)
	}
	rt := reflect.TypeOf(l)
	for _, name := range []string{"net", "head", "tail", "last", "arrive", "recv", "down", "ownRng"} {
		if f, _ := rt.FieldByName(name); f.Offset >= own {
			t.Errorf("link.%s at byte %d, after own at %d: a write or an arrival reads it", name, f.Offset, own)
		}
	}
}

// TestSubKeptFitsALineClass: a subscription's subKept, allocated on its
// own, is at most 192 bytes, the allocator's size class of three whole
// cache lines (its objects start lines), so that newSub touches 3 lines
// of it, not the 4 of the 256-byte class or the 5 or 6 a 288-byte object
// spans (Scale/clients=1k; docs/performance-history.md, h20clients and
// h21clients). Catches a field added to subKept, the NextMsg state
// (subNext) put back in it (248 bytes), or a callback (its serial) whose
// small fields are interleaved with its words again (72 bytes).
func TestSubKeptFitsALineClass(t *testing.T) {
	if size := unsafe.Sizeof(subKept{}); size > 3*lineSize {
		t.Errorf("subKept is %d bytes (callback %d), want at most %d", size, unsafe.Sizeof(callback{}), 3*lineSize)
	}
}

// TestClientStateLines: a Conn is at most 9 cache lines (h29clients), a
// Sub at most 7 and a serverConn at most 2 (h21clients; Scale/clients=1k,
// docs/performance-history.md): set-up writes every line of each, and a
// thousand clients' lines are more than L2 holds, so each line more is
// about two misses more a client a run (2 lines of padding added to Conn:
// +2.4 % LL misses), and a fuller L2 for every event. Catches the flush
// and drain state moved back from connWaits into Conn (704 bytes, 11
// lines), a request
// or rare drain field moved back from connRare into Conn (the drain's
// order stream: 752 bytes, 13 lines once padded; a request's: 15), the
// reconnect options kept in Conn again (744 bytes), a Sub flag given a
// word of its own again, as exited was after running (456 bytes, 8
// lines), and a bandwidth field moved back from limitedOut into
// serverConn (3 lines).
func TestClientStateLines(t *testing.T) {
	if size := unsafe.Sizeof(Conn{}); size > 9*lineSize {
		t.Errorf("Conn is %d bytes, want at most %d (9 lines)", size, 9*lineSize)
	}
	if size := unsafe.Sizeof(Sub{}); size > 7*lineSize {
		t.Errorf("Sub is %d bytes, want at most %d (7 lines)", size, 7*lineSize)
	}
	if size := unsafe.Sizeof(serverConn{}); size > 2*lineSize {
		t.Errorf("serverConn is %d bytes, want at most %d (2 lines)", size, 2*lineSize)
	}
}

// TestSubRecordLines: a SubRecord is at most 192 bytes, three cache
// lines, with no more pointer words than its ID, its status events, its
// handed list, its ledger and a hand-made record's list (5): a plain Run
// allocates a thousand subscriptions' records anew every run, clears
// them, and writes their pointer slots through the write barrier while
// the collector marks (Scale/subs=1k; docs/performance-history.md, h23subs).
// Catches a string field added beside the Strs (208 bytes, 6 pointer
// words: tried) and a field that pads the record past three lines.
func TestSubRecordLines(t *testing.T) {
	if size := unsafe.Sizeof(SubRecord{}); size > 3*lineSize {
		t.Errorf("SubRecord is %d bytes, want at most %d (3 lines)", size, 3*lineSize)
	}
	if words := pointerWords(reflect.TypeFor[SubRecord]()); words > 5 {
		t.Errorf("SubRecord holds %d pointer words, want at most 5 (ID, StatusEvents, handed, ledger, byHand)", words)
	}
}

// TestConnRecordLayout: a ConnRecord is at most 112 bytes (a size class
// of its own) with no pointer words but its two lists' arrays: a plain
// Run allocates a thousand clients' records anew every run, clears them,
// and writes their pointer slots through the write barrier while the
// collector marks (Scale/clients=1k; docs/performance-history.md, h24clients).
// Catches a string field put back for a Str (LastError string: 128
// bytes, 3 pointer words: tried).
func TestConnRecordLayout(t *testing.T) {
	if size := unsafe.Sizeof(ConnRecord{}); size > 112 {
		t.Errorf("ConnRecord is %d bytes, want at most 112", size)
	}
	if words := pointerWords(reflect.TypeFor[ConnRecord]()); words > 2 {
		t.Errorf("ConnRecord holds %d pointer words, want at most 2 (Status, Callbacks)", words)
	}
}

// pointerWords counts the words of struct typ's fields that the collector
// scans: a string's or a pointer's, a slice's array.
func pointerWords(typ reflect.Type) int {
	words := 0
	for f := range typ.Fields() {
		switch f.Type.Kind() {
		case reflect.String, reflect.Pointer, reflect.Slice:
			words++ // a slice's length and capacity are no pointers
		}
	}
	return words
}

// TestServerConnReadLine: what Server.receive tests for every read of a
// connection (open, wait, prod) and enqueue's out and kicked lie in a
// serverConn's first cache line, so that a read touches one line of it
// (Scale/clients=1k; docs/performance-history.md, h23clients). Catches
// prod moved back after ordered and bySid (byte 104, the second line:
// receive's misses beyond L2 +2.6 K a run) or a field added before it that
// pushes it past 64.
func TestServerConnReadLine(t *testing.T) {
	var sc serverConn
	for _, f := range []struct {
		name string
		end  uintptr
	}{
		{"open", unsafe.Offsetof(sc.open) + unsafe.Sizeof(sc.open)},
		{"kicked", unsafe.Offsetof(sc.kicked) + unsafe.Sizeof(sc.kicked)},
		{"out", unsafe.Offsetof(sc.out) + unsafe.Sizeof(sc.out)},
		{"wait", unsafe.Offsetof(sc.wait) + unsafe.Sizeof(sc.wait)},
		{"prod", unsafe.Offsetof(sc.prod) + unsafe.Sizeof(sc.prod)},
	} {
		if f.end > lineSize {
			t.Errorf("serverConn.%s ends at byte %d, want at most %d (its first line)", f.name, f.end, lineSize)
		}
	}
}
