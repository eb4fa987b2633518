package e2e

// Container engines and builders: podman, buildah, the docker engine and containerd (ctr), each with
// private state. See clients_test.go for how the client tests are organised.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

// ---------------------------------------------------------------------------------------------------
// podman and buildah (vfs storage, private roots)

func containersFlags(c *clientEnv) []string {
	return []string{"--storage-driver", "vfs", "--root", filepath.Join(c.Dir, "storage"), "--runroot", filepath.Join(c.Dir, "run")}
}

func TestClientPodman(t *testing.T) {
	t.Parallel()
	host, cred := sharedRegistry(t)
	reg := newRegistry(host, cred)
	c := newClientEnv(t)
	p := repoPrefix("podman")
	seedRepo, repo := p+"/seed", p+"/app"
	hello := []byte("hello from podman " + randomHex(8) + "\n")
	seed := newImage(t, map[string][]byte{"hello.txt": hello})
	reg.pushImage(t, seedRepo, "v1", seed)
	podman := func(t *testing.T, args ...string) string {
		return c.run(t, "podman", append(containersFlags(c), args...)...)
	}
	seedRef, ref := host+"/"+seedRepo+":v1", host+"/"+repo
	// podman login writes $REGISTRY_AUTH_FILE.
	c.login(t, cred, "podman", append(containersFlags(c), "login", "--tls-verify=false", "--username", cred.User, "--password-stdin", host)...)

	t.Run("pull", func(t *testing.T) {
		podman(t, "pull", "-q", "--tls-verify=false", seedRef)
		if d := strings.TrimSpace(podman(t, "image", "inspect", "--format", "{{.Digest}}", seedRef)); d != seed.ManifestDig {
			t.Fatalf("pulled image digest %s, want %s", d, seed.ManifestDig)
		}
	})
	t.Run("push oci", func(t *testing.T) {
		podman(t, "tag", seedRef, ref+":v1")
		df := filepath.Join(c.Dir, "digest-v1")
		podman(t, "push", "-q", "--tls-verify=false", "--format", "oci", "--digestfile", df, ref+":v1")
		dig := strings.TrimSpace(string(readFile(t, df)))
		assertDigest(t, reg, repo, "v1", dig)
		if _, mt, _ := reg.getManifest(t, repo, "v1"); mt != mtOCIManifest {
			t.Errorf("Content-Type %q, want %q", mt, mtOCIManifest)
		}
		assertFile(t, reg.imageFiles(t, repo, "v1"), "hello.txt", hello)
	})
	t.Run("push docker v2s2", func(t *testing.T) {
		df := filepath.Join(c.Dir, "digest-v2s2")
		podman(t, "push", "-q", "--tls-verify=false", "--format", "v2s2", "--digestfile", df, ref+":v1", "docker://"+ref+":v2s2")
		dig := strings.TrimSpace(string(readFile(t, df)))
		assertDigest(t, reg, repo, "v2s2", dig)
		if _, mt, _ := reg.getManifest(t, repo, "v2s2"); mt != mtDockerManifest {
			t.Errorf("Content-Type %q, want %q", mt, mtDockerManifest)
		}
		assertFile(t, reg.imageFiles(t, repo, "v2s2"), "hello.txt", hello)
	})
	t.Run("search --list-tags", func(t *testing.T) {
		out := podman(t, "search", "--tls-verify=false", "--list-tags", ref)
		var tags []string
		for _, l := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
			if f := strings.Fields(l); len(f) == 2 {
				tags = append(tags, f[1])
			}
		}
		sort.Strings(tags)
		if !slices.Equal(tags, []string{"v1", "v2s2"}) {
			t.Fatalf("podman search --list-tags: %q, want [v1 v2s2]\n%s", tags, out)
		}
		assertTags(t, reg, repo, "v1", "v2s2")
	})
	t.Run("rmi and pull back", func(t *testing.T) {
		podman(t, "rmi", "-f", ref+":v1", seedRef)
		if r := c.try(t, runOpts{}, "podman", append(containersFlags(c), "image", "exists", ref+":v1")...); r.Err == nil {
			t.Fatal("image still present after podman rmi")
		}
		podman(t, "pull", "-q", "--tls-verify=false", ref+":v1")
		want := reg.headManifest(t, repo, "v1")
		if d := strings.TrimSpace(podman(t, "image", "inspect", "--format", "{{.Digest}}", ref+":v1")); d != want {
			t.Fatalf("pulled image digest %s, registry says %s", d, want)
		}
	})
}

