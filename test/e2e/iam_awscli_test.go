package e2e

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// runAWS runs one command of the real aws executable (args without "aws") with env in dir and
// returns stdout, stderr and the exit error.
func runAWS(ctx context.Context, args, env []string, dir string) (string, string, error) {
	cmd := exec.CommandContext(ctx, "aws", args...)
	cmd.Env, cmd.Dir = env, dir
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 10 * time.Second
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		err = fmt.Errorf("run aws: %w", err)
	}
	return stdout.String(), stderr.String(), err
}
