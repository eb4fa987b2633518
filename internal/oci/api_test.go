package oci

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/berth-registry/berth/internal/registry"
	"github.com/opencontainers/go-digest"
)

func TestChunkedUpload(t *testing.T) {
	tr := newTestRegistry(t, registry.Config{CreateOnPush: true})
	data := randomBytes(t, 3000)
	r := tr.do(http.MethodPost, "/v2/app/blobs/uploads/", nil)
	if r.status != http.StatusAccepted || r.header.Get("Range") != "0-0" || r.header.Get("Docker-Upload-UUID") == "" {
		t.Fatalf("POST: %d %v", r.status, r.header)
	}
	loc := r.header.Get("Location")
	for i, chunk := range [][2]int{{0, 1000}, {1000, 2000}} {
		r = tr.do(http.MethodPatch, loc, data[chunk[0]:chunk[1]], "Content-Range", fmt.Sprintf("%d-%d", chunk[0], chunk[1]-1))
		if want := fmt.Sprintf("0-%d", chunk[1]-1); r.status != http.StatusAccepted || r.header.Get("Range") != want {
			t.Fatalf("PATCH %d: %d Range %q, want 202 %q", i, r.status, r.header.Get("Range"), want)
		}
		loc = r.header.Get("Location")
	}
	r = tr.do(http.MethodGet, loc, nil)
	if r.status != http.StatusNoContent || r.header.Get("Range") != "0-1999" {
		t.Fatalf("status: %d %q", r.status, r.header.Get("Range"))
	}
	// A chunk that repeats bytes already received is out of order.
	r = tr.do(http.MethodPatch, loc, data[1000:2000], "Content-Range", "1000-1999")
	if r.status != http.StatusRequestedRangeNotSatisfiable || r.header.Get("Range") != "0-1999" {
		t.Fatalf("repeated chunk: %d %q", r.status, r.header.Get("Range"))
	}
	d := digest.FromBytes(data)
	r = tr.do(http.MethodPut, loc+"?digest="+d.String(), data[2000:], "Content-Range", "2000-2999")
	if r.status != http.StatusCreated || r.header.Get("Docker-Content-Digest") != d.String() ||
		r.header.Get("Location") != "/v2/app/blobs/"+d.String() {
		t.Fatalf("PUT: %d %v %s", r.status, r.header, r.body)
	}
	r = tr.do(http.MethodGet, "/v2/app/blobs/"+d.String(), nil)
	if r.status != http.StatusOK || !bytes.Equal(r.body, data) {
		t.Fatalf("GET: %d, %d bytes", r.status, len(r.body))
	}
	if r := tr.do(http.MethodGet, loc, nil); r.status != http.StatusNotFound {
		t.Errorf("upload still in progress after completion: %d", r.status)
	}
}

func TestStreamedUploadSHA512(t *testing.T) {
	tr := newTestRegistry(t, registry.Config{CreateOnPush: true})
	data := randomBytes(t, 5000)
	loc := tr.do(http.MethodPost, "/v2/app/blobs/uploads/", nil).header.Get("Location")
	r := tr.do(http.MethodPatch, loc, data)
	if r.status != http.StatusAccepted {
		t.Fatalf("PATCH: %d %s", r.status, r.body)
	}
	d := digest.SHA512.FromBytes(data)
	r = tr.do(http.MethodPut, r.header.Get("Location")+"?digest="+d.String(), nil)
	if r.status != http.StatusCreated {
		t.Fatalf("PUT: %d %s", r.status, r.body)
	}
	r = tr.do(http.MethodGet, "/v2/app/blobs/"+d.String(), nil)
	if r.status != http.StatusOK || !bytes.Equal(r.body, data) || r.header.Get("Docker-Content-Digest") != d.String() {
		t.Fatalf("GET: %d", r.status)
	}
}

