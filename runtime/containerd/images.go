package containerd

import (
	"context"
	"fmt"
	"io"

	"github.com/containerd/containerd/v2/client"
	"github.com/containerd/errdefs"

	"github.com/fleetkit/orchestrator/runtime"
)

// PullImage implements runtime.Images. It fetches from the registry named
// in ref with the client's default resolver (anonymous HTTPS) and unpacks
// into the snapshotter.
func (r *Runtime) PullImage(ctx context.Context, ref string) (runtime.Image, error) {
	ctx = r.nsctx(ctx)
	r.forgetImage(ref)
	img, err := r.client.Pull(ctx, ref, client.WithPullUnpack, client.WithPullSnapshotter(r.cfg.Snapshotter))
	if err != nil {
		return runtime.Image{}, runtime.Transient(fmt.Errorf("containerd: pull %s: %w: %w", ref, runtime.ErrImagePull, err))
	}
	return toImage(ctx, img)
}

// ImportImage implements runtime.Images.
func (r *Runtime) ImportImage(ctx context.Context, rd io.Reader) ([]runtime.Image, error) {
	ctx = r.nsctx(ctx)
	imgs, err := r.client.Import(ctx, rd)
	if err != nil {
		return nil, fmt.Errorf("containerd: import: %w: %w", runtime.ErrInvalid, err)
	}
	var out []runtime.Image
	for _, i := range imgs {
		r.forgetImage(i.Name)
		img := client.NewImage(r.client, i)
		if err := img.Unpack(ctx, r.cfg.Snapshotter); err != nil {
			return nil, wrap(err, "unpack %s", i.Name)
		}
		ri, err := toImage(ctx, img)
		if err != nil {
			return nil, err
		}
		out = append(out, ri)
	}
	return out, nil
}

func toImage(ctx context.Context, img client.Image) (runtime.Image, error) {
	size, err := img.Size(ctx)
	if err != nil {
		return runtime.Image{}, wrap(err, "image %s size", img.Name())
	}
	return runtime.Image{Ref: img.Name(), ID: img.Target().Digest.String(), Size: size}, nil
}

// image returns the client's image for ref, from a cache that Import,
// Pull and Remove invalidate: it saves a round trip per container create.
func (r *Runtime) image(ctx context.Context, ref string) (client.Image, error) {
	r.mu.Lock()
	img, ok := r.images[ref]
	r.mu.Unlock()
	if ok {
		return img, nil
	}
	img, err := r.client.GetImage(ctx, ref)
	if err != nil {
		return nil, wrap(err, "image %s", ref)
	}
	r.mu.Lock()
	r.images[ref] = img
	r.mu.Unlock()
	return img, nil
}

func (r *Runtime) forgetImage(ref string) {
	r.mu.Lock()
	delete(r.images, ref)
	r.mu.Unlock()
}

// ImageStatus implements runtime.Images.
func (r *Runtime) ImageStatus(ctx context.Context, ref string) (runtime.Image, error) {
	ctx = r.nsctx(ctx)
	img, err := r.client.GetImage(ctx, ref)
	if err != nil {
		return runtime.Image{}, wrap(err, "image %s", ref)
	}
	return toImage(ctx, img)
}

// RemoveImage implements runtime.Images.
func (r *Runtime) RemoveImage(ctx context.Context, ref string) error {
	ctx = r.nsctx(ctx)
	r.forgetImage(ref)
	if err := r.client.ImageService().Delete(ctx, ref); err != nil && !errdefs.IsNotFound(err) {
		return wrap(err, "remove image %s", ref)
	}
	return nil
}
