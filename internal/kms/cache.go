package kms

import (
	"context"
	"sync"
	"time"

	"github.com/berth-registry/berth/internal/meta"
)

// cachedStore keeps keys and aliases read from the store for a moment: every pull from
// a KMS repository checks its key, and every data key unwrapped reads it. This
// process's own changes drop the entry at once; another replica's show within ttl.
// Only what exists is cached, so a new key or alias is seen at once.
type cachedStore struct {
	meta.KMSKeys
	ttl time.Duration
	max int
	now func() time.Time

	mu      sync.Mutex
	keys    map[string]cachedEntry[meta.KMSKey]
	aliases map[string]cachedEntry[string]
}

type cachedEntry[T any] struct {
	v       T
	expires time.Time
}

func newCachedStore(store meta.KMSKeys, ttl time.Duration, max int) *cachedStore {
	return &cachedStore{KMSKeys: store, ttl: ttl, max: max, now: time.Now,
		keys: map[string]cachedEntry[meta.KMSKey]{}, aliases: map[string]cachedEntry[string]{}}
}

func cacheKey(account, name string) string { return account + "/" + name }

func lookup[T any](c *cachedStore, m map[string]cachedEntry[T], k string) (T, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := m[k]
	if !ok || !c.now().Before(e.expires) {
		var zero T
		return zero, false
	}
	return e.v, true
}

func remember[T any](c *cachedStore, m map[string]cachedEntry[T], k string, v T) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(m) >= c.max {
		clear(m) // a full cache starts over: a few reads, never unbounded memory
	}
	m[k] = cachedEntry[T]{v: v, expires: c.now().Add(c.ttl)}
}

func (c *cachedStore) forget(account, id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.keys, cacheKey(account, id))
}

func (c *cachedStore) GetKMSKey(ctx context.Context, account, id string) (meta.KMSKey, error) {
	k := cacheKey(account, id)
	if key, ok := lookup(c, c.keys, k); ok {
		return key, nil
	}
	key, err := c.KMSKeys.GetKMSKey(ctx, account, id)
	if err == nil {
		remember(c, c.keys, k, key)
	}
	return key, err
}

func (c *cachedStore) KMSAlias(ctx context.Context, account, alias string) (string, error) {
	k := cacheKey(account, alias)
	if id, ok := lookup(c, c.aliases, k); ok {
		return id, nil
	}
	id, err := c.KMSKeys.KMSAlias(ctx, account, alias)
	if err == nil {
		remember(c, c.aliases, k, id)
	}
	return id, err
}

func (c *cachedStore) UpdateKMSKey(ctx context.Context, key meta.KMSKey) error {
	defer c.forget(key.AccountID, key.ID)
	return c.KMSKeys.UpdateKMSKey(ctx, key)
}

func (c *cachedStore) AddKMSKeyVersion(ctx context.Context, account, id string, version int, sealed []byte, at time.Time) error {
	defer c.forget(account, id)
	return c.KMSKeys.AddKMSKeyVersion(ctx, account, id, version, sealed, at)
}
