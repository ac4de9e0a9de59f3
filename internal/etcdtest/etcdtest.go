package etcdtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"

	"github.com/fleetkit/orchestrator/internal/testenv"
)

// Options tune a test server. The zero value is a plain-text server.
type Options struct {
	// TLS, when set, serves clients over TLS and requires client
	// certificates signed by TLS.CAFile.
	TLS *TLS
	// ProgressNotifyInterval is how often the server sends progress
	// notifications to idle watches that asked for them. Defaults to
	// 200ms (etcd's own default is 10 minutes).
	ProgressNotifyInterval time.Duration
}

// Server is a running (or stopped) etcd test server. Its methods are safe
// for concurrent use.
type Server struct {
	// Endpoints are the client URLs, stable across Restart.
	Endpoints []string
	// DataDir is the server's data directory, kept across Restart.
	DataDir string

	opts      Options
	name      string
	peerURL   string
	clientURL string
	binary    string // "" for an embedded server
	// cluster is the initial-cluster string; "" for a single member.
	cluster string

	mu   sync.Mutex
	emb  *embed.Etcd
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

const startTimeout = 20 * time.Second

// StartEmbedded starts an in-process etcd server and registers its
// shutdown with t.Cleanup.
func StartEmbedded(t testing.TB, opts Options) *Server {
	t.Helper()
	s := newServer(t, opts, "")
	var err error
	for range 5 {
		if err = s.start(); err == nil {
			return s
		}
		if !isAddrInUse(err) {
			break
		}
		s.pickPorts(t) // another process took a port: pick again
	}
	t.Fatalf("etcdtest: start embedded etcd: %v", err)
	return nil
}

// StartEmbeddedCluster starts an in-process cluster of n members (each a
// Server with its own data and ports) and waits until it has a leader.
// Stopping members takes the quorum away from the rest: a member without
// a leader is how a partition looks from a client of that member.
func StartEmbeddedCluster(t testing.TB, n int, opts Options) []*Server {
	t.Helper()
	members := make([]*Server, n)
	var initial []string
	for i := range members {
		s := newServer(t, opts, "")
		s.name = "m" + strconv.Itoa(i)
		members[i] = s
		initial = append(initial, s.name+"="+s.peerURL)
	}
	for _, s := range members {
		s.cluster = strings.Join(initial, ",")
	}
	errc := make(chan error, n)
	for _, s := range members {
		go func() { errc <- s.start() }()
	}
	for range members {
		if err := <-errc; err != nil {
			t.Fatalf("etcdtest: start cluster member: %v", err)
		}
	}
	for _, s := range members {
		s.mu.Lock()
		e := s.emb
		s.mu.Unlock()
		select {
		case <-e.Server.ReadyNotify():
		case <-time.After(startTimeout):
			t.Fatalf("etcdtest: cluster member %s not ready in time", s.name)
		}
	}
	return members
}

// StartBinary starts the etcd server binary (FLEETKIT_ETCD_BIN, or etcd
// on PATH) as a child process; outside CI it skips the test when there is
// none, in CI it fails. The process is killed by t.Cleanup.
func StartBinary(t testing.TB, opts Options) *Server {
	t.Helper()
	bin := testenv.Binary(t, "FLEETKIT_ETCD_BIN", "etcd")
	s := newServer(t, opts, bin)
	var err error
	for range 5 {
		if err = s.start(); err == nil {
			return s
		}
		s.pickPorts(t)
	}
	t.Fatalf("etcdtest: start %s: %v", bin, err)
	return nil
}

func newServer(t testing.TB, opts Options, binary string) *Server {
	if opts.ProgressNotifyInterval == 0 {
		opts.ProgressNotifyInterval = 200 * time.Millisecond
	}
	s := &Server{DataDir: t.TempDir(), opts: opts, name: "test", binary: binary}
	s.pickPorts(t)
	t.Cleanup(s.Stop)
	return s
}

func (s *Server) pickPorts(t testing.TB) {
	scheme := "http"
	if s.opts.TLS != nil {
		scheme = "https"
	}
	s.clientURL = scheme + "://127.0.0.1:" + strconv.Itoa(freePort(t))
	s.peerURL = "http://127.0.0.1:" + strconv.Itoa(freePort(t))
	s.Endpoints = []string{s.clientURL}
}

// freePort returns a loopback port that was free a moment ago. embed
// does not accept port 0, so the caller retries when it is taken since.
func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("etcdtest: pick a port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func isAddrInUse(err error) bool {
	return err != nil && strings.Contains(err.Error(), "address already in use")
}

func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.emb != nil || s.cmd != nil {
		return errors.New("etcdtest: already running")
	}
	if s.binary == "" {
		return s.startEmbedded()
	}
	return s.startBinary()
}