func TestClientBuildah(t *testing.T) {
	t.Parallel()
	host, cred := sharedRegistry(t)
	reg := newRegistry(host, cred)
	c := newClientEnv(t)
	repo := repoPrefix("buildah") + "/app"
	ref := host + "/" + repo + ":v1"
	hello := []byte("hello from buildah " + randomHex(8) + "\n")
	label := randomHex(6)
	writeFile(t, filepath.Join(c.Dir, "hello.txt"), hello)
	buildah := func(t *testing.T, args ...string) string {
		return strings.TrimSpace(c.run(t, "buildah", append(containersFlags(c), args...)...))
	}
	var dig string
	c.login(t, cred, "buildah", append(containersFlags(c), "login", "--tls-verify=false", "--username", cred.User, "--password-stdin", host)...)

	t.Run("from scratch, copy, commit", func(t *testing.T) {
		ctr := buildah(t, "from", "scratch")
		buildah(t, "copy", ctr, filepath.Join(c.Dir, "hello.txt"), "/hello.txt")
		buildah(t, "config", "--label", "e2e="+label, ctr)
		buildah(t, "commit", "-q", ctr, ref)
		buildah(t, "rm", ctr)
	})
	t.Run("push", func(t *testing.T) {
		df := filepath.Join(c.Dir, "digest")
		buildah(t, "push", "-q", "--tls-verify=false", "--digestfile", df, ref)
		dig = strings.TrimSpace(string(readFile(t, df)))
		assertDigest(t, reg, repo, "v1", dig)
		assertTags(t, reg, repo, "v1")
		assertFile(t, reg.imageFiles(t, repo, "v1"), "hello.txt", hello)
		m := reg.manifest(t, repo, "v1")
		var cfg struct {
			Config struct{ Labels map[string]string }
		}
		if err := json.Unmarshal(reg.getBlob(t, repo, m.Config.Digest), &cfg); err != nil {
			t.Fatal(err)
		}
		if cfg.Config.Labels["e2e"] != label {
			t.Fatalf("config labels %v, want e2e=%s", cfg.Config.Labels, label)
		}
	})
	t.Run("rmi and pull back", func(t *testing.T) {
		buildah(t, "rmi", "-f", ref)
		buildah(t, "pull", "-q", "--tls-verify=false", ref)
		out := buildah(t, "images", "--digests", "--format", "{{.Digest}}", ref)
		if out != dig {
			t.Fatalf("pulled image digest %q, pushed %s", out, dig)
		}
	})
}

// ---------------------------------------------------------------------------------------------------
// The docker engine

// helloImage is a build context with a static Go binary that prints token, FROM scratch.
func helloContext(t testing.TB, c *clientEnv, token string) (dir string, binary []byte) {
	t.Helper()
	src := filepath.Join(c.Dir, "hello-src")
	writeFile(t, filepath.Join(src, "go.mod"), []byte("module hello\n\ngo 1.22\n"))
	writeFile(t, filepath.Join(src, "main.go"), []byte(fmt.Sprintf("package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(%q) }\n", token)))
	dir = filepath.Join(c.Dir, "hello-ctx")
	c.runWith(t, runOpts{dir: src, env: []string{"CGO_ENABLED=0", "GOWORK=off", "GOFLAGS=-buildvcs=false", "GOTOOLCHAIN=local"}},
		"go", "build", "-trimpath", "-ldflags=-s -w", "-o", filepath.Join(dir, "hello"), ".")
	writeFile(t, filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\nCOPY hello /hello\nENTRYPOINT [\"/hello\"]\n"))
	return dir, readFile(t, filepath.Join(dir, "hello"))
}

// dockerBuildPush builds the hello context with the docker engine and pushes it as ref; it returns the
// pushed digest and removes the local image when the test ends.
func dockerBuildPush(t testing.TB, c *clientEnv, ctx, ref string) string {
	t.Helper()
	t.Cleanup(func() { c.try(t, runOpts{}, "docker", "rmi", "-f", ref) })
	c.runWith(t, runOpts{env: []string{"DOCKER_BUILDKIT=0"}}, "docker", "build", "-q", "-t", ref, ctx)
	out := c.run(t, "docker", "push", ref)
	m := regexp.MustCompile(`digest: (sha256:[0-9a-f]{64}) size: \d+`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no digest in docker push output:\n%s", out)
	}
	return m[1]
}

