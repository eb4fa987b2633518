package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"syscall"
)

// largeShared returns the shared random buffer of the large blobs, made on first use.
func (r *runner) largeShared() []byte {
	size := r.cfg.largeMiB << 20
	if len(r.shared) < size {
		r.shared = randomBytes(r.rnd, size)
	}
	return r.shared
}

// pushLargeOnce pushes cfg.largeCount new large blobs at concurrency c to repo, monolithic
// or chunked, and reports the row. It returns the blobs.
func (r *runner) pushLargeOnce(ctx context.Context, scenario string, c int, chunked, setup bool) []blob {
	cfg := r.cfg
	size := int64(cfg.largeMiB) << 20
	blobs := makeLargeBlobs(r.rnd, r.largeShared(), cfg.largeCount, size)
	repo, params := repoLarge, fmt.Sprintf("%d×%d MiB, C=%d", cfg.largeCount, cfg.largeMiB, c)
	if chunked {
		repo = repoChunked
		params += fmt.Sprintf(", %d MiB chunks", cfg.chunkMiB)
	}
	r.repos[repo]++
	r.settle()
	res := r.measure(scenario, fmt.Sprintf("%s c=%d", scenario, c), params, setup, func() *recorder {
		return runCount(ctx, r.log, len(blobs), c, cfg.reqTimeout, func(ctx context.Context, i int) (int64, error) {
			if chunked {
				return blobs[i].size, r.c.pushChunked(ctx, repo, blobs[i], int64(cfg.chunkMiB)<<20)
			}
			return blobs[i].size, r.c.pushMonolithic(ctx, repo, blobs[i], false)
		})
	})
	perSecond(res, "MB/s")
	r.report(res)
	return blobs
}

func (r *runner) pushLarge(ctx context.Context) {
	for _, c := range r.cfg.largeCs {
		r.pushLargeOnce(ctx, "push-large", c, false, false)
	}
}

// settle writes dirty pages out and drops the page cache, if asked to and allowed:
// on this kind of machine, writing costs the kernel more CPU the more of the page cache
// earlier pushes hold, so without it every large push variant would pay for the ones
// before it.
func (r *runner) settle() {
	if !r.cfg.dropCaches {
		return
	}
	syscall.Sync()
	if err := os.WriteFile("/proc/sys/vm/drop_caches", []byte("3"), 0); err != nil && !r.warnedDrop {
		r.warnedDrop = true
		fmt.Fprintf(r.log, "bench: cannot drop the page cache (%v); large pushes may depend on their order\n", err)
	}
}

func (r *runner) pushChunked(ctx context.Context) {
	for _, c := range r.cfg.largeCs {
		r.pushLargeOnce(ctx, "push-chunked", c, true, false)
	}
}

// pullLarge pushes blobs (untimed), GETs them at each concurrency right away, as a
// client that pulls what was just pushed, then checks one blob's digest outside the
// timing.
func (r *runner) pullLarge(ctx context.Context) {
	blobs := r.pushLargeOnce(ctx, "push-large", r.cfg.largeCs[0], false, true)
	for _, c := range r.cfg.largeCs {
		res := r.measure("pull-large", fmt.Sprintf("pull-large c=%d", c), fmt.Sprintf("%d×%d MiB, C=%d", len(blobs), r.cfg.largeMiB, c), false, func() *recorder {
			return runCount(ctx, r.log, len(blobs), c, r.cfg.reqTimeout, func(ctx context.Context, i int) (int64, error) {
				return blobs[i].size, r.c.pullBlob(ctx, repoLarge, blobs[i], false)
			})
		})
		perSecond(res, "MB/s")
		if err := r.c.pullBlob(ctx, repoLarge, blobs[0], true); err != nil {
			res.Errors++
			res.FirstError = "verify: " + err.Error()
		} else {
			res.Extra = map[string]any{"digest_verified": 1}
		}
		r.report(res)
	}
}

// pushSmall pushes cfg.smallN small images at cfg.smallC: per image, HEAD + POST + PUT for the
// config and each layer, then PUT of the manifest by tag. One image's manifest is read back
// (outside the timing) and compared byte for byte.
func (r *runner) pushSmall(ctx context.Context, setup bool) {
	cfg := r.cfg
	imgs := makeSmallImages(r.rnd, cfg.smallN, cfg.layersPer, cfg.layerSize)
	pushed := make([]bool, len(imgs))
	r.repos[repoSmall]++
	res := r.measure("push-small-images", "push-small-images", fmt.Sprintf("N=%d, C=%d, %d×%d B layers + config", cfg.smallN, cfg.smallC, cfg.layersPer, cfg.layerSize), setup, func() *recorder {
		return runCount(ctx, r.log, len(imgs), cfg.smallC, cfg.reqTimeout, func(ctx context.Context, i int) (int64, error) {
			err := r.c.pushImage(ctx, repoSmall, imgs[i])
			pushed[i] = err == nil
			return 0, err
		})
	})
	perSecond(res, "images/s")
	perImage := 3*len(imgs[0].blobs) + 1
	res.Extra = map[string]any{"req_per_s": math.Round(res.Throughput * float64(perImage))}
	for i, ok := range pushed {
		if ok {
			r.small = append(r.small, imgs[i])
		}
	}
	if len(r.small) > 0 {
		img := r.small[0]
		body, dg, err := r.c.getManifest(ctx, repoSmall, img.tag)
		switch {
		case err != nil:
			err = fmt.Errorf("verify: %w", err)
		case string(body) != string(img.manifest):
			err = errors.New("verify: the manifest read back differs from the one pushed")
		case dg != "" && dg != img.digest:
			err = fmt.Errorf("verify: Docker-Content-Digest %s, want %s", dg, img.digest)
		}
		if err != nil {
			res.Errors++
			res.FirstError = err.Error()
		}
	}
	r.report(res)
}

