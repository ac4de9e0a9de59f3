package containerd

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// rotateLogs rotates oversized log files until Close.
func (r *Runtime) rotateLogs() {
	defer r.wg.Done()
	t := time.NewTicker(r.cfg.LogCheckInterval)
	defer t.Stop()
	for {
		select {
		case <-r.ctx.Done():
			return
		case <-t.C:
			r.RotateLogs()
		}
	}
}

// RotateLogs rotates every log file larger than LogMaxBytes now: file.N-1
// becomes file.N (the oldest is dropped), the live file is copied to
// file.1 and truncated. The shim appends (O_APPEND), so writes after the
// truncate land at the start of the file. It runs every LogCheckInterval;
// it is exported for tests.
func (r *Runtime) RotateLogs() {
	dir := filepath.Join(r.cfg.StateDir, "logs")
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".log") {
			continue
		}
		p := filepath.Join(dir, e.Name())
		fi, err := e.Info()
		if err != nil || fi.Size() <= r.cfg.LogMaxBytes {
			continue
		}
		if err := r.rotate(p); err != nil {
			r.log.Warn("rotate log", "file", p, "err", err)
		}
	}
}

func (r *Runtime) rotate(p string) error {
	for i := r.cfg.LogMaxFiles; i > 1; i-- {
		if err := os.Rename(fmt.Sprintf("%s.%d", p, i-1), fmt.Sprintf("%s.%d", p, i)); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	src, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(p+".1", os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o640)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	if err := dst.Close(); err != nil {
		return err
	}
	return src.Truncate(0)
}

func (r *Runtime) removeLogs(id string) {
	base := r.logPath(id)
	os.Remove(base)
	os.Remove(r.startedPath(id))
	for i := 1; i <= r.cfg.LogMaxFiles; i++ {
		os.Remove(fmt.Sprintf("%s.%d", base, i))
	}
}
