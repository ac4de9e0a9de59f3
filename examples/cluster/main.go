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
		etcd      string
		verbose   bool
	)
	flag.IntVar(&cfg.Nodes, "nodes", 3, "general nodes (8 cpu, 32Gi each)")
	flag.IntVar(&cfg.GPUNodes, "gpu-nodes", 2, "GPU nodes (64 cpu, 512Gi, 8 nvidia.com/gpu each)")
	flag.Var(&manifests, "f", "manifest file to apply (repeatable); default: the embedded examples")
	flag.StringVar(&etcd, "etcd", "", "comma-separated etcd endpoints; default: the embedded in-memory store")
	flag.BoolVar(&cfg.UntilReady, "until-ready", false, "exit once every workload is ready (status 1 on timeout)")
	flag.DurationVar(&cfg.Timeout, "timeout", 60*time.Second, "with -until-ready, how long to wait")
	flag.DurationVar(&cfg.Interval, "interval", time.Second, "how often to print the status")
	flag.BoolVar(&verbose, "v", false, "log the components' activity to stderr")
	flag.Parse()

	cfg.Manifests = manifests
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
