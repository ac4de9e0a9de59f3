// Command testprog is the program inside the conformance suite's test
// image. Its first argument picks a behaviour; runtime/fake's ArgsBehavior
// simulates the same language. It prints "testprog: <args>" when it
// starts.
//
//	run                 run until SIGTERM, then exit 0
//	exit N              exit with N
//	sleep-exit MS N     sleep MS milliseconds, then exit with N
//	ignore-term         ignore SIGTERM and run until killed
//	oom                 allocate memory until killed
//	serve PORT          HTTP on PORT: /healthz (fails after /sick), /ready,
//	                    /hostname; exits 0 on SIGTERM
//	echo X...           print X and exit 0
//	sleep MS            sleep, exit 0
//	cat FILE            print FILE
//	write FILE TEXT     write TEXT to FILE
//	id                  print "uid gid"
//	caps                print the effective capability mask (hex)
//	capbnd              print the bounding capability set (hex)
//	nnp                 print the NoNewPrivs flag
//	hostname            print the hostname
//	spin                burn cpu until SIGTERM
package main

import (
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	args := os.Args[1:]
	if len(args) == 0 {
		args = []string{"run"}
	}
	// Handle SIGTERM before announcing the start, so that a caller who
	// waits for the start line knows SIGTERM is handled.
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	quiet := map[string]bool{"echo": true, "cat": true, "id": true, "caps": true, "capbnd": true, "nnp": true, "hostname": true, "write": true, "sleep": true}
	if !quiet[args[0]] {
		fmt.Printf("testprog: %s\n", strings.Join(args, " "))
	}
	arg := func(i int) string {
		if i < len(args) {
			return args[i]
		}
		return ""
	}
	num := func(i int) int { n, _ := strconv.Atoi(arg(i)); return n }
	switch args[0] {
	case "run":
		<-term
		fmt.Println("testprog: SIGTERM")
	case "exit":
		os.Exit(num(1))
	case "sleep-exit":
		time.Sleep(time.Duration(num(1)) * time.Millisecond)
		os.Exit(num(2))
	case "ignore-term":
		signal.Ignore(syscall.SIGTERM)
		select {}
	case "oom":
		var keep [][]byte
		for {
			b := make([]byte, 1<<20)
			for i := range b {
				b[i] = 1
			}
			keep = append(keep, b)
		}
	case "spin":
		var stop atomic.Bool
		go func() { <-term; stop.Store(true) }()
		for !stop.Load() {
		}
	case "serve":
		serve(arg(1), term)
	case "echo":
		fmt.Println(strings.Join(args[1:], " "))
	case "sleep":
		time.Sleep(time.Duration(num(1)) * time.Millisecond)
	case "cat":
		b, err := os.ReadFile(arg(1))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Stdout.Write(b)
	case "write":
		if err := os.WriteFile(arg(1), []byte(arg(2)), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	case "id":
		fmt.Printf("%d %d\n", os.Getuid(), os.Getgid())
	case "caps", "capbnd", "nnp":
		key := map[string]string{"caps": "CapEff:", "capbnd": "CapBnd:", "nnp": "NoNewPrivs:"}[args[0]]
		b, _ := os.ReadFile("/proc/self/status")
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, key) {
				fmt.Println(strings.TrimSpace(strings.TrimPrefix(l, key)))
			}
		}
	case "hostname":
		h, _ := os.Hostname()
		fmt.Println(h)
	default:
		fmt.Fprintln(os.Stderr, "testprog: unknown command", args[0])
		os.Exit(2)
	}
}

func serve(port string, term chan os.Signal) {
	var sick atomic.Bool
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		if sick.Load() {
			http.Error(w, "sick", http.StatusInternalServerError)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/sick", func(w http.ResponseWriter, r *http.Request) { sick.Store(true) })
	mux.HandleFunc("/ready", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ready") })
	mux.HandleFunc("/hostname", func(w http.ResponseWriter, r *http.Request) {
		h, _ := os.Hostname()
		fmt.Fprintln(w, h)
	})
	srv := &http.Server{Addr: ":" + port, Handler: mux}
	go func() {
		<-term
		fmt.Println("testprog: SIGTERM")
		os.Exit(0)
	}()
	if err := srv.ListenAndServe(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
