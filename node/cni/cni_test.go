package cni_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/internal/testenv"
	"github.com/fleetkit/orchestrator/node/cni"
	"github.com/fleetkit/orchestrator/runtime"
)

// netns creates a network namespace bind-mounted under dir and removes it
// at cleanup.
func netns(t *testing.T, dir, name string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	errc := make(chan error, 1)
	go func() {
		goruntime.LockOSThread() // never unlocked: the thread dies with the goroutine
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			errc <- err
			return
		}
		errc <- unix.Mount(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()), p, "none", unix.MS_BIND, "")
	}()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Unmount(p, unix.MNT_DETACH); os.Remove(p) })
	return p
}

// inNetNS runs fn on a thread that joined the namespace at path.
func inNetNS(t *testing.T, path string, fn func()) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		goruntime.LockOSThread() // never unlocked: the thread dies with the goroutine
		f, err := os.Open(path)
		if err != nil {
			done <- err
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			done <- err
			return
		}
		fn()
		done <- nil
	}()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestBridgeNetwork(t *testing.T) {
	testenv.RequireRoot(t)
	if _, err := os.Stat("/usr/lib/cni/bridge"); err != nil {
		if _, err2 := os.Stat("/opt/cni/bin/bridge"); err2 != nil {
			testenv.Missing(t, "the CNI reference plugins are not installed (containernetworking-plugins)")
		}
	}
	ctx := context.Background()
	dir := t.TempDir()
	const bridge, cidr = "fkt0", "10.244.250.0/24"
	t.Cleanup(func() { exec.Command("ip", "link", "del", bridge).Run() })
	n, err := cni.New(cni.Config{PodCIDR: cidr, Bridge: bridge, StateDir: filepath.Join(dir, "state")})
	if err != nil {
		t.Fatal(err)
	}
	a := runtime.Sandbox{ID: "pod-a", Namespace: "default", Name: "a", NetNSPath: netns(t, dir, "a")}
	b := runtime.Sandbox{ID: "pod-b", Namespace: "default", Name: "b", NetNSPath: netns(t, dir, "b")}
	podA := &api.Pod{Spec: api.PodSpec{Containers: []api.Container{{Name: "c", Ports: []api.ContainerPort{{ContainerPort: 8080, HostPort: 39080}}}}}}
	ipA, err := n.Setup(ctx, a, podA)
	if err != nil {
		t.Fatal(err)
	}
	ipB, err := n.Setup(ctx, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	prefix := netip.MustParsePrefix(cidr)
	if ipA == ipB || !prefix.Contains(netip.MustParseAddr(ipA)) || !prefix.Contains(netip.MustParseAddr(ipB)) {
		t.Fatalf("IPs %s and %s: want two distinct addresses in %s", ipA, ipB, cidr)
	}
	if again, err := n.Setup(ctx, a, podA); err != nil || again != ipA {
		t.Fatalf("second Setup = %s, %v; want %s", again, err, ipA)
	}

	// A listener in pod A, reached from the host and from pod B.
	var ln net.Listener
	inNetNS(t, a.NetNSPath, func() { ln, err = net.Listen("tcp", ":8080") })
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("hi"))
			c.Close()
		}
	}()
	read := func(c net.Conn) string {
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		buf := make([]byte, 2)
		if _, err := c.Read(buf); err != nil {
			return err.Error()
		}
		return string(buf)
	}
	c, err := net.DialTimeout("tcp", net.JoinHostPort(ipA, "8080"), 10*time.Second)
	if err != nil {
		t.Fatalf("host to pod: %v", err)
	}
	if got := read(c); got != "hi" {
		t.Fatalf("host to pod read %q", got)
	}
	var got string
	inNetNS(t, b.NetNSPath, func() {
		c, err := net.DialTimeout("tcp", net.JoinHostPort(ipA, "8080"), 10*time.Second)
		if err != nil {
			got = err.Error()
			return
		}
		got = read(c)
	})
	if got != "hi" {
		t.Fatalf("pod to pod: %s", got)
	}
	// The hostPort reaches pod A through the host's own address on the
	// bridge (the gateway, .1).
	gw := prefix.Addr().Next().String()
	c, err = net.DialTimeout("tcp", net.JoinHostPort(gw, "39080"), 10*time.Second)
	if err != nil {
		t.Fatalf("host port: %v", err)
	}
	if got := read(c); got != "hi" {
		t.Fatalf("host port read %q", got)
	}
	// Loopback is up inside the pod.
	inNetNS(t, a.NetNSPath, func() {
		c, err := net.DialTimeout("tcp", "127.0.0.1:8080", 10*time.Second)
		if err != nil {
			got = err.Error()
			return
		}
		got = read(c)
	})
	if got != "hi" {
		t.Fatalf("pod loopback: %s", got)
	}

	// Teardown releases the address: the lease file is gone and the
	// record too; a new setup works.
	for _, sb := range []runtime.Sandbox{a, b} {
		if err := n.Teardown(ctx, sb); err != nil {
			t.Fatal(err)
		}
		if err := n.Teardown(ctx, sb); err != nil {
			t.Fatalf("second Teardown: %v", err)
		}
	}
	leases, _ := filepath.Glob(filepath.Join(dir, "state", "ipam", "*", "10.*"))
	if len(leases) != 0 {
		t.Fatalf("IP leases left after teardown: %v", leases)
	}
	if out, err := exec.Command("iptables", "-t", "nat", "-S").CombinedOutput(); err == nil && strings.Contains(string(out), "39080") {
		t.Fatalf("host port rules left after teardown:\n%s", out)
	}
	removeEmptyPortmapChains(t)
}