func TestBlobRangeAndHead(t *testing.T) {
	tr := newTestRegistry(t, registry.Config{CreateOnPush: true})
	data := randomBytes(t, 4096)
	d := tr.pushBlob("app", data)
	r := tr.do(http.MethodGet, "/v2/app/blobs/"+d.String(), nil, "Range", "bytes=100-199")
	if r.status != http.StatusPartialContent || !bytes.Equal(r.body, data[100:200]) ||
		r.header.Get("Content-Range") != "bytes 100-199/4096" {
		t.Fatalf("range GET: %d %q %d bytes", r.status, r.header.Get("Content-Range"), len(r.body))
	}
	r = tr.do(http.MethodHead, "/v2/app/blobs/"+d.String(), nil)
	if r.status != http.StatusOK || r.header.Get("Content-Length") != "4096" || r.header.Get("Docker-Content-Digest") != d.String() {
		t.Fatalf("HEAD: %d %v", r.status, r.header)
	}
	if r := tr.do(http.MethodDelete, "/v2/app/blobs/"+d.String(), nil); r.status != http.StatusAccepted {
		t.Fatalf("DELETE: %d", r.status)
	}
	if r := tr.do(http.MethodHead, "/v2/app/blobs/"+d.String(), nil); r.status != http.StatusNotFound {
		t.Fatalf("HEAD after delete: %d", r.status)
	}
}

func TestMount(t *testing.T) {
	tr := newTestRegistry(t, registry.Config{CreateOnPush: true})
	d := tr.pushBlob("src", []byte("shared layer"))
	tr.pushBlob("lacks", []byte("another layer"))
	tests := []struct {
		name, query string
		want        int
	}{
		{"from a repository that has it", "mount=" + d.String() + "&from=src", http.StatusCreated},
		{"without from", "mount=" + d.String(), http.StatusCreated},
		{"from a repository that lacks it", "mount=" + d.String() + "&from=lacks", http.StatusAccepted},
		{"from a repository that does not exist", "mount=" + d.String() + "&from=nowhere", http.StatusAccepted},
		{"of an unknown blob", "mount=" + digest.FromString("x").String(), http.StatusAccepted},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo := fmt.Sprintf("dst%d", i)
			r := tr.do(http.MethodPost, "/v2/"+repo+"/blobs/uploads/?"+tt.query, nil)
			if r.status != tt.want {
				t.Fatalf("status %d, want %d", r.status, tt.want)
			}
			head := tr.do(http.MethodHead, "/v2/"+repo+"/blobs/"+d.String(), nil)
			if (tt.want == http.StatusCreated) != (head.status == http.StatusOK) {
				t.Errorf("HEAD in %s after mount: %d", repo, head.status)
			}
			if tt.want == http.StatusAccepted && !strings.Contains(r.header.Get("Location"), "/blobs/uploads/") {
				t.Errorf("a mount that did not happen must start an upload; Location %q", r.header.Get("Location"))
			}
		})
	}
}

func TestPagination(t *testing.T) {
	tr := newTestRegistry(t, registry.Config{CreateOnPush: true})
	payload := mustJSON(t, tr.image("app", true))
	var want []string
	for i := range 5 {
		tag := fmt.Sprintf("t%d", i)
		want = append(want, tag)
		if r := tr.putManifest("app", tag, mtOCIManifest, payload); r.status != http.StatusCreated {
			t.Fatalf("put: %d %s", r.status, r.body)
		}
	}
	var got []string
	path := "/v2/app/tags/list?n=2"
	for pages := 0; path != ""; pages++ {
		if pages > 3 {
			t.Fatal("too many pages")
		}
		r := tr.do(http.MethodGet, path, nil)
		var body struct {
			Name string
			Tags []string
		}
		if err := json.Unmarshal(r.body, &body); err != nil || body.Name != "app" {
			t.Fatalf("tags list: %s", r.body)
		}
		got = append(got, body.Tags...)
		path = ""
		if link := r.header.Get("Link"); link != "" {
			path = strings.TrimSuffix(strings.TrimPrefix(link, "<"), `>; rel="next"`)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("paged tags %v, want %v", got, want)
	}
	r := tr.do(http.MethodGet, "/v2/app/tags/list?n=0", nil)
	if !strings.Contains(string(r.body), `"tags":[]`) {
		t.Errorf("n=0: %s", r.body)
	}
	for _, repo := range []string{"b/x", "a/y", "cc"} {
		tr.pushBlob(repo, []byte("x"))
	}
	r = tr.do(http.MethodGet, "/v2/_catalog?n=2", nil)
	if !strings.Contains(string(r.body), `["a/y","app"]`) || r.header.Get("Link") != `</v2/_catalog?last=app&n=2>; rel="next"` {
		t.Errorf("catalog page 1: %s Link %q", r.body, r.header.Get("Link"))
	}
	r = tr.do(http.MethodGet, "/v2/_catalog?last=app&n=2", nil)
	if !strings.Contains(string(r.body), `["b/x","cc"]`) || r.header.Get("Link") != "" {
		t.Errorf("catalog page 2: %s Link %q", r.body, r.header.Get("Link"))
	}
}

func TestAcceptConversion(t *testing.T) {
	tr := newTestRegistry(t, registry.Config{CreateOnPush: true})
	img := tr.image("app", false)
	stored := mustJSON(t, img)
	storedDigest := digest.FromBytes(stored)
	tr.putManifest("app", "v1", mtDockerManifest, stored)
	tests := []struct {
		name, ref, accept, wantType string
		converted                   bool
	}{
		{"by tag, no Accept", "v1", "", mtDockerManifest, false},
		{"by tag, Accept lists the stored type", "v1", mtOCIManifest + ", " + mtDockerManifest, mtDockerManifest, false},
		{"by tag, Accept only OCI", "v1", mtOCIManifest, mtOCIManifest, true},
		{"by tag, Accept wildcard", "v1", "*/*", mtDockerManifest, false},
		{"by digest, Accept only OCI", storedDigest.String(), mtOCIManifest, mtDockerManifest, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hdr []string
			if tt.accept != "" {
				hdr = []string{"Accept", tt.accept}
			}
			for _, method := range []string{http.MethodGet, http.MethodHead} {
				r := tr.do(method, "/v2/app/manifests/"+tt.ref, nil, hdr...)
				if r.status != http.StatusOK || r.header.Get("Content-Type") != tt.wantType {
					t.Fatalf("%s: %d type %q, want %q", method, r.status, r.header.Get("Content-Type"), tt.wantType)
				}
				dgst := digest.Digest(r.header.Get("Docker-Content-Digest"))
				if (dgst != storedDigest) != tt.converted {
					t.Errorf("%s: digest %s, stored %s, converted=%v", method, dgst, storedDigest, tt.converted)
				}
				if method == http.MethodGet {
					if digest.FromBytes(r.body) != dgst {
						t.Errorf("Docker-Content-Digest %s does not match the body", dgst)
					}
					if tt.converted && !strings.Contains(string(r.body), mtOCILayer) {
						t.Errorf("converted manifest has no OCI layer type: %s", r.body)
					}
				}
			}
		})
	}
}

