package probe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/runtime"
)

// Target is the container a probe checks.
type Target struct {
	ContainerID string
	// PodIP is where HTTP and TCP probes connect unless the probe names
	// a host.
	PodIP string
	// Ports resolve named probe ports.
	Ports []api.ContainerPort
}

// Prober runs probes. Safe for concurrent use.
type Prober struct {
	rt     runtime.Runtime
	client *http.Client
}

// Config configures a Prober.
type Config struct {
	// Runtime runs exec probes, or answers every probe when it implements
	// runtime.Prober. Required.
	Runtime runtime.Runtime
}

// New returns a Prober.
func New(cfg Config) (*Prober, error) {
	if cfg.Runtime == nil {
		return nil, fmt.Errorf("probe: no runtime: %w", ErrInvalid)
	}
	tr := &http.Transport{DisableKeepAlives: true, Proxy: nil}
	return &Prober{rt: cfg.Runtime, client: &http.Client{
		Transport: tr,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 10 {
				return http.ErrUseLastResponse
			}
			return nil
		},
	}}, nil
}

// ErrInvalid is wrapped by errors about a malformed probe.
var ErrInvalid = errors.New("probe: invalid")

// Run runs p once against t and reports success. A failed check is
// (false, nil); an error means the probe could not run at all (invalid
// probe, container gone), which callers count as a failure too.
func (pr *Prober) Run(ctx context.Context, kind runtime.ProbeKind, p *api.Probe, t Target) (bool, error) {
	timeout := time.Duration(p.TimeoutSeconds) * time.Second
	if timeout <= 0 {
		timeout = time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if sim, ok := pr.rt.(runtime.Prober); ok {
		return sim.Probe(ctx, t.ContainerID, kind)
	}
	switch {
	case p.Exec != nil:
		if len(p.Exec.Command) == 0 {
			return false, fmt.Errorf("probe: exec without a command: %w", ErrInvalid)
		}
		res, err := pr.rt.Exec(ctx, t.ContainerID, p.Exec.Command)
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				return false, nil
			}
			return false, err
		}
		return res.ExitCode == 0, nil
	case p.HTTPGet != nil:
		port, err := resolvePort(p.HTTPGet.Port, t.Ports)
		if err != nil {
			return false, err
		}
		host := p.HTTPGet.Host
		if host == "" {
			host = t.PodIP
		}
		scheme := strings.ToLower(p.HTTPGet.Scheme)
		if scheme == "" {
			scheme = "http"
		}
		path := p.HTTPGet.Path
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		u := scheme + "://" + net.JoinHostPort(host, strconv.Itoa(port)) + path
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return false, fmt.Errorf("probe: %w: %w", ErrInvalid, err)
		}
		req.Header.Set("User-Agent", "fleetkit-probe/1")
		for _, h := range p.HTTPGet.HTTPHeaders {
			req.Header.Set(h.Name, h.Value)
		}
		resp, err := pr.client.Do(req)
		if err != nil {
			return false, nil
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 10<<10))
		resp.Body.Close()
		return resp.StatusCode >= 200 && resp.StatusCode < 400, nil
	case p.TCPSocket != nil:
		port, err := resolvePort(p.TCPSocket.Port, t.Ports)
		if err != nil {
			return false, err
		}
		host := p.TCPSocket.Host
		if host == "" {
			host = t.PodIP
		}
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil {
			return false, nil
		}
		c.Close()
		return true, nil
	}
	return false, fmt.Errorf("probe: no handler: %w", ErrInvalid)
}

// resolvePort turns a number or a named container port into a number.
func resolvePort(p api.IntOrString, ports []api.ContainerPort) (int, error) {
	if !p.IsString {
		if p.IntVal <= 0 || p.IntVal > 65535 {
			return 0, fmt.Errorf("probe: port %d: %w", p.IntVal, ErrInvalid)
		}
		return int(p.IntVal), nil
	}
	for _, cp := range ports {
		if cp.Name == p.StrVal {
			return int(cp.ContainerPort), nil
		}
	}
	if n, err := strconv.Atoi(p.StrVal); err == nil && n > 0 && n <= 65535 {
		return n, nil
	}
	return 0, fmt.Errorf("probe: no container port named %q: %w", p.StrVal, ErrInvalid)
}
