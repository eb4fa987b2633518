package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/berth-registry/berth/internal/awsproto"
)

// client speaks the registry API with plain net/http, so the client side stays cheap. auth,
// when set, is sent as the Authorization header of every /v2 request (berth: Basic AWS:<token>).
type client struct {
	bases []string // scheme://host:port of each replica; requests go round-robin
	next  atomic.Uint64
	auth  string
	hc    *http.Client
}

func newHTTPClient(conns int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		WriteBufferSize:     256 << 10,
		ReadBufferSize:      256 << 10,
	}}
}

func newClient(auth string, bases ...string) *client {
	c := &client{auth: auth, hc: newHTTPClient(256)}
	for _, b := range bases {
		c.bases = append(c.bases, strings.TrimRight(b, "/"))
	}
	return c
}

// url is path on the next replica: with several, no two requests in a row (not even those
// of one upload) go to the same one, as behind a load balancer without sticky sessions.
func (c *client) url(path string) string {
	if len(c.bases) == 1 {
		return c.bases[0] + path
	}
	return c.bases[(c.next.Add(1)-1)%uint64(len(c.bases))] + path
}

func (c *client) do(ctx context.Context, method, target string, body io.Reader, size int64, hdr map[string]string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.ContentLength = size
	}
	req.Header.Set("User-Agent", "berth-bench/1")
	if c.auth != "" {
		req.Header.Set("Authorization", c.auth)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	return c.hc.Do(req)
}

// drain reads what is left of a body (so the connection is reused) and closes it.
func drain(resp *http.Response) {
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
}

