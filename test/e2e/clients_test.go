package e2e

// Real registry clients against one shared berth (or $E2E_REGISTRY). One test per client, one subtest
// per step; every test uses its own repository prefix, so the tests run in parallel. Steps check the
// registry's state over plain HTTP (registry in helpers_test.go), independently of the client under
// test: content round-trips byte for byte, tag lists hold exactly what was pushed, deletes delete.

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// ---------------------------------------------------------------------------------------------------
// crane

func TestClientCrane(t *testing.T) {
	t.Parallel()
	host, cred := sharedRegistry(t)
	reg := newRegistry(host, cred)
	c := newClientEnv(t)
	p := repoPrefix("crane")
	src, dst := p+"/app", p+"/app-copy"
	payload := randomBytes(1 << 20)
	layerTar := makeTar(t, map[string][]byte{"data.bin": payload})
	writeFile(t, filepath.Join(c.Dir, "layer.tar"), layerTar)
	var dig string
	var m manifest

	t.Run("refused without credentials", func(t *testing.T) {
		needCredentials(t, cred)
		assertAuthFailure(t, c.try(t, runOpts{timeout: time.Minute}, "crane", "append", "-f", "layer.tar", "-t", host+"/"+src+":v0"))
		assertAuthFailure(t, c.try(t, runOpts{timeout: time.Minute}, "crane", "ls", host+"/"+src))
	})
	// crane reads the docker configuration ($DOCKER_CONFIG/config.json) that crane auth login writes.
	c.login(t, cred, "crane", "auth", "login", host, "-u", cred.User, "--password-stdin")

	t.Run("append", func(t *testing.T) {
		out := c.run(t, "crane", "append", "-f", "layer.tar", "-t", host+"/"+src+":v1")
		dig = firstDigest(t, out, "crane append")
		assertDigest(t, reg, src, "v1", dig)
	})
	t.Run("manifest", func(t *testing.T) {
		out := c.run(t, "crane", "manifest", host+"/"+src+":v1")
		body, _, d := reg.getManifest(t, src, "v1")
		if out != string(body) || d != dig {
			t.Fatalf("crane manifest returned %d bytes (%s); registry has %d bytes with digest %s (pushed %s)",
				len(out), sha256Digest([]byte(out)), len(body), d, dig)
		}
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatal(err)
		}
		if len(m.Layers) != 1 {
			t.Fatalf("manifest has %d layers, want 1", len(m.Layers))
		}
	})
	t.Run("layer round-trips byte for byte", func(t *testing.T) {
		if len(m.Layers) != 1 {
			t.Fatal("no manifest from the previous step")
		}
		blob := reg.getBlob(t, src, m.Layers[0].Digest)
		files := untar(t, blob)
		assertFile(t, files, "data.bin", payload)
		// crane gzips the tar it was given unchanged: the uncompressed layer must be the very same bytes.
		out := c.run(t, "crane", "blob", host+"/"+src+"@"+m.Layers[0].Digest)
		if !bytes.Equal([]byte(out), blob) {
			t.Fatalf("crane blob returned %d bytes, registry %d", len(out), len(blob))
		}
	})
	t.Run("pull", func(t *testing.T) {
		dir := filepath.Join(c.Dir, "pulled")
		c.run(t, "crane", "pull", "--format", "oci", host+"/"+src+":v1", dir)
		var idx manifest
		if err := json.Unmarshal(readFile(t, filepath.Join(dir, "index.json")), &idx); err != nil {
			t.Fatal(err)
		}
		if len(idx.Manifests) != 1 || idx.Manifests[0].Digest != dig {
			t.Fatalf("pulled layout index lists %+v, want digest %s", idx.Manifests, dig)
		}
		for _, l := range m.Layers {
			got := readFile(t, filepath.Join(dir, "blobs", "sha256", strings.TrimPrefix(l.Digest, "sha256:")))
			if sha256Digest(got) != l.Digest {
				t.Fatalf("pulled layer %s has digest %s", l.Digest, sha256Digest(got))
			}
			assertFile(t, untar(t, got), "data.bin", payload)
		}
	})
	t.Run("tag", func(t *testing.T) {
		c.run(t, "crane", "tag", host+"/"+src+":v1", "v2")
		assertDigest(t, reg, src, "v2", dig)
		assertTags(t, reg, src, "v1", "v2")
	})
	t.Run("ls", func(t *testing.T) {
		got := strings.Fields(c.run(t, "crane", "ls", host+"/"+src))
		sort.Strings(got)
		if !slices.Equal(got, []string{"v1", "v2"}) {
			t.Fatalf("crane ls: %q, want [v1 v2]", got)
		}
	})
	t.Run("copy mounts blobs across repositories", func(t *testing.T) {
		if len(m.Layers) != 1 || m.Config == nil {
			t.Fatal("no manifest from the previous step")
		}
		r := c.try(t, runOpts{}, "crane", "-v", "copy", host+"/"+src+":v1", host+"/"+dst+":v1")
		if r.Err != nil {
			t.Fatalf("crane copy failed:\n%s", r)
		}
		assertDigest(t, reg, dst, "v1", dig)
		// crane logs "mounted blob: <digest>" when POST ...?mount=&from= answers 201 Created.
		for _, d := range []string{m.Layers[0].Digest, m.Config.Digest} {
			if !strings.Contains(r.Stderr, "mounted blob: "+d) {
				t.Errorf("blob %s was not mounted from %s (the registry did not answer 201 to the mount request); crane log:\n%s",
					d, src, grepLines(r.Stderr, "blobs/uploads", "HTTP/1.1 20", "HTTP/1.1 4", "HTTP/1.1 5"))
			}
		}
	})
	t.Run("catalog", func(t *testing.T) {
		got := strings.Fields(c.run(t, "crane", "catalog", host))
		for _, want := range []string{src, dst} {
			if !slices.Contains(got, want) {
				t.Errorf("crane catalog does not list %s (%d repositories listed)", want, len(got))
			}
		}
	})
	t.Run("delete", func(t *testing.T) {
		c.run(t, "crane", "delete", host+"/"+src+"@"+dig)
		assertGone(t, reg, src, dig)
		assertGone(t, reg, src, "v1")
		assertGone(t, reg, src, "v2")
		assertTags(t, reg, src)
		// The copy in the other repository is untouched, blobs included.
		assertDigest(t, reg, dst, "v1", dig)
		assertFile(t, untar(t, reg.getBlob(t, dst, m.Layers[0].Digest)), "data.bin", payload)
	})
}

