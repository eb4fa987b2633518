package registry

import (
	"context"
	"sync"
	"time"

	"github.com/opencontainers/go-digest"
)

// pullClock remembers when each image's pull time was last written, so a flood of
// pulls costs one write per image per resolution (ECR itself refreshes
// lastRecordedPullTime "at least once every 24 hours").
type pullClock struct {
	mu      sync.Mutex
	written map[pullKey]time.Time
}

type pullKey struct {
	repoID int64
	dgst   digest.Digest
}

// due reports whether a pull at now should be written, and notes it if so.
func (c *pullClock) due(k pullKey, now time.Time, resolution time.Duration) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.written == nil || len(c.written) > 100000 {
		c.written = map[pullKey]time.Time{}
	}
	if last, ok := c.written[k]; ok && now.Sub(last) < resolution {
		return false
	}
	c.written[k] = now
	return true
}

// RecordPull notes that a client pulled an image, for lastRecordedPullTime and
// lifecycle rules on pull time. A failure to write it is logged, never returned: the
// pull itself succeeded.
func (r *Registry) RecordPull(ctx context.Context, repoID int64, dgst digest.Digest) {
	now := r.now()
	if !r.pulls.due(pullKey{repoID, dgst}, now, r.cfg.PullTimeResolution) {
		return
	}
	if err := r.meta.RecordPull(ctx, repoID, dgst, now); err != nil {
		r.log.Warn("record pull time", "image", dgst, "err", err)
	}
}