// expect returns an error naming what failed unless resp has one of the wanted statuses.
func expect(resp *http.Response, what string, want ...int) error {
	for _, w := range want {
		if resp.StatusCode == w {
			return nil
		}
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
	return fmt.Errorf("%s: status %d (want %v): %s", what, resp.StatusCode, want, strings.TrimSpace(string(b)))
}

func location(resp *http.Response) (*url.URL, error) {
	loc := resp.Header.Get("Location")
	if loc == "" {
		return nil, errors.New("no Location header")
	}
	return resp.Request.URL.Parse(loc)
}

func withDigest(u *url.URL, digest string) string {
	v := *u
	q := "digest=" + url.QueryEscape(digest)
	if v.RawQuery == "" {
		v.RawQuery = q
	} else {
		v.RawQuery += "&" + q
	}
	return v.String()
}

// ping checks GET /v2/ answers 200 with the client's credentials.
func (c *client) ping(ctx context.Context) error {
	resp, err := c.do(ctx, http.MethodGet, c.url("/v2/"), nil, 0, nil)
	if err != nil {
		return err
	}
	defer drain(resp)
	return expect(resp, "GET /v2/", http.StatusOK)
}

// blobExists is HEAD /v2/<repo>/blobs/<digest>: true on 200, false on 404.
func (c *client) blobExists(ctx context.Context, repo, digest string) (bool, error) {
	resp, err := c.do(ctx, http.MethodHead, c.url("/v2/"+repo+"/blobs/"+digest), nil, 0, nil)
	if err != nil {
		return false, err
	}
	drain(resp)
	switch resp.StatusCode {
	case http.StatusOK:
		return true, nil
	case http.StatusNotFound:
		return false, nil
	}
	return false, fmt.Errorf("HEAD blob: status %d", resp.StatusCode)
}

func (c *client) startUpload(ctx context.Context, repo string) (*url.URL, error) {
	resp, err := c.do(ctx, http.MethodPost, c.url("/v2/"+repo+"/blobs/uploads/"), nil, 0, nil)
	if err != nil {
		return nil, err
	}
	defer drain(resp)
	if err := expect(resp, "POST upload", http.StatusAccepted); err != nil {
		return nil, err
	}
	return location(resp)
}

// pushMonolithic uploads b with POST, then PUT ?digest= carrying the whole body. With
// precheck it first asks HEAD, as docker does, and skips a blob the registry has.
func (c *client) pushMonolithic(ctx context.Context, repo string, b blob, precheck bool) error {
	if precheck {
		ok, err := c.blobExists(ctx, repo, b.digest)
		if err != nil || ok {
			return err
		}
	}
	loc, err := c.startUpload(ctx, repo)
	if err != nil {
		return err
	}
	resp, err := c.do(ctx, http.MethodPut, withDigest(loc, b.digest), b.section(0, b.size), b.size,
		map[string]string{"Content-Type": "application/octet-stream"})
	if err != nil {
		return err
	}
	defer drain(resp)
	return expect(resp, "PUT blob", http.StatusCreated)
}

// pushChunked uploads b with POST, PATCHes of chunk bytes (Content-Range, following
// Location), and a PUT ?digest= with an empty body.
func (c *client) pushChunked(ctx context.Context, repo string, b blob, chunk int64) error {
	loc, err := c.startUpload(ctx, repo)
	if err != nil {
		return err
	}
	for off := int64(0); off < b.size; {
		n := min(chunk, b.size-off)
		resp, err := c.do(ctx, http.MethodPatch, loc.String(), b.section(off, n), n, map[string]string{
			"Content-Type":  "application/octet-stream",
			"Content-Range": fmt.Sprintf("%d-%d", off, off+n-1),
		})
		if err != nil {
			return err
		}
		if err := expect(resp, "PATCH upload", http.StatusAccepted); err != nil {
			drain(resp)
			return err
		}
		loc, err = location(resp)
		drain(resp)
		if err != nil {
			return err
		}
		off += n
	}
	resp, err := c.do(ctx, http.MethodPut, withDigest(loc, b.digest), nil, 0, nil)
	if err != nil {
		return err
	}
	defer drain(resp)
	return expect(resp, "PUT (close chunked upload)", http.StatusCreated)
}

var copyBufs = sync.Pool{New: func() any { b := make([]byte, 1<<20); return &b }}

// writerOnly hides io.Discard's ReaderFrom, which would read in 8 KiB pieces.
type writerOnly struct{ io.Writer }

// pullBlob GETs a blob and checks its length; with verify it also checks its digest.
func (c *client) pullBlob(ctx context.Context, repo string, b blob, verify bool) error {
	resp, err := c.do(ctx, http.MethodGet, c.url("/v2/"+repo+"/blobs/"+b.digest), nil, 0, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := expect(resp, "GET blob", http.StatusOK); err != nil {
		return err
	}
	buf := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(buf)
	h := sha256.New()
	var dst io.Writer = writerOnly{io.Discard}
	if verify {
		dst = h
	}
	n, err := io.CopyBuffer(dst, struct{ io.Reader }{resp.Body}, *buf)
	if err != nil {
		return err
	}
	if n != b.size {
		return fmt.Errorf("GET blob: %d bytes, want %d", n, b.size)
	}
	if verify {
		if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != b.digest {
			return fmt.Errorf("GET blob: digest %s, want %s", got, b.digest)
		}
	}
	return nil
}

func (c *client) putManifest(ctx context.Context, repo, ref, mediaType string, body []byte) error {
	resp, err := c.do(ctx, http.MethodPut, c.url("/v2/"+repo+"/manifests/"+ref), bytes.NewReader(body), int64(len(body)),
		map[string]string{"Content-Type": mediaType})
	if err != nil {
		return err
	}
	defer drain(resp)
	return expect(resp, "PUT manifest", http.StatusCreated)
}

// pushImage pushes the image's blobs (HEAD, POST, PUT each) and then its manifest by tag.
func (c *client) pushImage(ctx context.Context, repo string, img image) error {
	for _, b := range img.blobs {
		if err := c.pushMonolithic(ctx, repo, b, true); err != nil {
			return err
		}
	}
	return c.putManifest(ctx, repo, img.tag, img.mediaType, img.manifest)
}

// getManifest GETs a manifest with docker's Accept list; it returns the body and the
// Docker-Content-Digest header.
func (c *client) getManifest(ctx context.Context, repo, ref string) ([]byte, string, error) {
	resp, err := c.do(ctx, http.MethodGet, c.url("/v2/"+repo+"/manifests/"+ref), nil, 0,
		map[string]string{"Accept": acceptManifests})
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	if err := expect(resp, "GET manifest", http.StatusOK); err != nil {
		return nil, "", err
	}
	b, err := io.ReadAll(resp.Body)
	return b, resp.Header.Get("Docker-Content-Digest"), err
}

// listAll GETs a tags list or the catalog and follows Link rel="next" pages. field is the
// JSON array counted: "tags" or "repositories".
func (c *client) listAll(ctx context.Context, path, field string) (items, pages int, err error) {
	next := c.url(path)
	for next != "" {
		resp, err := c.do(ctx, http.MethodGet, next, nil, 0, nil)
		if err != nil {
			return items, pages, err
		}
		if err := expect(resp, "GET "+path, http.StatusOK); err != nil {
			drain(resp)
			return items, pages, err
		}
		var body map[string]json.RawMessage
		err = json.NewDecoder(resp.Body).Decode(&body)
		drain(resp)
		if err != nil {
			return items, pages, fmt.Errorf("GET %s: %w", path, err)
		}
		var list []string
		if raw, ok := body[field]; ok && string(raw) != "null" {
			if err := json.Unmarshal(raw, &list); err != nil {
				return items, pages, fmt.Errorf("GET %s: %s: %w", path, field, err)
			}
		}
		items += len(list)
		pages++
		if pages > 100000 {
			return items, pages, errors.New("more than 100000 pages")
		}
		next = ""
		if ref := nextLink(resp.Header.Get("Link")); ref != "" {
			u, err := resp.Request.URL.Parse(ref)
			if err != nil {
				return items, pages, fmt.Errorf("Link %q: %w", ref, err)
			}
			next = u.String()
		}
	}
	return items, pages, nil
}

// nextLink returns the target of the rel="next" entry of a Link header, or "".
func nextLink(h string) string {
	for _, part := range strings.Split(h, ",") {
		part = strings.TrimSpace(part)
		i, j := strings.IndexByte(part, '<'), strings.IndexByte(part, '>')
		if i != 0 || j < 0 {
			continue
		}
		for _, p := range strings.Split(part[j+1:], ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "rel") && strings.Trim(strings.TrimSpace(v), `"`) == "next" {
				return part[1:j]
			}
		}
	}
	return ""
}

// ecrClient calls the ECR API (AWS JSON 1.1), signing every request with SigV4.
type ecrClient struct {
	base, keyID, secret, region string
	hc                          *http.Client
}

// call sends operation op with input in, decodes the answer into out (when not nil), and
// returns an error for any status but 200.
func (e *ecrClient) call(ctx context.Context, op string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.base+"/", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AmazonEC2ContainerRegistry_V20150921."+op)
	if err := awsproto.Sign(req, body, e.keyID, e.secret, e.region, "ecr", time.Now()); err != nil {
		return err
	}
	resp, err := e.hc.Do(req)
	if err != nil {
		return err
	}
	defer drain(resp)
	if err := expect(resp, op, http.StatusOK); err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s: decoding the answer: %w", op, err)
	}
	return nil
}