func TestReferrersAndSubject(t *testing.T) {
	tr := newTestRegistry(t, registry.Config{CreateOnPush: true})
	subject := mustJSON(t, tr.image("app", true))
	subjectDigest := digest.FromBytes(subject)
	tr.putManifest("app", "v1", mtOCIManifest, subject)
	empty := tr.pushBlob("app", []byte("{}"))
	var sigDigests []digest.Digest
	for _, at := range []string{"application/vnd.example.sig", "application/vnd.example.sbom"} {
		m := imageManifest{SchemaVersion: 2, MediaType: mtOCIManifest, ArtifactType: at,
			Config:      desc{MediaType: "application/vnd.oci.empty.v1+json", Digest: empty, Size: 2},
			Layers:      []desc{},
			Subject:     &desc{MediaType: mtOCIManifest, Digest: subjectDigest, Size: int64(len(subject))},
			Annotations: map[string]string{"kind": at}}
		payload := mustJSON(t, m)
		d := digest.FromBytes(payload)
		r := tr.putManifest("app", d.String(), mtOCIManifest, payload)
		if r.status != http.StatusCreated || r.header.Get("OCI-Subject") != subjectDigest.String() {
			t.Fatalf("put referrer: %d OCI-Subject %q", r.status, r.header.Get("OCI-Subject"))
		}
		sigDigests = append(sigDigests, d)
	}
	r := tr.do(http.MethodGet, "/v2/app/referrers/"+subjectDigest.String(), nil)
	var idx struct {
		MediaType string
		Manifests []desc
	}
	if err := json.Unmarshal(r.body, &idx); err != nil || r.header.Get("Content-Type") != mediaTypeOCIIndex || len(idx.Manifests) != 2 {
		t.Fatalf("referrers: %d %s", r.status, r.body)
	}
	r = tr.do(http.MethodGet, "/v2/app/referrers/"+subjectDigest.String()+"?artifactType=application/vnd.example.sbom", nil)
	idx.Manifests = nil
	json.Unmarshal(r.body, &idx)
	if r.header.Get("OCI-Filters-Applied") != "artifactType" || len(idx.Manifests) != 1 ||
		idx.Manifests[0].Digest != sigDigests[1] || idx.Manifests[0].Annotations["kind"] != "application/vnd.example.sbom" {
		t.Fatalf("filtered referrers: %s %v", r.body, r.header)
	}
	// A referrer whose subject does not exist yet is accepted.
	m := imageManifest{SchemaVersion: 2, MediaType: mtOCIManifest, ArtifactType: "application/vnd.example.sig",
		Config:  desc{MediaType: "application/vnd.oci.empty.v1+json", Digest: empty, Size: 2},
		Layers:  []desc{},
		Subject: &desc{MediaType: mtOCIManifest, Digest: digest.FromString("later"), Size: 10}}
	if r := tr.putManifest("app", "dangling", mtOCIManifest, mustJSON(t, m)); r.status != http.StatusCreated {
		t.Fatalf("referrer of a missing subject: %d %s", r.status, r.body)
	}
}