// grepLines returns the lines of s containing any of subs (for compact failure messages).
func grepLines(s string, subs ...string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		for _, sub := range subs {
			if strings.Contains(l, sub) {
				out = append(out, l)
				break
			}
		}
	}
	return lastLines(strings.Join(out, "\n"), 40)
}

// ---------------------------------------------------------------------------------------------------
// skopeo

func TestClientSkopeo(t *testing.T) {
	t.Parallel()
	host, cred := sharedRegistry(t)
	reg := newRegistry(host, cred)
	c := newClientEnv(t)
	repo := repoPrefix("skopeo") + "/app"
	ref := func(tag string) string { return "docker://" + host + "/" + repo + ":" + tag }
	hello := []byte("hello from skopeo " + randomHex(8) + "\n")
	img := newImage(t, map[string][]byte{"hello.txt": hello, "data.bin": randomBytes(256 << 10)})
	img.writeOCILayout(t, filepath.Join(c.Dir, "src"), "v1")
	var v2s2Digest string
	// skopeo login writes $REGISTRY_AUTH_FILE, which every later skopeo command reads.
	c.login(t, cred, "skopeo", "login", "--tls-verify=false", "--username", cred.User, "--password-stdin", host)

	t.Run("copy oci layout to registry as OCI", func(t *testing.T) {
		c.run(t, "skopeo", "copy", "--dest-tls-verify=false", "--format", "oci", "oci:src:v1", ref("oci"))
		body, mt, d := reg.getManifest(t, repo, "oci")
		if d != img.ManifestDig || !bytes.Equal(body, img.Manifest) {
			t.Fatalf("registry has manifest %s (%s), want the layout's %s byte for byte", d, mt, img.ManifestDig)
		}
		if mt != mtOCIManifest {
			t.Errorf("Content-Type %q, want %q", mt, mtOCIManifest)
		}
	})
	t.Run("copy registry to oci layout", func(t *testing.T) {
		c.run(t, "skopeo", "copy", "--src-tls-verify=false", ref("oci"), "oci:pulled:v1")
		layer := readFile(t, filepath.Join(c.Dir, "pulled", "blobs", "sha256", strings.TrimPrefix(img.LayerDigest, "sha256:")))
		if !bytes.Equal(layer, img.Layer) {
			t.Fatal("the pulled layer differs from the pushed one")
		}
		cfg := readFile(t, filepath.Join(c.Dir, "pulled", "blobs", "sha256", strings.TrimPrefix(img.ConfigDigest, "sha256:")))
		if !bytes.Equal(cfg, img.Config) {
			t.Fatal("the pulled config differs from the pushed one")
		}
	})
	t.Run("copy oci layout to registry as docker v2s2", func(t *testing.T) {
		c.run(t, "skopeo", "copy", "--dest-tls-verify=false", "--format", "v2s2", "oci:pulled:v1", ref("v2s2"))
		_, mt, d := reg.getManifest(t, repo, "v2s2")
		v2s2Digest = d
		if mt != mtDockerManifest {
			t.Errorf("Content-Type %q, want %q", mt, mtDockerManifest)
		}
		m := reg.manifest(t, repo, "v2s2")
		if m.MediaType != mtDockerManifest || len(m.Layers) != 1 || m.Layers[0].Digest != img.LayerDigest {
			t.Fatalf("v2s2 manifest: mediaType %q layers %+v, want one layer %s", m.MediaType, m.Layers, img.LayerDigest)
		}
		assertFile(t, reg.imageFiles(t, repo, "v2s2"), "hello.txt", hello)
	})
	t.Run("inspect", func(t *testing.T) {
		var info struct {
			Digest string
			Layers []string
			Labels map[string]string
		}
		out := c.run(t, "skopeo", "inspect", "--tls-verify=false", ref("v2s2"))
		if err := json.Unmarshal([]byte(out), &info); err != nil {
			t.Fatalf("skopeo inspect output: %v\n%s", err, out)
		}
		if info.Digest != v2s2Digest || !slices.Equal(info.Layers, []string{img.LayerDigest}) || info.Labels["e2e"] != "berth" {
			t.Fatalf("skopeo inspect: digest %s layers %v labels %v; want %s [%s] e2e=berth", info.Digest, info.Layers, info.Labels, v2s2Digest, img.LayerDigest)
		}
		raw := c.run(t, "skopeo", "inspect", "--raw", "--tls-verify=false", ref("oci"))
		if raw != string(img.Manifest) {
			t.Fatalf("skopeo inspect --raw differs from the pushed manifest:\n%s", raw)
		}
	})
	t.Run("list-tags", func(t *testing.T) {
		var lt struct{ Tags []string }
		if err := json.Unmarshal([]byte(c.run(t, "skopeo", "list-tags", "--tls-verify=false", "docker://"+host+"/"+repo)), &lt); err != nil {
			t.Fatal(err)
		}
		sort.Strings(lt.Tags)
		if !slices.Equal(lt.Tags, []string{"oci", "v2s2"}) {
			t.Fatalf("skopeo list-tags: %q, want [oci v2s2]", lt.Tags)
		}
	})
	t.Run("push signed docker schema1 (v2s1)", func(t *testing.T) {
		c.run(t, "skopeo", "copy", "--src-tls-verify=false", "--dest-tls-verify=false", "--format", "v2s1", ref("oci"), ref("v2s1"))
		body, mt, _ := reg.getManifest(t, repo, "v2s1")
		var m manifest
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatal(err)
		}
		if m.SchemaVersion != 1 || len(m.Signatures) == 0 || len(m.FSLayers) == 0 {
			t.Fatalf("v2s1 manifest: schemaVersion %d, %d signatures, %d fsLayers; want a signed schema 1 manifest", m.SchemaVersion, len(m.Signatures), len(m.FSLayers))
		}
		if mt != mtDockerV1Signed {
			t.Errorf("Content-Type %q, want %q", mt, mtDockerV1Signed)
		}
		assertTags(t, reg, repo, "oci", "v2s1", "v2s2")
	})
	t.Run("pull signed docker schema1 back", func(t *testing.T) {
		c.run(t, "skopeo", "copy", "--src-tls-verify=false", ref("v2s1"), "oci:fromv1:v1")
		var idx manifest
		if err := json.Unmarshal(readFile(t, filepath.Join(c.Dir, "fromv1", "index.json")), &idx); err != nil {
			t.Fatal(err)
		}
		if len(idx.Manifests) != 1 {
			t.Fatalf("layout index: %+v", idx.Manifests)
		}
		var m manifest
		if err := json.Unmarshal(readFile(t, filepath.Join(c.Dir, "fromv1", "blobs", "sha256", strings.TrimPrefix(idx.Manifests[0].Digest, "sha256:"))), &m); err != nil {
			t.Fatal(err)
		}
		files := map[string][]byte{}
		for _, l := range m.Layers {
			for n, b := range untar(t, readFile(t, filepath.Join(c.Dir, "fromv1", "blobs", "sha256", strings.TrimPrefix(l.Digest, "sha256:")))) {
				files[n] = b
			}
		}
		assertFile(t, files, "hello.txt", hello)
		assertFile(t, reg.imageFiles(t, repo, "v2s1"), "hello.txt", hello)
	})
	t.Run("delete", func(t *testing.T) {
		if v2s2Digest == "" {
			t.Fatal("nothing pushed as v2s2")
		}
		c.run(t, "skopeo", "delete", "--tls-verify=false", ref("v2s2"))
		assertGone(t, reg, repo, v2s2Digest)
		assertGone(t, reg, repo, "v2s2")
		assertDigest(t, reg, repo, "oci", img.ManifestDig)
		assertTags(t, reg, repo, "oci", "v2s1")
	})
}

