package runtime

import (
	"context"
	"testing"
)

// TestBroadcasterResyncsASubscriberThatFellBehind fills one subscriber's
// buffer while another keeps up: the publisher never blocks, the slow one
// gets EventResync before the next event once it has room, the fast one
// gets everything, and ending a subscription closes its channel.
func TestBroadcasterResyncsASubscriberThatFellBehind(t *testing.T) {
	var b Broadcaster
	ctx, cancel := context.WithCancel(context.Background())
	slow := b.Subscribe(ctx)
	fastCtx, stopFast := context.WithCancel(context.Background())
	fast := b.Subscribe(fastCtx)
	got := 0
	for i := range subscriberBuffer + 10 {
		b.Publish(Event{Type: EventStarted, ContainerID: string(rune('a' + i%26))})
		<-fast
		got++
	}
	if got != subscriberBuffer+10 {
		t.Fatalf("fast subscriber got %d events", got)
	}
	for range subscriberBuffer {
		if ev := <-slow; ev.Type != EventStarted {
			t.Fatalf("buffered event %v, want EventStarted", ev.Type)
		}
	}
	b.Publish(Event{Type: EventExited, ContainerID: "x"})
	if ev := <-slow; ev.Type != EventResync {
		t.Fatalf("after missing events the slow subscriber got %v first, want EventResync", ev.Type)
	}
	if ev := <-slow; ev.Type != EventExited || ev.ContainerID != "x" {
		t.Fatalf("after the resync got %+v, want the exit of x", ev)
	}
	<-fast
	stopFast()
	cancel()
	for range slow {
	}
	for range fast {
	}
}
