package harness

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// MainModuleRoot is the nearest directory at or above the working directory whose go.mod is
// github.com/azlb/azlb (the repository root).
func MainModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if data, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil {
			first, _, _ := strings.Cut(string(data), "\n")
			if strings.TrimSpace(first) == "module github.com/azlb/azlb" {
				return dir, nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("cannot find the github.com/azlb/azlb module above the working directory: run from the repository")
		}
		dir = parent
	}
}

// BuildCloudController builds cmd/cloud-controller of the main module into out (a file path), with
// the race detector when race is set, and returns out.
func BuildCloudController(ctx context.Context, out string, race bool) (string, error) {
	root, err := MainModuleRoot()
	if err != nil {
		return "", err
	}
	args := []string{"build", "-o", out}
	if race {
		args = append(args, "-race")
	}
	cmd := exec.CommandContext(ctx, "go", append(args, "./cmd/cloud-controller")...) //nolint:gosec // G204: the go tool, on a path the caller chose
	cmd.Dir = root
	if output, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/cloud-controller in %s: %w\n%s", root, err, output)
	}
	return out, nil
}
