package kms

import "time"

// SetClock replaces the service's clock, for tests of time-based rotation.
func SetClock(s *Service, now func() time.Time) { s.now = now }