func TestIndexProtectsChildren(t *testing.T) {
	tr := newTestRegistry(t, registry.Config{CreateOnPush: true})
	child := mustJSON(t, tr.image("app", false))
	childDigest := digest.FromBytes(child)
	tr.putManifest("app", childDigest.String(), mtDockerManifest, child)
	list := mustJSON(t, index{SchemaVersion: 2, MediaType: mtDockerList,
		Manifests: []desc{{MediaType: mtDockerManifest, Digest: childDigest, Size: int64(len(child))}}})
	listDigest := digest.FromBytes(list)
	if r := tr.putManifest("app", "multi", mtDockerList, list); r.status != http.StatusCreated {
		t.Fatalf("put list: %d %s", r.status, r.body)
	}
	if r := tr.do(http.MethodDelete, "/v2/app/manifests/"+childDigest.String(), nil); r.status != http.StatusConflict {
		t.Fatalf("delete child of a list: %d, want 409", r.status)
	}
	if r := tr.do(http.MethodDelete, "/v2/app/manifests/"+listDigest.String(), nil); r.status != http.StatusAccepted {
		t.Fatalf("delete list: %d", r.status)
	}
	if r := tr.do(http.MethodGet, "/v2/app/manifests/multi", nil); r.status != http.StatusNotFound {
		t.Fatalf("tag of a deleted list: %d", r.status)
	}
	if r := tr.do(http.MethodDelete, "/v2/app/manifests/"+childDigest.String(), nil); r.status != http.StatusAccepted {
		t.Fatalf("delete child after its list: %d", r.status)
	}
}

func TestTagParamAndTagDelete(t *testing.T) {
	tr := newTestRegistry(t, registry.Config{CreateOnPush: true})
	payload := mustJSON(t, tr.image("app", true))
	d := digest.FromBytes(payload)
	r := tr.putManifest("app", d.String()+"?tag=a&tag=b", mtOCIManifest, payload)
	if r.status != http.StatusCreated || fmt.Sprint(r.header.Values("OCI-Tag")) != "[a b]" {
		t.Fatalf("put with tags: %d %v", r.status, r.header)
	}
	if r := tr.do(http.MethodDelete, "/v2/app/manifests/a", nil); r.status != http.StatusAccepted {
		t.Fatalf("delete tag: %d", r.status)
	}
	r = tr.do(http.MethodGet, "/v2/app/tags/list", nil)
	if !strings.Contains(string(r.body), `"tags":["b"]`) {
		t.Fatalf("tags after deleting a: %s", r.body)
	}
	if r := tr.do(http.MethodGet, "/v2/app/manifests/"+d.String(), nil); r.status != http.StatusOK {
		t.Fatalf("manifest after deleting one tag: %d", r.status)
	}
}

func TestCreateOnPushOff(t *testing.T) {
	tr := newTestRegistry(t, registry.Config{CreateOnPush: false})
	for _, req := range []struct{ method, path string }{
		{http.MethodPost, "/v2/new/repo/blobs/uploads/"},
		{http.MethodPost, "/v2/new/repo/blobs/uploads/?digest=" + digest.FromString("x").String()},
		{http.MethodPut, "/v2/new/repo/manifests/v1"},
	} {
		r := tr.do(req.method, req.path, []byte("x"), "Content-Type", mtOCIManifest)
		if r.status != http.StatusNotFound || r.errorCode() != "NAME_UNKNOWN" {
			t.Errorf("%s %s: %d %s, want 404 NAME_UNKNOWN", req.method, req.path, r.status, r.body)
		}
	}
	if r := tr.do(http.MethodGet, "/v2/_catalog", nil); !strings.Contains(string(r.body), `"repositories":[]`) {
		t.Errorf("catalog: %s, want no repositories", r.body)
	}
}