// registryAuth calls GetAuthorizationToken and returns the Authorization header for /v2:
// Basic with the token, which is base64("AWS:<password>").
func (e *ecrClient) registryAuth(ctx context.Context) (string, error) {
	var out struct {
		AuthorizationData []struct {
			AuthorizationToken string `json:"authorizationToken"`
		} `json:"authorizationData"`
	}
	if err := e.call(ctx, "GetAuthorizationToken", struct{}{}, &out); err != nil {
		return "", err
	}
	if len(out.AuthorizationData) != 1 {
		return "", fmt.Errorf("GetAuthorizationToken: %d authorizationData entries, want 1", len(out.AuthorizationData))
	}
	tok := out.AuthorizationData[0].AuthorizationToken
	dec, err := base64.StdEncoding.DecodeString(tok)
	if err != nil || !strings.HasPrefix(string(dec), "AWS:") {
		return "", fmt.Errorf("GetAuthorizationToken: the token does not decode to AWS:<password>")
	}
	return "Basic " + tok, nil
}

// iamCall calls an IAM action (the AWS Query protocol) signed with the client's key and
// returns the XML answer.
func (e *ecrClient) iamCall(ctx context.Context, action string, params url.Values) ([]byte, error) {
	form := url.Values{"Action": {action}, "Version": {"2010-05-08"}}
	for k, v := range params {
		form[k] = v
	}
	body := []byte(form.Encode())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.base+"/", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	if err := awsproto.Sign(req, body, e.keyID, e.secret, e.region, "iam", time.Now()); err != nil {
		return nil, err
	}
	resp, err := e.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer drain(resp)
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("IAM %s: %d %s", action, resp.StatusCode, out)
	}
	return out, nil
}

// benchUser is the IAM user the benchmark acts as, so that every request is authorized
// through identity policies as a deployment's CI would be, not as the account's root.
const benchUser = "bench"

// benchPolicy adds to AmazonEC2ContainerRegistryPowerUser what the scenarios need
// beyond push and pull: creating repositories on push.
const benchPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecr:CreateRepository","Resource":"*"}]}`

// asIAMUser creates the benchmark's IAM user with the PowerUser managed policy and its
// access key, and returns a client signing as it.
func (e *ecrClient) asIAMUser(ctx context.Context) (*ecrClient, error) {
	steps := []struct {
		action string
		params url.Values
	}{
		{"CreateUser", url.Values{"UserName": {benchUser}}},
		{"AttachUserPolicy", url.Values{"UserName": {benchUser},
			"PolicyArn": {"arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPowerUser"}}},
		{"PutUserPolicy", url.Values{"UserName": {benchUser}, "PolicyName": {"create-on-push"}, "PolicyDocument": {benchPolicy}}},
	}
	for _, s := range steps {
		if _, err := e.iamCall(ctx, s.action, s.params); err != nil {
			return nil, err
		}
	}
	out, err := e.iamCall(ctx, "CreateAccessKey", url.Values{"UserName": {benchUser}})
	if err != nil {
		return nil, err
	}
	var key struct {
		ID     string `xml:"CreateAccessKeyResult>AccessKey>AccessKeyId"`
		Secret string `xml:"CreateAccessKeyResult>AccessKey>SecretAccessKey"`
	}
	if err := xml.Unmarshal(out, &key); err != nil || key.ID == "" || key.Secret == "" {
		return nil, fmt.Errorf("CreateAccessKey: no key in %s (%v)", out, err)
	}
	return &ecrClient{base: e.base, keyID: key.ID, secret: key.Secret, region: e.region, hc: e.hc}, nil
}