// removeEmptyPortmapChains undoes what portmap leaves behind once no pod
// uses a host port: its top-level chains and the jumps to them. It leaves
// them alone while any pod rule remains.
func removeEmptyPortmapChains(t *testing.T) {
	out, err := exec.Command("iptables", "-t", "nat", "-S", "CNI-HOSTPORT-DNAT").CombinedOutput()
	if err != nil || strings.Count(string(out), "\n") > 1 {
		return
	}
	for _, args := range [][]string{
		{"-D", "PREROUTING", "-m", "addrtype", "--dst-type", "LOCAL", "-j", "CNI-HOSTPORT-DNAT"},
		{"-D", "OUTPUT", "-m", "addrtype", "--dst-type", "LOCAL", "-j", "CNI-HOSTPORT-DNAT"},
		{"-D", "POSTROUTING", "-m", "comment", "--comment", "CNI portfwd requiring masquerade", "-j", "CNI-HOSTPORT-MASQ"},
		{"-F", "CNI-HOSTPORT-MASQ"}, {"-F", "CNI-HOSTPORT-SETMARK"},
		{"-X", "CNI-HOSTPORT-DNAT"}, {"-X", "CNI-HOSTPORT-MASQ"}, {"-X", "CNI-HOSTPORT-SETMARK"},
	} {
		if out, err := exec.Command("iptables", append([]string{"-t", "nat"}, args...)...).CombinedOutput(); err != nil {
			t.Logf("iptables %v: %v: %s", args, err, out)
		}
	}
}

// TestParallelSetup attaches sandboxes concurrently (as the agent does for
// pods that arrive together) and checks every pod gets its own address.
func TestParallelSetup(t *testing.T) {
	testenv.RequireRoot(t)
	if _, err := os.Stat("/usr/lib/cni/bridge"); err != nil {
		testenv.Missing(t, "the CNI reference plugins are not installed (containernetworking-plugins)")
	}
	ctx := context.Background()
	dir := t.TempDir()
	const bridge = "fkt1"
	t.Cleanup(func() { exec.Command("ip", "link", "del", bridge).Run() })
	n, err := cni.New(cni.Config{PodCIDR: "10.244.249.0/24", Bridge: bridge, StateDir: filepath.Join(dir, "state")})
	if err != nil {
		t.Fatal(err)
	}
	const pods = 8
	sbs := make([]runtime.Sandbox, pods)
	for i := range sbs {
		sbs[i] = runtime.Sandbox{ID: fmt.Sprintf("par-%d", i), NetNSPath: netns(t, dir, fmt.Sprintf("ns%d", i))}
	}
	ips := make([]string, pods)
	errs := make([]error, pods)
	var wg sync.WaitGroup
	for i := range sbs {
		wg.Add(1)
		go func() { defer wg.Done(); ips[i], errs[i] = n.Setup(ctx, sbs[i], nil) }()
	}
	wg.Wait()
	seen := map[string]bool{}
	for i := range sbs {
		if errs[i] != nil {
			t.Fatalf("Setup %d: %v", i, errs[i])
		}
		if seen[ips[i]] {
			t.Fatalf("address %s given twice", ips[i])
		}
		seen[ips[i]] = true
	}
	for i := range sbs {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = n.Teardown(ctx, sbs[i]) }()
	}
	wg.Wait()
	for i := range errs {
		if errs[i] != nil {
			t.Fatalf("Teardown %d: %v", i, errs[i])
		}
	}
}
