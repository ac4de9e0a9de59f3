package etcdstore

import (
	"context"
	"fmt"
	"sort"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/fleetkit/orchestrator/api"
	"github.com/fleetkit/orchestrator/store"
)

// List implements store.Reader.
//
// Pages are read in etcd key order, which is (namespace, name) order
// within one namespace and for cluster-scoped kinds. Across namespaces
// key order can differ from it ("a-b/x" sorts before "a/x" since '-' <
// '/'), so a list of a namespaced kind over all namespaces reads every
// key at the list's revision and sorts before cutting a page: correct,
// but each page costs the whole range. The alternative, a key layout
// that sorts right, was rejected to keep /<prefix>/<kind>/<ns>/<name>
// readable and shared with other tools.
func (s *Store) List(ctx context.Context, kind api.Kind, opts ...store.ListOption) (*store.List, error) {
	ki, err := lookup(kind)
	if err != nil {
		return nil, err
	}
	lo := store.NewListOptions(opts...)
	if lo.Limit < 0 {
		return nil, fmt.Errorf("etcdstore: list %s: negative limit: %w", kind, store.ErrInvalid)
	}
	if lo.Namespace != "" {
		if err := validLabel(lo.Namespace); err != nil {
			return nil, fmt.Errorf("etcdstore: list %s: namespace: %w", kind, err)
		}
	}
	rev := lo.Revision
	var after *continueToken
	if lo.Continue != "" {
		t, err := parseContinue(lo.Continue)
		if err != nil {
			return nil, err
		}
		rev, after = t.Rev, &t
	}
	ctx, cancel := s.reqCtx(ctx)
	defer cancel()
	prefix := s.kindPrefix(kind)
	if lo.Namespace != "" {
		prefix = s.nsPrefix(kind, lo.Namespace)
	}
	match := func(o api.Object) bool {
		return lo.Selector == nil || lo.Selector.Matches(o.Meta().Labels)
	}
	sortAll := ki.Namespaced && lo.Namespace == ""
	start := prefix
	if after != nil && !sortAll {
		start = s.key(kind, after.Namespace, after.Name) + "\x00"
	}
	end := clientv3.GetPrefixRangeEnd(prefix)
	out := &store.List{}
	var items []api.Object
	full := false // a page is full; we look for one more match to know whether to continue
	for {
		gopts := []clientv3.OpOption{clientv3.WithRange(end), clientv3.WithLimit(int64(s.cfg.PageSize))}
		if rev != 0 {
			gopts = append(gopts, clientv3.WithRev(rev))
		}
		resp, err := s.client.Get(ctx, start, gopts...)
		if err != nil {
			return nil, classify(fmt.Sprintf("list %s", kind), err)
		}
		if rev == 0 {
			rev = resp.Header.Revision
		}
		for _, kv := range resp.Kvs {
			obj, err := decode(kind, kv)
			if err != nil {
				return nil, err
			}
			if !match(obj) {
				continue
			}
			if full {
				last := items[len(items)-1].Meta()
				out.Continue = continueToken{Rev: rev, Namespace: last.Namespace, Name: last.Name}.String()
				out.Items, out.Revision = items, rev
				return out, nil
			}
			items = append(items, obj)
			if !sortAll && lo.Limit > 0 && len(items) == lo.Limit {
				full = true
			}
		}
		if !resp.More || len(resp.Kvs) == 0 {
			break
		}
		start = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
	}
	out.Revision = rev
	if !sortAll {
		out.Items = items
		return out, nil
	}
	sort.Slice(items, func(i, j int) bool { return less(items[i].Meta(), items[j].Meta()) })
	if after != nil {
		pos := &api.ObjectMeta{Namespace: after.Namespace, Name: after.Name}
		i := sort.Search(len(items), func(i int) bool { return less(pos, items[i].Meta()) })
		items = items[i:]
	}
	if lo.Limit > 0 && len(items) > lo.Limit {
		items = items[:lo.Limit]
		last := items[len(items)-1].Meta()
		out.Continue = continueToken{Rev: rev, Namespace: last.Namespace, Name: last.Name}.String()
	}
	out.Items = items
	return out, nil
}

func less(a, b *api.ObjectMeta) bool {
	if a.Namespace != b.Namespace {
		return a.Namespace < b.Namespace
	}
	return a.Name < b.Name
}
