package e2e

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// The OCI distribution-spec conformance suite, pinned. scripts/install-test-tools.sh builds the same
// version into the same cache path; keep the two in step.
const (
	conformancePkg = "github.com/opencontainers/distribution-spec/conformance"
	conformanceVer = "v0.0.0-20260831232431-97274622c111"
)

// conformanceEnv enables every API and data switch of the suite (see config.go of the pinned version)
// that a complete OCI 1.1 registry supports. The only switch left off is OCI_DATA_SPARSE (manifests
// whose blobs or child manifests were never pushed): the suite leaves it off for every registry in
// every spec version, and berth refuses such manifests by design (DESIGN.md, "Data safety").
var conformanceEnv = []string{
	"OCI_VERSION=1.1",
	"OCI_TLS=disabled",
	"OCI_LOG=warn",
	"OCI_API_PING=true",
	"OCI_API_PULL=true",
	"OCI_API_PUSH=true",
	"OCI_API_BLOBS_ATOMIC=true",
	"OCI_API_BLOBS_DELETE=true",
	"OCI_API_BLOBS_DIGEST_HEADER=true", // Docker-Content-Digest on blob responses (docker relies on it)
	"OCI_API_BLOBS_MOUNT_ANONYMOUS=true",
	"OCI_API_BLOBS_UPLOAD_CANCEL=true",
	"OCI_API_MANIFESTS_ATOMIC=true",
	"OCI_API_MANIFESTS_DELETE=true",
	"OCI_API_MANIFESTS_DIGEST_HEADER=true", // Docker-Content-Digest on manifest responses
	"OCI_API_MANIFESTS_TAG_PARAM=true",     // PUT /manifests/<digest>?tag=a&tag=b
	"OCI_API_TAGS_ATOMIC=true",
	"OCI_API_TAGS_DELETE=true",
	"OCI_API_TAGS_LIST=true",
	"OCI_API_REFERRER=true",
	"OCI_DATA_IMAGE=true",
	"OCI_DATA_INDEX=true",
	"OCI_DATA_INDEX_LIST=true",
	"OCI_DATA_SPARSE=false",
	"OCI_DATA_ARTIFACT=true",
	"OCI_DATA_SUBJECT=true",
	"OCI_DATA_SUBJECT_MISSING=true",
	"OCI_DATA_ARTIFACT_LIST=true",
	"OCI_DATA_SUBJECT_LIST=true",
	"OCI_DATA_DATA_FIELD=true",
	"OCI_DATA_NONDISTRIBUTABLE=true",
	"OCI_DATA_CUSTOM_FIELDS=true",
	"OCI_DATA_NO_LAYERS=true",
	"OCI_DATA_EMPTY_BLOB=true",
	"OCI_DATA_SHA512=true",
}

// Statuses results.yaml may show for a fully conformant registry with the configuration above. With
// every API switch on, the suite itself disables nothing else: a "Skip" always means the registry
// answered that a feature is unsupported (e.g. monolithic POST uploads, tag delete), which fails here.
var conformanceAllowedNonPass = map[string]string{
	"data/Sparse Manifests": "Disabled",
}

// The only switch allowed to be off in the configuration echoed into results.yaml.
var conformanceAllowedOff = map[string]bool{"data.sparse": true}

