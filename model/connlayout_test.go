package model

import (
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
// lines: +2 % LL misses), and a link field added before closing that
// pushes the hot ones past two lines.
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
	if hot := unsafe.Offsetof(c.toServer.closing) + 1; hot > 2*lineSize {
		t.Errorf("a link's write-and-arrival fields end at byte %d, want at most %d", hot, 2*lineSize)
	}
}

// TestSubKeptFitsALineClass: a subscription's subKept, allocated on its
// own, is at most 256 bytes, the largest of the allocator's size classes
// whose objects start cache lines, so that the 4 lines newSub touches in
// it are 4, not the 5 or 6 a 288-byte object spans (Scale/clients=1k,
// docs/performance-history.md, h20clients). Catches a field added to subKept, or a
// callback (its serial) whose small fields are interleaved with its words
// again (72 bytes, a subKept of 264).
func TestSubKeptFitsALineClass(t *testing.T) {
	if size := unsafe.Sizeof(subKept{}); size > 4*lineSize {
		t.Errorf("subKept is %d bytes (callback %d), want at most %d", size, unsafe.Sizeof(callback{}), 4*lineSize)
	}
}
