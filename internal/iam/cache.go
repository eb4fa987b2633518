package iam

import (
	"sync"
	"time"

	"github.com/berth-registry/berth/internal/iam/policy"
	"github.com/berth-registry/berth/internal/meta"
)

// maxCacheEntries bounds each cache map; a full map is emptied (the next requests
// refill it), which keeps memory bounded without bookkeeping on the hot path.
const maxCacheEntries = 50000

// authCache holds what authentication and authorization read on every request:
// opened access keys, principals' policies, resources' policies, decisions and the
// accounts of registry hosts. Everything in it is valid for one auth epoch of the
// store (meta.AuthEpochs): any change to keys, identities, policies, repositories or
// accounts starts a new epoch and empties it, so a deleted key or a new Deny takes
// effect on the next request.
type authCache struct {
	mu        sync.RWMutex
	epoch     uint64
	keys      map[string]cachedKey
	identity  map[string]identityPolicies
	resources map[resourceKey]resourcePolicies
	decisions map[decisionKey]policy.Reason
	hosts     map[string]meta.Account

	// sessions and tokens are verified by cryptography alone and outlive epochs; what
	// they name is checked against the store (through the epoch caches) on each use.
	smu      sync.Mutex
	sessions map[string]sessionClaims
	tokens   map[string]tokenClaims
}

// cachedKey is an opened long-term access key and its principal.
type cachedKey struct {
	secret    string
	principal Principal
	active    bool
}

// identityPolicies are a user's or role's identity-based policies, parsed.
type identityPolicies struct {
	docs   []*policy.Document
	exists bool
}

type resourceKey struct {
	account, repository string
}

// resourcePolicies are the resource-based policies of a repository (its own and its
// registry's) or of a registry, with the repository's resource tags.
type resourcePolicies struct {
	// docs end with the registry policy, if there is one.
	docs []*policy.Document
	tags []meta.ResourceTag
	// registry is the registry policy; registryV1 says it governs only V1's actions.
	registry   *policy.Document
	registryV1 bool
}

type decisionKey struct {
	principal, action, resource, account string
}

func newAuthCache() *authCache {
	c := &authCache{sessions: map[string]sessionClaims{}, tokens: map[string]tokenClaims{}}
	c.reset(0)
	return c
}

func (c *authCache) reset(epoch uint64) {
	c.epoch = epoch
	c.keys = map[string]cachedKey{}
	c.identity = map[string]identityPolicies{}
	c.resources = map[resourceKey]resourcePolicies{}
	c.decisions = map[decisionKey]policy.Reason{}
	c.hosts = map[string]meta.Account{}
}

// lookup reads m under the read lock if the cache is at epoch.
func lookup[K comparable, V any](c *authCache, epoch uint64, m func() map[K]V, k K) (V, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var zero V
	if c.epoch != epoch {
		return zero, false
	}
	v, ok := m()[k]
	return v, ok
}

// store writes v into m if the cache is at epoch, moving it to epoch if it is older.
// Values read under an older epoch are dropped: the caller read the epoch before the
// data, so a value is never newer than its epoch says.
func store[K comparable, V any](c *authCache, epoch uint64, m func() map[K]V, k K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if epoch < c.epoch {
		return
	}
	if epoch > c.epoch {
		c.reset(epoch)
	}
	mm := m()
	if len(mm) >= maxCacheEntries {
		clear(mm)
	}
	mm[k] = v
}

// session returns a verified session token's claims if they are cached and unexpired.
func (c *authCache) session(token string, now time.Time) (sessionClaims, bool) {
	c.smu.Lock()
	defer c.smu.Unlock()
	s, ok := c.sessions[token]
	if ok && !now.Before(s.expires()) {
		delete(c.sessions, token)
		return sessionClaims{}, false
	}
	return s, ok
}

func (c *authCache) putSession(token string, s sessionClaims) {
	c.smu.Lock()
	defer c.smu.Unlock()
	if len(c.sessions) >= maxCacheEntries {
		clear(c.sessions)
	}
	c.sessions[token] = s
}

func (c *authCache) token(password string) (tokenClaims, bool) {
	c.smu.Lock()
	defer c.smu.Unlock()
	t, ok := c.tokens[password]
	return t, ok
}

func (c *authCache) putToken(password string, t tokenClaims) {
	c.smu.Lock()
	defer c.smu.Unlock()
	if len(c.tokens) >= maxCacheEntries {
		clear(c.tokens)
	}
	c.tokens[password] = t
}