func TestOCIConformance(t *testing.T) {
	t.Parallel()
	var host string
	var cred creds
	if r := externalRegistry(); r != "" {
		host, cred = r, externalCredentials()
	} else {
		s := StartServer(t) // a fresh berth, nothing else touches it
		host, cred = s.Addr, s.Credentials(t)
	}
	bin := conformanceBinary(t)
	results := t.TempDir()
	prefix := "conformance/" + randomHex(4)

	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OCI_") { // no stray settings from the caller's shell
			env = append(env, kv)
		}
	}
	env = append(env, conformanceEnv...)
	env = append(env, "OCI_REGISTRY="+host, "OCI_REPO1="+prefix+"/repo1", "OCI_REPO2="+prefix+"/repo2", "OCI_RESULTS_DIR="+results)
	// The suite answers a Basic challenge (401 with WWW-Authenticate: Basic …) with these.
	env = append(env, "OCI_USERNAME="+cred.User, "OCI_PASSWORD="+cred.Password)

	cmd := exec.Command(bin)
	cmd.Dir = results
	cmd.Env = env
	stdout, _ := os.Create(filepath.Join(results, "stdout.txt"))
	stderr, _ := os.Create(filepath.Join(results, "stderr.txt"))
	cmd.Stdout, cmd.Stderr = stdout, stderr
	start := time.Now()
	runErr := runWithTimeout(cmd, 10*time.Minute)
	stdout.Close()
	stderr.Close()
	t.Logf("conformance suite ran in %s against %s (exit: %s)", time.Since(start).Round(time.Millisecond), host, exitString(runErr))

	art := artifactsDir(t)
	for _, f := range []string{"junit.xml", "results.yaml", "report.html", "stdout.txt", "stderr.txt"} {
		if err := copyFile(filepath.Join(results, f), filepath.Join(art, f)); err != nil && !os.IsNotExist(err) {
			t.Errorf("copy %s: %v", f, err)
		}
	}
	t.Logf("conformance reports (junit.xml, results.yaml, report.html with every request and response): %s", art)
	if os.Getenv("E2E_ARTIFACTS") == "" {
		t.Logf("set E2E_ARTIFACTS=DIR to keep them after the test")
	}

	junitPath := filepath.Join(results, "junit.xml")
	if _, err := os.Stat(junitPath); err != nil {
		b, _ := os.ReadFile(filepath.Join(results, "stderr.txt"))
		t.Fatalf("the conformance suite wrote no junit.xml (exit: %s); stderr:\n%s", exitString(runErr), lastLines(string(b), 30))
	}
	cases, err := parseJUnit(junitPath)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	var failed, skipped []string
	for _, c := range cases {
		counts[c.Status]++
		msg := firstLine(c.SystemOut)
		switch c.Status {
		case "passed":
		case "skipped":
			skipped = append(skipped, fmt.Sprintf("%s: %s", c.Name, msg))
		default: // failure, error
			failed = append(failed, fmt.Sprintf("%s [%s]: %s", c.Name, c.Status, msg))
		}
	}
	t.Logf("conformance: %d test cases: %d passed, %d failed, %d errors, %d skipped",
		len(cases), counts["passed"], counts["failure"], counts["error"], counts["skipped"])
	if len(cases) == 0 {
		t.Fatal("junit.xml lists no test cases")
	}

	apis, data, config, err := parseConformanceResults(filepath.Join(results, "results.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var off []string
	for k, v := range config {
		if v == "false" && !conformanceAllowedOff[k] {
			off = append(off, k)
		}
	}
	sort.Strings(off)
	if len(off) > 0 {
		t.Errorf("the suite ran with these switches off (a misspelt OCI_* variable?): %s", strings.Join(off, ", "))
	}
	var bad []string
	for kind, m := range map[string]map[string]string{"api": apis, "data": data} {
		for name, status := range m {
			if status == "Pass" || conformanceAllowedNonPass[kind+"/"+name] == status {
				continue
			}
			bad = append(bad, fmt.Sprintf("%s %q: %s", kind, name, status))
		}
	}
	sort.Strings(bad)
	if len(apis) == 0 {
		t.Errorf("results.yaml has no per-API results")
	}

	if len(failed) > 0 {
		sort.Strings(failed)
		t.Errorf("%d conformance tests failed:\n  %s", len(failed), strings.Join(failed, "\n  "))
	}
	if len(skipped) > 0 {
		sort.Strings(skipped)
		t.Errorf("%d conformance tests were skipped (a skip means the registry reported a feature as unsupported; berth must support all of them):\n  %s",
			len(skipped), strings.Join(skipped, "\n  "))
	}
	if len(bad) > 0 {
		t.Errorf("results.yaml: APIs and data types that did not pass:\n  %s", strings.Join(bad, "\n  "))
	}
	if runErr != nil && len(failed) == 0 && len(skipped) == 0 && len(bad) == 0 {
		t.Errorf("the conformance suite exited with %v although no test failed; see %s/stderr.txt", runErr, art)
	}
}

var conformanceBuild struct {
	once sync.Once
	bin  string
	err  error
}

// conformanceBinary returns the pinned conformance suite: $OCI_CONFORMANCE_BIN, else the installer's
// cache, else it is built into that cache the way scripts/install-test-tools.sh does it.
func conformanceBinary(t testing.TB) string {
	t.Helper()
	if b := os.Getenv("OCI_CONFORMANCE_BIN"); b != "" {
		return b
	}
	conformanceBuild.once.Do(func() {
		cache := os.Getenv("OCI_CONFORMANCE_CACHE")
		if cache == "" {
			base, err := os.UserCacheDir()
			if err != nil {
				conformanceBuild.err = err
				return
			}
			cache = filepath.Join(base, "oci-conformance")
		}
		bin := filepath.Join(cache, "conformance-"+conformanceVer)
		conformanceBuild.bin = bin
		if _, err := os.Stat(bin); err == nil {
			return
		}
		tmp, err := os.MkdirTemp("", "oci-conformance-build-")
		if err != nil {
			conformanceBuild.err = err
			return
		}
		defer os.RemoveAll(tmp)
		if err := os.MkdirAll(cache, 0o755); err != nil {
			conformanceBuild.err = err
			return
		}
		if err := os.WriteFile(filepath.Join(tmp, "go.mod"), []byte("module local/oci-conformance\n\ngo 1.24\n"), 0o644); err != nil {
			conformanceBuild.err = err
			return
		}
		for _, args := range [][]string{
			{"get", conformancePkg + "@" + conformanceVer},
			{"build", "-o", bin + ".tmp", conformancePkg},
		} {
			cmd := exec.Command("go", args...)
			cmd.Dir = tmp
			cmd.Env = append(os.Environ(), "GOWORK=off")
			if out, err := cmd.CombinedOutput(); err != nil {
				conformanceBuild.err = fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
				return
			}
		}
		conformanceBuild.err = os.Rename(bin+".tmp", bin)
	})
	if conformanceBuild.err != nil {
		t.Fatalf("cannot build the conformance suite (run scripts/install-test-tools.sh): %v", conformanceBuild.err)
	}
	return conformanceBuild.bin
}

func runWithTimeout(cmd *exec.Cmd, d time.Duration) error {
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		cmd.Process.Kill()
		<-done
		return fmt.Errorf("killed after %s", d)
	}
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

type junitCase struct {
	Name      string `xml:"name,attr"`
	Status    string `xml:"status,attr"`
	SystemOut string `xml:"system-out"`
}

func parseJUnit(path string) ([]junitCase, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Suites []struct {
			Cases []junitCase `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	var cases []junitCase
	for _, s := range doc.Suites {
		cases = append(cases, s.Cases...)
	}
	return cases, nil
}

// parseConformanceResults reads results.yaml: the "apis" and "data" maps (name → Pass/FAIL/Skip/
// Disabled/Error) and the scalar settings of config.apis and config.data as dotted keys
// ("apis.blobs.delete" → "true"). The file is simple, indentation-structured YAML written by the suite,
// so a line parser is enough and keeps the project free of a YAML dependency.
func parseConformanceResults(path string) (apis, data, config map[string]string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, nil, err
	}
	defer f.Close()
	apis, data, config = map[string]string{}, map[string]string{}, map[string]string{}
	var stack []string // config keys by indentation level (2 spaces each)
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			continue
		}
		indent := len(line) - len(strings.TrimLeft(line, " "))
		key, val, _ := strings.Cut(strings.TrimSpace(line), ":")
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		if indent == 0 {
			section = key
			stack = nil
			continue
		}
		switch section {
		case "apis":
			apis[key] = val
		case "data":
			data[key] = val
		case "config":
			level := indent/2 - 1
			if level < len(stack) {
				stack = stack[:level]
			}
			if val == "" {
				stack = append(stack, key)
				continue
			}
			if len(stack) > 0 && (stack[0] == "apis" || stack[0] == "data") && (val == "true" || val == "false") {
				config[strings.Join(append(stack, key), ".")] = val
			}
		}
	}
	return apis, data, config, sc.Err()
}
