package e2e

// A cluster of berth replicas for the scale-out tests: each replica is the static berth binary in
// a container built FROM scratch, on a docker network of its own, with a fixed address on it. The
// replicas share one PostgreSQL and one S3 server (versitygw) that run on this host; the test
// process forwards a port on the network's gateway address to each of them, so that cutting a
// replica off the network (docker network disconnect) cuts it off from its clients, the
// database and the object store at once, as a failing node is cut off.

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// clusterImage builds (once per test binary) a FROM scratch image holding a static berth.
var clusterImage = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "berth-e2e-image-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	build := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(dir, "berth"), "./cmd/berth")
	build.Dir = moduleRoot
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("static build of berth: %v\n%s", err, out)
	}
	dockerfile := "FROM scratch\nCOPY berth /berth\nENTRYPOINT [\"/berth\"]\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		return "", err
	}
	tag := "berth-e2e-replica:" + randomHex(6)
	if out, err := exec.Command("docker", "build", "-q", "-t", tag, dir).CombinedOutput(); err != nil {
		return "", fmt.Errorf("docker build: %v\n%s", err, out)
	}
	return tag, nil
})

// cluster is N berth replicas on one docker network.
type cluster struct {
	t        testing.TB
	image    string
	network  string
	gateway  string // the host's address on the network
	prefix   string // of the replicas' container names
	args     []string
	env      []string
	replicas []*replica
}

// replica is one berth container.
type replica struct {
	c    *cluster
	name string // container name
	ip   string // fixed address on the cluster network
}

func (r *replica) host() string { return r.ip + ":5000" }
func (r *replica) url() string  { return "http://" + r.host() }

// newCluster creates the network and the forwarders to PostgreSQL (pgURL) and S3 (s3Endpoint,
// http://host:port) and returns a cluster with no replica started yet.
func newCluster(t testing.TB, pgURL, s3Endpoint string, extraArgs ...string) *cluster {
	t.Helper()
	image, err := clusterImage()
	if err != nil {
		t.Fatal(err)
	}
	c := &cluster{t: t, image: image, prefix: "berth-e2e-" + randomHex(4)}
	c.network = c.prefix + "-net"
	// A fixed address per replica needs a subnet of our own: try random ones until one
	// does not overlap another network.
	var created bool
	for attempt := 0; attempt < 10 && !created; attempt++ {
		net := fmt.Sprintf("10.%d.%d.", 200+mrand.IntN(50), mrand.IntN(256))
		c.gateway = net + "1"
		created = exec.Command("docker", "network", "create", "--subnet", net+"0/24", "--gateway", c.gateway, c.network).Run() == nil
	}
	if !created {
		t.Fatalf("docker network create %s: no free subnet found", c.network)
	}
	t.Cleanup(func() {
		for _, r := range c.replicas {
			if t.Failed() {
				t.Logf("--- log of %s (last lines) ---\n%s", r.name, lastLines(r.logs(), logTailLines))
			}
			exec.Command("docker", "rm", "-f", r.name).Run()
		}
		exec.Command("docker", "network", "rm", c.network).Run()
	})
	pg, err := url.Parse(pgURL)
	if err != nil {
		t.Fatalf("postgres URL %q: %v", pgURL, err)
	}
	pg.Host = forward(t, c.gateway, pg.Host)
	s3, err := url.Parse(s3Endpoint)
	if err != nil {
		t.Fatalf("S3 endpoint %q: %v", s3Endpoint, err)
	}
	s3.Host = forward(t, c.gateway, s3.Host)

	master := make([]byte, 32)
	copy(master, []byte(randomHex(16)))
	c.env = []string{
		"BERTH_MASTER_KEY=" + base64.StdEncoding.EncodeToString(master),
		"BERTH_ROOT_ACCESS_KEY_ID=" + RootAccessKeyID,
		"BERTH_ROOT_SECRET_ACCESS_KEY=" + RootSecretAccessKey,
	}
	c.args = append([]string{"serve", "--addr", "0.0.0.0:5000", "--data-dir", "/data",
		"--metadata", pg.String(), "--s3-endpoint", s3.String()}, extraArgs...)
	return c
}

// start starts replica i (0-based) with a fixed address, or restarts it if it exists.
func (c *cluster) start(i int) *replica {
	c.t.Helper()
	for len(c.replicas) <= i {
		n := len(c.replicas)
		c.replicas = append(c.replicas, &replica{c: c, name: fmt.Sprintf("%s-r%d", c.prefix, n+1), ip: c.replicaIP(n)})
	}
	r := c.replicas[i]
	exec.Command("docker", "rm", "-f", r.name).Run()
	args := []string{"run", "-d", "--name", r.name, "--network", c.network, "--ip", r.ip}
	for _, e := range c.env {
		args = append(args, "-e", e)
	}
	args = append(append(args, c.image), c.args...)
	docker(c.t, args...)
	r.waitReady(c.t, 60*time.Second)
	return r
}

// replicaIP is .10, .11, … of the network's subnet (the gateway is .1).
func (c *cluster) replicaIP(i int) string {
	ip := net.ParseIP(c.gateway).To4()
	return fmt.Sprintf("%d.%d.%d.%d", ip[0], ip[1], ip[2], 10+i)
}

func (r *replica) waitReady(t testing.TB, within time.Duration) {
	t.Helper()
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(within)
	for {
		resp, err := client.Get(r.url() + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica %s not ready within %s (%v)\n%s", r.name, within, err, lastLines(r.logs(), logTailLines))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// kill is kill -9 of the replica's process.
func (r *replica) kill(t testing.TB) { docker(t, "kill", "-s", "KILL", r.name) }

// disconnect cuts the replica off the network; connect puts it back at its address.
func (r *replica) disconnect(t testing.TB) {
	docker(t, "network", "disconnect", "-f", r.c.network, r.name)
}
func (r *replica) connect(t testing.TB) {
	docker(t, "network", "connect", "--ip", r.ip, r.c.network, r.name)
}

// running reports whether the replica's container runs.
func (r *replica) running() bool {
	out, err := exec.Command("docker", "inspect", "-f", "{{.State.Running}}", r.name).Output()
	return err == nil && strings.TrimSpace(string(out)) == "true"
}

func (r *replica) logs() string {
	out, _ := exec.Command("docker", "logs", r.name).CombinedOutput()
	return string(out)
}

// token is the password of an ECR authorization token of the root, from this replica.
func (r *replica) token(t testing.TB) string {
	t.Helper()
	s := &Server{Addr: r.host()}
	return s.Token(t)
}

func docker(t testing.TB, args ...string) string {
	t.Helper()
	out, err := exec.Command("docker", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// forward listens on host:0 and copies every connection to and from target; it returns the
// address it listens on. It stops when the test ends.
func forward(t testing.TB, host, target string) string {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatalf("listen on %s: %v", host, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() {
		cancel()
		ln.Close()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer in.Close()
				var d net.Dialer
				out, err := d.DialContext(ctx, "tcp", target)
				if err != nil {
					return
				}
				defer out.Close()
				stop := context.AfterFunc(ctx, func() { in.Close(); out.Close() })
				defer stop()
				done := make(chan struct{})
				go func() {
					io.Copy(out, in)
					out.(*net.TCPConn).CloseWrite()
					close(done)
				}()
				io.Copy(in, out)
				in.(*net.TCPConn).CloseWrite()
				<-done
			}()
		}
	}()
	return ln.Addr().String()
}
