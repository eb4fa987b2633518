package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// pusher pushes content over plain HTTP and reports errors instead of failing the
// test: during a crash test most requests fail, and that is expected. It sends its
// credentials (HTTP Basic, user AWS and a token's password) with every request.
type pusher struct {
	base   string
	cred   creds
	client *http.Client
}

func newPusher(addr string, cred creds) *pusher {
	return &pusher{base: "http://" + addr, cred: cred, client: &http.Client{Timeout: time.Minute}}
}

func (p *pusher) do(ctx context.Context, method, url string, body []byte, header ...string) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	if !strings.HasPrefix(url, "http") {
		url = p.base + url
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, err
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	if !p.cred.anonymous() {
		req.SetBasicAuth(p.cred.User, p.cred.Password)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp, nil
}

// pushBlob pushes data in one of three ways (monolithic POST, POST+PUT, chunked
// PATCHes) and returns nil only when the registry acknowledged it with 201.
func (p *pusher) pushBlob(ctx context.Context, repo string, data []byte, way int) error {
	d := sha256Digest(data)
	if way%3 == 0 {
		resp, err := p.do(ctx, http.MethodPost, "/v2/"+repo+"/blobs/uploads/?digest="+d, data)
		return expect(resp, err, http.StatusCreated)
	}
	resp, err := p.do(ctx, http.MethodPost, "/v2/"+repo+"/blobs/uploads/", nil)
	if err := expect(resp, err, http.StatusAccepted); err != nil {
		return err
	}
	loc := resp.Header.Get("Location")
	if way%3 == 2 {
		const chunk = 256 << 10
		for off := 0; off < len(data); off += chunk {
			end := min(off+chunk, len(data))
			resp, err = p.do(ctx, http.MethodPatch, loc, data[off:end], "Content-Range", fmt.Sprintf("%d-%d", off, end-1))
			if err := expect(resp, err, http.StatusAccepted); err != nil {
				return err
			}
			loc = resp.Header.Get("Location")
		}
		data = nil
	}
	resp, err = p.do(ctx, http.MethodPut, loc+"?digest="+d, data)
	return expect(resp, err, http.StatusCreated)
}

func expect(resp *http.Response, err error, status int) error {
	if err != nil {
		return err
	}
	if resp.StatusCode != status {
		return fmt.Errorf("status %d, want %d", resp.StatusCode, status)
	}
	return nil
}

// crashLedger records what the registry acknowledged and what was only attempted.
type crashLedger struct {
	mu        sync.Mutex
	acked     map[string][]byte // digest -> content, acknowledged with 201
	attempted map[string][]byte // digest -> content, sent but maybe not acknowledged
	tags      map[string][]string
}

func (l *crashLedger) record(m map[string][]byte, d string, data []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	m[d] = data
}

// TestKillDuringPush kills berth with SIGKILL while several clients push blobs and
// manifests, restarts it, and checks, many times over: everything acknowledged is
// there byte for byte, nothing half-written is visible, and tags point at complete
// manifests that were pushed to them. The clients log in once: the token issued
// before the first crash must still be accepted after every restart (tokens are
// stateless, as they must be for replicas).
func TestKillDuringPush(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	cred := s.Credentials(t)
	ledger := &crashLedger{acked: map[string][]byte{}, attempted: map[string][]byte{}, tags: map[string][]string{}}
	const rounds = 12
	const pushers = 4
	for round := range rounds {
		ctx, cancel := context.WithCancel(context.Background())
		p := newPusher(s.Addr, cred)
		var wg sync.WaitGroup
		for w := range pushers {
			wg.Go(func() { pushUntilFailure(ctx, p, ledger, round, w) })
		}
		time.Sleep(time.Duration(150+rand.IntN(600)) * time.Millisecond)
		s.Kill()
		cancel()
		wg.Wait()
		s.Restart(t)
		if status := v2Status(t, s, cred); status != http.StatusOK {
			t.Fatalf("round %d: GET /v2/ with the token issued before the first kill -9 answers %d after the restart, want 200", round, status)
		}
		verifyAfterCrash(t, s, ledger, cred, round)
		if t.Failed() {
			return
		}
	}
	ledger.mu.Lock()
	defer ledger.mu.Unlock()
	t.Logf("%d rounds: %d blobs and manifests acknowledged and intact after kill -9, %d attempted", rounds, len(ledger.acked), len(ledger.attempted))
	if len(ledger.acked) < rounds {
		t.Errorf("only %d acknowledged pushes in %d rounds: the test did not exercise the server", len(ledger.acked), rounds)
	}
}

// pushUntilFailure pushes images until the server goes away. Pushers share one tag
// per round so that tag updates race too.
func pushUntilFailure(ctx context.Context, p *pusher, l *crashLedger, round, worker int) {
	repo := fmt.Sprintf("crash/r%d", worker%2)
	tag := fmt.Sprintf("round%d", round)
	for i := 0; ctx.Err() == nil; i++ {
		layer := randomBytes(64<<10 + rand.IntN(2<<20))
		config := []byte(fmt.Sprintf(`{"architecture":"amd64","os":"linux","round":%d,"worker":%d,"i":%d}`, round, worker, i))
		var blobs []string
		for j, data := range [][]byte{config, layer} {
			d := sha256Digest(data)
			l.record(l.attempted, d, data)
			if err := p.pushBlob(ctx, repo, data, i+j+worker); err != nil {
				return
			}
			l.record(l.acked, d, data)
			blobs = append(blobs, d)
		}
		manifest := []byte(fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",`+
			`"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":%q,"size":%d},`+
			`"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":%q,"size":%d}]}`,
			blobs[0], len(config), blobs[1], len(layer)))
		md := sha256Digest(manifest)
		l.record(l.attempted, md, manifest)
		l.mu.Lock()
		l.tags[repo+":"+tag] = append(l.tags[repo+":"+tag], md)
		l.mu.Unlock()
		resp, err := p.do(ctx, http.MethodPut, "/v2/"+repo+"/manifests/"+tag, manifest,
			"Content-Type", "application/vnd.oci.image.manifest.v1+json")
		if expect(resp, err, http.StatusCreated) != nil {
			return
		}
		l.record(l.acked, md, manifest)
	}
}

