package main

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Target names as they appear on the command line, in the JSON lines and in the table.
const (
	targetBerth        = "berth"
	targetDistribution = "distribution"
	// berth scaled out: metadata in PostgreSQL, blobs in S3 (versitygw), one replica or two.
	targetPGS3   = "berth-pg-s3"
	targetPGS3x2 = "berth-pg-s3-x2"
)

var allTargets = []string{targetBerth, targetDistribution, targetPGS3, targetPGS3x2}

// clusterReplicas is how many replicas each PostgreSQL+S3 target runs.
var clusterReplicas = map[string]int{targetPGS3: 1, targetPGS3x2: 2}

// isBerth reports whether target runs berth (in any deployment).
func isBerth(target string) bool { return target != targetDistribution }

// Scenario names, in the order they run. Each one produces one or more rows (a scenario and
// a variant, e.g. "push-large c=2"); the ECR ones run against berth only.
var allScenarios = []string{
	"push-large", "push-chunked", "pull-large", "push-small-images",
	"manifest-get", "head-blob", "tags-list", "catalog",
	"describe-images", "list-images", "get-authorization-token",
}

// ecrScenarios need the ECR API: Distribution has none.
var ecrScenarios = []string{"describe-images", "list-images", "get-authorization-token"}

func isECR(scenario string) bool { return slices.Contains(ecrScenarios, scenario) }

// config holds every knob of one invocation. Quick mode changes the defaults of the flags that
// were not given explicitly.
type config struct {
	quick      bool
	runs       int
	scenarios  []string
	targets    []string
	berthBin   string
	outFile    string
	summarize  bool
	files      []string
	idleWait   time.Duration
	idleThresh float64
	verbose    bool

	dropCaches bool

	largeCount int
	largeMiB   int
	largeCs    []int
	chunkMiB   int

	smallN     int
	smallC     int
	layerSize  int
	layersPer  int
	floodDur   time.Duration
	floodC     int
	listDur    time.Duration
	reqTimeout time.Duration

	ecrBigN   int
	ecrSmallN int
	ecrPage   int
	ecrDur    time.Duration
	ecrSetupC int
	authCs    []int
}