// needSmall pushes the small images (as setup) if push-small-images did not run.
func (r *runner) needSmall(ctx context.Context) bool {
	if len(r.small) == 0 {
		r.pushSmall(ctx, true)
	}
	return len(r.small) > 0
}

// manifestGet floods GET /v2/<repo>/manifests/<random tag> and checks each body's length.
func (r *runner) manifestGet(ctx context.Context) {
	if !r.needSmall(ctx) {
		r.fatal("manifest-get", errors.New("no small images were pushed"))
		return
	}
	cfg, imgs := r.cfg, r.small
	res := r.measure("manifest-get", "manifest-get", fmt.Sprintf("C=%d, %s, %d tags", cfg.floodC, cfg.floodDur, len(imgs)), false, func() *recorder {
		return runTimed(ctx, r.log, cfg.floodDur, cfg.floodC, cfg.reqTimeout, func(ctx context.Context, _ int, rnd *rand.Rand) (int64, error) {
			img := &imgs[rnd.IntN(len(imgs))]
			body, _, err := r.c.getManifest(ctx, repoSmall, img.tag)
			if err == nil && len(body) != len(img.manifest) {
				err = fmt.Errorf("GET manifest %s: %d bytes, want %d", img.tag, len(body), len(img.manifest))
			}
			return int64(len(body)), err
		})
	})
	perSecond(res, "req/s")
	r.report(res)
}

// headBlob floods HEAD /v2/<repo>/blobs/<random small layer>; a 404 is an error.
func (r *runner) headBlob(ctx context.Context) {
	if !r.needSmall(ctx) {
		r.fatal("head-blob", errors.New("no small images were pushed"))
		return
	}
	var digests []string
	for _, img := range r.small {
		for _, b := range img.blobs[1:] {
			digests = append(digests, b.digest)
		}
	}
	cfg := r.cfg
	res := r.measure("head-blob", "head-blob", fmt.Sprintf("C=%d, %s, %d blobs", cfg.floodC, cfg.floodDur, len(digests)), false, func() *recorder {
		return runTimed(ctx, r.log, cfg.floodDur, cfg.floodC, cfg.reqTimeout, func(ctx context.Context, _ int, rnd *rand.Rand) (int64, error) {
			ok, err := r.c.blobExists(ctx, repoSmall, digests[rnd.IntN(len(digests))])
			if err == nil && !ok {
				err = errors.New("HEAD blob: 404 for a pushed blob")
			}
			return 0, err
		})
	})
	perSecond(res, "req/s")
	r.report(res)
}

// listing times a whole listing (all Link pages) at C=1 for cfg.listDur; a listing with
// fewer than want items is an error.
func (r *runner) listing(ctx context.Context, scenario, path, field string, want int) {
	cfg := r.cfg
	var items, pages int
	res := r.measure(scenario, scenario, fmt.Sprintf("C=1, %s", cfg.listDur), false, func() *recorder {
		return runTimed(ctx, r.log, cfg.listDur, 1, cfg.reqTimeout, func(ctx context.Context, _ int, _ *rand.Rand) (int64, error) {
			n, p, err := r.c.listAll(ctx, path, field)
			items, pages = n, p
			if err == nil && n < want {
				err = fmt.Errorf("%s listed %d %s, want at least %d", path, n, field, want)
			}
			return 0, err
		})
	})
	perSecond(res, "req/s")
	res.Params += fmt.Sprintf(", %d %s in %d page(s)", items, field, pages)
	res.Extra = map[string]any{"items": items, "pages": pages}
	r.report(res)
}

func (r *runner) tagsList(ctx context.Context) {
	if !r.needSmall(ctx) {
		r.fatal("tags-list", errors.New("no small images were pushed"))
		return
	}
	r.listing(ctx, "tags-list", "/v2/"+repoSmall+"/tags/list", "tags", len(r.small))
}

func (r *runner) catalog(ctx context.Context) {
	r.needSmall(ctx)
	r.listing(ctx, "catalog", "/v2/_catalog", "repositories", len(r.repos))
}
