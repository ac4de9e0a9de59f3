// Package ociimage writes OCI image layout archives (the tar form of an
// image-layout directory) from files in memory, so that images can be
// built without a registry or a build tool: a static Go binary plus an
// entrypoint is a complete image.
//
// Output is deterministic: the same Image always gives the same bytes and
// the same digests (fixed timestamps, uid/gid 0, entries sorted by path,
// parent directories created implicitly). Layers are uncompressed tars.
// Digests are sha256, computed here.
//
// Read parses such an archive back (for tests and for checking inputs);
// it is fuzzed by FuzzRead.
package ociimage
