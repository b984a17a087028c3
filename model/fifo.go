package model

// fifo is a first-in first-out queue on a slice that moves its head
// rather than copying the rest down: a connection draining a thousand
// subscriptions has a thousand PINGs outstanding, and taking each PONG's
// waiter off the front by copying made the drain quadratic in its
// subscriptions. The slice's array is kept when the queue empties, so a
// connection reuses it from run to run.
type fifo[T any] struct {
	items []T
	head  int // items[head:] are queued, oldest first
}

func (q *fifo[T]) push(x T) { q.items = append(q.items, x) }

func (q *fifo[T]) len() int { return len(q.items) - q.head }

// pop takes the oldest item off; the queue must not be empty.
func (q *fifo[T]) pop() T {
	var zero T
	x := q.items[q.head]
	q.items[q.head] = zero
	if q.head++; q.head == len(q.items) {
		q.clear()
	}
	return x
}

// queued returns the items in the queue, oldest first.
func (q *fifo[T]) queued() []T { return q.items[q.head:] }

// clear empties the queue, keeping its array.
func (q *fifo[T]) clear() {
	clear(q.items[q.head:])
	q.items, q.head = q.items[:0], 0
}
