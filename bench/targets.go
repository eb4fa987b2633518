package main

import (
	"fmt"
	"strings"
)

// The targets berth must reach (issue 5), from the machine's limits in the team's bench notes.
const (
	pushLargeMBps   = 450.0         // push-large at C=1
	chunkedFraction = 0.9           // push-chunked within 10% of monolithic at the same C
	sendfileMBps    = 1828.0        // loopback GET via sendfile on this machine kind
	pullFraction    = 0.9           // pull-large at ≥ 0.9 × the sendfile limit
	smallImagesPerS = 130.0         // push-small-images
	floodReqPerS    = 10000.0       // manifest-get and head-blob at C=50
	floodP99Ms      = 20.0          // … with p99 ≤ 20 ms
	tagsListP50Ms   = 1.5           // tags list of 2000 tags
	catalogP50Ms    = 0.3           // catalog
	flatFactor      = 1.5           // DescribeImages p50 on the big repository ≤ 1.5 × the small one's
	maxRSSMiB       = 100           // VmHWM over a full run
	targetRowSmall  = " small repo" // the reference row of the flatness check
)

// check is one target of one row: a description and how to judge it on the medians.
// eval returns false for known when the figures it needs are missing.
type check struct {
	desc string
	eval func(rep *report) (ok, known bool)
}

func atLeast(row string, field func(*cell) []float64, min float64) func(*report) (bool, bool) {
	return func(rep *report) (bool, bool) {
		v, ok := rep.med(targetBerth, row, field)
		return ok && v >= min, ok
	}
}

func atMost(row string, field func(*cell) []float64, limit float64) func(*report) (bool, bool) {
	return func(rep *report) (bool, bool) {
		v, ok := rep.med(targetBerth, row, field)
		return ok && v <= limit, ok
	}
}

// relative checks berth's row against factor × berth's other row: at least that much when
// atLeast (throughput), at most that much otherwise (latency).
func relative(row, other string, field func(*cell) []float64, factor float64, atLeast bool) func(*report) (bool, bool) {
	return func(rep *report) (bool, bool) {
		v, ok1 := rep.med(targetBerth, row, field)
		ref, ok2 := rep.med(targetBerth, other, field)
		if !ok1 || !ok2 {
			return false, false
		}
		if atLeast {
			return v >= factor*ref, true
		}
		return v <= factor*ref, true
	}
}

// checksFor returns the absolute and relative targets of a row (berth's own figures).
func checksFor(row string) []check {
	scenario, variant, _ := strings.Cut(row, " ")
	switch {
	case row == "push-large c=1":
		return []check{{fmt.Sprintf("≥ %.0f MB/s", pushLargeMBps), atLeast(row, fieldTP, pushLargeMBps)}}
	case scenario == "push-chunked":
		return []check{{fmt.Sprintf("≥ %.1f × push-large %s", chunkedFraction, variant),
			relative(row, "push-large "+variant, fieldTP, chunkedFraction, true)}}
	case scenario == "pull-large":
		limit := pullFraction * sendfileMBps
		return []check{{fmt.Sprintf("≥ %.0f MB/s (%.1f × sendfile)", limit, pullFraction), atLeast(row, fieldTP, limit)}}
	case row == "push-small-images":
		return []check{{fmt.Sprintf("≥ %.0f images/s", smallImagesPerS), atLeast(row, fieldTP, smallImagesPerS)}}
	case row == "manifest-get" || row == "head-blob":
		return []check{
			{fmt.Sprintf("≥ %.0f req/s", floodReqPerS), atLeast(row, fieldTP, floodReqPerS)},
			{fmt.Sprintf("p99 ≤ %.0f ms", floodP99Ms), atMost(row, fieldP99, floodP99Ms)},
		}
	case row == "tags-list":
		return []check{{fmt.Sprintf("p50 ≤ %.1f ms", tagsListP50Ms), atMost(row, fieldP50, tagsListP50Ms)}}
	case row == "catalog":
		return []check{{fmt.Sprintf("p50 ≤ %.1f ms", catalogP50Ms), atMost(row, fieldP50, catalogP50Ms)}}
	case scenario == "describe-images" && strings.HasPrefix(variant, "big repo"):
		return []check{{fmt.Sprintf("p50 ≤ %.1f × small repo", flatFactor),
			relative(row, scenario+targetRowSmall, fieldP50, flatFactor, false)}}
	}
	return nil
}

// evaluate judges a row: the descriptions of its targets, each marked ✓ or ✗ (or ? when a
// figure is missing), and PASS, MISS, or "–" for a row without targets. Every OCI row also
// has "ahead of Distribution" when both were measured.
func (rep *report) evaluate(row string) ([]string, string) {
	checks := checksFor(row)
	scenario, _, _ := strings.Cut(row, " ")
	if !isECR(scenario) && rep.cell(targetBerth, row) != nil && rep.cell(targetDistribution, row) != nil {
		checks = append(checks, check{"ahead of Distribution", func(rep *report) (bool, bool) {
			b, _ := rep.med(targetBerth, row, fieldTP)
			d, _ := rep.med(targetDistribution, row, fieldTP)
			return b > d, true
		}})
	}
	if len(checks) == 0 || rep.cell(targetBerth, row) == nil {
		return nil, "–"
	}
	verdict := "PASS"
	var descs []string
	for _, c := range checks {
		ok, known := c.eval(rep)
		mark := "✓"
		switch {
		case !known:
			mark = "?"
			verdict = "MISS"
		case !ok:
			mark = "✗"
			verdict = "MISS"
		}
		descs = append(descs, c.desc+" "+mark)
	}
	return descs, verdict
}
