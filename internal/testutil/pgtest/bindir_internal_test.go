package pgtest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Without PostgreSQL the message says how to install it.
func TestBinDirWithoutPostgres(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := binDir(filepath.Join(t.TempDir(), "*", "bin"))
	if err == nil || !strings.Contains(err.Error(), "install postgresql (make tools)") {
		t.Errorf("binDir with no PostgreSQL: %v, want an error that says to install postgresql (make tools)", err)
	}
}

func TestBinDirPicksTheNewestVersion(t *testing.T) {
	root := t.TempDir()
	for _, v := range []string{"9", "15", "13"} {
		dir := filepath.Join(root, v, "bin")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "pg_ctl"), nil, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	got, err := binDir(filepath.Join(root, "*", "bin"))
	if want := filepath.Join(root, "15", "bin"); err != nil || got != want {
		t.Errorf("binDir = %q, %v; want %q", got, err, want)
	}
}
