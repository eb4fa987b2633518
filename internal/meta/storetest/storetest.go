// Package storetest is the one conformance suite for meta.Store. Every implementation
// runs it from its own tests:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) meta.Store { return openEmptyStore(t) })
//	}
//
// Each subtest calls open for a fresh, empty store and closes it when it ends. The
// suite checks only what meta.go documents, plus the behaviour the registry relies on
// (atomicity, compare-and-set, ordering of lists).
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/berth-registry/berth/internal/meta"
	"github.com/opencontainers/go-digest"
)

// timeTolerance is how far a stored timestamp may be from the one written: stores may
// keep only microseconds.
const timeTolerance = time.Millisecond

// Run runs the conformance suite. open must return a new, empty store each time it is
// called; Run closes it at the end of the subtest.
func Run(t *testing.T, open func(t *testing.T) meta.Store) {
	groups := []struct {
		name  string
		tests []test
	}{
		{"Repositories", repositoryTests},
		{"RepositorySettings", repositorySettingsTests},
		{"DeleteRepository", deleteRepositoryTests},
		{"ResourceTags", resourceTagTests},
		{"Accounts", accountTests},
		{"AccessKeys", accessKeyTests},
		{"AccessKeyLifecycle", accessKeyLifecycleTests},
		{"Organization", organizationTests},
		{"IAMUsers", iamUserTests},
		{"IAMGroups", iamGroupTests},
		{"IAMRoles", iamRoleTests},
		{"IAMInlinePolicies", iamInlinePolicyTests},
		{"IAMAttachments", iamAttachmentTests},
		{"IdentityPolicies", identityPolicyTests},
		{"ManagedPolicies", managedPolicyTests},
		{"ResourcePolicies", resourcePolicyTests},
		{"AuthEpoch", authEpochTests},
		{"Blobs", blobTests},
		{"Uploads", uploadTests},
		{"Manifests", manifestTests},
		{"RepositoryManifest", lookupTests},
		{"PutResult", putResultTests},
		{"ImmutableTags", immutableTagTests},
		{"Tags", tagTests},
		{"UntagImage", untagTests},
		{"Images", imageTests},
		{"ImageIDs", imageIDTests},
		{"Concurrency", concurrencyTests},
		{"KMSKeys", kmsTests},
		{"ReferenceRaces", referenceRaceTests},
		{"Leases", leaseTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.tests {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					s := open(t)
					t.Cleanup(func() {
						if err := s.Close(); err != nil {
							t.Errorf("Close: %v", err)
						}
					})
					if err := s.Ping(t.Context()); err != nil {
						t.Fatalf("Ping on a fresh store: %v", err)
					}
					tc.fn(t, s)
				})
			}
		})
	}
}

// test is one subtest of the suite.
type test struct {
	name string
	fn   func(t *testing.T, s meta.Store)
}

// base is a fixed instant, whole seconds, that the tests build timestamps from.
var base = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

func ctx(t *testing.T) context.Context { return t.Context() }

func itoa(n int) string { return strconv.Itoa(n) }

// dgst returns a distinct, valid digest for a label.
func dgst(label string) digest.Digest { return digest.FromString(label) }

// The registry (account) ids the suite creates repositories in.
const (
	registryID    = "123456789012"
	otherRegistry = "210987654321"
)

// mustRepo creates a repository with default settings in registryID or fails the test.
func mustRepo(t *testing.T, s meta.Store, name string) meta.Repository {
	t.Helper()
	return mustRepoIn(t, s, registryID, name)
}

// mustRepoIn creates a repository with default settings in a registry or fails the test.
func mustRepoIn(t *testing.T, s meta.Store, registry, name string) meta.Repository {
	t.Helper()
	repo, _, err := s.CreateRepository(ctx(t), meta.Repository{RegistryID: registry, Name: name}, nil)
	if err != nil {
		t.Fatalf("CreateRepository(%s, %q): %v", registry, name, err)
	}
	return repo
}

// repoNames returns the names of repositories, in order.
func repoNames(repos []meta.Repository) []string {
	names := make([]string, len(repos))
	for i, r := range repos {
		names[i] = r.Name
	}
	return names
}

// layerType is the media type refs gives blobs.
const layerType = "application/vnd.oci.image.layer.v1.tar+gzip"

// refs returns blob references to ds, each referenced as a layer.
func refs(ds ...digest.Digest) []meta.BlobRef {
	out := make([]meta.BlobRef, len(ds))
	for i, d := range ds {
		out[i] = meta.BlobRef{Digest: d, MediaType: layerType}
	}
	return out
}

// mustLink links a blob to a repository or fails the test.
func mustLink(t *testing.T, s meta.Store, repoID int64, d digest.Digest) {
	t.Helper()
	if err := s.LinkBlob(ctx(t), repoID, meta.Blob{Digest: d, Size: 1234, CreatedAt: base}); err != nil {
		t.Fatalf("LinkBlob(%d, %s): %v", repoID, d, err)
	}
}

