package registry

import (
	"container/list"
	"sync"

	"github.com/opencontainers/go-digest"
)

// payloadCache keeps manifest payloads in memory. A payload is immutable for its
// digest, so entries never go stale; the cache only bounds its size (LRU by bytes).
type payloadCache struct {
	mu       sync.Mutex
	maxBytes int64
	bytes    int64
	order    *list.List // front: most recently used
	entries  map[digest.Digest]*list.Element
}

type cacheEntry struct {
	dgst    digest.Digest
	payload []byte
}

func newPayloadCache(maxBytes int64) *payloadCache {
	return &payloadCache{maxBytes: maxBytes, order: list.New(), entries: map[digest.Digest]*list.Element{}}
}

func (c *payloadCache) get(d digest.Digest) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[d]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*cacheEntry).payload, true
}

func (c *payloadCache) put(d digest.Digest, payload []byte) {
	size := int64(len(payload))
	if size > c.maxBytes/8 {
		return // one huge manifest must not flush everything else
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[d]; ok {
		c.order.MoveToFront(e)
		return
	}
	c.entries[d] = c.order.PushFront(&cacheEntry{dgst: d, payload: payload})
	c.bytes += size
	for c.bytes > c.maxBytes {
		last := c.order.Back()
		ent := last.Value.(*cacheEntry)
		c.order.Remove(last)
		delete(c.entries, ent.dgst)
		c.bytes -= int64(len(ent.payload))
	}
}

// keyedMutex serializes work on one key (an upload session) within this process.
type keyedMutex struct {
	mu    sync.Mutex
	locks map[string]*keyedLock
}

type keyedLock struct {
	sync.Mutex
	refs int
}

func (k *keyedMutex) lock(key string) (unlock func()) {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = map[string]*keyedLock{}
	}
	l, ok := k.locks[key]
	if !ok {
		l = &keyedLock{}
		k.locks[key] = l
	}
	l.refs++
	k.mu.Unlock()
	l.Lock()
	return func() {
		l.Unlock()
		k.mu.Lock()
		l.refs--
		if l.refs == 0 {
			delete(k.locks, key)
		}
		k.mu.Unlock()
	}
}
