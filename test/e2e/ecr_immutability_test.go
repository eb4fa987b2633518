package e2e

// Tag mutability in its four modes, on both faces (PutImage and a /v2 manifest PUT), and immutable
// tags under concurrent pushes.

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecr/types"
)

func TestECRTagMutabilityModes(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	c := ecrSDK(t, s)
	ctx := t.Context()
	v2 := newECRV2Client(s, s.Token(t))
	base := newECRImage(t, "modes", 256)
	filters := []types.ImageTagMutabilityExclusionFilter{{FilterType: types.ImageTagMutabilityExclusionFilterTypeWildcard, Filter: aws.String("latest*")}}
	tests := []struct {
		mode    types.ImageTagMutability
		filters []types.ImageTagMutabilityExclusionFilter
		// which tags may move to another image
		latestMoves, v1Moves bool
	}{
		{types.ImageTagMutabilityMutable, nil, true, true},
		{types.ImageTagMutabilityImmutable, nil, false, false},
		{types.ImageTagMutabilityImmutableWithExclusion, filters, true, false},
		{types.ImageTagMutabilityMutableWithExclusion, filters, false, true},
	}
	for i, tc := range tests {
		t.Run(string(tc.mode), func(t *testing.T) {
			repo := fmt.Sprintf("modes/r%d", i)
			if _, err := c.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String(repo),
				ImageTagMutability: tc.mode, ImageTagMutabilityExclusionFilters: tc.filters}); err != nil {
				t.Fatalf("CreateRepository %s: %v", tc.mode, err)
			}
			base.pushBlobs(t, v2, repo)
			put := func(img *ecrImage, tag string) error {
				_, err := c.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String(repo), ImageManifest: aws.String(string(img.manifest)), ImageTag: aws.String(tag)})
				return err
			}
			a, b, viaV2 := base.variant(t, "a"), base.variant(t, "b"), base.variant(t, "v2")
			for _, tag := range []string{"latest", "latest-dev", "v1"} {
				if err := put(a, tag); err != nil {
					t.Fatalf("first PutImage of %s: %v", tag, err)
				}
			}
			// The same image under the same tag changes nothing, in every mode.
			sdkError[types.ImageAlreadyExistsException](t, "PutImage of the same image and tag", put(a, "v1"))
			for _, tc2 := range []struct {
				tag   string
				moves bool
			}{{"latest", tc.latestMoves}, {"latest-dev", tc.latestMoves}, {"v1", tc.v1Moves}} {
				err := put(b, tc2.tag)
				if tc2.moves && err != nil {
					t.Errorf("PutImage moving %s in a %s repository: %v", tc2.tag, tc.mode, err)
				}
				if !tc2.moves {
					e := sdkError[types.ImageTagAlreadyExistsException](t, "PutImage moving "+tc2.tag, err)
					if !strings.Contains(e.ErrorMessage(), "'"+tc2.tag+"'") {
						t.Errorf("message %q does not name the tag %s", e.ErrorMessage(), tc2.tag)
					}
				}
				// The same rule holds on /v2.
				resp, body := v2.putManifest(t, repo, tc2.tag, mtOCIManifest, viaV2.manifest)
				switch {
				case tc2.moves && resp.StatusCode != http.StatusCreated:
					t.Errorf("/v2 PUT moving %s in a %s repository: %d %s", tc2.tag, tc.mode, resp.StatusCode, body)
				case !tc2.moves:
					var e struct {
						Errors []struct{ Code, Message string }
					}
					json.Unmarshal(body, &e)
					if resp.StatusCode != http.StatusBadRequest || len(e.Errors) != 1 || e.Errors[0].Code != "TAG_INVALID" ||
						!strings.Contains(e.Errors[0].Message, "'"+tc2.tag+"'") {
						t.Errorf("/v2 PUT moving the immutable %s: %d %s, want 400 TAG_INVALID naming the tag", tc2.tag, resp.StatusCode, body)
					}
				}
			}
		})
	}
}

// TestECRImmutableTagRace pushes ten different images to one immutable tag at once, through PutImage
// and through /v2: exactly one wins, and the tag names the winner.
func TestECRImmutableTagRace(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	c := ecrSDK(t, s)
	ctx := t.Context()
	repo := "race/app"
	if _, err := c.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String(repo), ImageTagMutability: types.ImageTagMutabilityImmutable}); err != nil {
		t.Fatal(err)
	}
	v2 := newECRV2Client(s, s.Token(t))
	base := newECRImage(t, "race", 128)
	base.pushBlobs(t, v2, repo)
	const n = 10

	race := func(t *testing.T, tag string, push func(img *ecrImage) (bool, error)) {
		var mu sync.Mutex
		var wg sync.WaitGroup
		var winners []string
		start := make(chan struct{})
		for i := range n {
			img := base.variant(t, fmt.Sprintf("%s-%d", tag, i))
			wg.Go(func() {
				<-start
				ok, err := push(img)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					t.Errorf("push %d: %v", i, err)
				}
				if ok {
					winners = append(winners, img.digest)
				}
			})
		}
		close(start)
		wg.Wait()
		if len(winners) != 1 {
			t.Fatalf("%d of %d concurrent pushes to the immutable tag %s succeeded, want exactly 1", len(winners), n, tag)
		}
		out, err := c.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String(repo), ImageIds: []types.ImageIdentifier{{ImageTag: aws.String(tag)}}})
		if err != nil || len(out.ImageDetails) != 1 || aws.ToString(out.ImageDetails[0].ImageDigest) != winners[0] {
			t.Errorf("%s names %+v (%v), want the winner %s", tag, out, err, winners[0])
		}
	}
	t.Run("PutImage", func(t *testing.T) {
		race(t, "put", func(img *ecrImage) (bool, error) {
			_, err := c.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String(repo), ImageManifest: aws.String(string(img.manifest)), ImageTag: aws.String("put")})
			if err == nil {
				return true, nil
			}
			var lost *types.ImageTagAlreadyExistsException
			if errors.As(err, &lost) {
				return false, nil
			}
			return false, err
		})
	})
	t.Run("v2", func(t *testing.T) {
		race(t, "pushed", func(img *ecrImage) (bool, error) {
			resp, body := v2.putManifest(t, repo, "pushed", mtOCIManifest, img.manifest)
			switch {
			case resp.StatusCode == http.StatusCreated:
				return true, nil
			case resp.StatusCode == http.StatusBadRequest && strings.Contains(string(body), "TAG_INVALID"):
				return false, nil
			}
			return false, fmt.Errorf("PUT: %d %s", resp.StatusCode, body)
		})
	})
}