// parseFlags reads the command line (args without the program name). The error is for the
// user; flag's own usage text has already been written to errOut.
func parseFlags(args []string, errOut io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(errOut)
	var scen, targets, largeCs, authCs string
	fs.BoolVar(&c.quick, "quick", false, "quick mode (well under a minute for both targets): small sizes and short floods, for CI")
	fs.IntVar(&c.runs, "runs", 1, "number of runs; each run starts every target afresh on an empty data dir; the table shows medians and min–max")
	fs.StringVar(&scen, "scenarios", "all", "comma-separated scenarios: "+strings.Join(allScenarios, ","))
	fs.StringVar(&targets, "targets", strings.Join(allTargets, ","), "comma-separated targets: "+strings.Join(allTargets, ", ")+
		" (berth-pg-s3: PostgreSQL metadata and S3 blobs, started for the run; -x2: two replicas, requests round-robin)")
	fs.StringVar(&c.berthBin, "berth", "", "berth binary to run (default: go build ./cmd/berth into a temporary directory)")
	fs.StringVar(&c.outFile, "out", "", "append every measurement as JSON lines to this file (for -summarize)")
	fs.BoolVar(&c.summarize, "summarize", false, "print the table from JSON-lines files given as arguments (written with -out) and exit")
	fs.DurationVar(&c.idleWait, "idle-wait", 60*time.Second, "before each target starts, wait up to this long for an idle machine (quick mode: 0, only check and warn)")
	fs.Float64Var(&c.idleThresh, "idle-threshold", 0.15, "busy cores below which the machine counts as idle")
	fs.BoolVar(&c.verbose, "v", false, "print the servers' logs when they stop")

	fs.IntVar(&c.largeCount, "large-count", 4, "push-large/push-chunked/pull-large: blobs per variant")
	fs.IntVar(&c.largeMiB, "large-mib", 256, "size of a large blob in MiB")
	fs.StringVar(&largeCs, "large-c", "1,2", "concurrencies of the large push and pull variants")
	fs.IntVar(&c.chunkMiB, "chunk-mib", 16, "push-chunked: PATCH size in MiB")
	fs.BoolVar(&c.dropCaches, "drop-caches", true, "before each large push, sync and drop the page cache (as root), so a variant does not pay for the writes of the one before; both servers get the same")
	fs.IntVar(&c.smallN, "small-n", 2000, "push-small-images: images (one tag each, all in one repository)")
	fs.IntVar(&c.smallC, "small-c", 16, "push-small-images: concurrency")
	fs.IntVar(&c.layerSize, "layer-size", 4096, "push-small-images: bytes per layer")
	fs.IntVar(&c.layersPer, "layers", 3, "push-small-images: layers per image (plus a config blob)")
	fs.DurationVar(&c.floodDur, "flood-dur", 30*time.Second, "manifest-get and head-blob: duration of each flood")
	fs.IntVar(&c.floodC, "flood-c", 50, "manifest-get and head-blob: concurrency")
	fs.DurationVar(&c.listDur, "list-dur", 10*time.Second, "tags-list and catalog: duration of each (C=1)")
	fs.DurationVar(&c.reqTimeout, "timeout", 5*time.Minute, "timeout of one operation (a whole blob, a whole listing, one request)")
	fs.IntVar(&c.ecrBigN, "ecr-images", 10000, "ECR scenarios: images in the big repository")
	fs.IntVar(&c.ecrSmallN, "ecr-small-images", 100, "ECR scenarios: images in the small repository")
	fs.IntVar(&c.ecrPage, "ecr-page", 100, "ECR scenarios: maxResults of DescribeImages and ListImages")
	fs.DurationVar(&c.ecrDur, "ecr-dur", 5*time.Second, "ECR scenarios: duration of each timed variant")
	fs.IntVar(&c.ecrSetupC, "ecr-setup-c", 16, "ECR scenarios: concurrency of the (untimed) image creation")
	fs.StringVar(&authCs, "auth-c", "1,8", "get-authorization-token: concurrencies")
	fs.Usage = func() {
		fmt.Fprintf(errOut, "usage: go run ./bench [-quick] [-runs N] [-scenarios a,b] [-targets berth,distribution,...] [-berth PATH] [-out results.jsonl]\n"+
			"       go run ./bench -summarize results.jsonl...\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if c.quick {
		quick := map[string]func(){
			"large-count": func() { c.largeCount = 2 },
			"large-mib":   func() { c.largeMiB = 64 },
			"small-n":     func() { c.smallN = 300 },
			"flood-dur":   func() { c.floodDur = 3 * time.Second },
			"list-dur":    func() { c.listDur = time.Second },
			"ecr-images":  func() { c.ecrBigN = 1000 },
			"ecr-dur":     func() { c.ecrDur = 500 * time.Millisecond },
			"idle-wait":   func() { c.idleWait = 0 },
		}
		for name, apply := range quick {
			if !set[name] {
				apply()
			}
		}
	}
	c.files = fs.Args()
	if c.summarize {
		if len(c.files) == 0 {
			return nil, fmt.Errorf("-summarize needs one or more JSON-lines files")
		}
		return c, nil
	}
	if len(c.files) > 0 {
		return nil, fmt.Errorf("unexpected arguments %q (files are only for -summarize)", c.files)
	}
	var err error
	if c.scenarios, err = parseList(scen, allScenarios, "scenario"); err != nil {
		return nil, err
	}
	if c.targets, err = parseList(targets, allTargets, "target"); err != nil {
		return nil, err
	}
	if c.largeCs, err = parseInts(largeCs); err != nil {
		return nil, fmt.Errorf("-large-c: %w", err)
	}
	if c.authCs, err = parseInts(authCs); err != nil {
		return nil, fmt.Errorf("-auth-c: %w", err)
	}
	switch {
	case c.runs < 1:
		return nil, fmt.Errorf("-runs must be at least 1")
	case c.largeCount < 1 || c.largeMiB < 1 || c.chunkMiB < 1:
		return nil, fmt.Errorf("-large-count, -large-mib and -chunk-mib must be positive")
	case c.smallN < 1 || c.smallC < 1 || c.floodC < 1 || c.layersPer < 1 || c.layerSize < 1:
		return nil, fmt.Errorf("-small-n, -small-c, -flood-c, -layers and -layer-size must be positive")
	case c.ecrBigN < 1 || c.ecrSmallN < 1 || c.ecrPage < 1 || c.ecrPage > 1000 || c.ecrSetupC < 1:
		return nil, fmt.Errorf("-ecr-images, -ecr-small-images, -ecr-setup-c must be positive and -ecr-page in 1..1000")
	}
	return c, nil
}

// parseList splits a comma-separated list; "all" (or empty) means every known name. Names
// come back in the order of known, without duplicates.
func parseList(s string, known []string, what string) ([]string, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "all" {
		return slices.Clone(known), nil
	}
	want := map[string]bool{}
	for _, x := range strings.Split(s, ",") {
		x = strings.TrimSpace(x)
		if x == "" {
			continue
		}
		if !slices.Contains(known, x) {
			return nil, fmt.Errorf("unknown %s %q (known: %s)", what, x, strings.Join(known, ", "))
		}
		want[x] = true
	}
	var out []string
	for _, k := range known {
		if want[k] {
			out = append(out, k)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no %s given", what)
	}
	return out, nil
}

// parseInts parses "1,2,8" into positive integers.
func parseInts(s string) ([]int, error) {
	var out []int
	for _, x := range strings.Split(s, ",") {
		x = strings.TrimSpace(x)
		if x == "" {
			continue
		}
		var n int
		if _, err := fmt.Sscanf(x, "%d", &n); err != nil || n < 1 || fmt.Sprint(n) != x {
			return nil, fmt.Errorf("%q is not a positive integer", x)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("empty list")
	}
	return out, nil
}

func (c *config) wants(scenario string) bool { return slices.Contains(c.scenarios, scenario) }

func (c *config) mode() string {
	if c.quick {
		return "quick"
	}
	return "full"
}

// describe says what the scenarios do in this mode, for the table's header.
func (c *config) describe() string {
	return fmt.Sprintf("large blobs %d×%d MiB per variant at C=%s, chunks %d MiB; %d small images at C=%d; "+
		"floods %s at C=%d; listings %s at C=1; ECR: %d- and %d-image repositories, maxResults %d, %s per variant",
		c.largeCount, c.largeMiB, joinInts(c.largeCs), c.chunkMiB, c.smallN, c.smallC, c.floodDur, c.floodC, c.listDur,
		c.ecrSmallN, c.ecrBigN, c.ecrPage, c.ecrDur)
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ",")
}
