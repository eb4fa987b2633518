package meta

import (
	"context"
	"time"
)

// Leases let one process of many that share a store run a background job: a lease
// is held by one holder at a time, until it expires or its holder releases it, so a
// holder that dies gives it up after its ttl.
type Leases interface {
	// AcquireLease makes holder hold the lease name for ttl from now and returns true,
	// if the lease was free, expired or already held by holder (which renews it);
	// otherwise it changes nothing and returns false.
	AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
	// ReleaseLease frees the lease if holder holds it; otherwise it does nothing.
	ReleaseLease(ctx context.Context, name, holder string) error
}
