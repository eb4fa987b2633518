package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/berth-registry/berth/internal/testutil/pgtest"
	"github.com/berth-registry/berth/internal/testutil/s3test"
)

// startBerth runs `berth serve` on a free port and a fresh data dir under workDir (blobs on
// disk, SQLite), waits for it, and takes a registry token for /v2 as the benchmark's IAM user.
func startBerth(ctx context.Context, bin, workDir string, run int) (*server, error) {
	s, err := launchBerth(ctx, bin, workDir, targetBerth, run, 1, nil, nil)
	if err != nil {
		return nil, err
	}
	if err := s.signIn(ctx); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

// startBerthCluster runs replicas `berth serve` processes on one PostgreSQL and one S3 server
// (versitygw), both started for this run, as a scaled-out deployment runs: PostgreSQL with
// its durable defaults (fsync on), and every replica with the same master key. Requests go
// round-robin to the replicas.
func startBerthCluster(ctx context.Context, bin, workDir, target string, run, replicas int) (srv *server, err error) {
	pg, err := pgtest.StartServer(pgtest.Options{Durable: true})
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL: %w", err)
	}
	s3, err := s3test.StartServer()
	if err != nil {
		pg.Stop()
		return nil, fmt.Errorf("S3 server: %w", err)
	}
	// The first replica stops the shared servers when it stops; until it exists, this does.
	cleanup := func() {
		s3.Stop()
		pg.Stop()
	}
	defer func() {
		if err == nil {
			return
		}
		if srv != nil {
			srv.stop()
		} else {
			cleanup()
		}
		srv = nil
	}()
	dbURL, err := pg.NewDatabase(ctx)
	if err != nil {
		return nil, err
	}
	bucket, err := s3.NewBucket()
	if err != nil {
		return nil, err
	}
	master := make([]byte, 32)
	rand.Read(master)
	args := []string{"--metadata", dbURL, "--blobs", "s3://" + bucket.Bucket + "/berth",
		"--s3-endpoint", bucket.Endpoint, "--s3-region", bucket.Region}
	env := []string{"BERTH_MASTER_KEY=" + base64.StdEncoding.EncodeToString(master),
		"BERTH_S3_ACCESS_KEY=" + bucket.AccessKey, "BERTH_S3_SECRET_KEY=" + bucket.SecretKey}
	for i := 1; i <= replicas; i++ {
		r, err := launchBerth(ctx, bin, workDir, target, run, i, args, env)
		if err != nil {
			return srv, err
		}
		if srv == nil {
			srv = r
			srv.cleanup = cleanup
		} else {
			srv.replicas = append(srv.replicas, r)
		}
	}
	return srv, srv.signIn(ctx)
}

// launchBerth starts one berth process with args and env added to the defaults and waits
// for its startup line and /readyz.
func launchBerth(ctx context.Context, bin, workDir, target string, run, replica int, args, env []string) (*server, error) {
	name := fmt.Sprintf("%s-run%d", target, run)
	if replica > 1 {
		name += fmt.Sprintf("-replica%d", replica)
	}
	dataDir, err := os.MkdirTemp(workDir, name+"-data-")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0", "--data-dir", dataDir, "--access-log=false"}, args...)...)
	cmd.Env = append(append(envWithout("BERTH_"), "BERTH_ROOT_ACCESS_KEY_ID="+rootAccessKeyID,
		"BERTH_ROOT_SECRET_ACCESS_KEY="+rootSecret, "BERTH_REGION="+region), env...)
	s, err := launch(target, cmd, dataDir, filepath.Join(workDir, name+".log"))
	if err != nil {
		os.RemoveAll(dataDir)
		return nil, err
	}
	fail := func(err error) (*server, error) {
		s.stop()
		return nil, fmt.Errorf("%w\n--- berth log (last lines) ---\n%s", err, s.logTail(20))
	}
	deadline := time.Now().Add(startTimeout)
	var addr string
	for addr == "" {
		b, _ := os.ReadFile(s.logPath)
		for _, line := range strings.Split(string(b), "\n") {
			if a, ok := parseStartupLine(line); ok {
				addr = a
			}
		}
		if addr != "" {
			break
		}
		if s.exited() {
			return fail(fmt.Errorf("berth exited before serving: %v", s.waitErr))
		}
		if ctx.Err() != nil {
			return fail(ctx.Err())
		}
		if time.Now().After(deadline) {
			return fail(fmt.Errorf("berth did not log its startup line within %s", startTimeout))
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.base = "http://" + addr
	if err := s.waitHTTP(ctx, "/readyz", deadline); err != nil {
		return fail(err)
	}
	return s, nil
}

// signIn creates the benchmark's IAM user (with the root credentials) and takes a registry
// token as that user, so every request is authorized by the policy evaluator.
func (s *server) signIn(ctx context.Context) error {
	root := &ecrClient{base: s.base, keyID: rootAccessKeyID, secret: rootSecret, region: region, hc: newHTTPClient(64)}
	var err error
	if s.ecr, err = root.asIAMUser(ctx); err != nil {
		return fmt.Errorf("creating the benchmark's IAM user: %w\n--- berth log (last lines) ---\n%s", err, s.logTail(20))
	}
	if s.auth, err = s.ecr.registryAuth(ctx); err != nil {
		return fmt.Errorf("taking a registry token: %w\n--- berth log (last lines) ---\n%s", err, s.logTail(20))
	}
	return nil
}
