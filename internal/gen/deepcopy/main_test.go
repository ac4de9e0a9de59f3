package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestGeneratedFileIsCurrent fails when api/zz_generated_deepcopy.go is
// not what the generator makes of package api today: run
// "go generate ./api".
func TestGeneratedFileIsCurrent(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "api")
	want, err := Generate(dir, "zz_generated_deepcopy.go")
	if err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(t.TempDir(), "zz_generated_deepcopy.go")
	if err := os.WriteFile(tmp, want, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "zz_generated_deepcopy.go"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("api/zz_generated_deepcopy.go is stale (fresh output in %s): run go generate ./api", tmp)
	}
}

// testPkg exercises the shapes the generator must handle.
const testPkg = `package sample

import (
	"math/big"
	"time"
)

type Object interface{ Kind() string }

type Meta struct {
	Name   string
	Labels map[string]string
}

type ObjectMeta = Meta

type Amount struct{ b *big.Int }

func (a Amount) DeepCopy() Amount {
	if a.b != nil {
		a.b = new(big.Int).Set(a.b)
	}
	return a
}

type List map[string]Amount

type Inner struct {
	N   int
	Tag string
}

type Outer struct {
	Meta
	When    time.Time
	WhenP   *time.Time
	PP      **int
	Ptrs    []*Inner
	Nested  [][]string
	MapOfSl map[string][]int
	MapOfP  map[string]*Inner
	Arr     [2]*Inner
	Named   List
	Amt     Amount
	AmtP    *Amount
	In      Inner
	Bytes   []byte
}

type Bad struct {
	F func()
}

type withBad struct{ B Bad }

type Generic[T any] struct{ V T }
`

const testMain = `package sample

import (
	"math/big"
	"reflect"
	"testing"
	"time"
)

func TestCopies(t *testing.T) {
	one, now := 1, time.Unix(5, 0)
	pone := &one
	o := &Outer{
		Meta:    Meta{Name: "n", Labels: map[string]string{"a": "b"}},
		WhenP:   &now,
		PP:      &pone,
		Ptrs:    []*Inner{{N: 1}, nil},
		Nested:  [][]string{{"x"}, nil},
		MapOfSl: map[string][]int{"k": {1, 2}},
		MapOfP:  map[string]*Inner{"k": {N: 2}, "nil": nil},
		Arr:     [2]*Inner{{N: 3}, nil},
		Named:   List{"q": {b: big.NewInt(7)}},
		Amt:     Amount{b: big.NewInt(8)},
		AmtP:    &Amount{b: big.NewInt(9)},
		Bytes:   []byte("hi"),
	}
	c := o.DeepCopy()
	if !reflect.DeepEqual(o, c) {
		t.Fatal("copy differs")
	}
	**c.PP = 2
	*c.WhenP = time.Unix(6, 0)
	c.Ptrs[0].N = 9
	c.Nested[0][0] = "y"
	c.MapOfSl["k"][0] = 9
	c.MapOfP["k"].N = 9
	c.Arr[0].N = 9
	c.Named["q"].b.SetInt64(0)
	c.Amt.b.SetInt64(0)
	c.AmtP.b.SetInt64(0)
	c.Labels["a"] = "z"
	c.Bytes[0] = 'X'
	if one != 1 || !now.Equal(time.Unix(5, 0)) || o.Ptrs[0].N != 1 || o.Nested[0][0] != "x" ||
		o.MapOfSl["k"][0] != 1 || o.MapOfP["k"].N != 2 || o.Arr[0].N != 3 ||
		o.Named["q"].b.Int64() != 7 || o.Amt.b.Int64() != 8 || o.AmtP.b.Int64() != 9 ||
		o.Labels["a"] != "b" || string(o.Bytes) != "hi" {
		t.Fatalf("original changed: %+v", o)
	}
	if c.Ptrs[1] != nil || c.Nested[1] != nil || c.MapOfP["nil"] != nil || c.Arr[1] != nil {
		t.Fatal("nil elements not preserved")
	}
	var nl List
	if nl.DeepCopy() != nil {
		t.Fatal("nil List")
	}
}
`

func TestGenerateSample(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("sample.go", testPkg)
	write("go.mod", "module sample\n\ngo 1.24\n")
	out, err := Generate(dir, "zz_generated_deepcopy.go")
	if err != nil {
		t.Fatal(err)
	}
	src := string(out)
	for _, want := range []string{
		"func (in *Outer) DeepCopyInto(out *Outer)",
		"func (in List) DeepCopy() List",
		"Bad (F: func() cannot be deep-copied)",
	} {
		if !strings.Contains(src, want) {
			t.Errorf("output lacks %q:\n%s", want, src)
		}
	}
	for _, absent := range []string{"func (in *Bad)", "withBad)", "Generic", "func (in *Amount)", "DeepCopyObject"} {
		if strings.Contains(src, absent) {
			t.Errorf("output has %q", absent)
		}
	}
	again, err := Generate(dir, "zz_generated_deepcopy.go")
	if err != nil || !bytes.Equal(out, again) {
		t.Fatal("output is not deterministic")
	}
	write("zz_generated_deepcopy.go", src)
	write("sample_test.go", testMain)
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go tool not on PATH: generated code not compiled")
	}
	cmd := exec.Command("go", "test", "-count=1", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("generated code fails: %v\n%s\n%s", err, b, src)
	}
}
