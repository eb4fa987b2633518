package main

import (
	"context"
	"fmt"
	"math/rand/v2"
)

// ecrRepo is a repository prepared for the ECR scenarios, with the nextToken of each page of
// DescribeImages and ListImages (tokens[k] fetches page k+1; tokens[0] is "").
type ecrRepo struct {
	name       string
	images     int
	descTokens []string
	listTokens []string
	err        error
}

// prepareECR creates the two ECR repositories once per run (untimed): one shared config and
// layer, then per image an OCI manifest PUT by tag over /v2 at cfg.ecrSetupC; then it walks
// DescribeImages and ListImages once to collect the page tokens.
func (r *runner) prepareECR(ctx context.Context) (small, big *ecrRepo) {
	if r.ecrSmall == nil {
		r.ecrSmall = r.fillECRRepo(ctx, repoECRSmall, r.cfg.ecrSmallN)
		r.ecrBig = r.fillECRRepo(ctx, repoECRBig, r.cfg.ecrBigN)
	}
	return r.ecrSmall, r.ecrBig
}

func (r *runner) fillECRRepo(ctx context.Context, repo string, n int) *ecrRepo {
	er := &ecrRepo{name: repo, images: n}
	set := makeECRImageSet(r.rnd)
	for _, b := range []blob{set.config, set.layer} {
		if err := r.c.pushMonolithic(ctx, repo, b, true); err != nil {
			er.err = fmt.Errorf("setting up %s: %w", repo, err)
			return er
		}
	}
	r.repos[repo]++
	res := r.measure("ecr-setup", "ecr-setup "+repo, fmt.Sprintf("%d images, C=%d", n, r.cfg.ecrSetupC), true, func() *recorder {
		return runCount(ctx, r.log, n, r.cfg.ecrSetupC, r.cfg.reqTimeout, func(ctx context.Context, i int) (int64, error) {
			tag, body := set.manifest(i)
			return 0, r.c.putManifest(ctx, repo, tag, mtOCIManifest, body)
		})
	})
	perSecond(res, "images/s")
	r.report(res)
	if res.Errors > 0 {
		er.err = fmt.Errorf("setting up %s: %d manifest PUTs failed: %s", repo, res.Errors, res.FirstError)
		return er
	}
	var err error
	if er.descTokens, err = r.walkECR(ctx, "DescribeImages", repo, "imageDetails", n); err != nil {
		er.err = err
		return er
	}
	if er.listTokens, err = r.walkECR(ctx, "ListImages", repo, "imageIds", n); err != nil {
		er.err = err
	}
	return er
}

// ecrPage is the part of a DescribeImages or ListImages answer the benchmark reads.
type ecrPage struct {
	ImageDetails []struct {
		ImageDigest string `json:"imageDigest"`
	} `json:"imageDetails"`
	ImageIDs []struct {
		ImageDigest string `json:"imageDigest"`
	} `json:"imageIds"`
	NextToken string `json:"nextToken"`
}

func (p *ecrPage) count(field string) int {
	if field == "imageDetails" {
		return len(p.ImageDetails)
	}
	return len(p.ImageIDs)
}

// fetchPage calls op for one page and checks that it holds want entries.
func (r *runner) fetchPage(ctx context.Context, op, repo, field, token string, want int) (*ecrPage, error) {
	in := map[string]any{"repositoryName": repo, "maxResults": r.cfg.ecrPage}
	if token != "" {
		in["nextToken"] = token
	}
	var page ecrPage
	if err := r.srv.ecr.call(ctx, op, in, &page); err != nil {
		return nil, err
	}
	if got := page.count(field); want >= 0 && got != want {
		return nil, fmt.Errorf("%s %s: %d %s on the page, want %d", op, repo, got, field, want)
	}
	return &page, nil
}

// walkECR pages through op once and returns the token of every page; the entries must add
// up to n.
func (r *runner) walkECR(ctx context.Context, op, repo, field string, n int) ([]string, error) {
	tokens := []string{""}
	total := 0
	for {
		page, err := r.fetchPage(ctx, op, repo, field, tokens[len(tokens)-1], -1)
		if err != nil {
			return nil, err
		}
		total += page.count(field)
		if page.NextToken == "" {
			break
		}
		if len(tokens) > n+1 {
			return nil, fmt.Errorf("%s %s: more pages than images", op, repo)
		}
		tokens = append(tokens, page.NextToken)
	}
	if total != n {
		return nil, fmt.Errorf("%s %s: %d %s over %d pages, want %d", op, repo, total, field, len(tokens), n)
	}
	return tokens, nil
}

// pageWant is how many entries page k (1-based) of n images holds.
func pageWant(n, size, k int) int { return max(0, min(size, n-(k-1)*size)) }

// timePages times op (C=1) on the small repository's first page and on the first, middle
// and last page of the big one.
func (r *runner) timePages(ctx context.Context, scenario, op, field string) {
	small, big := r.prepareECR(ctx)
	for _, er := range []*ecrRepo{small, big} {
		if er.err != nil {
			r.fatal(scenario, er.err)
			return
		}
	}
	tokensOf := func(er *ecrRepo) []string {
		if op == "DescribeImages" {
			return er.descTokens
		}
		return er.listTokens
	}
	bigPages := len(tokensOf(big))
	variants := []struct {
		row  string
		repo *ecrRepo
		page int
	}{
		{"small repo", small, 1},
		{"big repo, first page", big, 1},
		{"big repo, middle page", big, (bigPages + 1) / 2},
		{"big repo, last page", big, bigPages},
	}
	for _, v := range variants {
		token := tokensOf(v.repo)[v.page-1]
		want := pageWant(v.repo.images, r.cfg.ecrPage, v.page)
		params := fmt.Sprintf("%d images, page %d of %d, maxResults %d", v.repo.images, v.page, len(tokensOf(v.repo)), r.cfg.ecrPage)
		res := r.measure(scenario, scenario+" "+v.row, params, false, func() *recorder {
			return runTimed(ctx, r.log, r.cfg.ecrDur, 1, r.cfg.reqTimeout, func(ctx context.Context, _ int, _ *rand.Rand) (int64, error) {
				_, err := r.fetchPage(ctx, op, v.repo.name, field, token, want)
				return 0, err
			})
		})
		perSecond(res, "req/s")
		r.report(res)
	}
}

func (r *runner) describeImages(ctx context.Context) {
	r.timePages(ctx, "describe-images", "DescribeImages", "imageDetails")
}

func (r *runner) listImages(ctx context.Context) {
	r.timePages(ctx, "list-images", "ListImages", "imageIds")
}

// getAuthorizationToken times GetAuthorizationToken at each of cfg.authCs.
func (r *runner) getAuthorizationToken(ctx context.Context) {
	for _, c := range r.cfg.authCs {
		res := r.measure("get-authorization-token", fmt.Sprintf("get-authorization-token c=%d", c), fmt.Sprintf("C=%d, %s", c, r.cfg.ecrDur), false, func() *recorder {
			return runTimed(ctx, r.log, r.cfg.ecrDur, c, r.cfg.reqTimeout, func(ctx context.Context, _ int, _ *rand.Rand) (int64, error) {
				_, err := r.srv.ecr.registryAuth(ctx)
				return 0, err
			})
		})
		perSecond(res, "req/s")
		r.report(res)
	}
}
