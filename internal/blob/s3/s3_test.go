package s3_test

import (
	"os"
	"testing"
	"time"

	"github.com/berth-registry/berth/internal/blob"
	"github.com/berth-registry/berth/internal/blob/blobtest"
	"github.com/berth-registry/berth/internal/blob/s3"
	"github.com/berth-registry/berth/internal/testutil/s3test"
)

func TestMain(m *testing.M) { os.Exit(s3test.Main(m)) }

func TestConformance(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store { return newStore(t, s3test.Start(t), "") })
}

func TestConformanceUnderPrefix(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store { return newStore(t, s3test.Start(t), "some/prefix") })
}

// storeConfig is the store configuration of a test bucket.
func storeConfig(c s3test.Config, prefix string) s3.Config {
	return s3.Config{
		Bucket:     c.Bucket,
		Prefix:     prefix,
		Endpoint:   c.Endpoint,
		Region:     c.Region,
		AccessKey:  c.AccessKey,
		SecretKey:  c.SecretKey,
		PathStyle:  true,
		MaxBackoff: 50 * time.Millisecond,
	}
}

func newStore(t testing.TB, c s3test.Config, prefix string) *s3.Store {
	t.Helper()
	s, err := s3.New(t.Context(), storeConfig(c, prefix))
	if err != nil {
		t.Fatalf("s3.New: %v", err)
	}
	return s
}
