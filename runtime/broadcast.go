package runtime

import (
	"context"
	"sync"
)

// subscriberBuffer is how many events a subscriber may leave unread
// before it misses some (and then gets EventResync).
const subscriberBuffer = 1024

// Broadcaster fans events out to subscribers for a backend's Subscribe.
// Publish never blocks: a subscriber whose buffer is full misses events
// and gets EventResync as soon as it has room again, so it re-reads the
// backend's state instead of acting on a gap. The zero value is ready to
// use; it is safe for concurrent use.
type Broadcaster struct {
	mu   sync.Mutex
	subs map[*subscriber]struct{}
}

type subscriber struct {
	ch     chan Event
	missed bool
}

// Subscribe delivers published events until ctx ends, then closes the
// channel (the contract of Containers.Subscribe).
func (b *Broadcaster) Subscribe(ctx context.Context) <-chan Event {
	s := &subscriber{ch: make(chan Event, subscriberBuffer)}
	b.mu.Lock()
	if b.subs == nil {
		b.subs = make(map[*subscriber]struct{})
	}
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	context.AfterFunc(ctx, func() {
		b.mu.Lock()
		delete(b.subs, s)
		close(s.ch)
		b.mu.Unlock()
	})
	return s.ch
}

// Publish sends ev to every subscriber without blocking.
func (b *Broadcaster) Publish(ev Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		if s.missed {
			select {
			case s.ch <- Event{Type: EventResync}:
				s.missed = false
			default:
				continue
			}
		}
		select {
		case s.ch <- ev:
		default:
			s.missed = true
		}
	}
}