func TestClientDocker(t *testing.T) {
	t.Parallel()
	host, cred := sharedRegistry(t)
	reg := newRegistry(host, cred)
	c := newClientEnv(t)
	tool(t, "docker")
	repo := repoPrefix("docker") + "/hello"
	ref := host + "/" + repo
	token := "hello from berth e2e " + randomHex(8)
	ctx, binary := helloContext(t, c, token)
	t.Cleanup(func() { c.try(t, runOpts{}, "docker", "rmi", "-f", ref+":v1", ref+":v2") })
	var dig string

	t.Run("build", func(t *testing.T) {
		c.runWith(t, runOpts{env: []string{"DOCKER_BUILDKIT=0"}}, "docker", "build", "-q", "-t", ref+":v1", ctx)
	})
	t.Run("push without login is refused", func(t *testing.T) {
		needCredentials(t, cred)
		assertAuthFailure(t, c.try(t, runOpts{timeout: 2 * time.Minute}, "docker", "push", ref+":v1"))
		assertTags(t, reg, repo)
	})
	t.Run("login with a wrong password fails", func(t *testing.T) {
		needCredentials(t, cred)
		wrong := []byte(strings.ToUpper(cred.Password) + "\n")
		assertAuthFailure(t, c.try(t, runOpts{stdin: wrong, timeout: time.Minute}, "docker", "login", "-u", cred.User, "--password-stdin", host))
		assertAuthFailure(t, c.try(t, runOpts{stdin: []byte("not-a-token\n"), timeout: time.Minute}, "docker", "login", "-u", cred.User, "--password-stdin", host))
		assertAuthFailure(t, c.try(t, runOpts{stdin: []byte(cred.Password + "\n"), timeout: time.Minute}, "docker", "login", "-u", "root", "--password-stdin", host))
		if cfg := readFile(t, filepath.Join(c.Dir, "docker", "config.json")); bytes.Contains(cfg, []byte(host)) {
			t.Fatalf("a failed docker login stored credentials for %s:\n%s", host, cfg)
		}
	})
	t.Run("login", func(t *testing.T) {
		// docker login checks the password against the registry (through the engine) and stores it in the
		// private $DOCKER_CONFIG/config.json, which the docker CLI then sends to the engine for push and pull.
		c.login(t, cred, "docker", "login", "-u", cred.User, "--password-stdin", host)
	})
	t.Run("push", func(t *testing.T) {
		out := c.run(t, "docker", "push", ref+":v1")
		m := regexp.MustCompile(`v1: digest: (sha256:[0-9a-f]{64}) size: \d+`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no digest in docker push output:\n%s", out)
		}
		dig = m[1]
		assertDigest(t, reg, repo, "v1", dig)
		if _, mt, _ := reg.getManifest(t, repo, "v1"); mt != mtDockerManifest {
			t.Errorf("Content-Type %q, want %q", mt, mtDockerManifest)
		}
		assertFile(t, reg.imageFiles(t, repo, "v1"), "hello", binary)
	})
	t.Run("tag and push again", func(t *testing.T) {
		c.run(t, "docker", "tag", ref+":v1", ref+":v2")
		out := c.run(t, "docker", "push", ref+":v2")
		if !strings.Contains(out, "v2: digest: "+dig) {
			t.Fatalf("second push reported a different digest (want %s):\n%s", dig, out)
		}
		assertTags(t, reg, repo, "v1", "v2")
	})
	t.Run("rmi", func(t *testing.T) {
		c.run(t, "docker", "rmi", ref+":v1", ref+":v2")
		if r := c.try(t, runOpts{}, "docker", "image", "inspect", ref+":v1"); r.Err == nil {
			t.Fatal("image still present after docker rmi")
		}
	})
	t.Run("pull", func(t *testing.T) {
		out := c.run(t, "docker", "pull", ref+":v1")
		if !strings.Contains(out, "Digest: "+dig) {
			t.Fatalf("docker pull did not report digest %s:\n%s", dig, out)
		}
		rd := c.run(t, "docker", "image", "inspect", "--format", "{{json .RepoDigests}}", ref+":v1")
		if !strings.Contains(rd, ref+"@"+dig) {
			t.Fatalf("RepoDigests %s, want %s@%s", rd, ref, dig)
		}
	})
	t.Run("run", func(t *testing.T) {
		out := c.run(t, "docker", "run", "--rm", "--network", "none", ref+":v1")
		if strings.TrimSpace(out) != token {
			t.Fatalf("container printed %q, want %q", out, token)
		}
	})
	t.Run("pull by digest", func(t *testing.T) {
		t.Cleanup(func() { c.try(t, runOpts{}, "docker", "rmi", "-f", ref+"@"+dig) })
		c.run(t, "docker", "rmi", "-f", ref+":v1")
		out := c.run(t, "docker", "pull", ref+"@"+dig)
		if !strings.Contains(out, "Digest: "+dig) {
			t.Fatalf("docker pull by digest did not report %s:\n%s", dig, out)
		}
	})
}

// ---------------------------------------------------------------------------------------------------
// containerd / ctr with a private daemon

