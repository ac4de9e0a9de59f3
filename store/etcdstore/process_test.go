package etcdstore_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/internal/leakcheck"
	"github.com/fleetkit/orchestrator/store"
	"github.com/fleetkit/orchestrator/store/etcdstore"
)

// childEnv marks a re-executed test binary as a child process of
// TestSeparateProcesses; TestMain dispatches on it.
const childEnv = "FLEETKIT_ETCDSTORE_CHILD"

func TestMain(m *testing.M) {
	if id := os.Getenv(childEnv); id != "" {
		if err := child(id); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	leakcheck.Main(m, "store/etcdstore.")
}

// childReport is what a child prints when done.
type childReport struct {
	CAS       string   `json:"cas"` // "win" or "conflict"
	SeenOther []string `json:"seenOther"`
	// SharedWinners lists the winner label of every change to the shared
	// object the child's watch delivered.
	SharedWinners []string `json:"sharedWinners"`
	Ordered       bool     `json:"ordered"`
}

// child is one process: it watches from START_REV, waits for GO on
// stdin, races the other child in a CAS on the shared pod, creates N pods
// of its own and waits until its watch has delivered the other's N.
func child(id string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	n, _ := strconv.Atoi(os.Getenv("N"))
	startRev, _ := strconv.ParseInt(os.Getenv("START_REV"), 10, 64)
	other := os.Getenv("OTHER")
	s, err := etcdstore.New(etcdstore.Config{Endpoints: strings.Split(os.Getenv("ENDPOINTS"), ","), Prefix: os.Getenv("PREFIX")})
	if err != nil {
		return err
	}
	defer s.Close()
	w, err := s.Watch(ctx, api.KindPod, store.FromRevision(startRev))
	if err != nil {
		return err
	}
	defer w.Stop()
	shared, err := s.Get(ctx, api.KindPod, "ns", "shared")
	if err != nil {
		return err
	}
	fmt.Println("READY")
	if line, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil || line != "GO\n" {
		return fmt.Errorf("barrier: %q %v", line, err)
	}
	rep := childReport{Ordered: true}
	shared.Meta().Labels = map[string]string{"winner": id}
	switch _, err := s.Update(ctx, shared); {
	case err == nil:
		rep.CAS = "win"
	case errors.Is(err, store.ErrConflict):
		rep.CAS = "conflict"
	default:
		return err
	}
	for i := range n {
		if _, err := s.Create(ctx, pod("ns", fmt.Sprintf("%s-%d", id, i), nil)); err != nil {
			return err
		}
	}
	var last int64
	for len(rep.SeenOther) < n {
		var e store.Event
		select {
		case e2, ok := <-w.Events():
			if !ok {
				return fmt.Errorf("watch ended: %v", w.Err())
			}
			e = e2
		case <-ctx.Done():
			return fmt.Errorf("saw %d of %d of %s's pods", len(rep.SeenOther), n, other)
		}
		if e.Type == store.Bookmark {
			continue
		}
		if e.Revision <= last {
			rep.Ordered = false
		}
		last = e.Revision
		name := e.Object.Meta().Name
		switch {
		case name == "shared":
			rep.SharedWinners = append(rep.SharedWinners, e.Object.Meta().Labels["winner"])
		case strings.HasPrefix(name, other+"-") && e.Type == store.Added:
			rep.SeenOther = append(rep.SeenOther, name)
		}
	}
	return json.NewEncoder(os.Stdout).Encode(rep)
}

// TestSeparateProcesses runs two OS processes (this test binary,
// re-executed) against one etcd: each sees the other's writes through its
// watch, and a compare-and-swap race between them has exactly one winner.
func TestSeparateProcesses(t *testing.T) {
	s, srv := newStore(t)
	ctx := ctxT(t)
	shared, err := s.Create(ctx, pod("ns", "shared", nil))
	if err != nil {
		t.Fatal(err)
	}
	const n = 50
	type proc struct {
		cmd   *exec.Cmd
		stdin io.WriteCloser
		out   *bufio.Reader
	}
	procs := map[string]*proc{}
	for id, other := range map[string]string{"a": "b", "b": "a"} {
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(),
			childEnv+"="+id, "OTHER="+other, "N="+strconv.Itoa(n),
			"ENDPOINTS="+strings.Join(srv.Endpoints, ","), "PREFIX=fleetkit",
			"START_REV="+strconv.FormatInt(shared.Meta().ResourceVersion, 10))
		cmd.Stderr = os.Stderr
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		procs[id] = &proc{cmd: cmd, stdin: stdin, out: bufio.NewReader(stdout)}
	}
	for id, p := range procs {
		if line, err := p.out.ReadString('\n'); err != nil || line != "READY\n" {
			t.Fatalf("child %s: %q %v", id, line, err)
		}
	}
	for _, p := range procs {
		_, _ = io.WriteString(p.stdin, "GO\n")
	}
	reports := map[string]childReport{}
	for id, p := range procs {
		var r childReport
		if err := json.NewDecoder(p.out).Decode(&r); err != nil {
			t.Fatalf("child %s report: %v", id, err)
		}
		if err := p.cmd.Wait(); err != nil {
			t.Fatalf("child %s: %v", id, err)
		}
		reports[id] = r
	}
	var winners []string
	for id, r := range reports {
		if r.CAS == "win" {
			winners = append(winners, id)
		}
		if !r.Ordered {
			t.Errorf("child %s saw events out of revision order", id)
		}
		seen := map[string]bool{}
		for _, name := range r.SeenOther {
			if seen[name] {
				t.Errorf("child %s saw %s added twice", id, name)
			}
			seen[name] = true
		}
		if len(seen) != n {
			t.Errorf("child %s saw %d of the other's %d pods", id, len(seen), n)
		}
	}
	if len(winners) != 1 {
		t.Fatalf("CAS winners %v, want exactly one", winners)
	}
	final, err := s.Get(ctx, api.KindPod, "ns", "shared")
	if err != nil {
		t.Fatal(err)
	}
	if got := final.Meta().Labels["winner"]; got != winners[0] {
		t.Fatalf("stored winner %q, CAS winner %q", got, winners[0])
	}
	for id, r := range reports {
		if len(r.SharedWinners) != 1 || r.SharedWinners[0] != winners[0] {
			t.Errorf("child %s saw shared-object changes %v, want exactly one by %s", id, r.SharedWinners, winners[0])
		}
	}
}
