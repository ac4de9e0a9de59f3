package node_test

import (
	"os"
	"path/filepath"
)

// removeNamespaceCgroups removes the parent cgroups that runc leaves for a
// containerd namespace once its containers are gone (rmdir of a cgroup
// still in use fails and is ignored).
func removeNamespaceCgroups(ns string) {
	dirs, _ := filepath.Glob(filepath.Join("/sys/fs/cgroup", "*", ns))
	dirs = append(dirs, filepath.Join("/sys/fs/cgroup", ns))
	for _, d := range dirs {
		os.Remove(d)
	}
}