// startContainerd runs a private containerd (no CRI, no TCP) under the client environment and returns
// its socket; the daemon is stopped when the test ends.
func startContainerd(t testing.TB, c *clientEnv) string {
	t.Helper()
	dir := filepath.Join(c.Dir, "containerd")
	sock := filepath.Join(dir, "containerd.sock")
	writeFile(t, filepath.Join(dir, "config.toml"), []byte(fmt.Sprintf(`version = 2
root = %q
state = %q
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = %q
[ttrpc]
  address = %q
[plugins."io.containerd.internal.v1.opt"]
  path = %q
`, filepath.Join(dir, "root"), filepath.Join(dir, "state"), sock, sock+".ttrpc", filepath.Join(dir, "opt"))))
	bin := tool(t, "containerd")
	tool(t, "runc")
	logf, err := os.Create(filepath.Join(dir, "containerd.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--config", filepath.Join(dir, "config.toml"))
	cmd.Env = c.env
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start containerd: %v", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); logf.Close(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, "containerd.log"))
			t.Logf("containerd log (tail):\n%s", lastLines(string(b), 30))
		}
	})
	for deadline := time.Now().Add(20 * time.Second); ; {
		if fi, err := os.Stat(sock); err == nil && fi.Mode()&os.ModeSocket != 0 {
			if r := c.try(t, runOpts{timeout: 10 * time.Second}, "ctr", "-a", sock, "version"); r.Err == nil {
				return sock
			}
		}
		select {
		case <-done:
			b, _ := os.ReadFile(filepath.Join(dir, "containerd.log"))
			t.Fatalf("containerd exited at startup:\n%s", lastLines(string(b), 30))
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("containerd did not create its socket within 20 s")
		}
	}
}

func TestClientContainerd(t *testing.T) {
	t.Parallel()
	host, cred := sharedRegistry(t)
	reg := newRegistry(host, cred)
	c := newClientEnv(t)
	sock := startContainerd(t, c)
	ctr := func(t *testing.T, args ...string) string {
		return c.run(t, "ctr", append([]string{"-a", sock}, args...)...)
	}
	p := repoPrefix("ctr")
	seedRepo, repo := p+"/seed", p+"/app"
	seed := newImage(t, map[string][]byte{"hello.txt": []byte("hello from ctr " + randomHex(8) + "\n")})
	reg.pushImage(t, seedRepo, "v1", seed)
	seedRef := host + "/" + seedRepo + ":v1"
	// ctr has no login: `ctr images pull|push` take --user USER:PASSWORD.
	remote := func(verb, ref string) []string {
		args := []string{"images", verb, "--plain-http"}
		if !cred.anonymous() {
			args = append(args, "--user", cred.User+":"+cred.Password)
		}
		return append(args, ref)
	}

	t.Run("pull without credentials is refused", func(t *testing.T) {
		needCredentials(t, cred)
		assertAuthFailure(t, c.try(t, runOpts{timeout: time.Minute}, "ctr", "-a", sock, "images", "pull", "--plain-http", seedRef))
	})
	t.Run("pull", func(t *testing.T) {
		ctr(t, remote("pull", seedRef)...)
		if out := ctr(t, "images", "ls"); !containsLineWith(out, seedRef, seed.ManifestDig) {
			t.Fatalf("ctr images ls does not show %s at %s:\n%s", seedRef, seed.ManifestDig, out)
		}
		if got := ctr(t, "content", "get", seed.LayerDigest); got != string(seed.Layer) {
			t.Fatal("the layer containerd pulled differs from the pushed one")
		}
	})
	t.Run("push", func(t *testing.T) {
		ctr(t, "images", "tag", seedRef, host+"/"+repo+":v1")
		ctr(t, remote("push", host+"/"+repo+":v1")...)
		// containerd pushes the exact bytes it pulled.
		assertDigest(t, reg, repo, "v1", seed.ManifestDig)
		assertTags(t, reg, repo, "v1")
		if got := reg.getBlob(t, repo, seed.LayerDigest); !bytes.Equal(got, seed.Layer) {
			t.Fatal("pushed layer differs")
		}
	})
	t.Run("run docker-built image", func(t *testing.T) {
		tool(t, "docker")
		token := "hello from ctr run " + randomHex(8)
		ctxDir, _ := helloContext(t, c, token)
		ref := host + "/" + p + "/hello:v1"
		c.login(t, cred, "docker", "login", "-u", cred.User, "--password-stdin", host)
		dig := dockerBuildPush(t, c, ctxDir, ref)
		ctr(t, remote("pull", ref)...)
		if out := ctr(t, "images", "ls"); !containsLineWith(out, ref, dig) {
			t.Fatalf("ctr images ls does not show %s at %s:\n%s", ref, dig, out)
		}
		out := ctr(t, "run", "--rm", ref, "e2e-"+randomHex(4))
		if strings.TrimSpace(out) != token {
			t.Fatalf("ctr run printed %q, want %q", out, token)
		}
	})
}

func containsLineWith(s string, subs ...string) bool {
	for _, l := range strings.Split(s, "\n") {
		all := true
		for _, sub := range subs {
			if !strings.Contains(l, sub) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}
