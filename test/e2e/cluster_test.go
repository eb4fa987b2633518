package e2e

// Three berth replicas on one PostgreSQL and one S3 server, with no sticky sessions: chunks of one
// upload go to different replicas, pulls go to another, a replica is killed mid-push and the client
// resumes on another, a replica is cut off the network and rejoins. Afterwards every image is
// verified by digest on every replica.

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-registry/berth/internal/testutil/pgtest"
	"github.com/berth-registry/berth/internal/testutil/s3test"
)

func TestCluster(t *testing.T) {
	pgURL := pgtest.Start(t)
	s3 := s3test.Start(t)
	c := newCluster(t, pgURL, s3.Endpoint,
		"--blobs", "s3://"+s3.Bucket+"/registry",
		"--s3-region", s3.Region, "--s3-access-key", s3.AccessKey, "--s3-secret-key", s3.SecretKey,
		"--upload-purge-interval", "2s", "--access-log=false")
	r1 := c.start(0)
	r2, r3 := c.start(1), c.start(2)
	cred := creds{"AWS", r1.token(t)}
	regs := map[*replica]*registry{}
	for _, r := range c.replicas {
		regs[r] = newRegistry(r.host(), cred)
	}
	// images is every image pushed, to verify on every replica at the end.
	type pushed struct{ repo, tag, digest string }
	var images []pushed
	// plaintext is some content pushed, to look for in the bucket.
	var plaintext []byte

	t.Run("chunks of one upload alternate between replicas", func(t *testing.T) {
		data := randomBytes(13<<20 + 12345)
		plaintext = data[7<<20 : 7<<20+64]
		chunks := [][]byte{data[:5<<20], data[5<<20 : 10<<20], data[10<<20 : 10<<20+100], data[10<<20+100:]}
		up := startUpload(t, regs[r1], "cluster/chunked")
		for i, ch := range chunks {
			via := c.replicas[(i+1)%3]
			up = patchChunk(t, regs[via], up, offsetOf(chunks, i), ch)
		}
		dig := finishUpload(t, regs[r2], up, data, nil)
		img := newImage(t, map[string][]byte{"a.txt": []byte("chunked")})
		regs[r3].pushBlob(t, "cluster/chunked", img.Config)
		regs[r1].pushBlob(t, "cluster/chunked", img.Layer)
		m := ociManifest(t, img, descriptor{MediaType: "application/octet-stream", Digest: dig, Size: int64(len(data))})
		md := regs[r3].pushManifest(t, "cluster/chunked", "v1", mtOCIManifest, m)
		images = append(images, pushed{"cluster/chunked", "v1", md})
		for _, r := range c.replicas {
			if got := regs[r].getBlob(t, "cluster/chunked", dig); !bytes.Equal(got, data) {
				t.Fatalf("blob from %s: %d bytes, not the %d pushed", r.name, len(got), len(data))
			}
		}
	})

	t.Run("crane pushes to one replica and pulls from another", func(t *testing.T) {
		env := newClientEnv(t)
		for _, r := range c.replicas {
			env.login(t, cred, "crane", "auth", "login", r.host(), "-u", cred.User, "--password-stdin")
		}
		writeFile(t, filepath.Join(env.Dir, "layer.tar"), makeTar(t, map[string][]byte{"data.bin": randomBytes(3 << 20)}))
		out := env.run(t, "crane", "--insecure", "append", "-f", "layer.tar", "-t", r2.host()+"/cluster/crane:v1")
		dig := firstDigest(t, out, "crane append")
		images = append(images, pushed{"cluster/crane", "v1", dig})
		dir := filepath.Join(env.Dir, "pulled")
		env.run(t, "crane", "--insecure", "pull", "--format", "oci", r3.host()+"/cluster/crane:v1", dir)
		if got := strings.TrimSpace(env.run(t, "crane", "--insecure", "digest", r1.host()+"/cluster/crane:v1")); got != dig {
			t.Fatalf("crane digest via %s = %s, pushed %s", r1.name, got, dig)
		}
	})

	t.Run("a replica killed mid-push; the client resumes on another", func(t *testing.T) {
		data := randomBytes(48 << 20)
		up := startUpload(t, regs[r1], "cluster/killed")
		up = patchChunk(t, regs[r1], up, 0, data[:8<<20])
		// Stream the next chunk slowly to r2 and kill r2 while it is in flight.
		pr, pw := io.Pipe()
		errc := make(chan error, 1)
		go func() {
			req, _ := http.NewRequest(http.MethodPatch, regs[r2].url("%s", up), pr)
			req.SetBasicAuth(cred.User, cred.Password)
			req.Header.Set("Content-Type", "application/octet-stream")
			resp, err := (&http.Client{Timeout: time.Minute}).Do(req)
			if err == nil {
				resp.Body.Close()
				err = fmt.Errorf("PATCH to a killed replica answered %s", resp.Status)
			}
			errc <- err
		}()
		rest := data[8<<20:]
		for off := 0; off < 16<<20; off += 1 << 20 {
			if _, err := pw.Write(rest[off : off+1<<20]); err != nil {
				t.Fatalf("streaming to %s: %v", r2.name, err)
			}
		}
		r2.kill(t)
		pw.CloseWithError(io.ErrUnexpectedEOF)
		if err := <-errc; err == nil {
			t.Fatal("the PATCH to the killed replica succeeded")
		}
		// Where does the upload stand? Ask r3, and resume from there.
		have := uploadOffset(t, regs[r3], up)
		if have != 8<<20 && have != 24<<20 {
			t.Fatalf("after the kill the upload holds %d bytes; want the 8 MiB acknowledged before (or all 24 MiB)", have)
		}
		up = patchChunk(t, regs[r3], up, have, data[have:])
		dig := finishUpload(t, regs[r1], up, data, nil)
		c.start(1) // r2 comes back
		if got := regs[r2].getBlob(t, "cluster/killed", dig); !bytes.Equal(got, data) {
			t.Fatalf("blob from the restarted %s is not the one pushed", r2.name)
		}
		img := newImage(t, map[string][]byte{"k.txt": []byte("killed")})
		regs[r2].pushBlob(t, "cluster/killed", img.Config)
		regs[r2].pushBlob(t, "cluster/killed", img.Layer)
		md := regs[r2].pushManifest(t, "cluster/killed", "v1", mtOCIManifest,
			ociManifest(t, img, descriptor{MediaType: "application/octet-stream", Digest: dig, Size: int64(len(data))}))
		images = append(images, pushed{"cluster/killed", "v1", md})
	})

	t.Run("a deleted tag is gone on every replica within a second", func(t *testing.T) {
		img := newImage(t, map[string][]byte{"d.txt": randomBytes(1000)})
		regs[r1].pushImage(t, "cluster/deletes", "old", img)
		for _, r := range c.replicas {
			assertDigest(t, regs[r], "cluster/deletes", "old", img.ManifestDig)
		}
		req, _ := http.NewRequest(http.MethodDelete, regs[r2].url("/v2/cluster/deletes/manifests/%s", img.ManifestDig), nil)
		if resp, body := regs[r2].do(t, req); resp.StatusCode != http.StatusAccepted {
			t.Fatalf("delete: %s", httpErr(resp, body))
		}
		deadline := time.Now().Add(time.Second)
		for _, r := range []*replica{r1, r3} {
			for {
				resp, _ := regs[r].get(t, regs[r].url("/v2/cluster/deletes/manifests/old"), "Accept", manifestAccept)
				if resp.StatusCode == http.StatusNotFound {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%s still serves the deleted tag a second later (%s)", r.name, resp.Status)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
	})

	t.Run("one replica at a time purges uploads, and another takes over when it dies", func(t *testing.T) {
		holder := waitForOnePurger(t, c, 15*time.Second)
		holder.kill(t)
		// The lease lasts two purge intervals (4 s): another replica takes it soon after.
		next := waitForOnePurger(t, c, 15*time.Second)
		if next == holder {
			t.Fatalf("%s still holds the lease after it was killed", holder.name)
		}
		for i, r := range c.replicas {
			if r == holder {
				c.start(i)
			}
		}
		time.Sleep(3 * time.Second)
		if again := waitForOnePurger(t, c, 15*time.Second); again != next {
			t.Fatalf("after %s came back, %s purges instead of %s", holder.name, again.name, next.name)
		}
	})

	t.Run("a replica cut off the network rejoins", func(t *testing.T) {
		before := newImage(t, map[string][]byte{"b.txt": randomBytes(2000)})
		regs[r1].pushImage(t, "cluster/partition", "before", before)
		r3.disconnect(t)
		// The others go on serving: push, tag and delete while r3 is away.
		during := newImage(t, map[string][]byte{"p.txt": randomBytes(5 << 20)})
		dd := regs[r2].pushImage(t, "cluster/partition", "during", during)
		images = append(images, pushed{"cluster/partition", "during", dd})
		req, _ := http.NewRequest(http.MethodDelete, regs[r1].url("/v2/cluster/partition/manifests/%s", before.ManifestDig), nil)
		if resp, body := regs[r1].do(t, req); resp.StatusCode != http.StatusAccepted {
			t.Fatalf("delete: %s", httpErr(resp, body))
		}
		if _, err := (&http.Client{Timeout: 2 * time.Second}).Get(r3.url() + "/readyz"); err == nil {
			t.Fatalf("%s still answers while cut off", r3.name)
		}
		time.Sleep(3 * time.Second)
		r3.connect(t)
		r3.waitReady(t, 60*time.Second)
		assertDigest(t, regs[r3], "cluster/partition", "during", dd)
		assertGone(t, regs[r3], "cluster/partition", "before")
	})

	t.Run("every image is intact on every replica", func(t *testing.T) {
		for _, r := range c.replicas {
			for _, im := range images {
				assertDigest(t, regs[r], im.repo, im.tag, im.digest)
				m := regs[r].manifest(t, im.repo, im.tag)
				for _, l := range append([]descriptor{*m.Config}, m.Layers...) {
					if got := sha256Digest(regs[r].getBlob(t, im.repo, l.Digest)); got != l.Digest {
						t.Fatalf("%s: %s@%s blob %s reads back as %s", r.name, im.repo, im.tag, l.Digest, got)
					}
				}
			}
		}
	})

	t.Run("the bucket holds ciphertext only", func(t *testing.T) {
		files := 0
		err := filepath.WalkDir(s3.Dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			files++
			if bytes.Contains(b, plaintext) {
				t.Errorf("%s holds pushed bytes in plaintext", path)
			}
			return nil
		})
		if err != nil || files == 0 {
			t.Fatalf("walking the bucket %s: %d files, %v", s3.Dir, files, err)
		}
	})

	t.Run("nothing of the registry is on the replicas' disks", func(t *testing.T) {
		for _, r := range c.replicas {
			names := containerFiles(t, r.name, "/data")
			if len(names) == 0 {
				t.Fatalf("docker cp of %s:/data listed nothing", r.name)
			}
			for _, name := range names {
				if strings.Contains(name, "blobs") || strings.Contains(name, "uploads") || strings.HasSuffix(name, ".db") {
					t.Errorf("%s holds %s: blobs, uploads and metadata belong in S3 and PostgreSQL", r.name, name)
				}
			}
		}
	})
}

// waitForOnePurger waits until exactly one running replica says it purges expired uploads
// (the last word of its log on the lease) and returns it.
func waitForOnePurger(t testing.TB, c *cluster, within time.Duration) *replica {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		var holders []*replica
		for _, r := range c.replicas {
			if !r.running() {
				continue
			}
			logs := r.logs()
			if i := strings.LastIndex(logs, "this replica now purges expired uploads"); i >= 0 &&
				i > strings.LastIndex(logs, "another replica purges expired uploads now") {
				holders = append(holders, r)
			}
		}
		if len(holders) == 1 {
			return holders[0]
		}
		if time.Now().After(deadline) {
			names := []string{}
			for _, h := range holders {
				names = append(names, h.name)
			}
			t.Fatalf("%d replicas purge uploads (%v), want exactly one", len(holders), names)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// offsetOf is where chunk i starts.
func offsetOf(chunks [][]byte, i int) int64 {
	var n int64
	for _, c := range chunks[:i] {
		n += int64(len(c))
	}
	return n
}

// ociManifest is img's manifest with one more layer.
func ociManifest(t testing.TB, img *image, extra descriptor) []byte {
	t.Helper()
	var m manifest
	if err := json.Unmarshal(img.Manifest, &m); err != nil {
		t.Fatal(err)
	}
	m.Layers = append(m.Layers, extra)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// containerFiles lists the files under dir in a container (docker cp streams them as a tar).
func containerFiles(t testing.TB, container, dir string) []string {
	t.Helper()
	out, err := exec.Command("docker", "cp", container+":"+dir, "-").Output()
	if err != nil {
		t.Fatalf("docker cp %s:%s: %v", container, dir, err)
	}
	var names []string
	tr := tar.NewReader(bytes.NewReader(out))
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		names = append(names, h.Name)
	}
	return names
}
