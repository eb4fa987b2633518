package storetest

import (
	"testing"
	"time"

	"github.com/berth-registry/berth/internal/meta"
)

var leaseTests = []test{
	{"AcquireFreeAndHeld", testLeaseAcquireFreeAndHeld},
	{"Expiry", testLeaseExpiry},
	{"RenewalExtends", testLeaseRenewalExtends},
	{"Release", testLeaseRelease},
	{"Race", testLeaseRace},
}

// wantLease fails the test unless AcquireLease returns want.
func wantLease(t *testing.T, s meta.Store, what, name, holder string, ttl time.Duration, want bool) {
	t.Helper()
	got, err := s.AcquireLease(ctx(t), name, holder, ttl)
	wantNoErr(t, what, err)
	if got != want {
		t.Errorf("%s: AcquireLease(%s, %s) = %v, want %v", what, name, holder, got, want)
	}
}

func testLeaseAcquireFreeAndHeld(t *testing.T, s meta.Store) {
	wantLease(t, s, "a free lease", "purge", "a", time.Minute, true)
	wantLease(t, s, "a lease another holds", "purge", "b", time.Minute, false)
	wantLease(t, s, "a lease the holder holds", "purge", "a", time.Minute, true)
	wantLease(t, s, "another lease", "gc", "b", time.Minute, true)
	wantLease(t, s, "the first lease, still held", "purge", "b", time.Minute, false)
}

func testLeaseExpiry(t *testing.T, s meta.Store) {
	wantLease(t, s, "a free lease", "purge", "a", 300*time.Millisecond, true)
	wantLease(t, s, "before expiry", "purge", "b", time.Minute, false)
	time.Sleep(400 * time.Millisecond)
	wantLease(t, s, "an expired lease", "purge", "b", time.Minute, true)
	wantLease(t, s, "the lease the dead holder lost", "purge", "a", time.Minute, false)
}

func testLeaseRenewalExtends(t *testing.T, s meta.Store) {
	wantLease(t, s, "a free lease", "purge", "a", 600*time.Millisecond, true)
	time.Sleep(400 * time.Millisecond)
	wantLease(t, s, "renewal", "purge", "a", 600*time.Millisecond, true)
	time.Sleep(400 * time.Millisecond)
	// 800 ms after the first acquire, 400 after the renewal.
	wantLease(t, s, "a renewed lease past its first ttl", "purge", "b", time.Minute, false)
	time.Sleep(400 * time.Millisecond)
	wantLease(t, s, "a renewed lease past its second ttl", "purge", "b", time.Minute, true)
}

func testLeaseRelease(t *testing.T, s meta.Store) {
	wantLease(t, s, "a free lease", "purge", "a", time.Minute, true)
	wantNoErr(t, "ReleaseLease by another holder", s.ReleaseLease(ctx(t), "purge", "b"))
	wantLease(t, s, "a lease released by one who did not hold it", "purge", "b", time.Minute, false)
	wantNoErr(t, "ReleaseLease", s.ReleaseLease(ctx(t), "purge", "a"))
	wantLease(t, s, "a released lease", "purge", "b", time.Minute, true)
	wantNoErr(t, "ReleaseLease of a lease one does not hold", s.ReleaseLease(ctx(t), "purge", "a"))
	wantNoErr(t, "ReleaseLease of no lease", s.ReleaseLease(ctx(t), "none", "a"))
	wantLease(t, s, "the lease after the old holder released it again", "purge", "a", time.Minute, false)
}

func testLeaseRace(t *testing.T, s meta.Store) {
	const n = 16
	got := make([]bool, n)
	errs := make([]error, n)
	race(n, func(i int) {
		got[i], errs[i] = s.AcquireLease(ctx(t), "purge", "holder-"+itoa(i), time.Minute)
	})
	winners := 0
	for i := range n {
		wantNoErr(t, "AcquireLease "+itoa(i), errs[i])
		if got[i] {
			winners++
		}
	}
	if winners != 1 {
		t.Errorf("%d racing holders acquired the lease, want exactly 1", winners)
	}
}