// ---------------------------------------------------------------------------------------------------
// oras

type orasDesc struct {
	Digest       string     `json:"digest"`
	MediaType    string     `json:"mediaType"`
	ArtifactType string     `json:"artifactType"`
	Referrers    []orasDesc `json:"referrers"`
}

func TestClientOras(t *testing.T) {
	t.Parallel()
	host, cred := sharedRegistry(t)
	reg := newRegistry(host, cred)
	c := newClientEnv(t)
	repo := repoPrefix("oras") + "/artifact"
	ref := host + "/" + repo
	content := []byte("artifact " + randomHex(16) + "\n")
	sig := []byte("signature " + randomHex(16) + "\n")
	writeFile(t, filepath.Join(c.Dir, "a.txt"), content)
	writeFile(t, filepath.Join(c.Dir, "sig.txt"), sig)
	const at, sigAT = "application/vnd.berth.e2e.test", "application/vnd.berth.e2e.sig"
	var subject, referrer string
	orasJSON := func(t *testing.T, out string) orasDesc {
		var d orasDesc
		if err := json.Unmarshal([]byte(out), &d); err != nil {
			t.Fatalf("oras JSON output: %v\n%s", err, out)
		}
		return d
	}

	// oras login writes the docker configuration ($DOCKER_CONFIG/config.json).
	c.login(t, cred, "oras", "login", "--plain-http", "--username", cred.User, "--password-stdin", host)

	t.Run("push artifact", func(t *testing.T) {
		d := orasJSON(t, c.run(t, "oras", "push", "--plain-http", "--format", "json", "--artifact-type", at, ref+":v1", "a.txt:text/plain"))
		subject = d.Digest
		assertDigest(t, reg, repo, "v1", subject)
		m := reg.manifest(t, repo, "v1")
		if m.ArtifactType != at || len(m.Layers) != 1 || m.Layers[0].Digest != sha256Digest(content) || m.Layers[0].MediaType != "text/plain" {
			t.Fatalf("manifest: artifactType %q layers %+v", m.ArtifactType, m.Layers)
		}
	})
	t.Run("repo tags", func(t *testing.T) {
		got := strings.Fields(c.run(t, "oras", "repo", "tags", "--plain-http", ref))
		if !slices.Equal(got, []string{"v1"}) {
			t.Fatalf("oras repo tags: %q, want [v1]", got)
		}
		assertTags(t, reg, repo, "v1")
	})
	t.Run("pull", func(t *testing.T) {
		c.run(t, "oras", "pull", "--plain-http", "-o", "out", ref+":v1")
		if got := readFile(t, filepath.Join(c.Dir, "out", "a.txt")); !bytes.Equal(got, content) {
			t.Fatalf("pulled a.txt differs: %q", got)
		}
	})
	t.Run("attach referrer", func(t *testing.T) {
		d := orasJSON(t, c.run(t, "oras", "attach", "--plain-http", "--format", "json", "--artifact-type", sigAT, ref+":v1", "sig.txt:text/plain"))
		referrer = d.Digest
		m := reg.manifest(t, repo, referrer)
		if m.Subject == nil || m.Subject.Digest != subject {
			t.Fatalf("referrer manifest subject %+v, want %s", m.Subject, subject)
		}
		refs := reg.referrers(t, repo, subject)
		if !slices.ContainsFunc(refs, func(d descriptor) bool { return d.Digest == referrer && d.ArtifactType == sigAT }) {
			t.Fatalf("GET /v2/%s/referrers/%s does not list %s (%s): %+v", repo, subject, referrer, sigAT, refs)
		}
		// With a referrers API the client must not fall back to the sha256-<hex> tag schema.
		assertTags(t, reg, repo, "v1")
	})
	t.Run("discover", func(t *testing.T) {
		d := orasJSON(t, c.run(t, "oras", "discover", "--plain-http", "--format", "json", ref+":v1"))
		if !slices.ContainsFunc(d.Referrers, func(r orasDesc) bool { return r.Digest == referrer && r.ArtifactType == sigAT }) {
			t.Fatalf("oras discover: %+v, want %s", d.Referrers, referrer)
		}
	})
	t.Run("pull referrer", func(t *testing.T) {
		c.run(t, "oras", "pull", "--plain-http", "-o", "sigout", ref+"@"+referrer)
		if got := readFile(t, filepath.Join(c.Dir, "sigout", "sig.txt")); !bytes.Equal(got, sig) {
			t.Fatalf("pulled sig.txt differs: %q", got)
		}
	})
	t.Run("manifest delete referrer", func(t *testing.T) {
		c.run(t, "oras", "manifest", "delete", "--plain-http", "--force", ref+"@"+referrer)
		assertGone(t, reg, repo, referrer)
		if refs := reg.referrers(t, repo, subject); slices.ContainsFunc(refs, func(d descriptor) bool { return d.Digest == referrer }) {
			t.Fatalf("deleted referrer %s is still listed by the referrers API", referrer)
		}
	})
	t.Run("manifest delete", func(t *testing.T) {
		c.run(t, "oras", "manifest", "delete", "--plain-http", "--force", ref+":v1")
		assertGone(t, reg, repo, subject)
		assertGone(t, reg, repo, "v1")
		assertTags(t, reg, repo)
	})
}

// ---------------------------------------------------------------------------------------------------
// regctl

func TestClientRegctl(t *testing.T) {
	t.Parallel()
	host, cred := sharedRegistry(t)
	reg := newRegistry(host, cred)
	c := newClientEnv(t)
	p := repoPrefix("regctl")
	repo, copyRepo := p+"/artifact", p+"/artifact-copy"
	ref := host + "/" + repo
	content := []byte("regctl artifact " + randomHex(16) + "\n")
	var dig string
	// Plain HTTP first (its connectivity check would fail before the login), then the login, which
	// checks the credentials against the registry and stores them in $REGCTL_CONFIG.
	c.run(t, "regctl", "registry", "set", "--tls", "disabled", "--skip-check", host)
	c.login(t, cred, "regctl", "registry", "login", host, "--user", cred.User, "--pass-stdin")

	t.Run("artifact put", func(t *testing.T) {
		c.runWith(t, runOpts{stdin: content}, "regctl", "artifact", "put", "--artifact-type", "application/vnd.berth.e2e.regctl",
			"--file-media-type", "text/plain", ref+":v1")
		dig = reg.headManifest(t, repo, "v1")
		if dig == "" {
			t.Fatal("v1 does not exist after regctl artifact put")
		}
		m := reg.manifest(t, repo, "v1")
		if len(m.Layers) != 1 || m.Layers[0].Digest != sha256Digest(content) {
			t.Fatalf("artifact layers %+v, want one layer %s", m.Layers, sha256Digest(content))
		}
	})
	t.Run("artifact get", func(t *testing.T) {
		if got := c.run(t, "regctl", "artifact", "get", ref+":v1"); got != string(content) {
			t.Fatalf("regctl artifact get: %q, want %q", got, content)
		}
	})
	t.Run("image copy", func(t *testing.T) {
		c.run(t, "regctl", "image", "copy", ref+":v1", ref+":v2")
		c.run(t, "regctl", "image", "copy", ref+":v1", host+"/"+copyRepo+":v1")
		assertDigest(t, reg, repo, "v2", dig)
		assertDigest(t, reg, copyRepo, "v1", dig)
	})
	t.Run("tag ls", func(t *testing.T) {
		got := strings.Fields(c.run(t, "regctl", "tag", "ls", ref))
		if !slices.Equal(got, []string{"v1", "v2"}) {
			t.Fatalf("regctl tag ls: %q, want [v1 v2]", got)
		}
	})
	t.Run("tag delete", func(t *testing.T) {
		r := c.try(t, runOpts{}, "regctl", "-v", "trace", "tag", "delete", ref+":v2")
		if r.Err != nil {
			t.Fatalf("regctl tag delete failed:\n%s", r)
		}
		// regctl first sends DELETE /v2/<name>/manifests/<tag>; if the registry refuses, it overwrites the
		// tag with a dummy manifest and deletes that by digest. Only the real tag delete counts.
		if strings.Contains(r.Stderr, "Sending dummy manifest") {
			t.Errorf("the registry refused DELETE /v2/%s/manifests/v2 (tag delete); regctl fell back to a dummy manifest:\n%s",
				repo, grepLines(r.Stderr, "req-method=DELETE"))
		}
		assertGone(t, reg, repo, "v2")
		assertDigest(t, reg, repo, "v1", dig)
		assertTags(t, reg, repo, "v1")
	})
	t.Run("manifest delete", func(t *testing.T) {
		c.run(t, "regctl", "manifest", "delete", "--force-tag-dereference", ref+":v1")
		assertGone(t, reg, repo, dig)
		assertGone(t, reg, repo, "v1")
		assertTags(t, reg, repo)
		assertDigest(t, reg, copyRepo, "v1", dig)
	})
}
