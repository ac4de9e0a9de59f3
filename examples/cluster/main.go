// Command cluster is the reference assembly: a whole cluster in one
// process on the embedded in-memory store — the control plane (scheduler
// and every built-in controller) and simulated node agents — with the
// project's example manifests applied. It prints the workloads as they
// come up.
//
//	go run ./examples/cluster                     # until interrupted
//	go run ./examples/cluster -until-ready        # exit 0 once all is ready
//	go run ./examples/cluster -f my-app.yaml      # your own manifests
//	go run ./examples/cluster -etcd http://127.0.0.1:2379
//
// With -containerd SOCKET (as root) the nodes run real containers through
// that containerd, each node in a containerd namespace and on a CNI
// bridge of its own; -import loads OCI image archives (runtime/ociimage
// writes them) so that no registry is needed. On exit the pods are
// stopped gracefully before the nodes go.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	var (
		cfg       config
		manifests stringList
		images    stringList
		etcd      string
		verbose   bool
	)
	flag.IntVar(&cfg.Nodes, "nodes", 3, "general nodes (8 cpu, 32Gi each)")
	flag.IntVar(&cfg.GPUNodes, "gpu-nodes", 2, "GPU nodes (64 cpu, 512Gi, 8 nvidia.com/gpu each)")
	flag.Var(&manifests, "f", "manifest file to apply (repeatable); default: the embedded examples")
	flag.StringVar(&etcd, "etcd", "", "comma-separated etcd endpoints; default: the embedded in-memory store")
	flag.StringVar(&cfg.Containerd, "containerd", "", "containerd socket: run real containers (needs root); default: simulated nodes")
	flag.Var(&images, "import", "OCI image archive to import into each real node (repeatable)")
	flag.StringVar(&cfg.StateDir, "state-dir", "", "where real nodes keep sandboxes, logs and IP leases; default: a temporary directory")
	flag.BoolVar(&cfg.UntilReady, "until-ready", false, "exit once every workload is ready (status 1 on timeout)")
	flag.DurationVar(&cfg.Timeout, "timeout", 60*time.Second, "with -until-ready, how long to wait")
	flag.DurationVar(&cfg.Interval, "interval", time.Second, "how often to print the status")
	flag.BoolVar(&verbose, "v", false, "log the components' activity to stderr")
	flag.Parse()

	cfg.Manifests = manifests
	cfg.Images = images
	if etcd != "" {
		cfg.Etcd = strings.Split(etcd, ",")
	}
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelInfo
	}
	cfg.Log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	cfg.Out = os.Stdout

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "cluster:", err)
		os.Exit(1)
	}
}

type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }
