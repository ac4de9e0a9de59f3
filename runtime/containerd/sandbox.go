package containerd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/fleetkit/orchestrator/runtime"
)

// sandboxFile is the sandbox's record on disk.
type sandboxFile struct {
	Config    runtime.SandboxConfig `json:"config"`
	CreatedAt time.Time             `json:"createdAt"`
}

func (r *Runtime) sandboxDir(id string) string {
	return filepath.Join(r.cfg.StateDir, "sandboxes", id)
}

// RunSandbox implements runtime.Sandboxes.
func (r *Runtime) RunSandbox(ctx context.Context, cfg runtime.SandboxConfig) (runtime.Sandbox, error) {
	if !validID.MatchString(cfg.ID) {
		return runtime.Sandbox{}, fmt.Errorf("containerd: sandbox id %q: %w", cfg.ID, runtime.ErrInvalid)
	}
	if cfg.Hostname == "" {
		cfg.Hostname = cfg.Name
	}
	if cfg.Hostname == "" {
		cfg.Hostname = cfg.ID
	}
	for _, v := range cfg.Volumes {
		if !validID.MatchString(v.Name) {
			return runtime.Sandbox{}, fmt.Errorf("containerd: volume name %q: %w", v.Name, runtime.ErrInvalid)
		}
	}
	r.sbMu.Lock()
	defer r.sbMu.Unlock()
	if sb, err := r.loadSandbox(cfg.ID); err == nil {
		return sb, nil
	}
	dir := r.sandboxDir(cfg.ID)
	if err := os.MkdirAll(filepath.Join(dir, "volumes"), 0o711); err != nil {
		return runtime.Sandbox{}, fmt.Errorf("containerd: sandbox %s: %w", cfg.ID, err)
	}
	fail := func(err error) (runtime.Sandbox, error) {
		r.removeSandboxDir(cfg.ID)
		return runtime.Sandbox{}, fmt.Errorf("containerd: sandbox %s: %w", cfg.ID, err)
	}
	if err := newNetNS(filepath.Join(dir, "netns")); err != nil {
		return fail(err)
	}
	for _, v := range cfg.Volumes {
		p := filepath.Join(dir, "volumes", v.Name)
		if err := os.MkdirAll(p, 0o777); err != nil {
			return fail(err)
		}
		if err := os.Chmod(p, 0o777); err != nil {
			return fail(err)
		}
		if v.Memory {
			opt := "mode=1777"
			if v.SizeLimit > 0 {
				opt += fmt.Sprintf(",size=%d", v.SizeLimit)
			}
			if err := unix.Mount("tmpfs", p, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, opt); err != nil {
				return fail(fmt.Errorf("tmpfs volume %s: %w", v.Name, err))
			}
		}
	}
	files := map[string]string{
		"hostname":    cfg.Hostname + "\n",
		"hosts":       "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n",
		"resolv.conf": resolvConf(cfg.DNS),
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			return fail(err)
		}
	}
	rec := sandboxFile{Config: cfg, CreatedAt: time.Now().UTC()}
	b, err := json.Marshal(rec)
	if err != nil {
		return fail(err)
	}
	// Written last and renamed into place: a sandbox is listed only once
	// it is complete.
	if err := os.WriteFile(filepath.Join(dir, "sandbox.json.tmp"), b, 0o600); err != nil {
		return fail(err)
	}
	if err := os.Rename(filepath.Join(dir, "sandbox.json.tmp"), filepath.Join(dir, "sandbox.json")); err != nil {
		return fail(err)
	}
	return r.loadSandbox(cfg.ID)
}

func resolvConf(d runtime.DNSConfig) string {
	var b strings.Builder
	for _, s := range d.Servers {
		fmt.Fprintf(&b, "nameserver %s\n", s)
	}
	if len(d.Searches) > 0 {
		fmt.Fprintf(&b, "search %s\n", strings.Join(d.Searches, " "))
	}
	if len(d.Options) > 0 {
		fmt.Fprintf(&b, "options %s\n", strings.Join(d.Options, " "))
	}
	return b.String()
}

func (r *Runtime) loadSandbox(id string) (runtime.Sandbox, error) {
	b, err := os.ReadFile(filepath.Join(r.sandboxDir(id), "sandbox.json"))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return runtime.Sandbox{}, fmt.Errorf("containerd: sandbox %s: %w", id, runtime.ErrNotFound)
		}
		return runtime.Sandbox{}, fmt.Errorf("containerd: sandbox %s: %w", id, err)
	}
	var rec sandboxFile
	if err := json.Unmarshal(b, &rec); err != nil {
		return runtime.Sandbox{}, fmt.Errorf("containerd: sandbox %s record: %w", id, err)
	}
	return runtime.Sandbox{
		ID: id, Namespace: rec.Config.Namespace, Name: rec.Config.Name,
		NetNSPath: filepath.Join(r.sandboxDir(id), "netns"), CreatedAt: rec.CreatedAt, Labels: rec.Config.Labels,
	}, nil
}

func (r *Runtime) sandboxConfig(id string) (runtime.SandboxConfig, error) {
	b, err := os.ReadFile(filepath.Join(r.sandboxDir(id), "sandbox.json"))
	if err != nil {
		return runtime.SandboxConfig{}, fmt.Errorf("containerd: sandbox %s: %w", id, runtime.ErrNotFound)
	}
	var rec sandboxFile
	if err := json.Unmarshal(b, &rec); err != nil {
		return runtime.SandboxConfig{}, fmt.Errorf("containerd: sandbox %s record: %w", id, err)
	}
	return rec.Config, nil
}

// RemoveSandbox implements runtime.Sandboxes.
func (r *Runtime) RemoveSandbox(ctx context.Context, id string) error {
	if !validID.MatchString(id) {
		return fmt.Errorf("containerd: sandbox id %q: %w", id, runtime.ErrInvalid)
	}
	cs, err := r.ListContainers(ctx, id)
	if err != nil {
		return err
	}
	if len(cs) > 0 {
		return fmt.Errorf("containerd: sandbox %s still has %d containers: %w", id, len(cs), runtime.ErrFailedPrecondition)
	}
	r.sbMu.Lock()
	defer r.sbMu.Unlock()
	return r.removeSandboxDir(id)
}

// removeSandboxDir unmounts and deletes a sandbox's directory.
func (r *Runtime) removeSandboxDir(id string) error {
	dir := r.sandboxDir(id)
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	// Unlink the record first so a half-removed sandbox is not listed.
	_ = os.Remove(filepath.Join(dir, "sandbox.json"))
	var errs []error
	vols, _ := os.ReadDir(filepath.Join(dir, "volumes"))
	for _, v := range vols {
		p := filepath.Join(dir, "volumes", v.Name())
		if err := unix.Unmount(p, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) {
			errs = append(errs, fmt.Errorf("unmount volume %s: %w", v.Name(), err))
		}
	}
	if err := removeNetNS(filepath.Join(dir, "netns")); err != nil {
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		if err := os.RemoveAll(dir); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("containerd: remove sandbox %s: %w", id, err)
	}
	return nil
}

// ListSandboxes implements runtime.Sandboxes.
func (r *Runtime) ListSandboxes(ctx context.Context) ([]runtime.Sandbox, error) {
	ents, err := os.ReadDir(filepath.Join(r.cfg.StateDir, "sandboxes"))
	if err != nil {
		return nil, fmt.Errorf("containerd: list sandboxes: %w", err)
	}
	var out []runtime.Sandbox
	for _, e := range ents {
		sb, err := r.loadSandbox(e.Name())
		if err != nil {
			continue // incomplete: being created or removed
		}
		out = append(out, sb)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}