func (s *Server) startEmbedded() error {
	cfg := embed.NewConfig()
	cfg.Name = s.name
	cfg.Dir = s.DataDir
	cfg.TickMs = 10
	cfg.ElectionMs = 100
	cfg.UnsafeNoFsync = true
	cfg.LogLevel = "error"
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop()) // keep test output readable
	cfg.WatchProgressNotifyInterval = s.opts.ProgressNotifyInterval
	cu, _ := url.Parse(s.clientURL)
	pu, _ := url.Parse(s.peerURL)
	cfg.ListenClientUrls = []url.URL{*cu}
	cfg.AdvertiseClientUrls = []url.URL{*cu}
	cfg.ListenPeerUrls = []url.URL{*pu}
	cfg.AdvertisePeerUrls = []url.URL{*pu}
	cfg.InitialCluster = s.name + "=" + s.peerURL
	if s.cluster != "" {
		cfg.InitialCluster = s.cluster
	}
	if s.opts.TLS != nil {
		cfg.ClientTLSInfo = transport.TLSInfo{
			CertFile:       s.opts.TLS.ServerCertFile,
			KeyFile:        s.opts.TLS.ServerKeyFile,
			TrustedCAFile:  s.opts.TLS.CAFile,
			ClientCertAuth: true,
		}
	}
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return err
	}
	if s.cluster != "" {
		// A member of a cluster is ready only with a quorum: the caller
		// starts every member, then waits (StartEmbeddedCluster).
		s.emb = e
		return nil
	}
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		e.Close()
		return err
	case <-time.After(startTimeout):
		e.Close()
		return errors.New("etcdtest: embedded etcd not ready in time")
	}
	s.emb = e
	return nil
}

func (s *Server) startBinary() error {
	args := []string{
		"--name", s.name,
		"--data-dir", s.DataDir,
		"--listen-client-urls", s.clientURL,
		"--advertise-client-urls", s.clientURL,
		"--listen-peer-urls", s.peerURL,
		"--initial-advertise-peer-urls", s.peerURL,
		"--initial-cluster", s.name + "=" + s.peerURL,
		"--heartbeat-interval", "10",
		"--election-timeout", "100",
		"--unsafe-no-fsync",
		"--log-level", "error",
		"--logger", "zap",
		"--experimental-watch-progress-notify-interval", s.opts.ProgressNotifyInterval.String(),
	}
	if s.opts.TLS != nil {
		args = append(args,
			"--cert-file", s.opts.TLS.ServerCertFile,
			"--key-file", s.opts.TLS.ServerKeyFile,
			"--trusted-ca-file", s.opts.TLS.CAFile,
			"--client-cert-auth")
	}
	cmd := exec.Command(s.binary, args...)
	var out strings.Builder
	cmd.Stdout = &lockedWriter{w: &out}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { // owned by the Server: Stop waits on done
		_ = cmd.Wait()
		close(done)
	}()
	s.cmd, s.done = cmd, done
	if err := s.waitReady(done); err != nil {
		_ = cmd.Process.Kill()
		<-done
		s.cmd, s.done = nil, nil
		return fmt.Errorf("%w; output:\n%s", err, cmd.Stdout.(*lockedWriter).String())
	}
	return nil
}

// waitReady polls the server with a client until it answers.
func (s *Server) waitReady(exited <-chan struct{}) error {
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return errors.New("etcdtest: etcd exited during start")
		default:
		}
		if err := s.ping(); err == nil {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return errors.New("etcdtest: etcd not ready in time")
}

func (s *Server) ping() error {
	cfg := clientv3.Config{Endpoints: s.Endpoints, DialTimeout: time.Second}
	if s.opts.TLS != nil {
		tc, err := s.opts.TLS.ClientConfig()
		if err != nil {
			return err
		}
		cfg.TLS = tc
	}
	c, err := clientv3.New(cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err = c.Get(ctx, "health")
	return err
}

// Stop stops the server, keeping its data. Idempotent.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.emb != nil {
		s.emb.Close()
		s.emb = nil
	}
	if s.cmd != nil {
		_ = s.cmd.Process.Kill()
		<-s.done
		s.cmd, s.done = nil, nil
	}
}

// Restart stops the server if it runs and starts it again on the same
// ports with the same data.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.Stop()
	var err error
	for range 50 { // the old listener's port can take a moment to free
		if err = s.start(); err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("etcdtest: restart: %v", err)
}

// Client returns a client of the server, closed by t.Cleanup.
func (s *Server) Client(t testing.TB) *clientv3.Client {
	t.Helper()
	cfg := clientv3.Config{Endpoints: s.Endpoints, DialTimeout: 5 * time.Second}
	if s.opts.TLS != nil {
		tc, err := s.opts.TLS.ClientConfig()
		if err != nil {
			t.Fatal(err)
		}
		cfg.TLS = tc
	}
	c, err := clientv3.New(cfg)
	if err != nil {
		t.Fatalf("etcdtest: client: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

type lockedWriter struct {
	mu sync.Mutex
	w  *strings.Builder
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.String()
}
