// Package runtimetest is the conformance suite of runtime.Runtime: every
// backend runs Run from its own tests. It also builds the suite's test
// image (TestImage): a static build of ./testprog written as an OCI
// archive by runtime/ociimage, so no registry is needed.
//
// The suite asserts end states (exit codes and reasons, errors by
// category, log and exec output), never timings; it waits for
// asynchronous outcomes by polling with a generous deadline.
package runtimetest
