package storetest

import (
	"errors"
	"testing"

	"github.com/berth-registry/berth/internal/meta"
	"github.com/opencontainers/go-digest"
)

// referenceRaceTests race a write that adds a reference against one that removes its
// target. A store with one writer passes them trivially; a store with many must keep
// every outcome one that some serial order of the two writes would give.
var referenceRaceTests = []test{
	{"UnlinkBlobVsPutManifest", testUnlinkBlobVsPutManifest},
	{"DeleteChildVsPutIndex", testDeleteChildVsPutIndex},
	{"UntagLastTagVsTagAgain", testUntagLastTagVsTagAgain},
	{"DeleteRepositoryVsPutManifest", testDeleteRepositoryVsPutManifest},
}

// raceRounds is how many times each race runs: one interleaving per round.
const raceRounds = 15

func testUnlinkBlobVsPutManifest(t *testing.T, s meta.Store) {
	repo := mustRepo(t, s, "r")
	for round := range raceRounds {
		layer := dgst("layer " + itoa(round))
		mustLink(t, s, repo.ID, layer)
		m := newManifest(repo.ID, `{"round":`+itoa(round)+`}`)
		var putErr, unlinkErr error
		race(2, func(i int) {
			if i == 0 {
				_, putErr = s.PutManifest(ctx(t), meta.ManifestPut{Manifest: m, Blobs: refs(layer)})
			} else {
				unlinkErr = s.UnlinkBlob(ctx(t), repo.ID, layer)
			}
		})
		var missing *meta.MissingError
		switch {
		case putErr == nil && errors.Is(unlinkErr, meta.ErrReferenced):
			_, err := s.RepositoryBlob(ctx(t), repo.ID, layer)
			wantNoErr(t, "RepositoryBlob of a layer the put kept", err)
		case unlinkErr == nil && errors.As(putErr, &missing):
			_, err := s.GetManifest(ctx(t), repo.ID, m.Digest, false)
			wantErrIs(t, "GetManifest of a refused put", err, meta.ErrNotFound)
		default:
			t.Fatalf("round %d: PutManifest %v and UnlinkBlob %v: want one to win and the other to refuse", round, putErr, unlinkErr)
		}
	}
}

func testDeleteChildVsPutIndex(t *testing.T, s meta.Store) {
	repo := mustRepo(t, s, "r")
	for round := range raceRounds {
		child := newManifest(repo.ID, `{"child":`+itoa(round)+`}`)
		mustPut(t, s, meta.ManifestPut{Manifest: child})
		index := newIndex(repo.ID, `{"index":`+itoa(round)+`}`)
		var putErr, deleteErr error
		race(2, func(i int) {
			if i == 0 {
				_, putErr = s.PutManifest(ctx(t), meta.ManifestPut{Manifest: index, Children: []digest.Digest{child.Digest}})
			} else {
				deleteErr = s.DeleteManifest(ctx(t), repo.ID, child.Digest)
			}
		})
		var missing *meta.MissingError
		switch {
		case putErr == nil && errors.Is(deleteErr, meta.ErrReferenced):
			_, err := s.GetManifest(ctx(t), repo.ID, child.Digest, false)
			wantNoErr(t, "GetManifest of a child the index kept", err)
		case deleteErr == nil && errors.As(putErr, &missing):
			_, err := s.GetManifest(ctx(t), repo.ID, index.Digest, false)
			wantErrIs(t, "GetManifest of a refused index", err, meta.ErrNotFound)
		default:
			t.Fatalf("round %d: PutManifest of the index %v and DeleteManifest of its child %v: want one to win and the other to refuse",
				round, putErr, deleteErr)
		}
	}
}

func testUntagLastTagVsTagAgain(t *testing.T, s meta.Store) {
	repo := mustRepo(t, s, "r")
	for round := range raceRounds {
		m := newManifest(repo.ID, `{"untag":`+itoa(round)+`}`)
		a, b := "a"+itoa(round), "b"+itoa(round)
		mustPut(t, s, meta.ManifestPut{Manifest: m, Tags: []string{a}})
		var putErr, untagErr error
		race(2, func(i int) {
			if i == 0 {
				_, putErr = s.PutManifest(ctx(t), meta.ManifestPut{Manifest: m, Tags: []string{b}})
			} else {
				_, _, untagErr = s.UntagImage(ctx(t), repo.ID, a)
			}
		})
		wantNoErr(t, "PutManifest with a new tag, racing the untag of the old", putErr)
		wantNoErr(t, "UntagImage of the old tag, racing a new one", untagErr)
		// In either order the image ends with tag b: untagged last it was kept for b,
		// untagged first it was deleted and the put stored it again.
		got, err := s.ResolveTag(ctx(t), repo.ID, b)
		wantNoErr(t, "ResolveTag of the new tag", err)
		if got.Digest != m.Digest {
			t.Errorf("round %d: ResolveTag(%s) = %s, want %s", round, b, got.Digest, m.Digest)
		}
		_, err = s.GetManifest(ctx(t), repo.ID, m.Digest, false)
		wantNoErr(t, "GetManifest of an image with a tag", err)
	}
}

func testDeleteRepositoryVsPutManifest(t *testing.T, s meta.Store) {
	for round := range raceRounds {
		repo := mustRepo(t, s, "r"+itoa(round))
		m := newManifest(repo.ID, `{"repo":`+itoa(round)+`}`)
		var putErr, deleteErr error
		race(2, func(i int) {
			if i == 0 {
				_, putErr = s.PutManifest(ctx(t), meta.ManifestPut{Manifest: m, Tags: []string{"latest"}})
			} else {
				deleteErr = s.DeleteRepository(ctx(t), repo.ID, false)
			}
		})
		switch {
		case putErr == nil && errors.Is(deleteErr, meta.ErrNotEmpty):
			got, err := s.ResolveTag(ctx(t), repo.ID, "latest")
			wantNoErr(t, "ResolveTag in the repository the put kept", err)
			if got.Digest != m.Digest {
				t.Errorf("round %d: ResolveTag = %s, want %s", round, got.Digest, m.Digest)
			}
		case deleteErr == nil && putErr != nil:
			_, err := s.GetRepository(ctx(t), registryID, repo.Name)
			wantErrIs(t, "GetRepository of a deleted repository", err, meta.ErrNotFound)
			_, err = s.GetManifest(ctx(t), repo.ID, m.Digest, false)
			wantErrIs(t, "GetManifest in a deleted repository", err, meta.ErrNotFound)
		default:
			t.Fatalf("round %d: PutManifest %v and DeleteRepository %v: want one to win and the other to fail", round, putErr, deleteErr)
		}
	}
}