// newManifest returns a manifest of repoID whose payload is body and whose digest is
// the payload's.
func newManifest(repoID int64, body string) meta.Manifest {
	payload := []byte(body)
	return meta.Manifest{
		RepositoryID:    repoID,
		Digest:          digest.FromBytes(payload),
		MediaType:       "application/vnd.oci.image.manifest.v1+json",
		ConfigMediaType: "application/vnd.oci.image.config.v1+json",
		Size:            int64(len(payload)),
		ImageSize:       4321,
		Payload:         payload,
		PushedAt:        base,
	}
}

// newIndex returns an index manifest of repoID.
func newIndex(repoID int64, body string) meta.Manifest {
	m := newManifest(repoID, body)
	m.MediaType, m.ConfigMediaType = "application/vnd.oci.image.index.v1+json", ""
	return m
}

// mustPut stores a manifest or fails the test.
func mustPut(t *testing.T, s meta.Store, p meta.ManifestPut) meta.PutResult {
	t.Helper()
	res, err := s.PutManifest(ctx(t), p)
	if err != nil {
		t.Fatalf("PutManifest(%s, tags %q): %v", p.Manifest.Digest, p.Tags, err)
	}
	return res
}

// wantErrIs fails the test unless errors.Is(err, target).
func wantErrIs(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: error %v, want one that errors.Is %v", what, err, target)
	}
}

// wantNoErr fails the test on err.
func wantNoErr(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// wantTime fails the test unless got is want within timeTolerance.
func wantTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if d := got.Sub(want); d < -timeTolerance || d > timeTolerance {
		t.Errorf("%s = %v, want %v (±%v)", what, got, want, timeTolerance)
	}
}

// wantStrings fails the test unless got equals want (nil and empty are equal).
func wantStrings(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}

// wantDigestSet fails the test unless got holds exactly the digests of want, in any order.
func wantDigestSet(t *testing.T, what string, got, want []digest.Digest) {
	t.Helper()
	g, w := slices.Clone(got), slices.Clone(want)
	slices.Sort(g)
	slices.Sort(w)
	if len(g) == 0 && len(w) == 0 {
		return
	}
	if !slices.Equal(g, w) {
		t.Errorf("%s = %v, want %v (in any order)", what, got, want)
	}
}

// wantAnnotations fails the test unless got equals want (nil and empty are equal).
func wantAnnotations(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s = %v, want %v", what, got, want)
		return
	}
	for k, v := range want {
		if gv, ok := got[k]; !ok || gv != v {
			t.Errorf("%s = %v, want %v", what, got, want)
			return
		}
	}
}

// wantManifest compares every field of a stored manifest but the payload and PushedAt
// (which the caller checks).
func wantManifest(t *testing.T, what string, got, want meta.Manifest) {
	t.Helper()
	if got.RepositoryID != want.RepositoryID || got.Digest != want.Digest || got.MediaType != want.MediaType ||
		got.ArtifactType != want.ArtifactType || got.ConfigMediaType != want.ConfigMediaType ||
		got.Subject != want.Subject || got.Size != want.Size || got.ImageSize != want.ImageSize {
		t.Errorf("%s = %+v,\nwant %+v", what, summary(got), summary(want))
	}
	wantAnnotations(t, what+".Annotations", got.Annotations, want.Annotations)
}

// summary leaves the payload out of a printed manifest.
func summary(m meta.Manifest) string {
	return fmt.Sprintf("{RepositoryID:%d Digest:%s MediaType:%s ArtifactType:%q ConfigMediaType:%q Subject:%q Size:%d ImageSize:%d PushedAt:%v LastPulledAt:%v payload:%d bytes}",
		m.RepositoryID, m.Digest, m.MediaType, m.ArtifactType, m.ConfigMediaType, m.Subject, m.Size, m.ImageSize,
		m.PushedAt, m.LastPulledAt, len(m.Payload))
}

// wantRepository compares every field of a repository (CreatedAt within timeTolerance;
// nil and empty exclusions are equal).
func wantRepository(t *testing.T, what string, got, want meta.Repository) {
	t.Helper()
	if got.ID != want.ID || got.RegistryID != want.RegistryID || got.Name != want.Name ||
		got.TagMutability != want.TagMutability || got.ScanOnPush != want.ScanOnPush ||
		got.EncryptionType != want.EncryptionType || got.KMSKey != want.KMSKey ||
		!(len(got.MutabilityExclusions) == 0 && len(want.MutabilityExclusions) == 0 ||
			slices.Equal(got.MutabilityExclusions, want.MutabilityExclusions)) {
		t.Errorf("%s = %+v,\nwant %+v", what, got, want)
	}
	wantTime(t, what+".CreatedAt", got.CreatedAt, want.CreatedAt)
}

// wantResourceTags fails the test unless got equals want in order (nil and empty are equal).
func wantResourceTags(t *testing.T, what string, got, want []meta.ResourceTag) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s = %+v, want %+v", what, got, want)
	}
}

// rt returns resource tags from key, value pairs.
func rt(kv ...string) []meta.ResourceTag {
	out := make([]meta.ResourceTag, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, meta.ResourceTag{Key: kv[i], Value: kv[i+1]})
	}
	return out
}
