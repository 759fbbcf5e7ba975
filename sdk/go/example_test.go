package jobqueue_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"testing"
)

// The README's example is known to work: it is built and run here against the same system.
func TestQuickstartExample_Runs(t *testing.T) {
	cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "run", "./examples/quickstart")
	cmd.Env = append(os.Environ(), "JOBQUEUE_URL="+baseURL, "JOBQUEUE_API_KEY=")
	out, err := cmd.CombinedOutput()
	t.Logf("go run ./examples/quickstart:\n%s", out)
	if err != nil {
		t.Fatalf("the example failed: %v", err)
	}
	for _, want := range []string{
		`echo job \S+: completed, result \{"to": ?"ada@example.com"\}`,
		`greet job \S+: completed by \S+-go-\S+, result \{"greeting": ?"hello Ada"\}`,
		`\n2 completed jobs\n`,
		`as expected: jobqueue: 404 job 00000000-0000-4000-8000-000000000000 not found`,
	} {
		if !regexp.MustCompile(want).Match(out) {
			t.Errorf("the output lacks %s", want)
		}
	}
}