// v2Status returns the status of GET /v2/ sent with cred (without credentials when
// cred is anonymous).
func v2Status(t testing.TB, s *Server, cred creds) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL()+"/v2/", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !cred.anonymous() {
		req.SetBasicAuth(cred.User, cred.Password)
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatalf("GET /v2/: %v", err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func verifyAfterCrash(t *testing.T, s *Server, l *crashLedger, cred creds, round int) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	reg := newRegistry(s.Addr, cred)
	content := func(repo, d string) (int, []byte) {
		kind := "blobs"
		if strings.Contains(string(l.attempted[d]), `"schemaVersion"`) {
			kind = "manifests"
		}
		resp, body := reg.get(t, reg.url("/v2/%s/%s/%s", repo, kind, d))
		return resp.StatusCode, body
	}
	for d, data := range l.attempted {
		found := false
		for _, repo := range []string{"crash/r0", "crash/r1"} {
			status, body := content(repo, d)
			switch status {
			case http.StatusOK:
				found = true
				if sum := sha256.Sum256(body); "sha256:"+hex.EncodeToString(sum[:]) != d || !bytes.Equal(body, data) {
					t.Fatalf("round %d: %s in %s is visible but its content is wrong (%d bytes)", round, d, repo, len(body))
				}
			case http.StatusNotFound:
			default:
				t.Fatalf("round %d: GET %s in %s: status %d", round, d, repo, status)
			}
		}
		if _, ok := l.acked[d]; ok && !found {
			t.Fatalf("round %d: %s was acknowledged with 201 but is gone after kill -9", round, d)
		}
	}
	for key, pushed := range l.tags {
		repo, tag, _ := strings.Cut(key, ":")
		resp, body := reg.get(t, reg.url("/v2/%s/manifests/%s", repo, tag), "Accept", "application/vnd.oci.image.manifest.v1+json")
		if resp.StatusCode == http.StatusNotFound {
			for _, d := range pushed {
				if _, ok := l.acked[d]; ok {
					t.Fatalf("round %d: tag %s lost, though manifest %s was acknowledged for it", round, key, d)
				}
			}
			continue
		}
		got := sha256Digest(body)
		if resp.StatusCode != http.StatusOK || !containsString(pushed, got) {
			t.Fatalf("round %d: tag %s points at %s (status %d), which was never pushed to it", round, key, got, resp.StatusCode)
		}
	}
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// TestSIGTERMFinishesInFlightRequests sends SIGTERM while a chunk is still being
// uploaded: the server stops accepting connections, lets the chunk finish, exits 0,
// and the session survives the restart.
func TestSIGTERMFinishesInFlightRequests(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	cred := s.Credentials(t)
	p := newPusher(s.Addr, cred)
	resp, err := p.do(context.Background(), http.MethodPost, "/v2/shutdown/app/blobs/uploads/", nil)
	if err := expect(resp, err, http.StatusAccepted); err != nil {
		t.Fatal(err)
	}
	loc := resp.Header.Get("Location")
	data := randomBytes(4 << 20)
	pr, pw := io.Pipe()
	req, _ := http.NewRequest(http.MethodPatch, "http://"+s.Addr+loc, pr)
	req.ContentLength = int64(len(data))
	req.Header.Set("Content-Range", fmt.Sprintf("0-%d", len(data)-1))
	req.SetBasicAuth(cred.User, cred.Password)
	result := make(chan error, 1)
	// A connection of its own: a kept-alive one counts as idle until the server has
	// read the next request's first bytes, and shutdown closes idle connections.
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	go func() {
		resp, err := fresh.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		result <- expect(resp, err, http.StatusAccepted)
	}()
	pw.Write(data[:1<<20])             // the request is in flight…
	time.Sleep(200 * time.Millisecond) // …and the server is reading it

	stopped := make(chan error, 1)
	go func() { stopped <- s.Stop() }()
	time.Sleep(300 * time.Millisecond)
	if _, err := http.Get("http://" + s.Addr + "/healthz"); err == nil {
		t.Error("the server still accepts new connections after SIGTERM")
	}
	pw.Write(data[1<<20:])
	pw.Close()
	if err := <-result; err != nil {
		t.Fatalf("in-flight PATCH after SIGTERM: %v", err)
	}
	if err := <-stopped; err != nil {
		t.Fatalf("berth did not exit cleanly on SIGTERM: %v", err)
	}
	if !strings.Contains(s.Log(), "berth stopped") {
		t.Error("no shutdown log line")
	}
	s.Restart(t)
	resp, err = p.do(context.Background(), http.MethodGet, loc, nil)
	if err := expect(resp, err, http.StatusNoContent); err != nil || resp.Header.Get("Range") != fmt.Sprintf("0-%d", len(data)-1) {
		t.Fatalf("upload session after restart: %v, Range %q", err, resp.Header.Get("Range"))
	}
	resp, err = p.do(context.Background(), http.MethodPut, loc+"?digest="+sha256Digest(data), nil)
	if err := expect(resp, err, http.StatusCreated); err != nil {
		t.Fatalf("complete the upload after restart: %v", err)
	}
}

// TestUploadExpiry checks that an abandoned upload session expires with its data.
func TestUploadExpiry(t *testing.T) {
	t.Parallel()
	s := StartServer(t, WithArgs("--upload-expiry", "1s", "--upload-purge-interval", "200ms"))
	p := newPusher(s.Addr, s.Credentials(t))
	resp, err := p.do(context.Background(), http.MethodPost, "/v2/expiry/app/blobs/uploads/", nil)
	if err := expect(resp, err, http.StatusAccepted); err != nil {
		t.Fatal(err)
	}
	loc := resp.Header.Get("Location")
	resp, err = p.do(context.Background(), http.MethodPatch, loc, randomBytes(1<<20))
	if err := expect(resp, err, http.StatusAccepted); err != nil {
		t.Fatal(err)
	}
	uploads := filepath.Join(s.DataDir, "uploads")
	if entries, _ := os.ReadDir(uploads); len(entries) != 1 {
		t.Fatalf("%d files in %s during the upload, want 1", len(entries), uploads)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err = p.do(context.Background(), http.MethodGet, loc, nil)
		if err == nil && resp.StatusCode == http.StatusNotFound {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("upload still alive 10 s after a 1 s expiry: %v %v", resp, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if entries, _ := os.ReadDir(uploads); len(entries) != 0 {
		t.Errorf("%d files left in %s after expiry", len(entries), uploads)
	}
}

// TestConcurrentPushesSameBlobAndTag pushes one blob and one tag from many clients at once.
func TestConcurrentPushesSameBlobAndTag(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	cred := s.Credentials(t)
	p := newPusher(s.Addr, cred)
	ctx := context.Background()
	layer := randomBytes(3 << 20)
	config := []byte(`{"architecture":"amd64","os":"linux"}`)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 12 {
		wg.Go(func() { errs <- p.pushBlob(ctx, "same/app", layer, i) })
		wg.Go(func() { errs <- p.pushBlob(ctx, "same/app", config, i) })
	}
	wg.Wait()
	var manifests []string
	for i := range 12 {
		m := fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",`+
			`"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":%q,"size":%d},`+
			`"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":%q,"size":%d}],"annotations":{"i":"%d"}}`,
			sha256Digest(config), len(config), sha256Digest(layer), len(layer), i)
		manifests = append(manifests, sha256Digest([]byte(m)))
		wg.Go(func() {
			resp, err := p.do(ctx, http.MethodPut, "/v2/same/app/manifests/latest", []byte(m),
				"Content-Type", "application/vnd.oci.image.manifest.v1+json")
			errs <- expect(resp, err, http.StatusCreated)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	reg := newRegistry(s.Addr, cred)
	if got := reg.getBlob(t, "same/app", sha256Digest(layer)); !bytes.Equal(got, layer) {
		t.Fatal("the layer pushed by 12 clients at once is not intact")
	}
	latest := reg.headManifest(t, "same/app", "latest")
	if !containsString(manifests, latest) {
		t.Fatalf("latest points at %s, not one of the pushed manifests", latest)
	}
	var body struct{ Tags []string }
	_, raw := reg.get(t, reg.url("/v2/same/app/tags/list"))
	if json.Unmarshal(raw, &body); len(body.Tags) != 1 {
		t.Fatalf("tags %v, want exactly [latest]", body.Tags)
	}
}
